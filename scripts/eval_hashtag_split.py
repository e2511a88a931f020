"""Choose the hashtag-splitting filter by cross-validation on labelled train hashtags.

    python scripts/eval_hashtag_split.py

wordsegment always returns *some* split of a one-case hashtag, right for
"neveragain" and wrong for French words and names ("arnaque" -> arna que).
`normalize.py` keeps a split only when every piece is plausible: a known word
if it is longer than `short` letters, one of the `very_common` most frequent
words if it is shorter. tests/text/data/hashtag_splits.tsv labels 227 split
hashtags (English: TweetEval train; French: journey_train and written ones)
as right or wrong to split. This script scores every setting of the grid by
the mean of the English and French accuracies (the product reads both), and
cross-validates that choice (5 folds, stratified by language): each fold's
setting is chosen on the other four.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from voc_nlp.text import normalize

LABELS = Path(__file__).resolve().parents[1] / "tests" / "text" / "data" / "hashtag_splits.tsv"
KNOWN_WORDS = (10_000, 30_000, 100_000, None)  # None: every word wordsegment knows
VERY_COMMON = (1_000, 3_000, 10_000)
SHORT = (2, 3, 4)
SHIPPED = (normalize._KNOWN_WORDS, normalize._VERY_COMMON_WORDS, normalize._SHORT_PIECE)
BEFORE = (30_000, 3_000, 3)  # checked by eye on dev hashtags, before this script


def keeps_split(pieces: list[str], known: set[str], very_common: set[str], short: int) -> bool:
    """The filter of normalize._is_plausible_piece, with its sets and cut-off as arguments."""
    def plausible(piece: str) -> bool:
        if piece.isdigit() or piece in ("a", "i"):
            return True
        if len(piece) <= short:
            return len(piece) > 1 and piece in very_common
        return piece in known
    return all(plausible(piece) for piece in pieces)


def main() -> None:
    frame = pd.read_csv(LABELS, sep="\t", comment="#", names=["lang", "hashtag", "right", "split"], keep_default_na=False)
    pieces = [normalize._most_probable_split(tag) for tag in frame["hashtag"]]
    counts = normalize._segmenter().unigrams
    by_frequency = sorted(counts, key=counts.get, reverse=True)
    grid = [(k, v, s) for k in KNOWN_WORDS for v in VERY_COMMON if k is None or v <= k for s in SHORT]
    grid += [setting for setting in (SHIPPED, BEFORE) if setting not in grid]
    decisions = {}
    for known, very_common, short in grid:
        known_set, common_set = set(by_frequency[:known]), set(by_frequency[:very_common])
        decisions[(known, very_common, short)] = [keeps_split(p, known_set, common_set, short) for p in pieces]
    right = frame["right"].astype(bool).tolist()
    langs = frame["lang"].tolist()

    def accuracy(setting, rows, lang):
        rows = [i for i in rows if langs[i] == lang]
        return sum(decisions[setting][i] == right[i] for i in rows) / len(rows)

    def score(setting, rows):
        return (accuracy(setting, rows, "en") + accuracy(setting, rows, "fr")) / 2

    every = range(len(frame))
    print(f"{len(frame)} labelled hashtags ({langs.count('en')} en, {langs.count('fr')} fr); "
          f"always split: {sum(right) / len(right):.3f} right")
    print("known words | very common | short ≤ | en | fr | mean")
    marks = {SHIPPED: "   <- shipped", BEFORE: "   <- before"}
    for setting in sorted(grid, key=lambda g: -score(g, every))[:8] + [SHIPPED, BEFORE]:
        name = "all" if setting[0] is None else setting[0]
        print(f"{name} | {setting[1]} | {setting[2]} | {accuracy(setting, every, 'en'):.3f} | "
              f"{accuracy(setting, every, 'fr'):.3f} | {score(setting, every):.3f}{marks.get(setting, '')}")

    random.seed(0)
    folds: list[list[int]] = [[] for _ in range(5)]
    for lang in ("en", "fr"):
        rows = [i for i in every if langs[i] == lang]
        random.shuffle(rows)
        for k in range(5):
            folds[k] += rows[k::5]
    chosen_for = {}
    for k, test in enumerate(folds):
        train = [i for i in every if i not in set(test)]
        best = max(grid, key=lambda g: (score(g, train), -grid.index(g)))
        print(f"fold {k}: chosen {best}")
        chosen_for.update({i: best for i in test})
    for lang in ("en", "fr"):
        rows = [i for i in every if langs[i] == lang]
        cv = sum(decisions[chosen_for[i]][i] == right[i] for i in rows) / len(rows)
        print(f"CV accuracy, {lang}: {cv:.3f} (before: {accuracy(BEFORE, every, lang):.3f})")


if __name__ == "__main__":
    main()
