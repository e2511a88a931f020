"""Taxonomy labels for the report, from `voc_nlp.taxonomy.Taxonomy`.

Ids are never written in code. Ids seen in the data but absent from the
taxonomy are shown title-cased ("mobile_app" -> "Mobile App").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from voc_nlp.taxonomy import Taxonomy


@dataclass
class Entry:
    id: str
    labels: dict[str, str] = field(default_factory=dict)
    stage: str | None = None   # phases: the stage they belong to
    phase: str | None = None   # touchpoints: their default phase


@dataclass
class ReportTaxonomy:
    positive: str
    negative: str
    neutral_emotion: str
    emotions: list[Entry]
    phases: list[Entry] = field(default_factory=list)
    stages: list[Entry] = field(default_factory=list)
    touchpoints: list[Entry] = field(default_factory=list)
    unknown_phase: str | None = None

    @property
    def emotion_ids(self) -> list[str]:
        return [e.id for e in self.emotions]

    @property
    def phase_ids(self) -> list[str]:
        return [p.id for p in self.phases]

    @property
    def touchpoint_ids(self) -> list[str]:
        return [t.id for t in self.touchpoints]

    @property
    def stage_ids(self) -> list[str]:
        if self.stages:
            return [s.id for s in self.stages]
        order: list[str] = []
        for p in self.phases:
            if p.stage and p.stage not in order:
                order.append(p.stage)
        return order

    def label(self, kind: str, key: str | None, lang: str) -> str:
        """Label of an id of `kind` (emotion, phase, stage, touchpoint) in `lang`."""
        if key is None:
            return ""
        for entry in getattr(self, kind + "s", []):
            if entry.id == key:
                return entry.labels.get(lang) or entry.labels.get("en") or titleize(key)
        return titleize(key)

    def stage_of(self, phase: str) -> str | None:
        for p in self.phases:
            if p.id == phase:
                return p.stage
        return None


def titleize(key: str) -> str:
    return str(key).replace("_", " ").replace("-", " ").strip().title()


def load_taxonomy(path: str | Path | None = None) -> ReportTaxonomy:
    """The report's view of the taxonomy (`voc_nlp.taxonomy.Taxonomy` is the reference)."""
    base = Taxonomy.load(path)
    return ReportTaxonomy(
        positive=base.positive,
        negative=base.negative,
        neutral_emotion=base.neutral_emotion,
        emotions=[_entry(e) for e in base.emotions],
        phases=[_entry(p, stage=p.stage) for p in base.phases],
        stages=[_entry(s) for s in base.journey.stages],
        touchpoints=[_entry(t, phase=t.phase) for t in base.touchpoints],
        # A taxonomy without phases has no unknown phase to set apart.
        unknown_phase=base.journey.unknown_phase if base.phases else None,
    )


def _entry(obj, stage: str | None = None, phase: str | None = None) -> Entry:
    labels = {lang: getattr(obj, lang) for lang in ("en", "fr") if getattr(obj, lang, "")}
    return Entry(obj.id, labels, stage=stage, phase=phase or None)
