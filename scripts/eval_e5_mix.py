"""Does multilingual-e5-small LoRA-tuned on the sentiment train mix beat the USE-m3 heads?

    python scripts/eval_e5_mix.py                  # ~27 min on one thread of a loaded machine
    python scripts/eval_e5_mix.py --reuse-e5       # the USE heads and the blends again (~4 min)
    python scripts/eval_e5_mix.py --time-steps 20  # time training steps only

Held-out on the train splits only (the protocol of scripts/eval_affect_mix.py):
e5-small with LoRA adapters (rank 8 on every linear layer of layers 6-11,
`voc_nlp.training.e5_sentiment`) and a linear 3-class head is tuned on folds
1-2 of `sentiment_mix`, `--per-domain` texts of each domain, weighted by
`mix_weights` (each domain the same total weight, classes balanced within
it), whole texts up to 128 tokens, one epoch. The USE-m3 heads (one per
encoder view, scripts/train_heads.py's recipe, no temperature) are trained on
all of folds 1-2. Both are scored on the same sample of fold 0
(`--eval-per-domain` texts per domain): tweets macro-recall, clothing and
books macro-F1, journey accuracy, and their mean. No dev split is read.
Writes .cache/eval_e5_mix.json (and the e5 fold-0 probabilities beside it).

Measured 2026-12-07 with the defaults (1,500 texts per domain to tune, 5,977
fold-0 texts; 988 s of tuning and 429 s of scoring on one thread, the machine
loaded by other jobs), mean (tweets / clothing / books / journey):

    USE heads: base 0.594, affect_emotions 0.615, affect 0.606
    USE mean of base + affect_emotions (fast)  0.615 (0.687 / 0.555 / 0.420 / 0.800)
    USE mean of the 3 views (accurate before)  0.618 (0.699 / 0.548 / 0.427 / 0.796)
    e5 alone                                   0.615 (0.686 / 0.563 / 0.419 / 0.792)
    e5 as a 4th head, plain mean of 4          0.640 (0.721 / 0.574 / 0.442 / 0.824)
    0.5 USE 3-view mean + 0.5 e5               0.648 (0.732 / 0.568 / 0.448 / 0.845)
      e5 at its fold-0 temperature 0.85        0.647 (0.730 / 0.570 / 0.446 / 0.842)  <- shipped as `accurate`
    0.5 USE fast mean + 0.5 e5 (T 0.85)        0.644 (0.723 / 0.577 / 0.443 / 0.835)

e5 alone only ties the USE heads, but it errs elsewhere: averaged 50/50 with
them it adds +0.029 to the mean, every domain gaining (journey +0.047,
tweets +0.031, clothing +0.022, books +0.018).
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

from voc_nlp.evaluation import sentiment_metrics  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.training.e5_sentiment import add_recipe_arguments  # noqa: E402
from voc_nlp.training.heads import best_temperature, fit_mlp_head  # noqa: E402
from voc_nlp.training.data import (DEFAULT_DATA_DIR, SENTIMENT_DOMAINS, embed_views_cached,  # noqa: E402
                                   mix_weights, per_domain_sample, sentiment_mix)

LABELS = ["negative", "neutral", "positive"]
EQUAL = {d: 1.0 for d in SENTIMENT_DOMAINS}
METRICS = {"tweets": "macro_recall", "clothing": "macro_f1", "books": "macro_f1", "journey": "accuracy"}
USE_VIEWS = {"affect_emotions": "affect_emotions_encoder", "affect": "affect_encoder"}
SEED = 13


def figures(mix, rows: np.ndarray, probs: np.ndarray) -> dict:
    out = {}
    for domain, metric in METRICS.items():
        sel = (mix["domain"].to_numpy()[rows] == domain)
        gold = list(mix["label"].to_numpy()[rows][sel])
        out[domain] = round(sentiment_metrics(gold, [LABELS[i] for i in probs[sel].argmax(1)])[metric], 4)
    out["mean"] = round(float(np.mean(list(out.values()))), 4)
    return out


def use_head_probs(mix, train: np.ndarray, held: np.ndarray, threads: int) -> dict[str, np.ndarray]:
    """Fold-0 probabilities of one USE-m3 head per view, trained on the train rows as train_heads.py does."""
    from voc_nlp.encoders.use_m3 import USEMultilingualEncoder

    encoder = USEMultilingualEncoder(threads=threads, adapters={
        v: str(ROOT / "models" / p) for v, p in USE_VIEWS.items()})
    x = embed_views_cached(encoder, mix["text"].tolist(), ROOT / ".cache" / "embeddings",
                           ("base",) + tuple(USE_VIEWS))
    y = np.array([LABELS.index(l) for l in mix["label"]])
    weights = mix_weights(mix[train], LABELS, EQUAL)
    return {view: fit_mlp_head(v[train], y[train], LABELS, hidden=512, seeds=(SEED,),
                               sample_weight=weights).predict_proba(v[held])
            for view, v in x.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--per-domain", type=int, default=1500)
    parser.add_argument("--eval-per-domain", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=1)
    add_recipe_arguments(parser)
    parser.add_argument("--time-steps", type=int, default=0, help="only time this many training steps")
    parser.add_argument("--reuse-e5", action="store_true",
                        help="read the e5 fold-0 probabilities of the last run instead of tuning again")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    started = time.time()
    mix = sentiment_mix(args.data_dir)
    y = np.array([LABELS.index(l) for l in mix["label"]])
    rng = np.random.default_rng(SEED)
    picked = per_domain_sample(mix, (mix["fold"] != 0).to_numpy(), args.per_domain, rng)
    held = per_domain_sample(mix, (mix["fold"] == 0).to_numpy(), args.eval_per_domain, rng)
    weights = mix_weights(mix.iloc[picked], LABELS, EQUAL)

    probs_file = ROOT / ".cache" / "eval_e5_mix_fold0_probs.npy"
    if args.time_steps:
        tune_and_score(args, mix, y, picked, held, weights)
        return
    if args.reuse_e5:
        e5, run, scoring = np.load(probs_file), json.loads((ROOT / ".cache" / "eval_e5_mix.json").read_text()), 0.0
        run = run["settings"]["train"]
    else:
        e5, run, scoring = tune_and_score(args, mix, y, picked, held, weights)
        np.save(probs_file, e5)
    temperature = best_temperature(np.log(np.clip(e5, 1e-7, 1.0)), y[held])
    sharp = np.exp(np.log(np.clip(e5, 1e-7, 1.0)) / temperature)
    sharp /= sharp.sum(axis=1, keepdims=True)

    train = (mix["fold"] != 0).to_numpy()
    use = use_head_probs(mix, train, held, args.threads)
    use_mean = np.mean(list(use.values()), axis=0)
    fast_mean = np.mean([use["base"], use["affect_emotions"]], axis=0)
    result = {"e5 (LoRA, mix)": figures(mix, held, e5)}
    result |= {f"USE {view}": figures(mix, held, p) for view, p in use.items()}
    result["USE mean of base, affect_emotions (fast)"] = figures(mix, held, fast_mean)
    result["USE mean of 3 views (accurate)"] = figures(mix, held, use_mean)
    result["e5 as a 4th view (mean of 4)"] = figures(mix, held, np.mean(list(use.values()) + [e5], axis=0))
    result["0.5 USE mean + 0.5 e5"] = figures(mix, held, 0.5 * use_mean + 0.5 * e5)
    result[f"0.5 USE mean + 0.5 e5 at temperature {temperature}"] = figures(mix, held, 0.5 * use_mean + 0.5 * sharp)
    result["0.5 USE fast mean + 0.5 e5"] = figures(mix, held, 0.5 * fast_mean + 0.5 * e5)
    result[f"0.5 USE fast mean + 0.5 e5 at temperature {temperature}"] = figures(
        mix, held, 0.5 * fast_mean + 0.5 * sharp)
    # The log-loss-best temperature of the e5 head on fold 0 (scripts/train_e5_sentiment.py ships it).
    result["e5 temperature (fold 0)"] = temperature
    result["settings"] = vars(args) | {"data_dir": str(args.data_dir), "train_texts": len(picked),
                                       "fold0_texts": len(held), "train": run,
                                       "scoring_seconds": round(scoring), "seconds": round(time.time() - started)}
    (ROOT / ".cache").mkdir(exist_ok=True)
    (ROOT / ".cache" / "eval_e5_mix.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


def tune_and_score(args, mix, y, picked, held, weights):
    """Tune e5 on the picked rows; its fold-0 probabilities, the run's figures and the scoring seconds
    (`--time-steps`: only print the time of a training step)."""
    from voc_nlp.training.e5_sentiment import PREFIX, fine_tune, new_model, predict_proba

    model, tokenizer = new_model(args, len(LABELS), seed=SEED)
    texts = mix["text"].to_numpy()
    ids = tokenizer([PREFIX + normalize_social(t) for t in texts[picked]], max_length=args.max_tokens)
    if args.time_steps:
        run = fine_tune(model, ids, y[picked], weights, tokenizer.pad, lr=args.lr,
                        epochs=args.time_steps * 32 / len(ids), log_every=5)
        print(f"{run['seconds'] / run['steps']:.2f} s a step of 32; mean {np.mean([len(i) for i in ids]):.0f} tokens; "
              f"one epoch of {len(ids)} texts ~ {run['seconds'] / run['steps'] * len(ids) / 32 / 60:.0f} min")
        return
    run = fine_tune(model, ids, y[picked], weights, tokenizer.pad, epochs=args.epochs, lr=args.lr, seed=SEED,
                    log_every=25)
    print(f"tuned on {len(ids)} texts x {args.epochs} epochs: {run}", flush=True)
    scored = time.time()
    e5 = predict_proba(model, tokenizer([PREFIX + normalize_social(t) for t in texts[held]],
                                        max_length=args.max_tokens), tokenizer.pad)
    print(f"scored {len(held)} fold-0 texts: {time.time() - scored:.0f} s", flush=True)
    return e5, run, time.time() - scored


if __name__ == "__main__":
    main()
