"""Train the lexical sentiment head fused with the embedding heads for English units (models/sentiment_lexical/).

    python scripts/train_sentiment_lexical.py [--data-dir ../shared/data] [--weight 0.25]

A TF-IDF word 1-2-gram logistic regression per label (`voc_nlp.lexical`,
each trained class-balanced, as the embedding heads are) on TweetEval
sentiment train. The sentiment component averages its label shares with the
heads' mean (`weight` is its share) for English units, after a temperature
fitted on TweetEval dev (as each embedding head's is): the sentence
embedding blurs the words that carry a verdict, the regression reads them.
`weight` was chosen through the whole pipeline on TweetEval dev (the set
the heads' temperatures are fitted on); airline tweets and French reviews
are measure-only. Deterministic (liblinear-free lbfgs, no sampling); no
encoder pass.
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
from sklearn.metrics import recall_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.lexical import LexicalHead, sharpen  # noqa: E402
from voc_nlp.pipeline import DEFAULT_CONFIG, Pipeline  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, sentiment_set  # noqa: E402
from voc_nlp.training.heads import best_temperature, expected_calibration_error  # noqa: E402

VERSION = dt.date.today().isoformat()
LABELS = ["negative", "neutral", "positive"]  # the sentiment heads' order


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "sentiment_lexical")
    parser.add_argument("--weight", type=float, default=0.25,
                        help="share of the lexical head in the fused probabilities (chosen on TweetEval dev)")
    args = parser.parse_args()

    started = time.time()
    texts, labels = sentiment_set(args.data_dir, "tweeteval_sentiment", "train")
    targets = np.array([[label == name for name in LABELS] for label in labels], dtype=np.float32)
    lexical = LexicalHead(weight=args.weight, languages=("en",), class_weight="balanced")
    lexical.fit([normalize_social(t) for t in texts], targets, LABELS)
    seconds = time.time() - started

    # Calibrated on TweetEval dev, as the embedding heads' temperatures are.
    raw_dev_texts, dev_labels = sentiment_set(args.data_dir, "tweeteval_sentiment", "dev")
    dev_texts = [normalize_social(t) for t in raw_dev_texts]
    y = np.array([LABELS.index(label) for label in dev_labels])
    before = lexical.label_shares(dev_texts)
    lexical.temperature_ = best_temperature(np.log(before), y)
    shares = lexical.label_shares(dev_texts)
    predicted = [LABELS[i] for i in shares.argmax(axis=1)]
    dev = {"tweeteval_sentiment/dev macro-recall, lexical head alone":
           round(float(recall_score(dev_labels, predicted, average="macro")), 4),
           "calibration": {"temperature": lexical.temperature_,
                           "ece_before": round(expected_calibration_error(before, y), 4),
                           "ece_after": round(expected_calibration_error(shares, y), 4)}}
    # The heads' mean averaged with these shares is less sure than either when they disagree:
    # a second temperature, for the fused probabilities, fitted the same way.
    heads = heads_mean(raw_dev_texts)
    mixed = (1 - lexical.weight) * heads + lexical.weight * shares
    lexical.fused_temperature_ = best_temperature(np.log(mixed), y)
    dev["fused with the sentiment heads' mean (priors and rules off)"] = {
        "macro_recall": round(float(recall_score(y, mixed.argmax(axis=1), average="macro")), 4),
        "heads alone macro_recall": round(float(recall_score(y, heads.argmax(axis=1), average="macro")), 4),
        "temperature": lexical.fused_temperature_,
        "ece_before": round(expected_calibration_error(mixed, y), 4),
        "ece_after": round(expected_calibration_error(sharpen(mixed, lexical.fused_temperature_), y), 4)}
    lexical.metadata_ = {"version": VERSION, "trained_on": {"tweeteval_sentiment/train": len(texts)}, "dev": dev}
    lexical.save(args.out)
    write_card(args.out, lexical, dev, seconds)
    print(json.dumps({"out": str(args.out), "terms": len(lexical.vocabulary_), "seconds": round(seconds, 1), **dev}))


def heads_mean(texts: list[str]) -> np.ndarray:
    """The default pipeline's sentiment heads' mean for each (one-unit) text: lexical head, priors and
    label rules off."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    config["pipeline"] = config["pipeline"][: config["pipeline"].index("sentiment") + 1]  # nothing after it
    config["components"]["sentiment"].update(lexical=None, priors=None, verdicts=None, swearing=None,
                                             mixed_above=None)
    pipe = Pipeline.from_dict(config, base_dir=DEFAULT_CONFIG.parent)
    return np.array([[r.sentiment_probs[label] for label in LABELS] for r in pipe.enrich_texts(texts)])


def write_card(directory: Path, lexical: LexicalHead, dev: dict, seconds: float) -> None:
    lines = [
        "# Lexical sentiment head (English units)",
        "",
        f"- version: {VERSION}",
        f"- model: TF-IDF word 1-2-grams ({len(lexical.vocabulary_)} terms, min_df {lexical.min_df}), one "
        f"logistic regression per label (C {lexical.C}, class-balanced); `lexical.json` (terms, settings) + "
        "`lexical.safetensors` (idf, float16 weights); `voc_nlp.lexical.LexicalHead`",
        f"- fused for units in {list(lexical.languages)}: the sentiment heads' mean times {1 - lexical.weight:g} "
        f"plus this head's label shares times {lexical.weight:g} (shares sharpened by temperature "
        f"{lexical.temperature_:g}), then the priors, then temperature {lexical.fused_temperature_:g} on the result "
        "(both temperatures minimise TweetEval dev log-loss; the second is fitted against the shipped sentiment "
        "heads, so `make models` rebuilds this head after them)",
        f"- training data: {json.dumps(lexical.metadata_['trained_on'])}",
        "- license: TweetEval (released without restrictions, Twitter terms apply). No non-commercial set was "
        "used for training.",
        f"- training time on this machine (2 cores): {seconds:.0f} s",
        "- rebuild: `make models` (runs `python scripts/train_sentiment_lexical.py`)",
        "",
        "## Dev figures",
        "",
        "```json",
        json.dumps(dev, indent=2),
        "```",
        "",
        "Through the default pipeline (see configs/default.yaml, sentiment `lexical`): TweetEval dev "
        "macro-recall, airline dev accuracy and French reviews dev macro-F1 are given there and in README.md. "
        "French units are not fused (trained on English tweets).",
        "",
    ]
    (directory / "MODEL_CARD.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
