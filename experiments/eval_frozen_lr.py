"""Frozen-encoder sentiment probe: logistic regression on cached embeddings.

Trains on TweetEval sentiment train (optionally a seeded subsample), picks C
among {1, 4} on TweetEval dev, and reports TweetEval dev macro-recall,
airline_tweets dev accuracy and amazon_reviews_fr dev macro-F1:

    python experiments/eval_frozen_lr.py --encoder e5_small --train-subsample 20000

Embeddings go through `embed_cached`, so a second run encodes nothing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, recall_score

import voc_nlp.encoders  # noqa: F401  (registers the backends)
from voc_nlp.registry import encoders
from voc_nlp.training.data import DEFAULT_DATA_DIR, embed_cached, sentiment_set

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "embeddings"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="e5_small")
    ap.add_argument("--train-subsample", type=int, default=0, help="0 = all of train")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = ap.parse_args()

    enc = encoders.create(args.encoder, threads=args.threads)
    train_x, train_y = sentiment_set(args.data_dir, "tweeteval_sentiment", "train")
    if args.train_subsample and args.train_subsample < len(train_x):
        keep = np.sort(np.random.default_rng(0).permutation(len(train_x))[: args.train_subsample])
        train_x, train_y = [train_x[i] for i in keep], [train_y[i] for i in keep]

    sets = {}
    for name in ("tweeteval_sentiment", "airline_tweets", "amazon_reviews_fr"):
        texts, labels = sentiment_set(args.data_dir, name, "dev")
        t0 = time.time()
        sets[name] = (embed_cached(enc, texts, CACHE), np.array(labels))
        print(f"{name} dev: {len(texts)} texts, {time.time() - t0:.0f}s", flush=True)
    t0 = time.time()
    x = embed_cached(enc, train_x, CACHE)
    print(f"train: {len(train_x)} texts, {time.time() - t0:.0f}s", flush=True)

    results = {}
    for c in (1.0, 4.0):
        clf = LogisticRegression(C=c, max_iter=3000, random_state=0).fit(x, train_y)
        pred = {k: clf.predict(v[0]) for k, v in sets.items()}
        results[c] = (
            recall_score(sets["tweeteval_sentiment"][1], pred["tweeteval_sentiment"], average="macro"),
            accuracy_score(sets["airline_tweets"][1], pred["airline_tweets"]),
            f1_score(sets["amazon_reviews_fr"][1], pred["amazon_reviews_fr"], average="macro"),
        )
        print(f"C={c:g}: tweeteval macro-recall {results[c][0]:.3f}  airline acc {results[c][1]:.3f}  "
              f"amazon_fr macro-F1 {results[c][2]:.3f}", flush=True)
    best = max(results, key=lambda c: results[c][0])
    print(f"{args.encoder} (C={best:g}, chosen on TweetEval dev, train n={len(train_x)}): "
          + " / ".join(f"{v:.3f}" for v in results[best]))


if __name__ == "__main__":
    main()
