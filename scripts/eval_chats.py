"""Chat transcripts: per-turn customer sentiment and the mood trajectory, on TweetSumm dev.

    python scripts/eval_chats.py [--data-dir ../shared/data] [--split dev]

TweetSumm (measure-only: its conversation text is research-only) marks, per
dialog, the customer turns that are negative and those that express
gratitude. From those marks:

- negative turns: how many the pipeline scores `negative` (recall), how many
  of the turns it scores negative are marked (precision), and the AUC of
  -sentiment_score for marked vs unmarked customer turns;
- gratitude turns: recall / precision of the `gratitude` emotion;
- trajectory: a dialog whose first customer turn is marked negative and whose
  last one is marked gratitude (not negative) is expected `improved`; one whose
  first turn is unmarked and last is marked negative is expected `worsened`.
  Prints the share of those dialogs the pipeline's `mood_change` gets right.

The marks are not exhaustive (contributors marked some turns, not all), so
precision is a lower bound; the AUC is the fairer figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.pipeline import Pipeline  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, read_split  # noqa: E402


def _norm(text: str) -> str:
    return " ".join(text.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args()

    df = read_split(args.data_dir, "tweetsumm_cs_dialogs", args.split)
    frame = pd.DataFrame({"id": df["dialog_id"].astype(str), "turns": df["turns"]})
    out = Pipeline.from_config(args.config).enrich(frame)

    scores, negative_mark, predicted_negative = [], [], []
    thanks_mark, predicted_thanks = [], []
    expected, got = [], []
    rows = zip(out.to_dict("records"), df["turns"], df["negative_turns"], df["gratitude_turns"])
    for record, turns_raw, neg_raw, grat_raw in rows:
        negative = {_norm(t) for t in json.loads(neg_raw or "[]")}
        thanks = {_norm(t) for t in json.loads(grat_raw or "[]")}
        # Customer units are the customer turns, in order; marks refer to the raw turn text.
        raw = [_norm(t["text"]) for t in json.loads(turns_raw) if t["speaker"] == "customer" and t["text"].strip()]
        customer = [u for u in record["units"] if u["speaker"] == "customer"]
        if len(raw) != len(customer):
            raise SystemExit(f"dialog {record['id']}: {len(raw)} customer turns but {len(customer)} units")
        marks = []
        for unit, text in zip(customer, raw):
            is_negative, is_thanks = text in negative, text in thanks
            marks.append((is_negative, is_thanks))
            scores.append(-unit["sentiment_score"])
            negative_mark.append(is_negative)
            predicted_negative.append(unit["sentiment"] == "negative")
            thanks_mark.append(is_thanks)
            predicted_thanks.append("gratitude" in unit["emotions"])
        if len(customer) < 2:
            continue
        (first_neg, _), (last_neg, last_thanks) = marks[0], marks[-1]
        if first_neg and last_thanks and not last_neg:
            expected.append("improved")
            got.append(record["mood_change"])
        elif not first_neg and last_neg:
            expected.append("worsened")
            got.append(record["mood_change"])

    neg, pred_neg = np.array(negative_mark), np.array(predicted_negative)
    thx, pred_thx = np.array(thanks_mark), np.array(predicted_thanks)
    result = {
        "dialogs": len(df),
        "customer_turns": int(len(neg)),
        "negative_turns": {
            "marked": int(neg.sum()),
            "recall": round(float((neg & pred_neg).sum() / max(neg.sum(), 1)), 3),
            "precision": round(float((neg & pred_neg).sum() / max(pred_neg.sum(), 1)), 3),
            "auc": round(float(roc_auc_score(neg, scores)), 3) if 0 < neg.sum() < len(neg) else None,
        },
        "gratitude_turns": {
            "marked": int(thx.sum()),
            "recall": round(float((thx & pred_thx).sum() / max(thx.sum(), 1)), 3),
            "precision": round(float((thx & pred_thx).sum() / max(pred_thx.sum(), 1)), 3),
        },
        "trajectory": {
            "dialogs_with_expected_change": len(expected),
            "expected_improved": expected.count("improved"),
            "expected_worsened": expected.count("worsened"),
            "agreement": round(float(np.mean([e == g for e, g in zip(expected, got)])), 3) if expected else None,
        },
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
