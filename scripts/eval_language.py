"""Language-detection accuracy on the dev sets whose language is known.

    python scripts/eval_language.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.text import detect_language  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, journey_dev, read_split  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    sets = {
        "airline_tweets dev (en)": [(t, "en") for t in read_split(args.data_dir, "airline_tweets", "dev")["text"]],
        "tweeteval_sentiment dev (en)": [(t, "en") for t in read_split(args.data_dir, "tweeteval_sentiment", "dev")["text"]],
        "amazon_reviews_fr dev (fr)": [(t, "fr") for t in read_split(args.data_dir, "amazon_reviews_fr", "dev")["text"]],
        "journey_dev (en/fr)": [(i["text"], i["lang"]) for i in journey_dev(args.data_dir)],
    }
    rows = []
    for name, items in sets.items():
        correct = sum(detect_language(text)[0] == lang for text, lang in items)
        rows.append({"set": name, "n": len(items), "accuracy": round(correct / len(items), 4)})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
