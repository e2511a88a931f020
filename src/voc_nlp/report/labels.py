"""Taxonomy labels for the report, read from the taxonomy YAML.

Ids are never written in code: emotions and sentiment labels come from
`voc_nlp.taxonomy.Taxonomy`; phases, stages and touchpoints from the same
YAML file when it has them. When it does not (yet), the ids seen in the data
are used, title-cased ("mobile_app" -> "Mobile App").

The journey sections of the YAML are read leniently: a section may be a list
of entries, or a mapping with a `labels` list, or a mapping id -> entry; an
entry has an `id` and labels under `en`/`fr` (or `label`/`labels`), and
optionally `stage` (phases) or `phase`/`default_phase` (touchpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from voc_nlp.taxonomy import DEFAULT_TAXONOMY, Taxonomy


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
    path = Path(path) if path else DEFAULT_TAXONOMY
    base = Taxonomy.load(path)
    raw = yaml.safe_load(path.read_text()) or {}
    emotions = [Entry(e.id, {"en": e.en, "fr": e.fr}) for e in base.emotions]
    journey = getattr(base, "journey", None)
    # The Taxonomy object (journey component) is the reference; the raw YAML is
    # read only for what it does not expose.
    phases = [_entry_from_object(o) for o in getattr(base, "phases", None) or []] or _entries(raw.get("phases"))
    touchpoints = ([_entry_from_object(o) for o in getattr(base, "touchpoints", None) or []]
                   or _entries(raw.get("touchpoints")))
    stages = [_entry_from_object(o) for o in getattr(journey, "stages", None) or []]
    if not stages:
        raw_journey = raw.get("journey") if isinstance(raw.get("journey"), dict) else {}
        stages = _entries(raw.get("stages")) or _entries(raw_journey.get("stages"))
    unknown = getattr(journey, "unknown_phase", None) if phases else None
    section = raw.get("phases")
    if unknown is None and isinstance(section, dict):
        unknown = section.get("unknown")
    # Phases' stages may be given as a stage -> [phases] mapping.
    for stage in stages:
        for phase_id in getattr(stage, "_phases", []) or []:
            for p in phases:
                if p.id == phase_id and not p.stage:
                    p.stage = stage.id
    return ReportTaxonomy(
        positive=base.positive,
        negative=base.negative,
        neutral_emotion=base.neutral_emotion,
        emotions=emotions,
        phases=phases,
        stages=stages,
        touchpoints=touchpoints,
        unknown_phase=unknown if isinstance(unknown, str) else None,
    )


def _entries(section) -> list[Entry]:
    if section is None:
        return []
    if isinstance(section, dict):
        if isinstance(section.get("labels"), list):
            items = section["labels"]
        else:
            items = []
            for key, value in section.items():
                if isinstance(value, dict):
                    items.append({"id": key, **value})
                elif isinstance(value, str) and key not in ("unknown", "default", "neutral"):
                    items.append({"id": key, "en": value})
                elif isinstance(value, list) and key not in ("unknown", "default"):
                    items.append({"id": key, "phases": value})
    elif isinstance(section, list):
        items = section
    else:
        return []
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(Entry(item))
            continue
        if not isinstance(item, dict) or "id" not in item:
            continue
        labels = {}
        if isinstance(item.get("labels"), dict):
            labels.update({k: str(v) for k, v in item["labels"].items()})
        if isinstance(item.get("label"), str):
            labels.setdefault("en", item["label"])
        for lang in ("en", "fr"):
            if isinstance(item.get(lang), str):
                labels[lang] = item[lang]
        entry = Entry(
            str(item["id"]),
            labels,
            stage=item.get("stage"),
            phase=item.get("phase") or item.get("default_phase"),
        )
        if isinstance(item.get("phases"), list):
            entry._phases = [str(p) for p in item["phases"]]  # type: ignore[attr-defined]
        out.append(entry)
    return out


def _entry_from_object(obj) -> Entry:
    labels = {lang: getattr(obj, lang) for lang in ("en", "fr") if getattr(obj, lang, None)}
    return Entry(
        str(getattr(obj, "id")),
        labels,
        stage=getattr(obj, "stage", None),
        phase=getattr(obj, "phase", None) or getattr(obj, "default_phase", None),
    )
