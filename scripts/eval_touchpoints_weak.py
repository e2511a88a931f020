"""Touchpoint tagging against weak labels: intents and complaint reasons mapped to touchpoints.

    python scripts/eval_touchpoints_weak.py [--data-dir ../shared/data] [--split dev]

A check of the touchpoint tagger on two sets beyond journey_dev, through a
mapping written here (one touchpoint per label; labels whose topic is unclear
are left out):

- bitext_customer_support: each intent -> the touchpoint it asks about;
- airline_tweets (measure-only), negative tweets: each negative reason -> the
  touchpoint it is about ("Late Flight" is the flight itself, product_service;
  "Customer Service Issue" is any support touchpoint, whatever the channel).

Printed per set and per label: how often the mapped touchpoint is among the
item's touchpoints (recall) and how often it comes first (primary accuracy),
plus the average number of touchpoints per item. Weak labels give one
touchpoint per item, so there is no precision figure: an item may rightly
name a second touchpoint the label does not know.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.io.columns import ColumnMap  # noqa: E402
from voc_nlp.pipeline import Pipeline  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, read_split  # noqa: E402

BITEXT_TOUCHPOINTS = {
    "create_account": "account", "delete_account": "account", "edit_account": "account",
    "recover_password": "account", "registration_problems": "account", "switch_account": "account",
    "contact_customer_service": "customer_support", "contact_human_agent": "customer_support",
    "delivery_options": "delivery", "delivery_period": "delivery", "track_order": "delivery",
    "change_shipping_address": "delivery", "set_up_shipping_address": "delivery",
    "check_invoices": "billing", "get_invoice": "billing",
    "cancel_order": "checkout_payment", "change_order": "checkout_payment", "place_order": "checkout_payment",
    "check_payment_methods": "checkout_payment", "payment_issue": "checkout_payment",
    "check_refund_policy": "returns_refunds", "get_refund": "returns_refunds", "track_refund": "returns_refunds",
    # Left out: check_cancellation_fee (order or subscription?), complaint and review (about anything),
    # newsletter_subscription (no touchpoint of its own).
}
AIRLINE_TOUCHPOINTS = {
    "Late Flight": "product_service", "Cancelled Flight": "product_service", "Bad Flight": "product_service",
    "Lost Luggage": "product_service", "Damaged Luggage": "product_service",
    "Customer Service Issue": "support", "Flight Booking Problems": "checkout_payment",
    "Flight Attendant Complaints": "staff",
    # Left out: "Can't Tell", "longlines" (a queue at the airport: no touchpoint of its own).
}
# A weak label may accept any of several touchpoints: a customer-service complaint
# is about the support team, whichever channel it names (hours on hold: call_center).
ACCEPTED = {"support": ("customer_support", "call_center", "live_chat", "email", "help_center")}


def weak_set(data_dir: Path, split: str) -> dict[str, pd.DataFrame]:
    bitext = read_split(data_dir, "bitext_customer_support", split)
    bitext = bitext.assign(label=bitext["intent"], touchpoint=bitext["intent"].map(BITEXT_TOUCHPOINTS))
    airline = read_split(data_dir, "airline_tweets", split)
    airline = airline[airline["airline_sentiment"] == "negative"]
    airline = airline.assign(label=airline["negativereason"],
                             touchpoint=airline["negativereason"].map(AIRLINE_TOUCHPOINTS))
    return {"bitext_customer_support": bitext.dropna(subset=["touchpoint"]),
            "airline_tweets (negative)": airline.dropna(subset=["touchpoint"])}


def scores(frame: pd.DataFrame, predicted: list[list[str]]) -> dict:
    accepted = [ACCEPTED.get(t, (t,)) for t in frame["touchpoint"]]
    hit = [any(a in p for a in ok) for ok, p in zip(accepted, predicted)]
    first = [bool(p) and p[0] in ok for ok, p in zip(accepted, predicted)]
    out = {"n": len(frame), "recall": round(sum(hit) / len(frame), 3),
           "primary": round(sum(first) / len(frame), 3),
           "touchpoints per item": round(sum(map(len, predicted)) / len(frame), 2)}
    by_label = {}
    for label, rows in frame.assign(hit=hit, first=first).groupby("label"):
        by_label[label] = {"touchpoint": rows["touchpoint"].iloc[0], "n": len(rows),
                           "recall": round(rows["hit"].mean(), 3), "primary": round(rows["first"].mean(), 3)}
    out["by label"] = by_label
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--config", default=None, help="pipeline config (default: configs/default.yaml)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    pipe = Pipeline.from_config(args.config)
    for name, frame in weak_set(args.data_dir, args.split).items():
        inputs = pd.DataFrame({"id": [str(i) for i in range(len(frame))], "text": frame["text"].tolist()})
        out = pipe.enrich(inputs, ColumnMap(text="text", id="id"))
        predicted = [list(p) if p is not None else [] for p in out["touchpoints"]]
        print(f"{name} {args.split}:", json.dumps(scores(frame, predicted), indent=1), flush=True)


if __name__ == "__main__":
    main()
