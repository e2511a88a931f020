"""How well can the airline negative reasons be recovered at all? A ceiling for topic NMI.

    python scripts/eval_topics_ceiling.py [--data-dir ../shared/data]

Issue 5 asks topics over airline_tweets dev negative tweets to reach NMI 0.35
against their `negativereason` labels. This script measures what *supervised*
classifiers reach on the same 931 tweets, scored the same way (NMI and ARI of
their predicted reason against the gold one):

- logistic regression on the frozen unit embeddings of the configured encoder
  (what the topic model clusters), and on word 1-2-gram TF-IDF;
- trained either by 5-fold cross-validation on dev itself, or on the 6,400
  negative tweets of airline_tweets train.

Nothing here ships: airline_tweets is a measure-only set (non-commercial).
An unsupervised topic model, which is told neither the reasons nor how many
there are, should not be expected to beat these figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from eval_topics import load_set  # noqa: E402
from voc_nlp.encoders import encoder_from_config  # noqa: E402
from voc_nlp.text.normalize import normalize_social  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, embed_cached  # noqa: E402

SEED = 13


def scores(gold: np.ndarray, predicted: np.ndarray) -> dict:
    return {"nmi": round(float(normalized_mutual_info_score(gold, predicted)), 3),
            "ari": round(float(adjusted_rand_score(gold, predicted)), 3),
            "accuracy": round(float((gold == predicted).mean()), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "default.yaml")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "embeddings")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    encoder = encoder_from_config(yaml.safe_load(args.config.read_text()), args.config.parent)
    dev_texts, dev_gold = load_set("airline", "dev", args.data_dir)
    train_texts, train_gold = load_set("airline", "train", args.data_dir)
    x_dev = embed_cached(encoder, dev_texts, args.cache)
    x_train = embed_cached(encoder, train_texts, args.cache)
    words_dev = [normalize_social(t) for t in dev_texts]
    words_train = [normalize_social(t) for t in train_texts]

    def on_embeddings():
        return LogisticRegression(C=1.0, max_iter=3000)

    def on_words():
        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                             LogisticRegression(C=10.0, max_iter=3000))

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    print(f"airline dev negative tweets: {len(dev_texts)}, {len(set(dev_gold))} reasons; "
          f"train: {len(train_texts)}")
    rows = {
        f"{encoder.fingerprint} + LR, 5-fold on dev": cross_val_predict(on_embeddings(), x_dev, dev_gold, cv=folds),
        "TF-IDF 1-2-grams + LR, 5-fold on dev": cross_val_predict(on_words(), words_dev, dev_gold, cv=folds),
        f"{encoder.fingerprint} + LR, trained on train": on_embeddings().fit(x_train, train_gold).predict(x_dev),
        "TF-IDF 1-2-grams + LR, trained on train": on_words().fit(words_train, train_gold).predict(words_dev),
    }
    for name, predicted in rows.items():
        print(f"{name}: {json.dumps(scores(dev_gold, predicted))}", flush=True)


if __name__ == "__main__":
    main()
