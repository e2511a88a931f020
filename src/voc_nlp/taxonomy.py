"""The taxonomy an analyst can edit: sentiment scale, CX emotions, journey
phases and touchpoints. Ids live in the YAML, never in code.

    Taxonomy.load()                      # the default one (configs/taxonomy.yaml)
    Taxonomy.load("my_taxonomy.yaml")    # a full file, or one that starts with
                                         # `extends: default` and changes a few things

A custom file that extends another one may:

- add a touchpoint or phase (a new `id`),
- change one (same `id`: the fields given replace the inherited ones),
- rename one (`id: new_id` + `rename_from: old_id`: inherits the old fields),
- remove some (`remove: {touchpoints: [id, ...], phases: [id, ...]}`),
- replace `sentiment` / `emotions`, and override keys of `journey`.

Every problem is reported as `file:line: what is wrong` (`TaxonomyError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from voc_nlp.paths import default_taxonomy
from voc_nlp.yamlfile import LineList, LineMap, line_of, read_yaml

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file, line and problem."""


# -- the taxonomy --------------------------------------------------------------


@dataclass
class Emotion:
    id: str
    en: str = ""
    fr: str = ""
    goemotions: list[str] = field(default_factory=list)
    tweeteval: list[str] = field(default_factory=list)


@dataclass
class Phase:
    id: str
    en: str = ""
    fr: str = ""
    stage: str | None = None
    description: str = ""
    examples: dict[str, list[str]] = field(default_factory=dict)
    where: str = ""  # file:line, for messages


@dataclass
class Touchpoint:
    id: str
    en: str = ""
    fr: str = ""
    phase: str = ""
    description: str = ""
    examples: dict[str, list[str]] = field(default_factory=dict)
    threshold: float | None = None  # the bar its probability (or prototype similarity) must reach; None: the model's
    where: str = ""

    def all_examples(self) -> list[str]:
        return [e for texts in self.examples.values() for e in texts]


@dataclass
class Stage:
    id: str
    en: str = ""
    fr: str = ""


@dataclass
class JourneyRules:
    """The journey settings that belong to the taxonomy: the stages and the phase that means
    "no phase can be told". Phases and touchpoints themselves are learned (components.journey)."""

    unknown_phase: str = "unknown"
    stages: list[Stage] = field(default_factory=list)


@dataclass
class Taxonomy:
    sentiment_labels: list[str]
    positive: str
    negative: str
    emotions: list[Emotion]
    neutral_emotion: str
    phases: list[Phase] = field(default_factory=list)
    touchpoints: list[Touchpoint] = field(default_factory=list)
    journey: JourneyRules = field(default_factory=JourneyRules)
    source: str = ""

    @property
    def neutral(self) -> str | None:
        """The sentiment label that is neither positive nor negative (None on a 2-label scale)."""
        return next((label for label in self.sentiment_labels if label not in (self.positive, self.negative)), None)

    @property
    def emotion_ids(self) -> list[str]:
        return [e.id for e in self.emotions]

    @property
    def phase_ids(self) -> list[str]:
        return [p.id for p in self.phases]

    @property
    def touchpoint_ids(self) -> list[str]:
        return [t.id for t in self.touchpoints]

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)

    def touchpoint(self, touchpoint_id: str) -> Touchpoint:
        return next(t for t in self.touchpoints if t.id == touchpoint_id)

    @property
    def stage_ids(self) -> list[str]:
        """Stages in journey order: as listed, else as the phases first name them."""
        if self.journey.stages:
            return [s.id for s in self.journey.stages]
        return list(dict.fromkeys(p.stage for p in self.phases if p.stage))

    def label(self, kind: str, key: str | None, lang: str) -> str:
        """Display label of an id of `kind` (emotion, phase, stage, touchpoint) in `lang`.

        Ids absent from the taxonomy are title-cased ("mobile_app" -> "Mobile App").
        """
        if key is None:
            return ""
        entries = self.journey.stages if kind == "stage" else getattr(self, kind + "s")
        entry = next((e for e in entries if e.id == key), None)
        text = (getattr(entry, lang, "") or getattr(entry, "en", "")) if entry else ""
        return text or str(key).replace("_", " ").replace("-", " ").strip().title()

    def stage_of(self, phase_id: str | None) -> str | None:
        if phase_id is None:
            return None
        return next((p.stage for p in self.phases if p.id == phase_id), None)

    def emotions_from_goemotions(self, labels: list[str]) -> list[str]:
        """Map GoEmotions label names to CX emotion ids (labels outside the set are dropped)."""
        return [e.id for e in self.emotions if any(g in labels for g in e.goemotions)]

    def emotions_from_tweeteval(self, label: str) -> list[str]:
        return [e.id for e in self.emotions if label in e.tweeteval]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Taxonomy":
        path = Path(path) if path else default_taxonomy()
        data = _merged(path, seen=())
        return _build(data, str(path))


# -- loading, extending --------------------------------------------------------


def _read(path: Path) -> LineMap:
    data = read_yaml(path, TaxonomyError, what="taxonomy file")
    if data is None:
        data = LineMap()
    if not isinstance(data, dict):
        raise TaxonomyError(f"{path}:1: a taxonomy file is a mapping (sentiment:, emotions:, phases:, touchpoints:)")
    return data


_TOP_KEYS = {"extends", "sentiment", "emotions", "journey", "phases", "touchpoints", "remove"}
_PHASE_KEYS = {"id", "en", "fr", "stage", "description", "examples", "rename_from"}
_TOUCHPOINT_KEYS = {"id", "en", "fr", "phase", "description", "examples", "threshold", "rename_from"}
_JOURNEY_KEYS = {"unknown_phase", "stages"}
# Rules of the hand-tuned tagger that earlier taxonomies carried; the learned
# tagger reads none of them, so a file that sets one is told so.
_RETIRED = ("cues", "fallback_touchpoint", "fallback_min_words", "phase_cue_order", "possibility_question",
            "brand_post_reaction", "statements", "problem_cues", "praise_cues", "clause_breaks", "request_openers")


def _merged(path: Path, seen: tuple) -> dict:
    """The file's content with its `extends` chain resolved; entries carry `_where`."""
    path = path.resolve()
    if path in seen:
        raise TaxonomyError(f"{path}:1: `extends` loops back to this file")
    data = _read(path)
    for key in data:
        if key not in _TOP_KEYS:
            raise TaxonomyError(
                f"{path}:{line_of(data, key)}: unknown key '{key}' (expected one of: {', '.join(sorted(_TOP_KEYS))})"
            )
    journey = data.get("journey") or {}
    for key in journey:
        if key not in _JOURNEY_KEYS:
            hint = (" (a rule of the hand-tuned tagger: the journey tagger is now learned from labels, "
                    "see `voc-nlp train journey`)" if key in _RETIRED else "")
            raise TaxonomyError(f"{path}:{line_of(journey, key)}: unknown journey key '{key}'{hint} "
                                f"(expected: {', '.join(sorted(_JOURNEY_KEYS))})")
    own = {
        "sentiment": data.get("sentiment"),
        "emotions": data.get("emotions"),
        "journey": data.get("journey"),
        "phases": _entries(data, "phases", path, _PHASE_KEYS),
        "touchpoints": _entries(data, "touchpoints", path, _TOUCHPOINT_KEYS),
    }
    own["_where"] = {k: f"{path}:{line_of(data, k)}" for k in data}
    parent = data.get("extends")
    if parent is None:
        if data.get("remove"):
            raise TaxonomyError(f"{path}:{line_of(data, 'remove')}: `remove` needs `extends: default` (or a file)")
        return own
    if not isinstance(parent, str):
        raise TaxonomyError(f"{path}:{line_of(data, 'extends')}: `extends` is `default` or a file path")
    parent_path = default_taxonomy() if parent == "default" else (path.parent / parent)
    base = _merged(Path(parent_path), seen + (path,))
    return _apply(base, own, data, path)


def _entries(data: dict, key: str, path: Path, allowed: set) -> list[dict]:
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise TaxonomyError(f"{path}:{line_of(data, key)}: `{key}` must be a list of entries (`- id: ...`)")
    out = []
    kind = key[:-1]
    for i, item in enumerate(items):
        line = items.item_lines[i] if isinstance(items, LineList) else 0
        where = f"{path}:{line}"
        if not isinstance(item, dict):
            raise TaxonomyError(f"{where}: each {kind} is a mapping with at least an `id`")
        if "id" not in item or item["id"] in (None, ""):
            raise TaxonomyError(f"{where}: {kind} without an `id`")
        ident = item["id"]
        if not isinstance(ident, str) or not _ID.match(ident):
            raise TaxonomyError(
                f"{where}: {kind} id {ident!r} must be lower-case letters, digits and underscores"
            )
        for k in item:
            if k not in allowed:
                hint = (" (cue words are no longer read: give examples, or labelled items to "
                        "`voc-nlp train journey`)" if k in _RETIRED else "")
                raise TaxonomyError(
                    f"{path}:{line_of(item, k)}: {kind} '{ident}': unknown field '{k}'{hint} "
                    f"(expected: {', '.join(sorted(allowed))})"
                )
        first = next((e["_where"] for e in out if e["id"] == ident), None)
        if first is not None:
            raise TaxonomyError(f"{where}: duplicate {kind} id '{ident}' (first defined at {first})")
        entry = dict(item)
        entry["_where"] = where
        out.append(entry)
    return out


def _apply(base: dict, own: dict, data: dict, path: Path) -> dict:
    merged = {k: base[k] for k in ("sentiment", "emotions")}
    for k in ("sentiment", "emotions"):
        if own[k] is not None:
            merged[k] = own[k]
    journey = dict(base.get("journey") or {})
    journey.update(own.get("journey") or {})
    merged["journey"] = journey
    merged["_where"] = {**base.get("_where", {}), **own["_where"]}

    remove = data.get("remove") or {}
    if not isinstance(remove, dict):
        raise TaxonomyError(f"{path}:{line_of(data, 'remove')}: `remove` is a mapping: {{touchpoints: [...], phases: [...]}}")
    for kind in ("phases", "touchpoints"):
        entries = [dict(e) for e in base[kind]]
        drop = remove.get(kind) or []
        for i, ident in enumerate(drop):
            line = drop.item_lines[i] if isinstance(drop, LineList) else line_of(remove, kind)
            if ident not in [e["id"] for e in entries]:
                raise TaxonomyError(f"{path}:{line}: cannot remove {kind[:-1]} '{ident}': not in the base taxonomy")
            entries = [e for e in entries if e["id"] != ident]
        for entry in own[kind]:
            old = entry.pop("rename_from", None)
            target = old or entry["id"]
            idx = next((i for i, e in enumerate(entries) if e["id"] == target), None)
            if old is not None and idx is None:
                raise TaxonomyError(f"{entry['_where']}: rename_from '{old}': no such {kind[:-1]} in the base taxonomy")
            if idx is None:
                entries.append(entry)
            else:
                entries[idx] = {**entries[idx], **entry}
        merged[kind] = entries
    return merged


def _langs(value, where: str, what: str) -> dict[str, list[str]]:
    """`{en: [...], fr: [...]}`, or a plain list (any language, stored under `any`)."""
    if value is None:
        return {}
    if isinstance(value, list):
        value = {"any": value}
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}: {what} must be a list, or a mapping of language to list (en: [...], fr: [...])")
    out = {}
    for lang, texts in value.items():
        if texts is None:
            continue
        if not isinstance(texts, list) or not all(isinstance(t, (str, int, float)) for t in texts):
            line = line_of(value, lang) or where.rsplit(":", 1)[-1]
            raise TaxonomyError(f"{where.rsplit(':', 1)[0]}:{line}: {what} ({lang}) must be a list of phrases")
        out[str(lang)] = [str(t).strip() for t in texts if str(t).strip()]
    return out


def _build(data: dict, source: str) -> Taxonomy:
    where = data.get("_where", {})
    sentiment, emotions = data.get("sentiment"), data.get("emotions")
    if not isinstance(sentiment, dict) or not isinstance(emotions, dict):
        missing = "sentiment" if not isinstance(sentiment, dict) else "emotions"
        raise TaxonomyError(
            f"{source}:1: no `{missing}` section; write a full taxonomy or start with `extends: default`"
        )
    try:
        emotion_list = [Emotion(**e) for e in emotions["labels"]]
        tax = Taxonomy(
            sentiment_labels=list(sentiment["labels"]),
            positive=sentiment["positive"],
            negative=sentiment["negative"],
            emotions=emotion_list,
            neutral_emotion=emotions["neutral"],
            source=source,
        )
    except (KeyError, TypeError) as exc:
        section = "sentiment" if "sentiment" in str(exc) else "emotions"
        raise TaxonomyError(f"{where.get(section, source)}: invalid {section} section: {exc}") from None

    journey = data.get("journey") or {}
    jwhere = where.get("journey", source)
    stages = []
    for s in journey.get("stages") or []:
        if not isinstance(s, dict) or "id" not in s:
            raise TaxonomyError(f"{jwhere}: each journey stage needs an `id`")
        stages.append(Stage(id=s["id"], en=s.get("en", ""), fr=s.get("fr", "")))
    stage_ids = {s.id for s in stages}

    phases = []
    for e in data.get("phases") or []:
        w = e["_where"]
        stage = e.get("stage")
        if stage is not None and stages and stage not in stage_ids:
            raise TaxonomyError(
                f"{w}: phase '{e['id']}': unknown stage '{stage}' (stages: {', '.join(sorted(stage_ids))})"
            )
        phases.append(Phase(
            id=e["id"], en=str(e.get("en", "")), fr=str(e.get("fr", "")), stage=stage,
            description=str(e.get("description") or ""),
            examples=_langs(e.get("examples"), w, f"phase '{e['id']}' examples"), where=w,
        ))
    _no_duplicates(phases, "phase")
    phase_ids = [p.id for p in phases]

    touchpoints = []
    for e in data.get("touchpoints") or []:
        w = e["_where"]
        if not phases:
            raise TaxonomyError(f"{w}: touchpoints need a `phases` section (each touchpoint names its default phase)")
        phase = e.get("phase")
        if phase is None:
            raise TaxonomyError(f"{w}: touchpoint '{e['id']}': no default `phase` (one of: {', '.join(phase_ids)})")
        if phase not in phase_ids:
            raise TaxonomyError(
                f"{w}: touchpoint '{e['id']}': unknown default phase '{phase}' (phases: {', '.join(phase_ids)})"
            )
        threshold = e.get("threshold")
        if threshold is not None and not isinstance(threshold, (int, float)):
            raise TaxonomyError(f"{w}: touchpoint '{e['id']}': threshold must be a number")
        tp = Touchpoint(
            id=e["id"], en=str(e.get("en", "")), fr=str(e.get("fr", "")), phase=phase,
            description=str(e.get("description") or ""),
            examples=_langs(e.get("examples"), w, f"touchpoint '{e['id']}' examples"),
            threshold=None if threshold is None else float(threshold), where=w,
        )
        if not tp.all_examples() and not tp.description:
            raise TaxonomyError(
                f"{w}: touchpoint '{tp.id}': give `examples` (phrases) or at least a `description`, "
                "so that it can be recognised"
            )
        touchpoints.append(tp)
    _no_duplicates(touchpoints, "touchpoint")

    rules = JourneyRules(stages=stages)
    if phases:
        rules.unknown_phase = journey.get("unknown_phase", "unknown")
        if rules.unknown_phase not in phase_ids:
            raise TaxonomyError(
                f"{jwhere}: journey.unknown_phase '{rules.unknown_phase}' is not a phase (phases: {', '.join(phase_ids)})"
            )
    tax.phases, tax.touchpoints, tax.journey = phases, touchpoints, rules
    return tax


def _no_duplicates(entries, kind: str) -> None:
    seen: dict[str, str] = {}
    for e in entries:
        if e.id in seen:
            raise TaxonomyError(f"{e.where}: duplicate {kind} id '{e.id}' (first defined at {seen[e.id]})")
        seen[e.id] = e.where
