"""Cross-validate the sentiment heads' training mix and every sentiment rule on the train splits.

    python scripts/cv_sentiment.py [--round 1|2|3|4] [--folds 3] [--eval-per-domain 900] [--threads 1] [--out cv.json]

The training mix is `voc_nlp.training.data.sentiment_mix` (TweetEval train,
women's clothing reviews train, French book reviews train, journey_train),
split into folds by a hash of the text. For each fold k and each domain
weighting in `MIXES`, one MLP head per encoder view (the config's
`components.sentiment.models`) is trained on the other folds' whole-text
embeddings; its temperature is fitted on the rows of fold k that are *not*
in the evaluation sample. The evaluation sample (up to `--eval-per-domain`
items per domain and fold) goes through the real pipeline components (units,
language, embed, sentiment, problems, emotions, pain_points), so the rules
act as they do when shipped: priors, swearing, verdicts, mixed_above, the
lexical head (retrained per fold on the fold's English training texts) and
pain_points.complaint_score. Each rule is measured on and off, on data it
was not chosen on (round 1; round 2: the lexical head and the rules on top
of it). Round 3 measures how an item of several units is read
(`components.sentiment.item`, `chat_item`, `unit_weights`) over the shipped
recipe. Round 4 is the shipped recipe alone (the lexical head EN+FR at 0.4
over round 3's reading): the control later measurements start from.
Measured, not adopted (round 4, 2026-12-07, the code on commit eccabb8;
docs/measuring/sentiment.md): per-class decision offsets on the items'
log-probabilities chosen by nested cross-validation, each fold's choice none
(0.638 either way; in sample neutral +0.1 / +0.2 gives 0.634 / 0.627);
character n-grams beside the words in the lexical head 0.637 at 0.4
(clothing 0.592 -> 0.580) and 0.636 at 0.5, instead of them 0.631 / 0.633,
against 0.638 for the word head. `--team` adds the team's labels of shared train rows
(`voc_nlp.training.journey.TEAM_LABELS`) to the journey domain's training
rows; they sit in their original row's fold (same text, same hash) and are
never scored. Measured, not adopted (round 5, commit 719fd0d, over round 4's
stored item probabilities; docs/measuring/sentiment.md): other item
decisions than the argmax, chosen by nested cross-validation: a weight on
P(neutral) 0.638 (argmax 0.639), neutral when P(neutral) >= 0.525 or
|P(positive) - P(negative)| < 0.15 0.639 (clothing +0.018, journey -0.009).
Measured, not adopted (round 6, commit 4f3e14d; docs/measuring/sentiment.md):
the MLP heads on rating-aware soft targets for the reviews (a review next to
a class boundary gives mass s to the class across it): s 0.15 / 0.3 0.639 /
0.638 against 0.639 for hard labels (clothing -0.006 / +0.004, books +0.002 /
-0.008). No dev split is read.

Figures per domain: tweets macro-recall (as TweetEval is scored), clothing
and books macro-F1, journey accuracy (EN, FR); `score` is their mean.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.evaluation import sentiment_metrics  # noqa: E402
from voc_nlp.io.columns import ColumnMap  # noqa: E402
from voc_nlp.io.readers import canonical_frame  # noqa: E402
from voc_nlp.lexical import LexicalHead, sharpen  # noqa: E402
from voc_nlp.paths import default_config, default_pipeline_dir  # noqa: E402
from voc_nlp.pipeline import Pipeline, to_doc  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.training.data import (  # noqa: E402
    DEFAULT_DATA_DIR,
    embed_views_cached,
    journey_train,
    mix_weights,
    sentiment_mix,
)
from voc_nlp.training.heads import best_temperature, fit_mlp_head  # noqa: E402
from voc_nlp.training.journey import TEAM_LABELS, read_labels  # noqa: E402

LABELS = ["negative", "neutral", "positive"]
SEED = 13
# Domain weightings of the training mix (relative total weight of each domain; classes are balanced
# within each domain). "tweets" is the previous recipe.
MIXES = {
    "equal": {"tweets": 1.0, "clothing": 1.0, "books": 1.0, "journey": 1.0},
    "tweets": {"tweets": 1.0},
    "natural": None,  # each domain by its row count
    "journey2": {"tweets": 1.0, "clothing": 1.0, "books": 1.0, "journey": 2.0},
    "tweets2": {"tweets": 2.0, "clothing": 1.0, "books": 1.0, "journey": 1.0},
}


def rule_variants(sentiment: dict, pain: dict) -> dict[str, tuple[dict, dict]]:
    """name -> (sentiment component settings, pain_points settings); `lexical` is a weight or None."""
    full = {**sentiment, "lexical": 0.25}
    variants = {"all rules (shipped config)": (full, pain)}
    for key, off in (("priors", None), ("swearing", None), ("verdicts", None), ("mixed_above", None),
                     ("lexical", None)):
        variants[f"without {key}"] = ({**full, key: off}, pain)
    variants["without complaint_score"] = (full, {**pain, "complaint_score": None})
    bare = {**full, "priors": None, "swearing": None, "verdicts": None, "mixed_above": None, "lexical": None}
    variants["no rules"] = (bare, {**pain, "complaint_score": None})
    for key, value in (("priors", {"negative": 1.35}), ("swearing", sentiment.get("swearing")),
                       ("verdicts", sentiment.get("verdicts")), ("mixed_above", 0.4), ("lexical", 0.25)):
        variants[f"no rules + {key}"] = ({**bare, key: value}, {**pain, "complaint_score": None})
    variants["no rules + complaint_score"] = (bare, pain)
    for w in (1.15, 1.5):
        variants[f"no rules + priors negative {w}"] = ({**bare, "priors": {"negative": w}}, {**pain, "complaint_score": None})
    for w in (0.15, 0.4):
        variants[f"no rules + lexical {w}"] = ({**bare, "lexical": w}, {**pain, "complaint_score": None})
    for m in (0.3, 0.5, 0.6):
        variants[f"no rules + mixed_above {m}"] = ({**bare, "mixed_above": m}, {**pain, "complaint_score": None})
    for c in (0.6, 0.9):
        variants[f"no rules + complaint_score {c}"] = (bare, {**pain, "complaint_score": c})
    return variants


def final_variants(sentiment: dict, pain: dict) -> dict[str, tuple[dict, dict]]:
    """Second round, on the chosen mix: the lexical head in English only or in both languages, at several
    weights, and each remaining rule on top of the best of them."""
    bare = {**sentiment, "priors": None, "swearing": None, "verdicts": None, "mixed_above": None,
            "lexical": None, "lexical_languages": ("en",)}
    calm = {**pain, "complaint_score": None}
    variants = {"no rules": (bare, calm)}
    for languages in (("en",), ("en", "fr")):
        for w in (0.25, 0.4, 0.5):
            variants[f"lexical {'+'.join(languages)} {w}"] = ({**bare, "lexical": w, "lexical_languages": languages},
                                                             calm)
    for languages in (("en",), ("en", "fr")):
        best = {**bare, "lexical": 0.4, "lexical_languages": languages}
        tag = f"lexical {'+'.join(languages)} 0.4"
        for key, value in (("priors", {"negative": 1.35}), ("swearing", sentiment.get("swearing")),
                           ("verdicts", sentiment.get("verdicts")), ("mixed_above", 0.4), ("mixed_above", 0.6)):
            variants[f"{tag} + {key} {value if key == 'mixed_above' else ''}".strip()] = ({**best, key: value}, calm)
        variants[f"{tag} + swearing + verdicts"] = (
            {**best, "swearing": sentiment.get("swearing"), "verdicts": sentiment.get("verdicts")}, calm)
        variants[f"{tag} + complaint_score 0.8"] = (best, pain)
        variants[f"{tag} + complaint_score 0.9"] = (best, {**pain, "complaint_score": 0.9})
    return variants


def item_variants(sentiment: dict, pain: dict) -> dict[str, tuple[dict, dict]]:
    """Third round, on the shipped recipe (equal mix, lexical head EN+FR at 0.4, swearing, verdicts): how an
    item of several units is read (`components.sentiment.item`, `chat_item`, `unit_weights`)."""
    shipped = {**sentiment, "priors": None, "mixed_above": None, "lexical": 0.4, "lexical_languages": ("en", "fr"),
               "item": "units", "chat_item": "units", "unit_weights": "length"}
    calm = {**pain, "complaint_score": None}
    variants = {}
    for weights in ("length", "equal"):
        for item in ("units", "vector", "blend"):
            variants[f"item {item}, units by {weights}"] = (
                {**shipped, "item": item, "chat_item": item, "unit_weights": weights}, calm)
        for chat_item in ("vector", "blend"):
            variants[f"item units, chats {chat_item}, units by {weights}"] = (
                {**shipped, "chat_item": chat_item, "unit_weights": weights}, calm)
    return variants


def shipped_variant(sentiment: dict, pain: dict) -> dict[str, tuple[dict, dict]]:
    """Fourth round: the shipped recipe alone (round 3's reading, lexical head EN+FR at 0.4, swearing,
    verdicts), the control of later measurements."""
    shipped = {**sentiment, "priors": None, "mixed_above": None, "lexical_languages": ("en", "fr")}
    return {"lexical words 0.4": ({**shipped, "lexical": 0.4}, {**pain, "complaint_score": None})}


def eval_sample(mix: pd.DataFrame, fold: int, per_domain: int) -> pd.Index:
    rows = []
    for domain, part in mix[(mix["fold"] == fold) & ~mix["team"]].groupby("domain"):
        rows.append(part.sample(n=min(per_domain, len(part)), random_state=SEED).index)
    return rows[0].append(rows[1:])


def build_docs(pipe: Pipeline, mix: pd.DataFrame, index: pd.Index, turns: dict[int, list]) -> list:
    """Docs of the evaluation items through units, language, embed, problems, emotions (as enrich does)."""
    part = mix.loc[index]
    frame = pd.DataFrame({
        "id": [str(i) for i in index],
        "text": [None if i in turns else t for i, t in zip(index, part["raw_text"])],
        "turns": [turns.get(i) for i in index],
        "lang": [lg if d == "journey" else None for lg, d in zip(part["lang"], part["domain"])],
    })
    docs = []
    for start in range(0, len(frame), 1000):
        chunk = canonical_frame(frame.iloc[start:start + 1000], ColumnMap(text="text", id="id", lang="lang",
                                                                          turns="turns"),
                                source="<cv>", first_row=start + 1, max_text_chars=20000)
        batch = [to_doc(row) for row in chunk.to_dict("records")]
        for step in pipe.steps:
            step(batch)
        docs += batch
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--eval-per-domain", type=int, default=900)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mixes", default=",".join(MIXES))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--views", default=None,
                        help="comma-separated encoder views to train heads on (default: the config's sentiment models)")
    parser.add_argument("--round", type=int, default=1,
                        help="1: every rule on and off; 2: `final_variants`; 3: `item_variants`; 4: the shipped "
                             "recipe alone")
    parser.add_argument("--team", action="store_true",
                        help="also train on the team's labels of shared train rows (voc_nlp.training.journey."
                             "TEAM_LABELS) in the journey domain; never scored")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache")
    parser.add_argument("--out", type=Path, default=None,
                        help="default: .cache/cv_sentiment.json (round 1), .cache/cv_sentiment_round<N>.json")
    args = parser.parse_args()
    args.out = args.out or ROOT / ".cache" / ("cv_sentiment" + (f"_round{args.round}" if args.round > 1 else "")
                                              + ("_team" if args.team else "") + ".json")
    import torch

    torch.set_num_threads(args.threads)
    started = time.time()

    config = yaml.safe_load(default_config().read_text())
    config["encoder"]["threads"] = args.threads
    # Up to the pain-point step (the complaint rule reads it); the journey and what reads it are not needed.
    order = config["pipeline"]
    config["pipeline"] = [s for s in order[: order.index("pain_points") + 1] if s != "journey"]
    settings = config["components"]["sentiment"]
    pain_settings = config["components"]["pain_points"]
    pipe = Pipeline.from_dict(config, base_dir=default_pipeline_dir())
    step = {s.name: s for s in pipe.steps}
    encoder = step["embed"].encoder
    views = tuple(args.views.split(",")) if args.views else tuple(settings["models"])

    team = read_labels(TEAM_LABELS, pipe.taxonomy, data_dir=args.data_dir) if args.team else None
    mix = sentiment_mix(args.data_dir, folds=args.folds, team=team)
    # Chats keep their turns for the pipeline (the heads learn from the customer turns' text).
    journey = journey_train(args.data_dir)
    mix["raw_text"] = mix["text"]
    mix.loc[(mix["domain"] == "journey") & ~mix["team"], "raw_text"] = [i["text"] for i in journey]
    turns = {k: i["turns"] for k, i in enumerate(journey) if i.get("turns")}  # journey rows come first
    y = np.array([LABELS.index(l) for l in mix["label"]])
    # The original rows and the team's, each cached as one part (the original rows' cache stays valid).
    parts = [embed_views_cached(encoder, mix["text"][part].tolist(), args.cache / "embeddings", views)
             for part in (~mix["team"], mix["team"]) if part.any()]
    x = {view: np.vstack([part[view] for part in parts]) for view in views}
    print(f"embedded {len(mix)} training texts x {len(views)} views: {time.time() - started:.0f} s", flush=True)

    samples = {k: eval_sample(mix, k, args.eval_per_domain) for k in range(args.folds)}
    # Named by the evaluation items' texts: a changed train split builds them again.
    digest = hashlib.sha1("\n".join(mix["raw_text"][samples[k]].str.cat(sep="\n") for k in samples).encode())
    docs_path = args.cache / f"cv_docs_{args.folds}_{args.eval_per_domain}_{digest.hexdigest()[:12]}.pkl"
    if docs_path.exists():
        docs = pickle.loads(docs_path.read_bytes())
    else:
        docs = {k: build_docs(pipe, mix, samples[k], turns) for k in range(args.folds)}
        docs_path.write_bytes(pickle.dumps(docs))
    print(f"evaluation docs ready: {time.time() - started:.0f} s", flush=True)

    results = {}
    for mix_name in args.mixes.split(","):
        domain_weights = MIXES[mix_name] or mix["domain"].value_counts().to_dict()
        per_variant: dict[str, list] = {}
        oof = {}
        for k in range(args.folds):
            train = (mix["fold"] != k).to_numpy()
            calib = ((mix["fold"] == k) & ~mix.index.isin(samples[k]) & ~mix["team"]).to_numpy()
            weights = np.zeros(len(mix), dtype=np.float32)
            weights[train] = mix_weights(mix[train], LABELS, domain_weights)
            keep = weights > 0
            heads, calib_probs = {}, []
            for view in views:
                t0 = time.time()
                head = fit_mlp_head(x[view][keep], y[keep], LABELS, hidden=512, seeds=(SEED,),
                                    epochs=args.epochs, sample_weight=weights[keep], encoder=encoder.view(view).fingerprint,
                                    metadata={"version": "cv"})
                head.temperature = best_temperature(head.logits(x[view][calib]), y[calib])
                heads[view] = head
                calib_probs.append(head.predict_proba(x[view][calib]))
                print(f"  {mix_name} fold {k} {view}: {time.time() - t0:.0f} s, T={head.temperature}", flush=True)
            # Head-alone figures on the whole fold (whole texts, mean of the views).
            fold_rows = ((mix["fold"] == k) & ~mix["team"]).to_numpy()
            mean = np.mean([heads[v].predict_proba(x[v][fold_rows]) for v in views], axis=0)
            oof[k] = (np.flatnonzero(fold_rows), mean)
            fused_t, lexicals = {}, {}
            if args.round < 4:  # the lexical head of this fold: English training texts of the mix
                english = train & keep & (mix["lang"] == "en").to_numpy()
                lexical = LexicalHead(weight=0.25, languages=("en",), class_weight="balanced")
                lexical.fit([normalize_social(t) for t in mix["text"][english]],
                            np.eye(3, dtype=np.float32)[y[english]], LABELS)
                calib_en = calib & (mix["lang"] == "en").to_numpy()
                shares_raw = lexical.predict_proba([normalize_social(t) for t in mix["text"][calib_en]])
                lexical.temperature_ = best_temperature(np.log(shares_raw / shares_raw.sum(1, keepdims=True)), y[calib_en])
                heads_mean_en = np.mean([heads[v].predict_proba(x[v][calib_en]) for v in views], axis=0)
                shares = sharpen(shares_raw, lexical.temperature_)
                for w in (0.15, 0.25, 0.4, 0.5):
                    fused_t[("en",), w] = best_temperature(np.log((1 - w) * heads_mean_en + w * shares), y[calib_en])
                lexicals[("en",)] = lexical
            if args.round >= 2:  # the same head on both languages' texts
                t0 = time.time()
                both = train & keep
                bilingual = LexicalHead(weight=0.25, languages=("en", "fr"), class_weight="balanced")
                bilingual.fit([normalize_social(t) for t in mix["text"][both]],
                              np.eye(3, dtype=np.float32)[y[both]], LABELS)
                raw = bilingual.predict_proba([normalize_social(t) for t in mix["text"][calib]])
                bilingual.temperature_ = best_temperature(np.log(raw / raw.sum(1, keepdims=True)), y[calib])
                mean_all = np.mean(calib_probs, axis=0)
                for w in (0.25, 0.4, 0.5):
                    fused_t[("en", "fr"), w] = best_temperature(
                        np.log((1 - w) * mean_all + w * sharpen(raw, bilingual.temperature_)), y[calib])
                lexicals[("en", "fr")] = bilingual
                print(f"  fold {k} lexical head: {time.time() - t0:.0f} s", flush=True)

            fold_docs = docs[k]
            variants = {1: rule_variants, 2: final_variants, 3: item_variants, 4: shipped_variant}[args.round]
            for name, (sent, pain) in variants(settings, pain_settings).items():
                component = step["sentiment"]
                sentiment = copy.copy(component)
                sentiment.heads, sentiment.head = heads, heads[views[0]]
                sentiment.priors = sent["priors"]
                sentiment.swearing = component.swearing if sent["swearing"] else None
                sentiment.verdicts = component.verdicts if sent["verdicts"] else {}
                sentiment.mixed_above = sent["mixed_above"]
                sentiment.item = sent.get("item", "units")
                sentiment.chat_item = sent.get("chat_item", "units")
                sentiment.unit_weights = sent.get("unit_weights", "length")
                if sent["lexical"]:
                    languages = tuple(sent.get("lexical_languages", ("en",)))
                    lex = copy.copy(lexicals[languages])
                    lex.weight = sent["lexical"]
                    lex.fused_temperature_ = fused_t[languages, sent["lexical"]]
                    sentiment.lexical = lex
                else:
                    sentiment.lexical = None
                pains = copy.copy(step["pain_points"])
                pains.complaint_score = pain["complaint_score"]
                sentiment(fold_docs)
                pains(fold_docs)
                per_variant.setdefault(name, []).append(
                    [(int(d.record.id), d.record.sentiment) for d in fold_docs])
        results[mix_name] = {"variants": {name: figures(mix, sum(preds, [])) for name, preds in per_variant.items()}}
        results[mix_name]["per fold"] = {name: [figures(mix, p)["score"] for p in preds]
                                         for name, preds in per_variant.items()}
        rows = np.concatenate([r for r, _ in oof.values()])
        probs = np.vstack([p for _, p in oof.values()])
        results[mix_name]["heads alone, whole texts, all rows of every fold"] = figures(
            mix, list(zip(rows.tolist(), [LABELS[i] for i in probs.argmax(1)])))
        print(mix_name, json.dumps({n: v["score"] for n, v in results[mix_name]["variants"].items()}, indent=1),
              flush=True)
        args.out.write_text(json.dumps(results, indent=1))
    print(f"done in {time.time() - started:.0f} s", flush=True)


def figures(mix: pd.DataFrame, predicted: list[tuple[int, str]]) -> dict:
    rows = [r for r, _ in predicted]
    part = mix.loc[rows]
    pred = pd.Series([p for _, p in predicted], index=rows)
    out = {}
    for domain, metric in (("tweets", "macro_recall"), ("clothing", "macro_f1"), ("books", "macro_f1")):
        sel = part["domain"] == domain
        out[domain] = round(sentiment_metrics(part["label"][sel].tolist(), pred[sel].tolist())[metric], 4)
    for lang in ("en", "fr"):
        sel = (part["domain"] == "journey") & (part["lang"] == lang)
        out[f"journey_{lang}"] = round(sentiment_metrics(part["label"][sel].tolist(), pred[sel].tolist())["accuracy"], 4)
    sel = (part["domain"] == "journey") & part["chat"]
    out["journey_chats"] = round(sentiment_metrics(part["label"][sel].tolist(), pred[sel].tolist())["accuracy"], 4)
    sel = part["domain"] == "journey"
    out["journey"] = round(sentiment_metrics(part["label"][sel].tolist(), pred[sel].tolist())["accuracy"], 4)
    out["score"] = round(float(np.mean([out["tweets"], out["clothing"], out["books"], out["journey"]])), 4)
    return out


if __name__ == "__main__":
    main()
