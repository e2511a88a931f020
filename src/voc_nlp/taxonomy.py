"""The taxonomy an analyst can edit: sentiment scale and CX emotions (and, with
the journey component, phases and touchpoints). Ids live in the YAML, never in
code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_TAXONOMY = Path(__file__).resolve().parent.parent.parent / "configs" / "taxonomy.yaml"


@dataclass
class Emotion:
    id: str
    en: str = ""
    fr: str = ""
    goemotions: list[str] = field(default_factory=list)
    tweeteval: list[str] = field(default_factory=list)


@dataclass
class Taxonomy:
    sentiment_labels: list[str]
    positive: str
    negative: str
    emotions: list[Emotion]
    neutral_emotion: str

    @property
    def emotion_ids(self) -> list[str]:
        return [e.id for e in self.emotions]

    def emotions_from_goemotions(self, labels: list[str]) -> list[str]:
        """Map GoEmotions label names to CX emotion ids (labels outside the set are dropped)."""
        return [e.id for e in self.emotions if any(g in labels for g in e.goemotions)]

    def emotions_from_tweeteval(self, label: str) -> list[str]:
        return [e.id for e in self.emotions if label in e.tweeteval]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Taxonomy":
        path = Path(path) if path else DEFAULT_TAXONOMY
        data = yaml.safe_load(path.read_text())
        sentiment = data["sentiment"]
        emotions = data["emotions"]
        return cls(
            sentiment_labels=list(sentiment["labels"]),
            positive=sentiment["positive"],
            negative=sentiment["negative"],
            emotions=[Emotion(**e) for e in emotions["labels"]],
            neutral_emotion=emotions["neutral"],
        )
