"""Cross-validate the CX emotion recipe and the emotion rules on the train splits.

    python scripts/cv_emotions.py [--folds 3] [--weights 0,1,3,5] [--hidden 512] [--epochs 30]
                                  [--fusion logit] [--goemotions-sample 1000] [--threads 1]
                                  [--profile accurate] [--views affect_emotions,e5_sentiment]

The head reads the encoder views of `components.emotions.views` in the config (with `--profile`, that
profile's: `accurate` adds the e5 view), side by side; `--views` measures other views of that encoder.

The training mix is `voc_nlp.training.data.emotion_mix`: GoEmotions train, TweetEval emotion train,
3,000 neutral tweets and journey_train (chats by their customer turns), split into folds by a hash of
the text. For each journey_train weight (`--weights`, relative to a GoEmotions row) the recipe
(`voc_nlp.training.emotions`: one MLP head of `--hidden` units trained `--epochs` passes, the shipped
recipe by default, and the lexical head) is trained on the other folds; each row gets out-of-fold (OOF)
probabilities. A fold's figures use thresholds chosen on the other folds' OOF rows (per label,
F1-best), so no figure is read on the rows that chose its thresholds. Printed per variant, without the
lexical head and with it fused each way (`voc_nlp.lexical.fuse`: mean of the probabilities or of the
log-odds): GoEmotions-train CX-7 macro-F1 (neutral left out) and per label, journey_train macro-F1 (8
labels, as `voc-nlp evaluate` scores it) for EN and FR; `score` is the mean of GoEmotions and journey
macro-F1.

The CX reading rules (milder, requests, named, not_in_complaints) are then measured on and off through
the real emotion component, with the best weight's fold heads (lexical head fused by `--fusion`) swapped
in: on journey_train items and a GoEmotions train sample, each built by the pipeline steps up to
`problems` (units, language, embed, sentiment, problems; unit vectors cached by
`voc_nlp.training.journey.embed_items`). The sentiment heads read there were trained on journey_train,
so not_in_complaints (which reads the sentiment label) is measured with a sentiment better than on new
data. No dev split is read.

`--team` adds the team's labels of shared train rows (`voc_nlp.training.journey.TEAM_LABELS`) as CX
emotion rows weighed as journey_train, to the training folds only (never scored). Measured, not
adopted (docs/measuring/emotions.md).

Levers on frustration (`--no-rules` skips the rules; every variant also prints its per-fold figures):
`--label-weights frustration=2` (a label's weight in the head's loss), `--tweeteval-weight` (TweetEval
emotion rows against a GoEmotions row), `--tweeteval-unknown` (no loss for the CX labels TweetEval's 4
classes cannot express), `--label-shares frustration=…` (that label's lexical share in the log-odds
fusion, post hoc) and `--views base,affect_emotions`. Measured (2026-12-07, weight 5, fused by the
log-odds), none adopted: mean 0.650 shipped; frustration's share 0.3-0.8 0.650-0.647; its loss weight 2
0.650; TweetEval 0.5 / 0.25 / 0 0.652 / 0.652 / 0.649 (a fold loses 0.003-0.004); TweetEval unknown
labels masked 0.652; these three together 0.649; two views 0.647. Frustration stays 0.415 +- 0.01
(docs/measuring/emotions.md)."""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.evaluation import multilabel_metrics  # noqa: E402
from voc_nlp.components.embed import views_fingerprint  # noqa: E402
from voc_nlp.paths import default_config, default_pipeline_dir  # noqa: E402
from voc_nlp.pipeline import Pipeline, apply_profile  # noqa: E402
from voc_nlp.taxonomy import Taxonomy  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.training.data import (  # noqa: E402
    DEFAULT_DATA_DIR,
    embed_side_by_side,
    emotion_mix,
    emotion_weights,
    journey_train,
)
from voc_nlp.lexical import FUSIONS  # noqa: E402
from voc_nlp.training.emotions import decide, f1_best_thresholds, fused_scores, out_of_fold  # noqa: E402
from voc_nlp.training.journey import TEAM_LABELS, embed_items, read_labels  # noqa: E402

SEED = 13
NEUTRAL_TWEETS = 3000  # as scripts/train_heads.py
RULES = ("milder", "requests", "named", "not_in_complaints")


def crossfit_thresholds(probs, y, labels, folds, pool, english=None, fusion=None):
    """Per fold: (head thresholds, thresholds on the `fusion` scores or None) chosen on the other folds'
    pooled OOF rows."""
    out = {}
    for k in np.unique(folds):
        rows = pool & (folds != k)
        head = f1_best_thresholds(probs["head"][rows], y[rows], labels)
        fused = None
        if fusion:
            en = rows & english
            fused = f1_best_thresholds(probs[fusion][en], y[en], labels)
        out[int(k)] = (head, fused)
    return out


def variant_figures(frame, y, labels, neutral, scores, thresholds, english, lexical):
    """OOF decisions (each fold with its cross-fitted thresholds) -> GoEmotions and journey figures."""
    folds = frame["fold"].to_numpy()
    predicted = [None] * len(frame)
    for k, (head_t, fused_t) in thresholds.items():
        for use_fused, t in ((False, head_t), (True, fused_t)):
            if use_fused and not lexical:
                continue
            rows = np.flatnonzero((folds == k) & ((english if use_fused else ~english) if lexical else True))
            for i, chosen in zip(rows, decide(scores[rows], t, labels, neutral)):
                predicted[i] = chosen
    gold = [[labels[j] for j in np.flatnonzero(row)] for row in y]
    out = {}
    goe = np.flatnonzero(((frame["domain"] == "goemotions") & ~frame["duplicate"]).to_numpy())
    m = multilabel_metrics([gold[i] for i in goe], [predicted[i] for i in goe], labels, exclude=(neutral,))
    out["goemotions_cx7"] = {"macro_f1": round(m["macro_f1"], 4),
                             **{k: round(v, 3) for k, v in m["per_label_f1"].items() if k != neutral}}
    for lang in ("all", "en", "fr"):
        sel = (frame["domain"] == "journey") & ((frame["lang"] == lang) if lang != "all" else True)
        rows = np.flatnonzero(sel.to_numpy())
        m = multilabel_metrics([gold[i] for i in rows], [predicted[i] for i in rows], labels)
        out[f"journey_{lang}"] = round(m["macro_f1"], 4)
        if lang == "all":
            out["journey_per_label"] = {k: round(v, 3) for k, v in m["per_label_f1"].items()}
    out["score"] = round((out["goemotions_cx7"]["macro_f1"] + out["journey_all"]) / 2, 4)
    out["per_fold"] = {}  # does every fold agree with the pooled figures?
    for k in thresholds:
        g = [i for i in goe if folds[i] == k]
        m = multilabel_metrics([gold[i] for i in g], [predicted[i] for i in g], labels, exclude=(neutral,))
        rows = np.flatnonzero(((frame["domain"] == "journey") & (frame["fold"] == k)).to_numpy())
        j = multilabel_metrics([gold[i] for i in rows], [predicted[i] for i in rows], labels)
        out["per_fold"][str(k)] = {"goemotions_cx7": round(m["macro_f1"], 4),
                                   "frustration": round(m["per_label_f1"]["frustration"], 3),
                                   "journey_all": round(j["macro_f1"], 4),
                                   "score": round((m["macro_f1"] + j["macro_f1"]) / 2, 4)}
    return out


def variant_name(weight: float, fusion: str | None) -> str:
    return f"journey weight {weight:g}, " + (f"with lexical head ({fusion})" if fusion else "without lexical head")


def rule_variants() -> dict[str, tuple[str, ...]]:
    """name -> the rules on."""
    variants = {"all rules (shipped config)": RULES}
    variants.update({f"without {r}": tuple(x for x in RULES if x != r) for r in RULES})
    variants["no rules"] = ()
    variants.update({f"no rules + {r}": (r,) for r in RULES})
    return variants


def with_rules(component, on: tuple[str, ...], head, lexical, head_t, fused_t, views: tuple[str, ...]):
    """A copy of the emotion component reading `views` with a fold's heads and thresholds and only the
    `on` rules."""
    c = copy.copy(component)
    c.views = views
    c.head = copy.copy(head)
    c.head.thresholds = head_t
    c.thresholds = c.head.threshold_vector()
    c.lexical = lexical
    if lexical is not None:
        lexical.thresholds_ = fused_t
        c.fused_thresholds = np.array([fused_t[label] for label in c.labels], dtype=np.float32)
    if "milder" not in on:
        c.milder = {}
    if "requests" not in on:
        c.request_emotions = frozenset()
    if "named" not in on:
        c.named = {}
    if "not_in_complaints" not in on:
        c.not_in_complaints = frozenset()
    return c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--weights", default="0,1,3,5", help="journey_train row weights to compare")
    parser.add_argument("--hidden", type=int, default=512, help="hidden units of the MLP head")
    parser.add_argument("--epochs", type=int, default=30, help="training passes of the MLP head")
    parser.add_argument("--fusion", choices=FUSIONS, default="logit",
                        help="how the lexical head is fused for the rules (both are always compared)")
    parser.add_argument("--goemotions-sample", type=int, default=1000,
                        help="GoEmotions train texts per fold run through the pipeline for the rules")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", default=None, help="a profile of the config (its encoder and emotion views)")
    parser.add_argument("--views", default=None,
                        help="encoder views the head reads, side by side, comma-separated (default: the config's "
                             "components.emotions.views)")
    parser.add_argument("--team", action="store_true",
                        help="also train on the team's labels of shared train rows (voc_nlp.training.journey."
                             "TEAM_LABELS), weighed as journey_train; never scored")
    parser.add_argument("--tweeteval-weight", type=float, default=1.0,
                        help="each TweetEval emotion row's weight against a GoEmotions row")
    parser.add_argument("--no-rules", action="store_true", help="skip the rules (the heads' figures only)")
    parser.add_argument("--label-weights", default="",
                        help="labels' weights in the head's loss, e.g. frustration=2 (others 1)")
    # TweetEval's 4 classes cannot say frustration, worry, confusion or gratitude: unknown, not negatives.
    parser.add_argument("--tweeteval-unknown", action="store_true", help="TweetEval rows: no loss on labels it lacks")
    parser.add_argument("--label-shares", default="",
                        help="one label's lexical share in the log-odds fusion to compare with the shipped 0.5, "
                             "e.g. frustration=0.3,0.7 (post hoc, on the same out-of-fold probabilities)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voc-nlp-cache"))
    parser.add_argument("--out", type=Path, default=ROOT / ".cache" / "cv_emotions.json")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    started = time.time()
    log = print

    config = apply_profile(yaml.safe_load(default_config().read_text()), args.profile)
    config["encoder"]["threads"] = args.threads
    order = config["pipeline"]
    config["pipeline"] = order[: order.index("emotions") + 1]
    pipe = Pipeline.from_dict(config, base_dir=default_pipeline_dir())
    step = {s.name: s for s in pipe.steps}
    component = step["emotions"]
    encoder = step["embed"].encoder
    views = tuple(args.views.split(",")) if args.views else component.views
    for view in views:
        encoder.view(view)  # a view the encoder does not write: a clear error now, not after an hour
    taxonomy = Taxonomy.load()
    labels, neutral = taxonomy.emotion_ids, taxonomy.neutral_emotion

    team = read_labels(TEAM_LABELS, taxonomy, data_dir=args.data_dir) if args.team else []
    frame, y = emotion_mix(args.data_dir, taxonomy, folds=args.folds, neutral_tweets=NEUTRAL_TWEETS, seed=SEED,
                           team=team)
    journey_rows = (frame["domain"] == "journey").to_numpy()
    # Cached parts in the frame's row order (the emotion sets, journey_train, the team's), as
    # scripts/train_heads.py embeds them.
    domain = frame["domain"]
    parts = [~domain.isin(["journey", "team"]), domain == "journey"] + ([domain == "team"] if team else [])
    x = np.vstack([embed_side_by_side(encoder, frame["text"][part].tolist(), args.cache / "embeddings", views)
                   for part in parts])
    units = [normalize_social(t) for t in frame["text"]]
    english = (frame["lang"] == "en").to_numpy()
    folds = frame["fold"].to_numpy()
    log(f"embedded {len(frame)} texts in the views {'+'.join(views)} ({x.shape[1]}-d): "
        f"{time.time() - started:.0f} s", flush=True)
    label_weight = np.ones(len(labels), dtype=np.float32)
    for part in filter(None, args.label_weights.split(",")):
        name, value = part.split("=")
        label_weight[labels.index(name)] = float(value)
    if args.tweeteval_unknown:
        expressed = {e for c in ("anger", "joy", "optimism", "sadness") for e in taxonomy.emotions_from_tweeteval(c)}
        unknown = [j for j, e in enumerate(labels) if e not in expressed | {neutral}]
        label_weight = np.tile(label_weight, (len(frame), 1))
        label_weight[np.ix_((frame["domain"] == "tweeteval_emotion").to_numpy(), unknown)] = 0
        log(f"TweetEval rows: no loss for {', '.join(labels[j] for j in unknown)}", flush=True)
    recipe = dict(seeds=(SEED,), hidden=args.hidden, student_hidden=args.hidden, epochs=args.epochs, seed=SEED,
                  fusion=args.fusion, encoder=views_fingerprint(encoder, views),
                  label_weight=label_weight if (label_weight != 1).any() else None)
    log(f"recipe: {json.dumps({k: v for k, v in recipe.items() if k not in ('encoder', 'label_weight')})}; "
        f"label weights {args.label_weights or 'all 1'}; TweetEval weight {args.tweeteval_weight:g}", flush=True)
    shares = {}  # label -> lexical shares to compare (log-odds fusion)
    if args.label_shares:
        name, values = args.label_shares.split("=")
        shares = {name: [float(v) for v in values.split(",")]}

    results, fold_heads = {"views": list(views), "variants": {}}, {}
    for weight in (float(w) for w in args.weights.split(",")):
        weights = emotion_weights(frame, weight, args.tweeteval_weight)
        t0 = time.time()
        heads = []
        head_probs, lexical_probs = out_of_fold(x, y, units, english, labels, weights, folds, heads=heads,
                                                log=log, **recipe)
        fold_heads[weight] = heads
        probs = {"head": head_probs, **{f: fused_scores(head_probs, lexical_probs, english, fusion=f) for f in FUSIONS}}
        pool = ~frame["duplicate"].to_numpy()  # every row once: all of journey_train, also at weight 0
        for fusion in (None, *FUSIONS):
            thresholds = crossfit_thresholds(probs, y, labels, folds, pool, english, fusion)
            name = variant_name(weight, fusion)
            results["variants"][name] = variant_figures(frame, y, labels, neutral, probs[fusion or "head"],
                                                        thresholds, english, fusion is not None)
            log(name, json.dumps(results["variants"][name]), flush=True)
        for label, values in shares.items():
            for share in values:
                share_vector = np.full(len(labels), 0.5, dtype=np.float32)
                share_vector[labels.index(label)] = share
                scores = fused_scores(head_probs, lexical_probs, english, weight=share_vector, fusion="logit")
                thresholds = crossfit_thresholds({"head": head_probs, "logit": scores}, y, labels, folds, pool,
                                                 english, "logit")
                name = f"{variant_name(weight, 'logit')}, {label} share {share:g}"
                results["variants"][name] = variant_figures(frame, y, labels, neutral, scores, thresholds, english,
                                                            True)
                log(name, json.dumps(results["variants"][name]), flush=True)
        results.setdefault("thresholds_pooled_oof", {})[f"{weight:g}"] = {
            "head": f1_best_thresholds(head_probs[pool], y[pool], labels),
            **{f: f1_best_thresholds(probs[f][pool & english], y[pool & english], labels) for f in FUSIONS}}
        log(f"  weight {weight:g}: {time.time() - t0:.0f} s", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))

    if args.no_rules:
        print_table(results)
        log(f"done in {time.time() - started:.0f} s; {args.out}", flush=True)
        return
    # The rules, with the best weight's fold heads (with the lexical head fused by --fusion, as shipped).
    best = max(fold_heads, key=lambda w: results["variants"][variant_name(w, args.fusion)]["score"])
    log(f"rules with journey weight {best:g}", flush=True)
    weights = emotion_weights(frame, best, args.tweeteval_weight)
    head_probs = np.zeros(y.shape, dtype=np.float32)
    lexical_probs = np.full(y.shape, np.nan, dtype=np.float32)
    for k, (head, lexical) in enumerate(fold_heads[best]):
        inside = folds == k
        head_probs[inside] = head.predict_proba(x[inside])
        rows = np.flatnonzero(inside & english)
        lexical_probs[rows] = lexical.predict_proba([units[i] for i in rows])
    probs = {"head": head_probs, args.fusion: fused_scores(head_probs, lexical_probs, english, fusion=args.fusion)}
    thresholds = crossfit_thresholds(probs, y, labels, folds, ~frame["duplicate"].to_numpy(), english, args.fusion)

    items = journey_train(args.data_dir)
    goe = frame[(frame["domain"] == "goemotions") & ~frame["duplicate"]]
    sample = pd.concat([goe[goe["fold"] == k].sample(n=min(args.goemotions_sample, int((goe["fold"] == k).sum())),
                                                     random_state=SEED) for k in range(args.folds)])
    sets = {
        "journey_train": (items, [i["emotions"] for i in items], frame["fold"][journey_rows].to_numpy()),
        "goemotions_train_sample": (
            [{"id": f"g{i}", "text": t, "lang": "en"} for i, t in zip(sample.index, sample["text"])],
            [[labels[j] for j in np.flatnonzero(y[i])] for i in sample.index], sample["fold"].to_numpy()),
    }
    results["rules"] = {}
    for set_name, (set_items, gold, item_folds) in sets.items():
        docs = embed_items(pipe, set_items, args.cache)
        for name in ("sentiment", "problems"):
            step[name](docs)
        log(f"{set_name}: {len(docs)} docs ready, {time.time() - started:.0f} s", flush=True)
        for variant, on in rule_variants().items():
            predicted = [None] * len(docs)
            for k, (head, lexical) in enumerate(fold_heads[best]):
                rows = np.flatnonzero(item_folds == k)
                c = with_rules(component, on, head, copy.copy(lexical), *thresholds[k], views=views)
                c([docs[i] for i in rows])
                for i in rows:
                    predicted[i] = list(docs[i].record.emotions)
            figures = {}
            if set_name == "journey_train":
                for lang in ("all", "en", "fr"):
                    keep = [i for i, it in enumerate(set_items) if lang == "all" or it["lang"] == lang]
                    m = multilabel_metrics([gold[i] for i in keep], [predicted[i] for i in keep], labels)
                    figures[f"macro_f1_{lang}"] = round(m["macro_f1"], 4)
                    if lang == "all":
                        figures["per_label"] = {k: round(v, 3) for k, v in m["per_label_f1"].items()}
            else:
                m = multilabel_metrics(gold, predicted, labels, exclude=(neutral,))
                figures["cx7_macro_f1"] = round(m["macro_f1"], 4)
                figures["per_label"] = {k: round(v, 3) for k, v in m["per_label_f1"].items() if k != neutral}
            results["rules"].setdefault(variant, {})[set_name] = figures
            log(f"  {variant}: {json.dumps({k: v for k, v in figures.items() if k != 'per_label'})}", flush=True)
        args.out.write_text(json.dumps(results, indent=1))
    print_table(results)
    log(f"done in {time.time() - started:.0f} s; {args.out}", flush=True)


def print_table(results: dict) -> None:
    print("\nvariant | GoEmotions CX-7 (frustration) | journey all | EN | FR | score")
    for name, f in results["variants"].items():
        goemotions = f["goemotions_cx7"]
        print(f"{name} | {goemotions['macro_f1']:.3f} ({goemotions['frustration']:.3f}) | {f['journey_all']:.3f} | "
              f"{f['journey_en']:.3f} | {f['journey_fr']:.3f} | {f['score']:.3f}")
    if "rules" not in results:
        return
    print("\nrules | journey_train all | EN | FR | GoEmotions sample CX-7")
    for name, f in results.get("rules", {}).items():
        j, g = f.get("journey_train", {}), f.get("goemotions_train_sample", {})
        print(f"{name} | {j.get('macro_f1_all', float('nan')):.3f} | {j.get('macro_f1_en', float('nan')):.3f} | "
              f"{j.get('macro_f1_fr', float('nan')):.3f} | {g.get('cx7_macro_f1', float('nan')):.3f}")


if __name__ == "__main__":
    main()
