"""The enrichment pipeline: input rows in, one EnrichedRecord per row out.

    pipe = Pipeline.from_config()                 # the default pipeline (voc_nlp.paths)
    records = pipe.enrich_texts(["Parcel arrived broken.", "Merci !"])
    frame = pipe.enrich(dataframe)                # same columns as the CLI writes
    for record in pipe.pipe(dicts, batch_size=64): ...   # JSON-ready dicts, streamed
    for chunk in pipe.enrich_stream(read_feedback(["reviews.csv"])): ...

`voc_nlp.load(path)` is the public way in: `Pipeline.load`.

A pipeline is an encoder plus an ordered list of named components, built from
a YAML config through the registries (see `configs/default.yaml`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd
import yaml

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.encoders import encoder_from_config
from voc_nlp.io.columns import ColumnMap, normalise_name
from voc_nlp.io.errors import InputError
from voc_nlp.io.readers import canonical_frame
from voc_nlp.io.writers import _row_converter, records_to_frame, to_arrow
from voc_nlp.paths import default_config, default_pipeline_dir, default_taxonomy
from voc_nlp.registry import components as component_registry
from voc_nlp.rules import LANG, rule_files
from voc_nlp.schema import ARROW_SCHEMA, SCHEMA_VERSION, EnrichedRecord
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text.pii import PII_TYPES, mask_pii
from voc_nlp.yamlfile import read_yaml

# In a pipeline folder given to `load()`, the config is the first of these.
FOLDER_CONFIG_NAMES = ("config.yaml", "pipeline.yaml", "default.yaml")


class ConfigError(ValueError):
    """A config file that cannot build a pipeline; the message says why."""


@dataclass(frozen=True)
class InvalidItem:
    """An input item already known to be bad, for `Pipeline.pipe`.

    Passed in place of an item, it comes out as a record at the same position
    carrying `error` (and `id`, when known), without being enriched; the
    HTTP service uses it for items of the wrong shape.
    """

    error: str
    id: str | None = None


def config_path(path: str | Path | None = None) -> Path:
    """The config file for `load(path)`: the default one, the file given, or
    the config inside a pipeline folder (config.yaml, pipeline.yaml or default.yaml)."""
    if path is None:
        return default_config()
    path = Path(path)
    if path.is_dir():
        for name in FOLDER_CONFIG_NAMES:
            if (path / name).is_file():
                return path / name
        raise ConfigError(f"no pipeline config in folder {path} (looked for {', '.join(FOLDER_CONFIG_NAMES)})")
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    return path


def read_config(path: str | Path) -> dict:
    """The settings in a config file. A missing file, bad YAML (a hand-edited
    config often has some) or a file that is not a mapping raises ConfigError
    naming the file, and the line when YAML knows it."""
    path = Path(path)
    config = read_yaml(path, ConfigError, loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
                       what="config file") or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: not a mapping of settings")
    return config


def with_overrides(config: dict, overrides: dict | None, source: Path | str = "config") -> dict:
    """The config as a pipeline is built from it: the profile named by
    `overrides["profile"]` (or the default one) applied, then every other
    override merged into the top level (one level deep: `{"encoder": {"threads": 1}}`)."""
    overrides = dict(overrides or {})
    config = apply_profile(config, overrides.pop("profile", None), source)
    for key, value in overrides.items():
        if isinstance(value, dict):
            config.setdefault(key, {}).update(value)
        else:
            config[key] = value
    return config


def apply_profile(config: dict, profile: str | None, source: Path | str = "config") -> dict:
    """The config with one of its `profiles` merged in (nested settings merged key by key).

    A profile is a named set of settings over the default ones, e.g. `accurate`:
    one more encoder view and the sentiment head that reads it. None, or the
    name in `default_profile`, gives the config as written. The chosen name is
    kept as `profile` (provenance); the `profiles` section itself is dropped.
    """
    config = dict(config)
    profiles = config.pop("profiles", None) or {}
    default = config.pop("default_profile", None)
    if profile in (None, default):
        config["profile"] = default if default is not None else config.get("profile")
        return config
    if profile not in profiles:
        names = ", ".join(sorted([*profiles, *([default] if default else [])])) or "none"
        raise ConfigError(f"{source}: no profile {profile!r} (profiles: {names})")
    config["profile"] = profile
    return _merged(config, profiles[profile])


def _merged(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


class Pipeline:
    def __init__(self, steps: list[Component], config: dict | None = None):
        self.steps = steps
        self.config = config or {}
        self.taxonomy: Taxonomy | None = None
        self.base_dir = default_pipeline_dir()  # relative paths in the config resolve against it
        self.taxonomy_path: Path | None = None
        _check_requirements(steps)

    # -- construction --------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None, overrides: dict | None = None) -> "Pipeline":
        """The pipeline of `path`: None for the default one, a config file, or
        a pipeline folder holding one (see `config_path`)."""
        return cls.from_config(config_path(path), overrides=overrides)

    @classmethod
    def from_config(cls, path: str | Path | None = None, overrides: dict | None = None) -> "Pipeline":
        """Build from a YAML file (default `configs/default.yaml`).

        Relative model and rule-file paths resolve against the config file's folder.
        `overrides` are merged into the top level, e.g.
        `{"encoder": {"threads": 1}}`; `{"profile": "accurate"}` picks one of the
        config's `profiles` (see `apply_profile`).
        """
        path = Path(path) if path else default_config()
        return cls.from_dict(with_overrides(read_config(path), overrides, path), base_dir=path.parent)

    @classmethod
    def from_dict(cls, config: dict, base_dir: Path | None = None) -> "Pipeline":
        """Build from a config dict; its relative paths resolve against `base_dir`
        (default: the default pipeline's folder)."""
        base_dir = Path(base_dir) if base_dir is not None else default_pipeline_dir()
        try:
            encoder = encoder_from_config(config, base_dir)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

        taxonomy_path = base_dir / config.get("taxonomy", "taxonomy.yaml")
        taxonomy = Taxonomy.load(taxonomy_path)
        shared = {"encoder": encoder, "taxonomy": taxonomy}

        settings = config.get("components") or {}
        steps = []
        for name in config.get("pipeline") or []:
            kwargs = _rule_paths_resolved(dict(settings.get(name) or {}), base_dir)
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
            unknown = sorted(k for k in kwargs if k not in accepted)
            if unknown:
                settable = sorted(k for k in accepted if k not in shared)
                raise ConfigError(f"components.{name}: unknown setting {', '.join(map(repr, unknown))} "
                                  f"(settings: {', '.join(settable) or 'none'})")
            kwargs.update({k: v for k, v in shared.items() if k in accepted})
            try:
                steps.append(factory(**kwargs))
            except (ValueError, FileNotFoundError) as exc:  # a bad value or a missing model folder
                raise ConfigError(f"components.{name}: {exc}") from None
        pipe = cls(steps, config)
        pipe.taxonomy = taxonomy
        pipe.taxonomy_path = taxonomy_path
        pipe.base_dir = base_dir
        return pipe

    def to_disk(self, path: str | Path) -> Path:
        """Save the pipeline as one self-contained folder that `voc_nlp.load(path)`
        reads back: config.yaml (its paths relative to the folder), taxonomy.yaml
        (with any file it extends), every model folder the config names, under
        models/, and every rule file, under rules/<lang>/. `path` must not
        exist or be empty."""
        out = Path(path)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise FileExistsError(f"{out}: exists and is not an empty folder")
        out.mkdir(parents=True, exist_ok=True)
        copied: dict[Path, str] = {}

        def relocate(value):
            if isinstance(value, dict):
                return {k: relocate(v) for k, v in value.items()}
            if isinstance(value, list):
                return [relocate(v) for v in value]
            if _is_rule_path(value):
                return copy_rule(str((self.base_dir / value).resolve()))
            if isinstance(value, str) and "/" in value and (self.base_dir / value).is_dir():
                source = (self.base_dir / value).resolve()
                if source not in copied:
                    name, n = source.name, 1
                    while f"models/{name}" in copied.values():
                        n += 1
                        name = f"{source.name}_{n}"
                    shutil.copytree(source, out / "models" / name,
                                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                    copied[source] = f"models/{name}"
                return copied[source]
            return value

        def copy_rule(template: str) -> str:
            """Copies a rule file (one per language for a `{lang}` path) under rules/; its new path."""
            if template not in copied_rules:
                folder = f"rules/{LANG}/" if LANG in template else "rules/"
                stem, n = Path(template).stem, 1
                name = f"{folder}{stem}.yaml"
                while name in copied_rules.values():  # two files of the same name (ours and an analyst's)
                    n += 1
                    name = f"{folder}{stem}_{n}.yaml"
                for lang, source in rule_files(template):
                    dest = out / name.replace(LANG, lang)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, dest)
                copied_rules[template] = name
            return copied_rules[template]

        copied_rules: dict[str, str] = {}
        config = relocate({k: v for k, v in self.config.items() if k != "taxonomy"})
        _copy_taxonomy(self.taxonomy_path or default_taxonomy(), out / "taxonomy.yaml", out)
        config = {"taxonomy": "taxonomy.yaml", **config}
        (out / "config.yaml").write_text(
            "# Written by voc_nlp Pipeline.to_disk; load with voc_nlp.load(\"<this folder>\").\n"
            "# Paths are relative to this folder.\n"
            + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        return out

    def rule_files(self) -> list[tuple[str, Path]]:
        """(language, file) of each rule file (`voc_nlp.rules`) the components read, in config order."""
        found: list[tuple[str, Path]] = []

        def walk(value):
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
            elif _is_rule_path(value):
                found.extend(rule_files(str((self.base_dir / value).resolve())))

        settings = self.config.get("components") or {}
        for name in self.config.get("pipeline") or []:
            walk(settings.get(name) or {})
        return found

    def rules_sha256(self) -> str:
        """One hash of the rule files' languages and contents, in order: phrases edited, records change."""
        digest = hashlib.sha256()
        for lang, path in self.rule_files():
            digest.update(f"{lang}\n".encode("utf-8") + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def provenance(self) -> dict[str, str]:
        """What made this pipeline's records, as string key-values for an output's
        metadata (Parquet key-value metadata, the JSONL/CSV sidecar, DuckDB's
        voc_nlp_meta table): versions, the hashes of the config and of its rule
        files, and the taxonomy itself."""
        from voc_nlp import __version__

        taxonomy = Path(self.taxonomy_path or default_taxonomy())
        text = taxonomy.read_text(encoding="utf-8") if taxonomy.is_file() else ""
        config = json.dumps(self.config, sort_keys=True, default=str, ensure_ascii=False)
        return {
            "voc_nlp.version": __version__,
            "voc_nlp.schema_version": SCHEMA_VERSION,
            "voc_nlp.model_version": self.model_version,
            "voc_nlp.profile": str(self.config.get("profile") or ""),
            "voc_nlp.config_sha256": hashlib.sha256(config.encode("utf-8")).hexdigest(),
            "voc_nlp.rules_sha256": self.rules_sha256(),
            "voc_nlp.taxonomy_path": str(taxonomy.resolve()),
            "voc_nlp.taxonomy_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "voc_nlp.taxonomy": text,
        }

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

    def pipe(
        self,
        items: Iterable[Mapping[str, Any] | str],
        batch_size: int | None = None,
        columns: ColumnMap | None = None,
        source: str = "<items>",
    ) -> Iterator[dict]:
        """Stream enriched records for a stream of input items.

        `items` are dicts with the CLI's input fields (text, id, created_at,
        rating, channel, lang, turns), found by the same column auto-detection
        or named by `columns`; a plain string is a text. Items are read
        `batch_size` at a time (default: `input.chunk_size`, 1000), so an
        endless iterable is fine. Yields one JSON-ready dict per item, in
        input order, exactly as a line of the JSONL output: an item that
        cannot be enriched (no text, not a dict, a bad turns list) yields a
        record carrying `error` instead of stopping the stream.
        """
        size = int(batch_size or self.chunk_size)
        if size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        batch: list = []
        offset = 0
        for item in items:
            batch.append(item)
            if len(batch) == size:
                yield from self._pipe_batch(batch, offset, columns or ColumnMap(), source)
                offset += len(batch)
                batch = []
        if batch:
            yield from self._pipe_batch(batch, offset, columns or ColumnMap(), source)

    def _pipe_batch(self, items: list, offset: int, columns: ColumnMap, source: str) -> list[dict]:
        return self.enrich_json(self.canonical_items(items, columns, source, first_row=offset + 1))

    def canonical_items(
        self, items: list, columns: ColumnMap | None = None, source: str = "<items>", first_row: int = 1
    ) -> pd.DataFrame:
        """Input items (dicts, strings or `InvalidItem`s) as one canonical chunk,
        checked like a file's rows; `first_row` numbers the first item in
        generated ids and error messages."""
        columns = columns or ColumnMap()
        rows: list[dict] = []
        invalid: dict[int, InvalidItem] = {}
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                rows.append({str(key): value for key, value in item.items()})
            elif isinstance(item, str):
                rows.append({columns.text or "text": item})
            else:
                if not isinstance(item, InvalidItem):
                    item = InvalidItem(f"{source} row {first_row + i}: expected a dict or a string, "
                                       f"found {type(item).__name__}")
                invalid[i] = item
                rows.append({})
        # dtype=object: no type inference (pandas' Arrow strings reject lone
        # surrogates; the row checks below report them per item instead).
        frame = pd.DataFrame(rows, index=range(len(rows)), dtype=object)
        chunk = self._canonical_frame(frame, columns, source, first_row)
        for i, bad in invalid.items():
            chunk.at[i, "error"] = bad.error
            if bad.id is not None:
                chunk.at[i, "id"] = bad.id
        return chunk

    def enrich_json(self, chunk: pd.DataFrame) -> list[dict]:
        """Enrich a canonical chunk into JSON-ready dicts, as the JSONL output holds them."""
        records = records_to_frame(self.enrich_records(chunk))
        return [_JSON_ROW(row) for row in to_arrow(records).to_pylist()]

    def _canonical_frame(self, frame: pd.DataFrame, columns: ColumnMap, source: str, first_row: int) -> pd.DataFrame:
        def build() -> pd.DataFrame:
            return canonical_frame(frame, columns, source=source, first_row=first_row,
                                   max_text_chars=self.max_text_chars)

        try:
            return build()
        except InputError:
            # A batch in which no item has the text column (or a named one):
            # each item becomes an "empty text" error, not the whole stream.
            present = {normalise_name(c) for c in frame.columns}
            for f in dataclass_fields(ColumnMap):
                name = getattr(columns, f.name)
                if name is not None and normalise_name(name) not in present:
                    frame[name] = None
            if columns.text is None and columns.turns is None and "text" not in frame.columns:
                frame["text"] = None
            return build()


# One record as JSON-ready values (maps as dicts, timestamps in ISO 8601,
# NaN as None): what the JSONL writer writes.
_JSON_ROW = _row_converter(ARROW_SCHEMA)


def to_doc(row: dict, mask: bool = True) -> FeedbackDoc:
    """A canonical input row (see `io.FEEDBACK_COLUMNS`) as a doc to enrich.

    Personal data is masked here, before any component reads the text: the
    units, their offsets, evidence spans and topic quotes all derive from the
    masked text, and the models never read the raw values. `pii_found` lists
    the types found either way.
    """
    fields = {k: row.get(k) for k in ("id", "text", "lang", "channel", "created_at", "rating", "nps", "csat",
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


def _copy_taxonomy(source: Path, dest: Path, folder: Path) -> None:
    """Copy a taxonomy file and the chain of files it extends (`extends: default`
    included) into `folder`, so the copy loads without the original files."""
    text = source.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    parent = data.get("extends") if isinstance(data, dict) else None
    if isinstance(parent, str):
        parent_source = default_taxonomy() if parent == "default" else (source.parent / parent).resolve()
        name = f"{dest.stem}_extends.yaml"
        _copy_taxonomy(parent_source, folder / name, folder)
        text = re.sub(r"(?m)^extends:.*$", f"extends: {name}", text, count=1)
    dest.write_text(text, encoding="utf-8")


def _is_rule_path(value) -> bool:
    """A rule file setting (`voc_nlp.rules`): a path to a YAML file, `{lang}` for one per language."""
    return isinstance(value, str) and value.endswith(".yaml")


def _rule_paths_resolved(value, base_dir: Path):
    """A component's settings with rule-file paths, at any depth, resolved against the config's folder."""
    if isinstance(value, dict):
        return {k: _rule_paths_resolved(v, base_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [_rule_paths_resolved(v, base_dir) for v in value]
    return str((base_dir / value).resolve()) if _is_rule_path(value) else value


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
