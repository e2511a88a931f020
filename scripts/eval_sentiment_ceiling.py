"""How far can a model trained on one review set alone read it? A ceiling for the review targets.

    python scripts/eval_sentiment_ceiling.py [--folds 5]     # ~2 min on one thread

For each review domain of the sentiment mix (French book reviews, women's
clothing reviews), 5-fold cross-validation on its train split only (no dev
split read) of in-domain word models, scored by 3-class macro-F1 as the
README's targets are:

- a TF-IDF word 1-2-gram logistic regression, class-balanced (C 1, 4);
- books: a ridge regression on the star rating with the two cut-offs that
  maximise out-of-fold macro-F1 (the labels are rating bands: <= 2.5
  negative, 3-3.5 neutral, >= 4 positive), which reads the order of the
  labels;
- clothing: the same regression over the review's title and text (the
  pipeline reads the text alone).

Measured 2026-12-07 (130 s): books 0.452 (C 1) / 0.445 (C 4), the rating
regression 0.443; clothing 0.635 / 0.634, over title + text 0.660. The shipped pipeline reads the
books' dev split at 0.45 and the clothing dev split at 0.58-0.60: the books
target (0.62) is far above what in-domain word models reach on this set, and
clothing sits below its own in-domain word model: learning every domain at
once costs it (a tweet's "neutral" is "no opinion", a 3-star review's is
"lukewarm").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.training.data import DEFAULT_DATA_DIR, read_split  # noqa: E402

LABELS = ["negative", "neutral", "positive"]


def main() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import f1_score
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    def words(model):
        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), model)

    def macro_f1(gold, texts, C):
        predicted = cross_val_predict(
            words(LogisticRegression(C=C, class_weight="balanced", max_iter=2000)), texts, gold,
            cv=StratifiedKFold(args.folds, shuffle=True, random_state=0))
        return round(f1_score(gold, predicted, average="macro"), 3)

    out = {}
    books = read_split(args.data_dir, "french_book_reviews", "train")
    gold = books["sentiment"].to_numpy()
    out["books"] = {f"words, C {C}": macro_f1(gold, books["text"], C) for C in (1, 4)}
    rating = cross_val_predict(words(Ridge(alpha=1.0)), books["text"], books["rating"].clip(0, 5),
                               cv=KFold(args.folds, shuffle=True, random_state=0))
    best = max(((f1_score(gold, np.where(rating < lo, "negative", np.where(rating < hi, "neutral", "positive")),
                          average="macro"), lo, hi)
                for lo in np.arange(2.6, 3.8, 0.05) for hi in np.arange(lo + 0.05, 4.4, 0.05)))
    out["books"]["rating regression, best cut-offs"] = {"macro_f1": round(best[0], 3),
                                                       "cuts": [round(best[1], 2), round(best[2], 2)]}
    clothing = read_split(args.data_dir, "womens_clothing_reviews", "train")
    gold = clothing["sentiment"].to_numpy()
    text = clothing["text"].fillna("")
    out["clothing"] = {f"words, C {C}": macro_f1(gold, text, C) for C in (1, 4)}
    out["clothing"]["words over title + text, C 1"] = macro_f1(gold, clothing["title"].fillna("") + ". " + text, 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
