"""The enrichment pipeline: input rows in, one EnrichedRecord per row out.

    pipe = Pipeline.from_config()                 # configs/default.yaml
    records = pipe.enrich_texts(["Parcel arrived broken.", "Merci !"])
    frame = pipe.enrich(dataframe)                # same columns as the CLI writes
    for chunk in pipe.enrich_stream(read_feedback(["reviews.csv"])): ...

A pipeline is an encoder plus an ordered list of named components, built from
a YAML config through the registries (see `configs/default.yaml`).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd
import yaml

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.encoders import encoder_from_config
from voc_nlp.io.columns import ColumnMap
from voc_nlp.io.readers import canonical_frame
from voc_nlp.io.writers import records_to_frame
from voc_nlp.registry import components as component_registry
from voc_nlp.schema import EnrichedRecord
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text.pii import PII_TYPES, mask_pii

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "default.yaml"


class ConfigError(ValueError):
    """A config file that cannot build a pipeline; the message says why."""


class Pipeline:
    def __init__(self, steps: list[Component], config: dict | None = None):
        self.steps = steps
        self.config = config or {}
        self.taxonomy: Taxonomy | None = None
        self.base_dir = PROJECT_ROOT  # relative paths in the config resolve against it
        _check_requirements(steps)

    # -- construction --------------------------------------------------------

    @classmethod
    def from_config(cls, path: str | Path | None = None, overrides: dict | None = None) -> "Pipeline":
        """Build from a YAML file (default `configs/default.yaml`).

        Relative model paths resolve against the config file's folder.
        `overrides` are merged into the top level, e.g.
        `{"encoder": {"threads": 1}}`.
        """
        path = Path(path) if path else DEFAULT_CONFIG
        if not path.exists():
            raise ConfigError(f"config file not found: {path}")
        config = yaml.safe_load(path.read_text()) or {}
        for key, value in (overrides or {}).items():
            if isinstance(value, dict):
                config.setdefault(key, {}).update(value)
            else:
                config[key] = value
        return cls.from_dict(config, base_dir=path.parent)

    @classmethod
    def from_dict(cls, config: dict, base_dir: Path = PROJECT_ROOT) -> "Pipeline":
        try:
            encoder = encoder_from_config(config, base_dir)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

        taxonomy = Taxonomy.load(base_dir / config.get("taxonomy", "taxonomy.yaml"))
        shared = {"encoder": encoder, "taxonomy": taxonomy}

        settings = config.get("components") or {}
        steps = []
        for name in config.get("pipeline") or []:
            kwargs = dict(settings.get(name) or {})
            for key in ("model", "lexical"):  # model folders (emotions' `lexical: true` is a switch)
                if isinstance(kwargs.get(key), str) and kwargs[key]:
                    kwargs[key] = str((base_dir / kwargs[key]).resolve())
            if isinstance(kwargs.get("models"), dict):  # several heads, by the encoder view each reads
                kwargs["models"] = {k: str((base_dir / v).resolve()) for k, v in kwargs["models"].items()}
            factory = component_registry.get(name)
            # Shared objects go to the components that ask for them by name:
            # the one encoder (the embed step encodes units with it; others may
            # encode their own reference texts, never the items) and the taxonomy.
            accepted = inspect.signature(factory).parameters
            kwargs.update({k: v for k, v in shared.items() if k in accepted})
            steps.append(factory(**kwargs))
        pipe = cls(steps, config)
        pipe.taxonomy = taxonomy
        pipe.base_dir = base_dir
        return pipe

    # -- running -------------------------------------------------------------

    @property
    def model_version(self) -> str:
        return "+".join(v for v in (s.version for s in self.steps) if v)

    @property
    def chunk_size(self) -> int:
        return int((self.config.get("input") or {}).get("chunk_size", 1000))

    @property
    def mask_pii(self) -> bool:
        """`privacy.mask` (default on): personal data is masked before any step reads the text."""
        return bool((self.config.get("privacy") or {}).get("mask", True))

    @property
    def max_text_chars(self) -> int:
        return int((self.config.get("input") or {}).get("max_text_chars", 20000))

    def enrich_records(self, chunk: pd.DataFrame) -> list[EnrichedRecord]:
        """Enrich a canonical input chunk (as `io.read_feedback` yields)."""
        docs = [to_doc(row, mask=self.mask_pii) for row in chunk.to_dict("records")]
        for step in self.steps:
            step(docs)
        version = self.model_version
        for doc in docs:
            doc.record.model_version = version
        return [doc.record for doc in docs]

    def enrich_stream(self, chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """Canonical input chunks in, enriched record frames out, one per chunk."""
        for chunk in chunks:
            yield records_to_frame(self.enrich_records(chunk))

    def enrich(self, frame: pd.DataFrame, columns: ColumnMap | None = None) -> pd.DataFrame:
        """Enrich any DataFrame; columns are auto-detected or given by `columns`."""
        parts = []
        for start in range(0, max(len(frame), 1), self.chunk_size):
            part = frame.iloc[start : start + self.chunk_size]
            chunk = canonical_frame(
                part, columns or ColumnMap(), source="<dataframe>", first_row=start + 1,
                max_text_chars=self.max_text_chars,
            )
            parts.append(records_to_frame(self.enrich_records(chunk)))
        return pd.concat(parts, ignore_index=True)

    def enrich_texts(self, texts: list[str]) -> list[EnrichedRecord]:
        """Enrich plain strings; ids are their positions ("0", "1", …)."""
        frame = pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": list(texts)})
        chunk = canonical_frame(
            frame, ColumnMap(), source="<texts>", first_row=1, max_text_chars=self.max_text_chars
        )
        return self.enrich_records(chunk)


def to_doc(row: dict, mask: bool = True) -> FeedbackDoc:
    """A canonical input row (see `io.FEEDBACK_COLUMNS`) as a doc to enrich.

    Personal data is masked here, before any component reads the text: the
    units, their offsets, evidence spans and topic quotes all derive from the
    masked text, and the models never read the raw values. `pii_found` lists
    the types found either way.
    """
    fields = {k: row.get(k) for k in ("id", "text", "lang", "channel", "created_at", "rating",
                                      "source_file", "source_row", "error")}
    record = EnrichedRecord(**fields, warnings=list(row.get("warnings") or []))
    turns = row.get("turns")
    found: set[str] = set()
    if isinstance(record.text, str):
        record.text = _masked(record.text, found, mask)
    if isinstance(turns, (list, tuple)):
        turns = [
            {**turn, "text": _masked(turn["text"], found, mask)}
            if isinstance(turn, dict) and isinstance(turn.get("text"), str) else turn
            for turn in turns
        ]
    record.pii_found = [t for t in PII_TYPES if t in found]
    return FeedbackDoc(record=record, turns=turns)


def _masked(text: str, found: set[str], mask: bool) -> str:
    result = mask_pii(text)
    found.update(result.types)
    return result.text if mask else text


def _check_requirements(steps: list[Component]) -> None:
    written: set[str] = set()
    for step in steps:
        missing = [r for r in step.requires if r not in written]
        if missing:
            raise ConfigError(
                f"component '{step.name}' needs {', '.join(missing)}, which no earlier component "
                f"writes; order the pipeline so a writer comes first"
            )
        written.update(step.assigns)
