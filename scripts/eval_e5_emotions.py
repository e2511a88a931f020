"""Does tuning the `accurate` profile's e5 view on emotions as well as sentiment help emotions?

    python scripts/eval_e5_emotions.py --threads 1                  # tune, score, heads (~1 h on one thread)
    python scripts/eval_e5_emotions.py --threads 1 --reuse-e5       # the heads again on the saved e5 outputs
    python scripts/eval_e5_emotions.py --threads 1 --time-steps 20  # time training steps of each task only

Held out on the train splits only (fold 0 of the 3 text-hash folds; no dev split is read). One
multilingual-e5-small with the shipped LoRA recipe (`voc_nlp.training.e5_sentiment`: rank 8 on every
linear layer of layers 6-11, one epoch, seed 13) and two linear heads over the same pooled vector is
tuned on folds 1-2, on interleaved batches of each task (`fine_tune_tasks`):

- sentiment: scripts/eval_e5_mix.py's sample (`--per-domain` texts of each domain of `sentiment_mix`,
  `mix_weights`), 3 classes, weighted cross-entropy;
- emotions: every journey_train row of folds 1-2 and `--emotion-sample` of the other `emotion_mix` rows
  of folds 1-2 (GoEmotions CX-7, TweetEval emotion, 3,000 neutral tweets), the 7 CX emotions, binary
  cross-entropy; weighted as the shipped emotion head weighs them (`emotion_weights`, journey_train 5),
  the sampled rows scaled up so that journey_train keeps its share.

Scored on fold 0:
- sentiment on scripts/eval_e5_mix.py's fold-0 sample (same seed, same rows) with its `figures`: e5
  alone and half and half with the `fast` USE heads' mean, beside that script's last run of the
  sentiment-only e5 (its fold-0 probabilities, `--e5-mix-probs`), whose figures its docstring gives.
- emotions, with the shipped emotion recipe (`voc_nlp.training.emotions`: one 512-unit MLP, 30 passes,
  journey_train weight 5, the lexical head fused by the log-odds for English rows) trained on folds 1-2
  over (a) `affect_emotions` alone, (b) `affect_emotions` + the jointly tuned e5 vector side by side;
  and (c) the e5 emotion head's own probabilities. Thresholds (per label, F1-best) never see fold 0: for
  (a) and (b) they are chosen on the pooled out-of-fold probabilities of folds 1-2 (trained on one,
  scored on the other), as scripts/train_heads.py chooses the shipped ones; for (c) on the rows of folds
  1-2 e5 was not tuned on (GoEmotions, TweetEval and neutral tweets only: every journey_train row of
  folds 1-2 was tuned on). GoEmotions CX-7 macro-F1 (neutral left out) and per label, journey_train
  macro-F1 (8 labels) EN / FR: scripts/cv_emotions.py's `variant_figures` on the fold-0 rows.

`--sentiment-only`: the control, e5 tuned on the sentiment task alone (scripts/eval_e5_mix.py's e5,
tuned again: its fold-0 probabilities should come out the same), with (b) over that e5 and no (c).

Writes .cache/eval_e5_emotions[_sentiment_only].json and the e5 outputs (…_e5.npz) for --reuse-e5.

Measured 2026-12-07 with `--old-hashtag-split` (the samples of eval_e5_mix.py's cached run; the USE
`fast` heads reproduce its 0.622), one thread of a shared machine (load 3-4): joint tuning on 14,851
sentiment + 12,851 emotion texts, 867 steps in 1,731 s, scoring 5,977 + 44,856 texts 1,022 s, 50 min in
all; the control (`--sentiment-only`) 465 steps in 1,255 s, final loss 0.7153 and fold-0 figures equal
to eval_e5_mix.py's run (the refactored training loop gives the same model), 40 min in all.

    sentiment, fold 0: mean (tweets / clothing / books / journey)
      USE fast mean                          0.622 (0.711 / 0.550 / 0.427 / 0.800)
      e5 tuned on sentiment only             0.646 (0.713 / 0.629 / 0.428 / 0.815)
      e5 joint                               0.609 (0.693 / 0.577 / 0.376 / 0.788)
      0.5 fast + 0.5 e5 sentiment only       0.657 (0.732 / 0.609 / 0.440 / 0.846)  <- `accurate`
      0.5 fast + 0.5 e5 joint                0.642 (0.725 / 0.586 / 0.425 / 0.833)

    emotions, fold 0 (11,478 GoEmotions / 1,477 journey_train rows, 518 French), head alone; + lexical:
    GoEmotions CX-7 (frustration) | journey_train macro-F1 (EN / FR, fused)
      (a) affect_emotions (shipped)          0.624; 0.638 (0.425) | 0.667; 0.674 (0.683 / 0.656)
      (b) + e5 joint                         0.632; 0.637 (0.428) | 0.701; 0.700 (0.708 / 0.681)
      (b) + e5 tuned on sentiment only       0.637; 0.642 (0.436) | 0.715; 0.714 (0.719 / 0.700)
      (c) the e5 joint emotion head          0.472; 0.585 (0.411) | 0.503; 0.570 (0.602 / 0.534)

Tuning e5 on emotions as well costs sentiment (e5 alone -0.038, `accurate`'s blend -0.015) and gains no
emotion figure over the e5 tuned on sentiment alone: not adopted. The e5 emotion head itself is far
behind (worry 0.12: a linear head, one epoch over 12,851 texts). The control answers the question the
withdrawn `accurate` emotion head left open (docs/measuring/emotions.md): with e5 tuned without fold
0, a head over affect_emotions + e5 gains journey_train +0.040 on fold 0 (EN +0.036, FR +0.044), so
that gain is not only the leak; GoEmotions +0.004 (frustration +0.011, still below 0.45).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cv_emotions import print_table as print_emotions, variant_figures  # noqa: E402  (scripts/, beside this one)
from eval_e5_mix import LABELS, SEED, figures, samples, use_head_probs  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, embed_side_by_side, emotion_mix, emotion_weights  # noqa: E402
from voc_nlp.training.e5_sentiment import add_recipe_arguments  # noqa: E402
from voc_nlp.training.emotions import (f1_best_thresholds, fit_emotion_heads, fused_scores,  # noqa: E402
                                       out_of_fold)

NEUTRAL_TWEETS, JOURNEY_WEIGHT = 3000, 5.0  # the shipped emotion head's (scripts/train_heads.py)
RECIPE = dict(seeds=(SEED,), hidden=512, student_hidden=512, epochs=30, seed=SEED, fusion="logit")


def emotion_sample(frame, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rows of folds 1-2 the e5 emotion head is tuned on (all journey_train rows, n of the others) and
    their weights: `emotion_weights` (journey_train 5), the sampled others scaled so that journey_train
    keeps the share of the weight it has among all rows of folds 1-2; mean 1."""
    weights = emotion_weights(frame, JOURNEY_WEIGHT) * (frame["fold"] != 0).to_numpy()
    journey = (frame["domain"] == "journey").to_numpy() & (weights > 0)
    others = np.flatnonzero(~journey & (weights > 0))
    picked_others = np.sort(rng.choice(others, min(n, len(others)), replace=False))
    rows = np.sort(np.concatenate([np.flatnonzero(journey), picked_others]))
    w = weights.astype(np.float64)
    w[picked_others] *= len(others) / len(picked_others)
    w = w[rows]
    return rows, (w * len(w) / w.sum()).astype(np.float32)


def tune_e5(args, mix, y_sentiment, picked, sentiment_weights, frame, y_emotions, emo_rows, emo_weights, held):
    """Tune e5 with both heads; its pooled vectors and head probabilities on the scored texts (fold-0
    sentiment sample, every emotion-mix row) and the run's figures (`--time-steps`: print step times only)."""
    from voc_nlp.training.e5_sentiment import PREFIX, Task, fine_tune_tasks, head_probabilities, new_model, \
        pooled_vectors

    n_emotions = 0 if args.sentiment_only else y_emotions.shape[1]
    model, tokenizer = new_model(args, len(LABELS), seed=SEED, n_emotions=n_emotions)

    def ids(texts):
        return tokenizer([PREFIX + normalize_social(t) for t in texts], max_length=args.max_tokens)

    tasks = [Task("sentiment", ids(mix["text"].to_numpy()[picked]), y_sentiment[picked], sentiment_weights),
             Task("emotions", ids(frame["text"].to_numpy()[emo_rows]), y_emotions[emo_rows], emo_weights,
                  loss_weight=args.emotion_loss_weight)][: 1 if args.sentiment_only else 2]
    if args.time_steps:
        for task in tasks:
            run = fine_tune_tasks(model, [task], tokenizer.pad, lr=args.lr, log_every=5,
                                  epochs=args.time_steps * 32 / len(task.ids))
            per_step = run["seconds"] / run["steps"]
            print(f"{task.head}: {per_step:.2f} s a step of 32; mean {np.mean([len(i) for i in task.ids]):.0f} "
                  f"tokens; one epoch of {len(task.ids)} texts ~ {per_step * len(task.ids) / 32 / 60:.0f} min",
                  flush=True)
        return None
    run = fine_tune_tasks(model, tasks, tokenizer.pad, epochs=args.epochs, lr=args.lr, seed=SEED, log_every=25)
    print(f"tuned on {' + '.join(f'{len(t.ids)} {t.head}' for t in tasks)} texts: {run}", flush=True)
    scored = time.time()
    held_vectors = pooled_vectors(model, ids(mix["text"].to_numpy()[held]), tokenizer.pad)
    emotion_vectors = pooled_vectors(model, ids(frame["text"].tolist()), tokenizer.pad)
    out = {"held_vectors": held_vectors, "emotion_vectors": emotion_vectors,
           "held_sentiment": head_probabilities(model, held_vectors)["sentiment"]}
    if not args.sentiment_only:
        out["emotion_probs"] = head_probabilities(model, emotion_vectors)["emotions"]
    run["scoring_seconds"] = round(time.time() - scored)
    print(f"scored {len(held)} + {len(frame)} texts: {run['scoring_seconds']} s", flush=True)
    return out, run


def e5_name(args) -> str:
    return "e5 tuned on sentiment only" if args.sentiment_only else "e5 joint"


def sentiment_figures(args, mix, y, held, e5) -> dict:
    """e5 alone and half and half with the `fast` USE heads, beside the sentiment-only e5's last run."""
    train = (mix["fold"] != 0).to_numpy()
    fast = np.mean(list(use_head_probs(mix, train, held, args.threads).values()), axis=0)
    tuned = e5_name(args)
    out = {"USE fast mean": figures(mix, held, fast), tuned: figures(mix, held, e5),
           f"0.5 USE fast mean + 0.5 {tuned}": figures(mix, held, 0.5 * fast + 0.5 * e5)}
    if args.e5_mix_probs.exists():
        alone = np.load(args.e5_mix_probs)
        assert len(alone) == len(held), "--e5-mix-probs is not scripts/eval_e5_mix.py's fold-0 sample"
        out["e5 sentiment only (eval_e5_mix.py's run)"] = figures(mix, held, alone)
        out["0.5 USE fast mean + 0.5 e5 sentiment only"] = figures(mix, held, 0.5 * fast + 0.5 * alone)
    return out


def emotion_figures(args, frame, y, english, x_views: dict[str, np.ndarray], e5_probs: np.ndarray | None,
                    tuned_rows: np.ndarray, labels: list[str], neutral: str) -> dict:
    """Fold-0 figures of the emotion heads over each view set, and of the e5 emotion head (see the docstring)."""
    folds = frame["fold"].to_numpy()
    units = [normalize_social(t) for t in frame["text"]]
    weights = emotion_weights(frame, JOURNEY_WEIGHT)
    train, held = folds != 0, folds == 0
    pool = train & ~frame["duplicate"].to_numpy()  # threshold rows: every train row once
    sub = {"frame": frame[held].reset_index(drop=True), "y": y[held], "english": english[held]}

    def score(scores, head_t, fused_t, lexical: bool) -> dict:
        return variant_figures(sub["frame"], sub["y"], labels, neutral, scores[held], {0: (head_t, fused_t)},
                               sub["english"], lexical)

    out, lexical_oof, lexical_held = {}, None, None
    for name, x in x_views.items():
        started = time.time()
        lexical = lexical_oof is None  # the lexical head is the same for every view set: train it once
        head_oof = np.zeros(y.shape, dtype=np.float32)
        head_oof[train], lex = out_of_fold(x[train], y[train], [units[i] for i in np.flatnonzero(train)],
                                           english[train], labels, weights[train], folds[train],
                                           lexical=lexical, **RECIPE)
        head, lexical_head = fit_emotion_heads(x, y, units, english, labels, np.where(held, 0, weights),
                                               lexical=lexical, **RECIPE)
        probs = head_oof.copy()
        probs[held] = head.predict_proba(x[held])
        if lexical:
            lexical_oof = np.full(y.shape, np.nan, dtype=np.float32)
            lexical_oof[train] = lex
            rows = np.flatnonzero(held & english)
            lexical_oof[rows] = lexical_head.predict_proba([units[i] for i in rows])
        fused = fused_scores(probs, lexical_oof, english, fusion="logit")
        head_t = f1_best_thresholds(probs[pool], y[pool], labels)
        fused_t = f1_best_thresholds(fused[pool & english], y[pool & english], labels)
        out[f"{name}: head alone"] = score(probs, head_t, None, False)
        out[f"{name}: + lexical (log-odds)"] = score(fused, head_t, fused_t, True)
        print(f"{name}: {time.time() - started:.0f} s; {json.dumps(out[f'{name}: + lexical (log-odds)'])}",
              flush=True)

    if e5_probs is None:
        return out
    # (c) The e5 emotion head itself: no neutral output (neutral = no label above its cut).
    e5 = np.insert(e5_probs, labels.index(neutral), 0.0, axis=1)
    unseen = pool & ~np.isin(np.arange(len(frame)), tuned_rows)
    fused = fused_scores(e5, lexical_oof, english, fusion="logit")
    head_t = f1_best_thresholds(e5[unseen], y[unseen], labels)
    fused_t = f1_best_thresholds(fused[unseen & english], y[unseen & english], labels)
    out["e5 emotion head: alone"] = score(e5, head_t, None, False)
    out["e5 emotion head: + lexical (log-odds)"] = score(fused, head_t, fused_t, True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--per-domain", type=int, default=4000, help="sentiment texts per domain (eval_e5_mix's)")
    parser.add_argument("--eval-per-domain", type=int, default=1500)
    parser.add_argument("--emotion-sample", type=int, default=10000,
                        help="emotion-mix rows of folds 1-2 besides journey_train's to tune e5's emotion head on")
    parser.add_argument("--emotion-loss-weight", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1)
    add_recipe_arguments(parser)
    parser.add_argument("--time-steps", type=int, default=0, help="only time this many training steps per task")
    parser.add_argument("--reuse-e5", action="store_true", help="read the e5 outputs of the last run")
    parser.add_argument("--e5-mix-probs", type=Path, default=ROOT / ".cache" / "eval_e5_mix_fold0_probs.npy",
                        help="scripts/eval_e5_mix.py's fold-0 probabilities of the sentiment-only e5")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/voc-nlp-cache"),
                        help="embedding cache of the emotion mix (scripts/cv_emotions.py's)")
    parser.add_argument("--sentiment-only", action="store_true",
                        help="the control: tune e5 on the sentiment task alone (as scripts/eval_e5_mix.py does)")
    parser.add_argument("--old-hashtag-split", action="store_true",
                        help="split hashtags as before commit 9982516 (30,000 known words, 3,000 very common): "
                             "the text-hash folds, hence the samples, of scripts/eval_e5_mix.py's cached run")
    args = parser.parse_args()
    if args.old_hashtag_split:
        from voc_nlp.text import normalize

        normalize._KNOWN_WORDS, normalize._VERY_COMMON_WORDS = 30_000, 3_000
        normalize._common_words.cache_clear()
    import torch

    from voc_nlp.encoders.use_m3 import USEMultilingualEncoder
    from voc_nlp.taxonomy import Taxonomy

    torch.set_num_threads(args.threads)
    started = time.time()
    # The sentiment rows exactly as scripts/eval_e5_mix.py draws them.
    mix, y_sentiment, picked, held, sentiment_weights = samples(args)

    taxonomy = Taxonomy.load()
    labels, neutral = taxonomy.emotion_ids, taxonomy.neutral_emotion
    frame, y = emotion_mix(args.data_dir, taxonomy, neutral_tweets=NEUTRAL_TWEETS, seed=SEED)
    emo_rows, emo_weights = emotion_sample(frame, args.emotion_sample, np.random.default_rng(SEED))
    cx = [j for j, label in enumerate(labels) if label != neutral]

    name = "eval_e5_emotions" + ("_sentiment_only" if args.sentiment_only else "")
    e5_out = ROOT / ".cache" / f"{name}_e5.npz"
    if args.reuse_e5:
        saved = np.load(e5_out)
        e5, run = {k: saved[k] for k in saved.files if k != "run"}, json.loads(str(saved["run"]))
    else:
        tuned = tune_e5(args, mix, y_sentiment, picked, sentiment_weights, frame, y[:, cx], emo_rows, emo_weights,
                        held)
        if tuned is None:
            return
        e5, run = tuned
        e5_out.parent.mkdir(exist_ok=True)
        np.savez(e5_out, run=json.dumps(run), **e5)

    result = {"sentiment": sentiment_figures(args, mix, y_sentiment, held, e5["held_sentiment"])}
    print(json.dumps(result["sentiment"], indent=1), flush=True)

    # The affect_emotions vectors as scripts/cv_emotions.py caches them (two parts: the emotion sets, journey_train).
    encoder = USEMultilingualEncoder(threads=args.threads,
                                     adapters={"affect_emotions": str(ROOT / "models" / "affect_emotions_encoder")})
    journey = (frame["domain"] == "journey").to_numpy()
    affect = np.vstack([embed_side_by_side(encoder, frame["text"][~journey].tolist(), args.cache / "embeddings",
                                           ("affect_emotions",)),
                        embed_side_by_side(encoder, frame["text"][journey].tolist(), args.cache / "embeddings",
                                           ("affect_emotions",))])
    english = (frame["lang"] == "en").to_numpy()
    views = {"(a) affect_emotions": affect,
             f"(b) affect_emotions + {e5_name(args)}": np.hstack([affect, e5["emotion_vectors"]])}
    result["emotions"] = emotion_figures(args, frame, y, english, views, e5.get("emotion_probs"), emo_rows, labels,
                                         neutral)
    result["settings"] = vars(args) | {"data_dir": str(args.data_dir), "e5_mix_probs": str(args.e5_mix_probs),
                                       "cache": str(args.cache), "sentiment_texts": len(picked),
                                       "emotion_texts": len(emo_rows), "fold0_sentiment_texts": len(held),
                                       "fold0_emotion_rows": int((frame["fold"] == 0).sum()), "e5_run": run,
                                       "seconds": round(time.time() - started)}
    (ROOT / ".cache" / f"{name}.json").write_text(json.dumps(result, indent=1))
    print_table(result)


def print_table(result: dict) -> None:
    print("\nsentiment (fold 0) | tweets | clothing | books | journey | mean")
    for name, f in result["sentiment"].items():
        print(f"{name} | " + " | ".join(f"{f[k]:.3f}" for k in ("tweets", "clothing", "books", "journey", "mean")))
    print_emotions({"variants": result["emotions"]})


if __name__ == "__main__":
    main()
