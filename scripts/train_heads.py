"""Train the sentiment and CX-emotion heads shipped in models/.

    python scripts/train_heads.py [--data-dir ../shared/data] [--config configs/default.yaml]
    python scripts/train_heads.py --only sentiment --threads 1     # the sentiment heads alone
    python scripts/train_heads.py --only emotions --threads 1      # the emotion head and its lexical head alone
    python scripts/train_heads.py --only emotions --profile accurate --threads 1   # the accurate profile's

Each head is one MLP over the frozen unit embeddings of the configured
encoder (sentiment: one head per encoder view in
`components.sentiment.models`, the base vectors and the `affect` and
`affect_emotions` adapter views by default; the emotion head reads the
views of `components.emotions.views` side by side and is saved in
`components.emotions.model`; with `--profile accurate`, that profile's:
affect_emotions + e5_sentiment, in models/emotions_e5; run
scripts/train_affect_encoder.py and, for the e5 view,
scripts/train_e5_sentiment.py first), trained only on license-allowed sets.

Sentiment: one MLP per view on the sentiment mix
(`voc_nlp.training.data.sentiment_mix`: TweetEval sentiment, women's clothing
reviews, French book reviews, journey_train), each domain weighed
`SENTIMENT_MIX` in total with its classes balanced, as
scripts/cv_sentiment.py chose it by cross-validation on the train splits. The
temperature is fitted on fold 0 of the mix with the same recipe trained on
the other folds; no dev split is used to choose or fit anything. The lexical
head fused with them (`components.sentiment.lexical`) is rebuilt right after
(scripts/train_sentiment_lexical.py), as its fusion temperature reads these
heads' fold-0 probabilities.

Emotions: GoEmotions + TweetEval emotion mapped to the CX emotions, 3,000
neutral tweets and journey_train's CX emotion labels (`emotion_mix`, journey
rows weighed `JOURNEY_EMOTION_WEIGHT`), one MLP and a lexical head
(`voc_nlp.training.emotions`); per-label thresholds (head and fused) are the
F1-best cuts on out-of-fold probabilities of the same recipe on the train
rows (3 folds by text hash), as scripts/cv_emotions.py chose the recipe. No
dev split is used to choose anything.

Dev figures on every set, including the measure-only ones (airline tweets,
French Amazon reviews, journey_dev), go into each model card.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.evaluation import multilabel_metrics, sentiment_metrics  # noqa: E402
from voc_nlp.heads import ClassifierHead  # noqa: E402
from voc_nlp.components.embed import views_fingerprint  # noqa: E402
from voc_nlp.lexical import LexicalHead  # noqa: E402
from voc_nlp.pipeline import apply_profile  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.encoders import encoder_from_config  # noqa: E402
from voc_nlp.taxonomy import Taxonomy  # noqa: E402
from voc_nlp.training.emotions import (  # noqa: E402
    decide,
    f1_best_thresholds,
    fit_emotion_heads,
    fused_scores,
    out_of_fold,
)
from voc_nlp.training.heads import (  # noqa: E402
    distil_head,
    expected_calibration_error,
    fit_mlp_head,
    fit_temperature,
)
from voc_nlp.training.data import (  # noqa: E402
    DEFAULT_DATA_DIR,
    SENTIMENT_DOMAINS,
    embed_cached,
    embed_side_by_side,
    embed_views_cached,
    emotion_mix,
    emotion_set,
    emotion_weights,
    journey_dev,
    mix_weights,
    sentiment_mix,
    sentiment_set,
)

SEED = 13
SENTIMENT_SEEDS, SENTIMENT_HIDDEN = (13,), 512
# Sentiment: one MLP per view, as scripts/cv_sentiment.py cross-validates it (a seed ensemble distilled
# into one MLP gained ~0.005 TweetEval macro-recall on TweetEval alone, at 8x the training time on the mix).
# The sentiment mix (`voc_nlp.training.data.sentiment_mix`): each domain's relative total weight, classes
# balanced within each domain. Chosen by scripts/cv_sentiment.py (3 folds of the train splits, per domain).
SENTIMENT_MIX = {"tweets": 1.0, "clothing": 1.0, "books": 1.0, "journey": 1.0}
# Emotions: one 512-unit MLP trained 30 passes, the recipe scripts/cv_emotions.py cross-validates, so the
# thresholds come from out-of-fold probabilities of exactly the shipped recipe. Chosen out of fold on the
# train rows (docs/measuring/emotions.md): 30 passes against 15 gained journey_train macro-F1 (0.646 -> 0.661, two
# seeds) with GoEmotions CX-7 unchanged; 1,024 units, per-label positive weights, the 28 GoEmotions labels
# as extra outputs and a 3-seed ensemble did not gain beyond seed noise.
EMOTION_SEEDS, EMOTION_HIDDEN, EMOTION_EPOCHS = (13,), 512, 30
# The lexical head is fused with the MLP head's scores by the mean of their log-odds (`voc_nlp.lexical.fuse`):
# out of fold it gave a higher mean of GoEmotions CX-7 and journey_train macro-F1 than the mean of the
# probabilities for each of twelve head recipes (each figure within -0.001 to +0.008).
EMOTION_FUSION = "logit"
# Each journey_train row's weight against a GoEmotions/TweetEval row (`emotion_weights`), chosen by
# scripts/cv_emotions.py over 0, 1, 3, 5 (the best mean of GoEmotions-train CX-7 and journey_train macro-F1,
# out of fold; figures in docs/measuring/emotions.md).
JOURNEY_EMOTION_WEIGHT = 5.0
# Neutral tweets (TweetEval sentiment, fixed-seed sample) among the emotion
# training texts: TweetEval emotion has none, and without them "@JetBlue will
# do." read as anger. 3,000 and 8,000 gave the same dev figures.
NEUTRAL_TWEETS = 3000
STUDENT_HIDDEN = 512
# A head over the accurate profile's e5 view: that view was LoRA-tuned on journey_train's sentiment labels
# (scripts/train_e5_sentiment.py), so journey_train figures out of fold are partly leaky for it.
LEAK_NOTE = (" The e5 view was tuned on journey_train's sentiment labels (all of journey_train, every fold), so "
             "its journey_train figures out of fold flatter it; GoEmotions and the dev sets are free of that.")
VERSION = dt.date.today().isoformat()
FOLD0_PROBS = ROOT / ".cache" / "sentiment_fold0_heads_mean.npy"  # read by scripts/train_sentiment_lexical.py


def train_sentiment(encoder, views: tuple[str, ...], taxonomy, data_dir, cache, seeds=SENTIMENT_SEEDS,
                    log=print) -> dict[str, tuple[ClassifierHead, dict, float]]:
    """One head per encoder view on the sentiment mix (`sentiment_mix`, weighed by `SENTIMENT_MIX`).

    Calibration without a dev set: the same recipe is first trained without fold 0 of the mix and each
    view's temperature is the one that minimises the log-loss on fold 0 (folds are by text hash); the
    shipped head, trained on every fold, takes that temperature."""
    labels = taxonomy.sentiment_labels
    mix = sentiment_mix(data_dir)
    x = embed_views_cached(encoder, mix["text"].tolist(), cache, views)
    y = np.array([labels.index(g) for g in mix["label"]])
    weights = mix_weights(mix, labels, SENTIMENT_MIX)
    trained_on = {f"{SENTIMENT_DOMAINS[d]}/train": int(((mix["domain"] == d) & (weights > 0)).sum())
                  for d in SENTIMENT_DOMAINS if d in SENTIMENT_MIX}
    held_out = (mix["fold"] == 0).to_numpy()
    out, fold0 = {}, []
    for view in views:
        started = time.perf_counter()
        fingerprint = encoder.view(view).fingerprint

        def recipe(rows):
            rows = rows & (weights > 0)
            teacher = fit_mlp_head(
                x[view][rows], y[rows], labels, hidden=SENTIMENT_HIDDEN, seeds=seeds, encoder=fingerprint,
                sample_weight=weights[rows],
                metadata={"version": VERSION, "trained_on": trained_on,
                          "domain_weights": SENTIMENT_MIX, "class_weights": "balanced within each domain"})
            if len(seeds) == 1:
                return teacher
            return distil_head(teacher, x[view][rows], hidden=STUDENT_HIDDEN, seed=SEED, sample_weight=weights[rows])

        probe = recipe(~held_out)
        calib = held_out & (weights > 0)
        ece_before = expected_calibration_error(probe.predict_proba(x[view][calib]), y[calib])
        fit_temperature(probe, x[view][calib], y[calib])
        fold0.append(probe.predict_proba(x[view][held_out]))
        held_out_figures = {d: sentiment_metrics(list(mix["label"][calib & (mix["domain"] == d).to_numpy()]),
                                                 [labels[i] for i in probe.predict_proba(
                                                     x[view][calib & (mix["domain"] == d).to_numpy()]).argmax(1)])
                            for d in SENTIMENT_DOMAINS if d in SENTIMENT_MIX}
        head = recipe(np.ones(len(mix), dtype=bool))
        head.temperature = probe.temperature
        head.metadata["calibration"] = {
            "temperature": head.temperature,
            "fitted_on": "fold 0 of the sentiment mix (a third of the train rows, by text hash), with the same "
                         "recipe trained on the other two folds",
            "ece_before": round(ece_before, 4),
            "ece_after": round(expected_calibration_error(probe.predict_proba(x[view][calib]), y[calib]), 4),
        }
        head.metadata["held_out_fold_0"] = {d: {k: round(v, 4) for k, v in f.items()}
                                            for d, f in held_out_figures.items()}
        dev = {}
        for name in ("tweeteval_sentiment", "airline_tweets", "amazon_reviews_fr", "french_book_reviews",
                     "womens_clothing_reviews"):
            t, g = sentiment_set(data_dir, name, "dev")
            probs = head.predict_proba(embed_cached(encoder.view(view), t, cache))
            dev[name] = sentiment_metrics(g, [head.labels[i] for i in probs.argmax(1)])
            dev[name]["ece"] = round(expected_calibration_error(probs, np.array([labels.index(v) for v in g])), 4)
        out[view] = (head, dev, time.perf_counter() - started)
        log(f"sentiment head over {view}: {out[view][2]:.0f} s; held-out fold 0: "
            f"{json.dumps(head.metadata['held_out_fold_0'])}", flush=True)
    # The heads' mean on fold 0, from heads not trained on it: scripts/train_sentiment_lexical.py
    # fits the fusion's temperature against it.
    FOLD0_PROBS.parent.mkdir(parents=True, exist_ok=True)
    np.save(FOLD0_PROBS, np.mean(fold0, axis=0))
    return out


def train_emotions(encoder, views: tuple[str, ...], taxonomy, data_dir, cache,
                   log=print) -> tuple[ClassifierHead, LexicalHead, dict]:
    """The emotion head over the encoder `views` side by side and the lexical head on the emotion mix
    (`emotion_mix`, journey_train weighed `JOURNEY_EMOTION_WEIGHT`), thresholds from out-of-fold
    probabilities of the same recipe on the train rows (3 folds by text hash; per label the F1-best cut on
    the pooled OOF rows). Returns the GoEmotions dev figures too, a final check: nothing is chosen on them."""
    ids, neutral = taxonomy.emotion_ids, taxonomy.neutral_emotion
    frame, y = emotion_mix(data_dir, taxonomy, neutral_tweets=NEUTRAL_TWEETS, seed=SEED)
    journey = (frame["domain"] == "journey").to_numpy()
    x = np.vstack([embed_side_by_side(encoder, frame["text"][~journey].tolist(), cache, views),
                   embed_side_by_side(encoder, frame["text"][journey].tolist(), cache, views)])
    units = [normalize_social(t) for t in frame["text"]]
    english = (frame["lang"] == "en").to_numpy()
    weights = emotion_weights(frame, JOURNEY_EMOTION_WEIGHT)
    trained_on = {f"{name}/train": int(((frame["domain"] == domain).to_numpy() & (weights > 0)).sum())
                  for domain, name in (("goemotions", "goemotions"), ("tweeteval_emotion", "tweeteval_emotion"),
                                       ("neutral_tweets", "tweeteval_sentiment, neutral tweets as neutral"),
                                       ("journey", "journey_train (customer text)"))}
    recipe = dict(seeds=EMOTION_SEEDS, hidden=EMOTION_HIDDEN, student_hidden=STUDENT_HIDDEN, seed=SEED,
                  epochs=EMOTION_EPOCHS, fusion=EMOTION_FUSION, encoder=views_fingerprint(encoder, views),
                  metadata={"version": VERSION, "trained_on": trained_on, "views": list(views),
                            "journey_weight": JOURNEY_EMOTION_WEIGHT, "epochs": EMOTION_EPOCHS,
                            "lexical_fusion": EMOTION_FUSION})
    head_oof, lexical_oof = out_of_fold(x, y, units, english, ids, weights, frame["fold"].to_numpy(), log=log,
                                        **recipe)
    fused_oof = fused_scores(head_oof, lexical_oof, english, fusion=EMOTION_FUSION)
    pool = ~frame["duplicate"].to_numpy()
    head, lexical = fit_emotion_heads(x, y, units, english, ids, weights, **recipe)
    head.thresholds = f1_best_thresholds(head_oof[pool], y[pool], ids)
    lexical.thresholds_ = f1_best_thresholds(fused_oof[pool & english], y[pool & english], ids)
    # Out-of-fold figures on the train rows, read with the thresholds chosen on them (slightly flattering).
    gold = [[ids[j] for j in np.flatnonzero(row)] for row in y]
    goe = np.flatnonzero(((frame["domain"] == "goemotions") & ~frame["duplicate"]).to_numpy())
    jrows = np.flatnonzero(journey)
    oof = {}
    for name, scores, cuts in (("head", head_oof, head.thresholds), ("fused", fused_oof, lexical.thresholds_)):
        predicted = decide(scores, cuts, ids, neutral)
        if name == "fused":  # French rows are read by the head alone
            for i, p in zip(np.flatnonzero(~english), decide(head_oof[~english], head.thresholds, ids, neutral)):
                predicted[i] = p
        oof[name] = {"goemotions_cx7_macro_f1": round(multilabel_metrics(
                         [gold[i] for i in goe], [predicted[i] for i in goe], ids, exclude=(neutral,))["macro_f1"], 4),
                     "journey_train_macro_f1": round(multilabel_metrics(
                         [gold[i] for i in jrows], [predicted[i] for i in jrows], ids)["macro_f1"], 4)}
    head.metadata["out_of_fold_train"] = oof
    log(f"emotions out-of-fold on train: {json.dumps(oof)}", flush=True)

    # Final check on GoEmotions dev (nothing above read it).
    dev_texts, dev_y = emotion_set(data_dir, "dev", taxonomy, with_tweeteval=False)
    probs = head.predict_proba(embed_side_by_side(encoder, dev_texts, cache, views))
    dev_gold = [[ids[j] for j in np.flatnonzero(row)] for row in dev_y]
    dev = {"goemotions": multilabel_metrics(dev_gold, decide(probs, head.thresholds, ids, neutral), ids,
                                            exclude=(neutral,))}
    fused = lexical.fuse(probs, lexical.predict_proba([normalize_social(t) for t in dev_texts]))
    dev["goemotions, fused with the lexical head (English units)"] = multilabel_metrics(
        dev_gold, decide(fused, lexical.thresholds_, ids, neutral), ids, exclude=(neutral,))
    return head, lexical, dev


def journey_dev_metrics(config_path: Path, data_dir: Path, taxonomy: Taxonomy, threads: int | None = None,
                        profile: str | None = None) -> dict:
    """Item-level figures through the full pipeline (units, aggregation), per language."""
    import pandas as pd

    from voc_nlp.pipeline import Pipeline

    items = journey_dev(data_dir)
    frame = pd.DataFrame(
        [{"id": i["id"], "text": i["text"] if "turns" not in i else None,
          "turns": i.get("turns"), "lang": i["lang"]} for i in items]
    )
    out = Pipeline.from_config(config_path, overrides=_overrides(threads, profile)).enrich(frame)
    results = {}
    for lang in ("all", "en", "fr"):
        keep = [k for k, i in enumerate(items) if lang == "all" or i["lang"] == lang]
        gold_s = [items[k]["sentiment"] for k in keep]
        pred_s = [out["sentiment"][k] for k in keep]
        gold_e = [items[k]["emotions"] for k in keep]
        pred_e = [list(out["emotions"][k]) for k in keep]
        results[lang] = {
            "sentiment": sentiment_metrics(gold_s, pred_s),
            "emotions": multilabel_metrics(gold_e, pred_e, taxonomy.emotion_ids),
        }
    return results


def _overrides(threads: int | None, profile: str | None = None) -> dict:
    return {**({"encoder": {"threads": threads}} if threads else {}), **({"profile": profile} if profile else {})}


def pipeline_sentiment_metrics(config_path: Path, data_dir: Path, threads: int | None = None) -> dict:
    """Item-level sentiment through the whole default pipeline (units, aggregation, complaint rule)."""
    import pandas as pd

    from voc_nlp.pipeline import Pipeline

    pipe = Pipeline.from_config(config_path, overrides=_overrides(threads))
    results = {}
    for name in ("tweeteval_sentiment", "airline_tweets", "amazon_reviews_fr", "french_book_reviews",
                 "womens_clothing_reviews"):
        texts, gold = sentiment_set(data_dir, name, "dev")
        out = pipe.enrich(pd.DataFrame({"text": texts}))
        results[name] = sentiment_metrics(gold, list(out["sentiment"]))
    return results


def pipeline_emotion_metrics(config_path: Path, data_dir: Path, taxonomy: Taxonomy, threads: int | None = None,
                             profile: str | None = None) -> dict:
    """GoEmotions dev (CX emotions) through the whole pipeline (of `profile`), CX reading rules included."""
    import pandas as pd

    from voc_nlp.pipeline import Pipeline

    texts, gold = emotion_set(data_dir, "dev", taxonomy, with_tweeteval=False)
    out = Pipeline.from_config(config_path, overrides=_overrides(threads, profile)).enrich(
        pd.DataFrame({"text": texts}))
    gold_sets = [[e for e, v in zip(taxonomy.emotion_ids, row) if v] for row in gold]
    return multilabel_metrics(gold_sets, [list(e) for e in out["emotions"]], taxonomy.emotion_ids,
                              exclude=(taxonomy.neutral_emotion,))


def encoder_note(fingerprint: str, adapters: dict) -> str:
    """Where a view's adapter lives (`encoder.adapters` in the config), for the card."""
    if "+" not in fingerprint:
        return ""
    view = fingerprint.split("+", 1)[1].split("@")[0]
    folder = Path(adapters.get(view, "")).name
    return (f"; the `{view}` view: the base encoder with the LoRA adapter in models/{folder}, "
            "see its MODEL_CARD.md for training data and figures")


def write_sentiment_cards(sentiment: dict, sentiment_pipeline: dict, journey: dict, config: dict) -> None:
    views = ", ".join(f"`{v}`" for v in sentiment)
    adapters = (config.get("encoder") or {}).get("adapters") or {}
    rules = config["components"]["sentiment"]
    kept = [name for name in ("priors", "swearing", "verdicts", "mixed_above", "lexical") if rules.get(name)]
    complaint = (config["components"].get("pain_points") or {}).get("complaint_score")
    for view, (head, folder, dev, seconds) in sentiment.items():
        figures = {"head alone, whole-text embeddings": dev,
                   f"pipeline (configs/default.yaml: mean of the {views} heads, units, aggregation, "
                   f"rules {', '.join(kept) or 'none'}"
                   f"{', pain_points.complaint_score' if complaint else ''})": sentiment_pipeline}
        write_card(folder, f"Sentiment head over the `{view}` view", head, figures,
                   {k: v["sentiment"] for k, v in journey.items()}, seconds,
                   f"The default config averages the probabilities of the heads over the {views} views "
                   "(`components.sentiment.models`); the pipeline and journey_dev figures are that mean. "
                   "Score = P(positive) - P(negative). Training mix: TweetEval sentiment train, women's "
                   "clothing reviews train (1-2 stars negative, 3 neutral, 4-5 positive), French book reviews "
                   "train (the source's 3-way label) and journey_train (EN + FR CX items, the taxonomy's "
                   "convention: a calm problem report is neutral; chats by their customer turns), each domain "
                   f"weighed {json.dumps(head.metadata.get('domain_weights'))} in total with its classes "
                   "balanced (chosen by `scripts/cv_sentiment.py`, 3 folds of the train splits; "
                   "`held_out_fold_0` in head.json gives the head's figures on a third of the train rows it "
                   "was not trained on, with the same recipe). The probabilities are temperature-calibrated "
                   "on that held-out fold (`calibration` in head.json), not on any dev set. Texts up to "
                   "`units.split_above_chars` (280) are one unit; longer ones are split into sentences and "
                   "the item is read as `components.sentiment.item`, `chat_item` and `unit_weights` say (by "
                   "default the mean of its sentences' probabilities, each weighing the same; a chat read as "
                   "one unit, the heads over the mean of its customer turns' vectors), which is why the "
                   "pipeline figures differ from the whole-text ones on long reviews. No dev split "
                   "was used to choose anything; the dev figures are a final check.", adapters)


def views_note(views: tuple[str, ...], config: dict) -> str | None:
    """For a head over several views side by side, what each view is (None for one view: `encoder_note`)."""
    if len(views) == 1:
        return None
    settings = config.get("encoder") or {}
    adapters, extra = settings.get("adapters") or {}, settings.get("extra_views") or {}

    def one(view: str) -> str:
        if view in adapters:
            return f"`{view}`: the base encoder with the LoRA adapter in models/{Path(adapters[view]).name}"
        if view in extra:
            return f"`{view}`: multilingual-e5-small with the LoRA adapter in models/{Path(extra[view]).name}"
        return f"`{view}`: the base encoder's own vectors"

    return (f"; the views {' + '.join(views)} side by side, in that order ({'; '.join(map(one, views))}; "
            "see each folder's MODEL_CARD.md for its training data and figures)")


def write_card(directory: Path, title: str, head: ClassifierHead, dev: dict, journey: dict,
               seconds: float, notes: str, adapters: dict, note: str | None = None) -> None:
    note = encoder_note(head.encoder, adapters) if note is None else note
    lines = [
        f"# {title}",
        "",
        f"- version: {head.metadata['version']} (trained {VERSION})",
        f"- encoder: `{head.encoder}` (frozen{note}), head: one-hidden-layer MLP ({head.layers[0][0].shape[0]} "
        f"ReLU units, {head.activation}, float16 on disk) "
        + (f"distilled from a seed ensemble of {head.metadata['ensemble']} wider MLPs ("
           if head.metadata.get("distilled_from_ensemble") else "trained directly, one seed (")
        + "`voc_nlp.training.heads`), "
        f"{len(head.labels)} labels: {', '.join(head.labels)}",
        f"- training data: {json.dumps(head.metadata['trained_on'])}",
        ("- licenses: TweetEval (released without restrictions, Twitter terms apply), women's clothing reviews "
         "and French book reviews (CC0-1.0 as stated by their publishers), journey_train (written for this "
         "project, may be shipped). No non-commercial set was used for training."
         if head.activation == "softmax" else
         "- licenses: TweetEval (released without restrictions, Twitter terms apply), "
         "GoEmotions (Apache-2.0), journey_train (written for this project, may be shipped). "
         "No non-commercial set was used for training."),
        f"- training time on this machine (2 cores; includes encoding the training texts unless "
        f"they were cached in .cache/embeddings): {seconds:.0f} s",
        "- rebuild: `make models` (runs `python scripts/train_affect_encoder.py` for each adapter, "
        "then `python scripts/train_heads.py`; the sentiment heads alone: "
        "`python scripts/train_heads.py --only sentiment --threads 1`)",
        "",
        "## Dev figures",
        "",
        "Measure-only sets (never trained on): airline_tweets, amazon_reviews_fr, journey_dev. Dev splits "
        "of the training sets (TweetEval, GoEmotions, clothing and book reviews) were not used to choose anything.",
        "",
        "```json",
        json.dumps({"dev": dev, "journey_dev": journey}, indent=2),
        "```",
        "",
        notes,
        "",
    ]
    (directory / "MODEL_CARD.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "default.yaml")
    parser.add_argument("--cache", default=str(ROOT / ".cache" / "embeddings"),
                        help="embedding cache folder ('' to disable)")
    parser.add_argument("--only", choices=("sentiment", "emotions"), default=None,
                        help="rebuild only these heads (default: both)")
    parser.add_argument("--threads", type=int, default=None,
                        help="encoder and torch threads (default: the config's encoder threads)")
    parser.add_argument("--profile", default=None,
                        help="with --only emotions: the emotion head of this profile of the config (its views, "
                             "its model folder), e.g. accurate")
    args = parser.parse_args()
    if args.profile and args.only != "emotions":
        parser.error("--profile rebuilds a profile's emotion head: give --only emotions too")
    np.random.seed(SEED)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    config = apply_profile(yaml.safe_load(args.config.read_text()), args.profile, args.config)
    if args.profile:
        plain = yaml.safe_load(args.config.read_text())["components"]["emotions"]["model"]
        if config["components"]["emotions"]["model"] == plain:  # it would overwrite the default head
            parser.error(f"profile {args.profile!r} has no emotion head of its own (components.emotions.model)")
    if args.threads:
        config.setdefault("encoder", {})["threads"] = args.threads
    encoder = encoder_from_config(config, args.config.parent)
    # One sentiment head per encoder view the config names (components.sentiment.models:
    # base -> models/sentiment, affect -> models/sentiment_affect), each saved where the config reads it.
    components = config.get("components") or {}
    sentiment_models = components["sentiment"].get("models") or {"base": components["sentiment"]["model"]}
    taxonomy = Taxonomy.load()
    cache = Path(args.cache) if args.cache else None  # Path('') would be '.'

    sentiment = {}  # view -> (head, folder, head-alone dev figures, seconds)
    if args.only in (None, "sentiment"):
        trained = train_sentiment(encoder, tuple(sentiment_models), taxonomy, args.data_dir, cache)
        for view, folder in sentiment_models.items():
            head, dev, seconds = trained[view]
            folder = (args.config.parent / folder).resolve()
            head.save(folder)
            sentiment[view] = (head, folder, dev, seconds)
            print(f"sentiment dev ({view} head on whole-text embeddings):", json.dumps(dev, indent=1), flush=True)
        lexical_folder = components["sentiment"].get("lexical")
        if lexical_folder:  # fused with the heads: calibrated against their held-out fold, so rebuilt now
            sys.path.insert(0, str(ROOT / "scripts"))
            import train_sentiment_lexical

            train_sentiment_lexical.build(args.data_dir, (args.config.parent / lexical_folder).resolve(),
                                          domain_weights=SENTIMENT_MIX)
    if args.only == "sentiment":
        sentiment_pipeline = pipeline_sentiment_metrics(args.config, args.data_dir, args.threads)
        print("sentiment dev (pipeline):", json.dumps(sentiment_pipeline, indent=1), flush=True)
        journey = journey_dev_metrics(args.config, args.data_dir, taxonomy, args.threads)
        print("journey_dev:", json.dumps(journey, indent=1), flush=True)
        write_sentiment_cards(sentiment, sentiment_pipeline, journey, config)
        return

    started = time.perf_counter()
    settings = components["emotions"]
    views = settings.get("views") or [settings.get("view") or "base"]
    views = (views,) if isinstance(views, str) else tuple(views)
    folder = (args.config.parent / settings["model"]).resolve()
    emotions, lexical, emotions_dev = train_emotions(encoder, views, taxonomy, args.data_dir, cache)
    print("emotions dev (head, whole texts):", json.dumps(emotions_dev, indent=1), flush=True)
    emotions.save(folder)
    lexical.metadata_ = {"version": VERSION, "trained_on": emotions.metadata.get("trained_on", {}),
                         "thresholds_tuned_on": "out-of-fold probabilities on the train rows (3 folds by text hash)"}
    lexical.save(folder)
    t_emotions = time.perf_counter() - started

    # Pipeline figures once all heads are saved: the complaint rule reads the emotion scores
    # (with --only emotions the sentiment heads and their cards are left as they are).
    if args.only is None:
        sentiment_pipeline = pipeline_sentiment_metrics(args.config, args.data_dir, args.threads)
        print("sentiment dev (pipeline):", json.dumps(sentiment_pipeline, indent=1), flush=True)
    where = "configs/default.yaml" + (f", profile {args.profile}" if args.profile else "")
    emotions_dev = {"head, whole-text embeddings": emotions_dev,
                    f"pipeline ({where}: units, CX reading rules)":
                        {"goemotions": pipeline_emotion_metrics(args.config, args.data_dir, taxonomy, args.threads,
                                                                args.profile)}}
    print("emotions dev:", json.dumps(emotions_dev, indent=1), flush=True)

    journey = journey_dev_metrics(args.config, args.data_dir, taxonomy, args.threads, args.profile)
    print("journey_dev:", json.dumps(journey, indent=1), flush=True)
    adapters = (config.get("encoder") or {}).get("adapters") or {}
    if args.only is None:
        write_sentiment_cards(sentiment, sentiment_pipeline, journey, config)
    rules = components["emotions"]
    kept = [name for name in ("milder", "requests", "named", "not_in_complaints") if rules.get(name)]
    oof = emotions.metadata["out_of_fold_train"]
    rebuild = "python scripts/train_heads.py --only emotions" + (f" --profile {args.profile}" if args.profile else "")
    write_card(folder, "CX emotion head" + (f" ({args.profile} profile)" if args.profile else ""), emotions,
               emotions_dev, {k: v["emotions"] for k, v in journey.items()}, t_emotions,
               "Dev sets (GoEmotions dev, journey_dev) were read only for the figures above, once the recipe was "
               "chosen, never to look at errors or to choose anything. "
               f"Training: {EMOTION_EPOCHS} passes of the MLP; each journey_train row weighs "
               f"{JOURNEY_EMOTION_WEIGHT:g} GoEmotions rows (chosen by `scripts/cv_emotions.py` over 0, 1, 3, 5 and, "
               "with this recipe, 3, 5, 8"
               + (f"; for these views by `scripts/cv_emotions.py --profile {args.profile} --weights 3,5,8`"
                  if args.profile else "")
               + "; the head's size and passes and the lexical fusion were chosen out of fold too; 3 folds "
               "of the train rows by text hash; figures in docs/measuring/emotions.md); a GoEmotions/TweetEval text that "
               "journey_train relabels keeps only its journey label. Thresholds (per label, the F1-best cut on out-of-fold probabilities of "
               "the same recipe over the train rows, journey_train included; no dev split): "
               + json.dumps(emotions.thresholds)
               + f". Out-of-fold on the train rows with those thresholds: {json.dumps(oof)}. "
               "Item emotions: max over customer units; `neutral` only when no other emotion passes its "
               f"threshold. CX reading rules in the config ({where}): {', '.join(kept) or 'none'} "
               "(`components.emotions`; each kept only where it helps out of fold on journey_train and a "
               "GoEmotions train sample, see the config's comments); the pipeline and journey_dev figures "
               "include them, the head figures do not. "
               f"For English units the head's probabilities are fused (weight {lexical.weight}, "
               f"{'the mean of the log-odds' if lexical.fusion == 'logit' else 'the mean of the probabilities'}) "
               "with a lexical head (`lexical.json` + `lexical.safetensors`: TF-IDF word 1-2-grams, "
               f"{len(lexical.vocabulary_)} terms, one logistic regression per label, trained on the "
               "English rows of the same mix with the same row weights; `voc_nlp.lexical`), with thresholds "
               "on the fused score chosen the same way on the English rows: " + json.dumps(lexical.thresholds_)
               + ". Other languages use the head alone with its own thresholds. The pipeline and journey_dev "
               f"figures include the fusion. Rebuild these alone: `{rebuild} --threads 1`."
               + (LEAK_NOTE if set(views) & set((config.get("encoder") or {}).get("extra_views") or {}) else ""),
               adapters, views_note(views, config))


if __name__ == "__main__":
    main()
