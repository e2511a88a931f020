"""The enriched record: what voc-nlp writes for every input item.

One place defines the output columns and their Arrow types; Parquet, DuckDB,
JSONL and CSV writers all read them from here. `docs/schema.md` documents them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = "1.0"

# Columns read from the input (after column mapping), in output order.
INPUT_COLUMNS = ("id", "text", "lang", "channel", "created_at", "rating", "nps", "csat")

_SCORES = pa.map_(pa.string(), pa.float32())

UNIT_TYPE = pa.struct(
    [
        ("index", pa.int32()),
        ("text", pa.string()),
        ("speaker", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("sentiment", pa.string()),
        ("sentiment_score", pa.float32()),
        ("emotions", pa.list_(pa.string())),
        ("emotion_scores", _SCORES),
        ("pain_point", pa.bool_()),
        ("pain_point_score", pa.float32()),
    ]
)

EVIDENCE_TYPE = pa.struct(
    [
        ("touchpoint", pa.string()),
        ("unit_index", pa.int32()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("text", pa.string()),
        ("sentiment", pa.string()),
    ]
)

CONTACT_TYPE = pa.struct(
    [
        ("channel", pa.string()),
        ("count", pa.int32()),
        ("text", pa.string()),
    ]
)

ARROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("lang", pa.string()),
        ("channel", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("rating", pa.float64()),
        # Survey scores from the input: likelihood to recommend 0-10, satisfaction 1-5.
        ("nps", pa.float64()),
        ("csat", pa.float64()),
        # Types of personal data found in the text (privacy.mask).
        ("pii_found", pa.list_(pa.string())),
        ("sentiment", pa.string()),
        ("sentiment_score", pa.float32()),
        ("sentiment_probs", _SCORES),
        ("emotions", pa.list_(pa.string())),
        ("emotion_scores", _SCORES),
        ("emotion_intensity", pa.float32()),
        # Chats: the customer's mood trajectory (first vs last customer turn).
        ("mood_start", pa.float32()),
        ("mood_end", pa.float32()),
        ("mood_change", pa.string()),
        ("units", pa.list_(UNIT_TYPE)),
        # Reserved for the journey, touchpoint and topic components.
        ("phase", pa.string()),
        ("phase_score", pa.float32()),
        ("stage", pa.string()),
        ("touchpoints", pa.list_(pa.string())),
        ("touchpoint_scores", _SCORES),
        ("touchpoint_evidence", pa.list_(EVIDENCE_TYPE)),
        ("touchpoint_sentiment", pa.map_(pa.string(), pa.string())),
        # CX signals (components.signals).
        ("intent", pa.string()),
        ("intent_scores", _SCORES),
        ("effort", pa.bool_()),
        ("effort_score", pa.float32()),
        ("churn_risk", pa.bool_()),
        ("churn_risk_score", pa.float32()),
        # Contacts the item states or is (components.contacts); did not / could not buy (components.non_purchase).
        ("contacts", pa.list_(CONTACT_TYPE)),
        ("non_purchase", pa.bool_()),
        ("pain_point", pa.bool_()),
        ("pain_point_score", pa.float32()),
        ("topic_id", pa.int32()),
        ("topic_label", pa.string()),
        ("topic_keywords", pa.list_(pa.string())),
        # Provenance and health of the record.
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("warnings", pa.list_(pa.string())),
        ("error", pa.string()),
        ("schema_version", pa.string()),
        ("model_version", pa.string()),
    ]
)

# Nested columns are JSON strings in CSV output.
NESTED_COLUMNS = tuple(
    f.name
    for f in ARROW_SCHEMA
    if pa.types.is_nested(f.type)
)


@dataclass
class Unit:
    """A sentence, or a chat turn: the text unit the encoder sees once.

    `start`/`end` are character offsets into the record's `text`.
    """

    index: int
    text: str
    start: int
    end: int
    speaker: str | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None
    emotions: list[str] = field(default_factory=list)
    emotion_scores: dict[str, float] = field(default_factory=dict)
    pain_point: bool | None = None
    pain_point_score: float | None = None

    @property
    def is_customer(self) -> bool:
        """Agent turns are kept but never scored as the customer's."""
        return self.speaker in (None, "customer")


@dataclass
class EnrichedRecord:
    """One output record per input item; field names are the output columns."""

    id: str
    text: str
    lang: str | None = None
    channel: str | None = None
    created_at: Any = None
    rating: float | None = None
    nps: float | None = None
    csat: float | None = None
    pii_found: list[str] = field(default_factory=list)
    sentiment: str | None = None
    sentiment_score: float | None = None
    sentiment_probs: dict[str, float] = field(default_factory=dict)
    emotions: list[str] = field(default_factory=list)
    emotion_scores: dict[str, float] = field(default_factory=dict)
    emotion_intensity: float | None = None
    mood_start: float | None = None
    mood_end: float | None = None
    mood_change: str | None = None
    units: list[Unit] = field(default_factory=list)
    phase: str | None = None
    phase_score: float | None = None
    stage: str | None = None
    touchpoints: list[str] = field(default_factory=list)
    touchpoint_scores: dict[str, float] = field(default_factory=dict)
    touchpoint_evidence: list[dict] = field(default_factory=list)
    touchpoint_sentiment: dict[str, str] = field(default_factory=dict)
    intent: str | None = None
    intent_scores: dict[str, float] = field(default_factory=dict)
    effort: bool | None = None
    effort_score: float | None = None
    churn_risk: bool | None = None
    churn_risk_score: float | None = None
    contacts: list[dict] = field(default_factory=list)
    non_purchase: bool | None = None
    pain_point: bool | None = None
    pain_point_score: float | None = None
    topic_id: int | None = None
    topic_label: str | None = None
    topic_keywords: list[str] = field(default_factory=list)
    source_file: str | None = None
    source_row: int | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    schema_version: str = SCHEMA_VERSION
    model_version: str | None = None

    def to_dict(self) -> dict:
        """Field name -> value, units as dicts.

        A shallow copy (not `dataclasses.asdict`, which deep-copies every
        nested value and was a fifth of the pipeline's time): the containers
        are shared with the record, which is not modified afterwards.
        """
        out = {name: getattr(self, name) for name in _RECORD_FIELDS}
        out["units"] = [dict(vars(u)) for u in self.units]
        return out


_RECORD_FIELDS = tuple(f.name for f in fields(EnrichedRecord))
