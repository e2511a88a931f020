"""Enriched-record fixtures for the report: a small hand-built set with known
numbers (journey and topic columns filled), the same with those columns empty,
and the bundled sample enriched by the real pipeline."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from voc_nlp.io import open_writer, read_feedback, records_to_frame
from voc_nlp.schema import EnrichedRecord, Unit

ROOT = Path(__file__).resolve().parents[2]


def _t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


def _units(*turns):
    """Chat units from (speaker, score) pairs."""
    return [Unit(index=i, text=f"turn {i}", start=0, end=0, speaker=sp, sentiment_score=sc)
            for i, (sp, sc) in enumerate(turns)]


def _rec(id, day, lang, channel, sentiment, emotions, rating=None, phase=None, stage=None, touchpoints=(),
         ts=None, pain=None, topic=None, units=(), text=None, **cx):
    score = {"negative": -0.7, "neutral": 0.0, "positive": 0.7}[sentiment]
    topic_id, topic_label, keywords = (topic if topic else (-1, None, []))
    # Chats: the mood fields as the sentiment component writes them (threshold 0.2).
    scores = [u.sentiment_score for u in units if u.speaker == "customer"]
    mood = {}
    if scores:
        change = scores[-1] - scores[0]
        mood = dict(mood_start=scores[0], mood_end=scores[-1], mood_change=None if len(scores) < 2 else
                    "improved" if change >= 0.2 else "worsened" if change <= -0.2 else "steady")
    return EnrichedRecord(**mood,
        id=id, text=text or f"feedback {id} about {', '.join(touchpoints) or 'nothing in particular'}",
        lang=lang, channel=channel, created_at=_t(day), rating=rating, sentiment=sentiment,
        sentiment_score=score, emotions=list(emotions), units=list(units), phase=phase, stage=stage,
        touchpoints=list(touchpoints), touchpoint_sentiment=dict(ts or {}), pain_point=pain,
        pain_point_score=0.9 if pain else (0.1 if pain is False else None),
        topic_id=topic_id, topic_label=topic_label, topic_keywords=keywords, source_file="fixture", **cx,
    )


LATE = (0, "late delivery", ["late", "delivery", "parcel"])
REFUND = (1, "slow refund", ["refund", "slow"])

def _c(channel, count, text=None):
    return {"channel": channel, "count": count, "text": text}


# Known numbers (see test_aggregates.py and test_cx.py): 10 analysed items + 1 error row.
FILLED = [
    _rec("r1", "2026-01-10", "en", "app_review", "negative", ["frustration"], 1, "retention", "after_purchase",
         ["delivery"], pain=True, topic=LATE, text="My parcel is three weeks late and nobody tells me anything.",
         nps=2, csat=1, churn_risk=True, churn_risk_score=0.9, effort=True, non_purchase=False,
         contacts=[_c("phone", 3, "called three times")]),
    _rec("r2", "2026-02-10", "en", "app_review", "negative", ["anger", "frustration"], 2, "retention",
         "after_purchase", ["delivery", "customer_support"],
         ts={"delivery": "negative", "customer_support": "negative"}, pain=True, topic=LATE,
         text="Delivery late again and support hung up on me.", nps=6, churn_risk=False, churn_risk_score=0.2,
         effort=True, non_purchase=False, contacts=[_c("email", 2, "emailed twice")]),
    _rec("r3", "2026-03-10", "fr", "twitter", "positive", ["delight"], None, "awareness", "before_purchase",
         ["advertising"], pain=False, nps=10, csat=5, churn_risk=False, effort=False, non_purchase=False),
    _rec("r4", "2026-04-10", "fr", "product_review", "positive", ["gratitude"], 5, "retention", "after_purchase",
         ["delivery"], ts={"delivery": "positive"}, pain=False, nps=9, csat=4, churn_risk=False, effort=False,
         non_purchase=False),
    _rec("r5", "2026-05-10", "en", "product_review", "neutral", ["neutral"], 4, "purchase", "during_purchase",
         ["checkout_payment"], pain=False, nps=7, csat=3, churn_risk=False, effort=False, non_purchase=True,
         text="I abandoned my cart, the delivery fee was too expensive."),
    _rec("r6", "2026-06-10", "en", "app_review", "negative", ["frustration"], 1, "retention", "after_purchase",
         ["delivery", "customer_support"], ts={"delivery": "negative", "customer_support": "positive"},
         pain=True, topic=LATE, text="Colis en retard, mais le service client a été top.", nps=0,
         churn_risk=True, churn_risk_score=0.7, effort=False, non_purchase=False),
    _rec("r7", "2026-06-20", "en", "app_review", "negative", ["anger"], 2, "retention", "after_purchase",
         ["customer_support"], pain=True, topic=REFUND, churn_risk=True, churn_risk_score=0.8, effort=True,
         non_purchase=False, contacts=[_c("phone", 1, "I called")], text="Refund still not here, I called and I am leaving."),
    _rec("r8", "2026-06-25", "en", "chat", "positive", ["gratitude"], None, "retention", "after_purchase",
         ["customer_support"], pain=False,
         units=_units(("customer", -0.6), ("agent", None), ("customer", 0.5)), churn_risk=False, effort=False,
         non_purchase=False, contacts=[_c("chat", 1)]),
    _rec("r9", "2026-05-15", "fr", "chat", "negative", ["sadness"], None, "retention", "after_purchase", [],
         units=_units(("customer", 0.1), ("agent", None), ("customer", -0.5)), churn_risk=False, effort=True,
         non_purchase=False, contacts=[_c("chat", 4, "après 4 chats")]),
    EnrichedRecord(id="r10", text="", source_file="fixture", error="fixture row 10: empty text"),
    _rec("r11", "2026-03-20", "en", "twitter", "neutral", ["confusion"]),
]


def write_records(records, path: Path) -> Path:
    with open_writer(str(path)) as writer:
        writer.write(records_to_frame(records))
    return path


def empty_journey(records):
    """The same records as the enrich command writes them before the journey,
    topic, signals, contacts and non-purchase components exist (and without
    NPS/CSAT columns): those columns null/empty."""
    out = []
    for r in records:
        d = r.to_dict()
        d.update(phase=None, phase_score=None, stage=None, touchpoints=[], touchpoint_scores={},
                 touchpoint_evidence=[], touchpoint_sentiment={}, pain_point=None, pain_point_score=None,
                 topic_id=None, topic_label=None, topic_keywords=[], contacts=[], non_purchase=None, nps=None,
                 csat=None, effort=None, churn_risk=None, churn_risk_score=None)
        d["units"] = [Unit(**u) for u in d["units"]]
        out.append(EnrichedRecord(**d))
    return out


@pytest.fixture
def filled_parquet(tmp_path) -> Path:
    return write_records(FILLED, tmp_path / "filled.parquet")


@pytest.fixture
def empty_parquet(tmp_path) -> Path:
    return write_records(empty_journey(FILLED), tmp_path / "empty.parquet")


@pytest.fixture(scope="session")
def sample_parquet(pipeline, tmp_path_factory) -> Path:
    """samples/feedback.csv enriched by the real pipeline (as `make demo` does)."""
    path = tmp_path_factory.mktemp("sample") / "feedback.parquet"
    with open_writer(str(path)) as writer:
        for frame in pipeline.enrich_stream(read_feedback([str(ROOT / "samples" / "feedback.csv")])):
            writer.write(frame)
    return path


@pytest.fixture
def filled_as(tmp_path):
    """Write FILLED to a file of the given suffix (.parquet, .jsonl, .duckdb); return its path."""
    return lambda suffix: write_records(FILLED, tmp_path / f"filled_as{suffix}")
