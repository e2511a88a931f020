"""Write enriched records to Parquet, JSON Lines, CSV or DuckDB.

Every writer takes DataFrames whose columns are those of
`voc_nlp.schema.ARROW_SCHEMA` (nested values as Python lists and dicts) and
first converts them to an Arrow table with that schema. That single
conversion is where a wrong type is caught, whatever the output format, and
it is what every format is written from, so all formats hold the same values.

    with open_writer("out.parquet") as writer:
        for chunk in chunks:
            writer.write(records_to_frame(chunk))

Writing is atomic, so a killed or failed run never leaves a partial file at
the output path and never destroys the file that was there:

- Parquet, JSONL and CSV are written to a hidden temporary file beside the
  target (".out.parquet.<pid>.tmp") and renamed over it by `close`; leaving
  the `with` block with an exception deletes the temporary file instead. A
  temporary file left by a killed run is deleted by the next run.
- DuckDB writes the whole run in one transaction, committed by `close`:
  DuckDB discards a transaction that was never committed, so after a kill
  the table is as it was before the run.

`metadata` (string key-values; `Pipeline.provenance()`: versions, config hash,
taxonomy) says what made the records: Parquet key-value metadata, a sidecar
`OUTPUT.meta.json` beside a JSONL or CSV file, or rows of the DuckDB table
`voc_nlp_meta` (table_name, key, value). `read_metadata` reads it back.
"""

from __future__ import annotations

import csv
import glob
import json
import math
import os
from abc import ABC, abstractmethod
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from voc_nlp.io.errors import InputError
from voc_nlp.schema import ARROW_SCHEMA, NESTED_COLUMNS, EnrichedRecord

# duckdb is imported by the DuckDB writer and reader only: most runs write
# Parquet or JSONL, and it takes 0.1 s to import.


def records_to_frame(records: list[EnrichedRecord]) -> pd.DataFrame:
    """A DataFrame of `records`, columns in ARROW_SCHEMA order.

    dtype=object keeps None as None and lists, dicts and Timestamps as they
    are, instead of letting pandas turn them into NaN or its own types.
    """
    return pd.DataFrame(
        [record.to_dict() for record in records],
        columns=list(ARROW_SCHEMA.names),
        dtype=object,
    )


def to_arrow(records: pd.DataFrame) -> pa.Table:
    """Convert records to an Arrow table with exactly ARROW_SCHEMA.

    Columns not in the schema are ignored; a missing one is a programming
    error (ValueError), as is a value of the wrong type (pyarrow's error).
    """
    missing = [name for name in ARROW_SCHEMA.names if name not in records.columns]
    if missing:
        raise ValueError(f"records lack output columns: {', '.join(missing)}")
    frame = records[list(ARROW_SCHEMA.names)]
    table = pa.Table.from_pandas(frame, schema=ARROW_SCHEMA, preserve_index=False)
    # Drop the pandas metadata from_pandas adds: the files should describe
    # the schema, not the DataFrame it happened to come from.
    return table.replace_schema_metadata(None)


class RecordWriter(ABC):
    """Base class: writes tables chunk by chunk to one output.

    Subclasses implement `_write_table` (returning the rows written),
    `_close` and `_abort`. Use as a context manager: the output is
    completed when the block ends normally and abandoned, leaving any
    previous output untouched, when it ends with an exception.
    `rows_written` counts the rows written so far (for DuckDB, after
    dropping an id repeated within one `write` call).
    """

    def __init__(self, path: str, metadata: dict[str, str] | None = None):
        self.path = path
        self.metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
        self.rows_written = 0
        self._closed = False

    def write(self, records: pd.DataFrame) -> None:
        """Append the rows of `records` (columns of ARROW_SCHEMA)."""
        self.write_table(to_arrow(records))

    def write_table(self, table: pa.Table) -> None:
        """Append the rows of an Arrow table that has ARROW_SCHEMA (as `to_arrow` makes)."""
        if self._closed:
            raise ValueError(f"{self.path}: writer is closed")
        if table.num_rows:
            self.rows_written += self._write_table(table)

    def close(self) -> None:
        """Complete the output (it appears at `path` only now); calling it again does nothing."""
        if not self._closed:
            self._closed = True
            self._close()

    def abort(self) -> None:
        """Abandon the output: whatever was at `path` before stays as it was."""
        if not self._closed:
            self._closed = True
            self._abort()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @abstractmethod
    def _write_table(self, table: pa.Table) -> int:
        """Write a non-empty table with ARROW_SCHEMA; return the rows written."""

    @abstractmethod
    def _close(self) -> None:
        """Flush, release and publish the output."""

    @abstractmethod
    def _abort(self) -> None:
        """Release the output without publishing anything."""


class _FileRecordWriter(RecordWriter):
    """A writer of one file, written as a temporary file renamed at the end.

    The temporary file is in the target's folder, so the rename is on one
    file system, where `os.replace` is atomic: a reader sees the old file or
    the new one, never half of one.
    """

    def __init__(self, path: str, metadata: dict[str, str] | None = None):
        super().__init__(path, metadata)
        _remove_stale_temporaries(path)
        self.temp_path = _temp_path(path, os.getpid())

    def _close(self) -> None:
        self._close_file()
        # On disk before the rename, or a power cut could publish an empty file.
        with open(self.temp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.temp_path, self.path)
        self._write_sidecar()

    def _write_sidecar(self) -> None:
        """JSONL and CSV: the metadata in OUTPUT.meta.json (an old one removed when there is none)."""
        sidecar = metadata_sidecar(self.path)
        if not self.metadata:
            if os.path.exists(sidecar):
                os.remove(sidecar)
            return
        temp = _temp_path(sidecar, os.getpid())
        with open(temp, "w", encoding="utf-8") as fh:
            json.dump(self.metadata, fh, ensure_ascii=False, indent=1)
        os.replace(temp, sidecar)

    def _abort(self) -> None:
        try:
            self._close_file()
        finally:
            if os.path.exists(self.temp_path):
                os.remove(self.temp_path)

    @abstractmethod
    def _close_file(self) -> None:
        """Flush and close the temporary file."""


def _temp_path(path: str, pid: int) -> str:
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.{pid}.tmp")


def _remove_stale_temporaries(path: str) -> None:
    """Delete temporary files that killed runs left beside `path`.

    A temporary file carries its writer's process id; one whose process
    still runs belongs to a run in progress and is left alone.
    """
    folder, name = os.path.split(path)
    for temp in glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(name)}.*.tmp")):
        pid = temp[: -len(".tmp")].rsplit(".", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            try:
                os.remove(temp)
            except FileNotFoundError:
                pass  # another run got there first


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours, left by an earlier writer of this process
    try:
        os.kill(pid, 0)  # signal 0: no signal sent, only checks the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to another user
    return True


class ParquetRecordWriter(_FileRecordWriter):
    """One Parquet file; `write` calls are gathered into row groups of at least `row_group_rows` rows.

    Why gather: the Parquet writer keeps every row group's metadata (about 8 KB serialised for
    this schema's 68 columns) in memory until it writes the footer. One row group per 1,000-row
    chunk made memory grow with the file (+13 % RSS from 100k to 1M rows) and made files slow
    to scan. The 20,000 buffered rows cost a fixed ~80 MB instead (scripts/bench_scale.py:
    510 MB at 100k rows, 509 MB at 1M).
    """

    ROW_GROUP_ROWS = 20_000

    def __init__(self, path: str, metadata: dict[str, str] | None = None, row_group_rows: int = ROW_GROUP_ROWS):
        super().__init__(path, metadata)
        schema = ARROW_SCHEMA.with_metadata(self.metadata) if self.metadata else ARROW_SCHEMA
        self._writer = pq.ParquetWriter(self.temp_path, schema, compression="zstd")
        self.row_group_rows = row_group_rows
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def _write_table(self, table: pa.Table) -> int:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= self.row_group_rows:
            self._flush()
        return table.num_rows

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=self._pending_rows)
            self._pending, self._pending_rows = [], 0

    def _close_file(self) -> None:
        self._flush()
        self._writer.close()

    def _abort(self) -> None:
        self._pending, self._pending_rows = [], 0  # nothing is published: no need to write them
        super()._abort()

    def _write_sidecar(self) -> None:
        pass  # in the file's own key-value metadata


class JsonlRecordWriter(_FileRecordWriter):
    """One JSON object per line, UTF-8: maps as objects, timestamps in ISO
    8601, NaN and missing values as null."""

    def __init__(self, path: str, metadata: dict[str, str] | None = None):
        super().__init__(path, metadata)
        self._file = open(self.temp_path, "w", encoding="utf-8", newline="\n")
        self._convert = _row_converter(ARROW_SCHEMA)

    def _write_table(self, table: pa.Table) -> int:
        for row in table.to_pylist():
            record = self._convert(row)
            self._file.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        return table.num_rows

    def _close_file(self) -> None:
        self._file.close()


class CsvRecordWriter(_FileRecordWriter):
    """A CSV file with a header; nested columns hold JSON text."""

    def __init__(self, path: str, metadata: dict[str, str] | None = None):
        super().__init__(path, metadata)
        self._file = open(self.temp_path, "w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._convert = _row_converter(ARROW_SCHEMA)
        # Written now, so even a run with no records leaves a valid file.
        self._csv.writerow(ARROW_SCHEMA.names)

    def _write_table(self, table: pa.Table) -> int:
        for row in table.to_pylist():
            record = self._convert(row)
            self._csv.writerow(_csv_cell(name, record[name]) for name in ARROW_SCHEMA.names)
        return table.num_rows

    def _close_file(self) -> None:
        self._file.close()


class DuckDBRecordWriter(RecordWriter):
    """A table in a DuckDB database, created if missing.

    Appending never duplicates an id: a record whose id is already in the
    table replaces the old row, so re-running on updated input updates it.
    Within one `write` call the last record of an id wins.

    The whole run is one transaction, committed by `close`: other readers,
    and the database after a crash or a kill, see the table as it was
    before the run until then.
    """

    def __init__(self, path: str, table: str = "feedback", metadata: dict[str, str] | None = None):
        import duckdb

        super().__init__(path, metadata)
        self.table = table
        self._name = _quote_identifier(table)
        try:
            self._con = duckdb.connect(path)
        except duckdb.Error as exc:
            raise InputError(f"{path}: cannot open as a DuckDB database ({exc})") from exc
        self._con.execute("BEGIN TRANSACTION")
        # Letting DuckDB derive the table from an empty Arrow table maps
        # every type (LIST, STRUCT, MAP, TIMESTAMPTZ) the way it maps data.
        self._con.register("voc_empty", ARROW_SCHEMA.empty_table())
        try:
            self._con.execute(f"CREATE TABLE IF NOT EXISTS {self._name} AS SELECT * FROM voc_empty")
        finally:
            self._con.unregister("voc_empty")
        if self.metadata:
            self._con.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} "
                              "(table_name VARCHAR, key VARCHAR, value VARCHAR)")
            self._con.execute(f"DELETE FROM {META_TABLE} WHERE table_name = ?", [table])
            self._con.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?, ?)",
                                  [[table, k, v] for k, v in self.metadata.items()])

    def _write_table(self, table: pa.Table) -> int:
        import duckdb

        table = _last_row_per_id(table)
        self._con.register("voc_batch", table)
        try:
            # Inside the run's transaction: a reader never sees the old rows
            # deleted but the new ones not yet inserted.
            self._con.execute(f"DELETE FROM {self._name} WHERE id IN (SELECT id FROM voc_batch)")
            self._con.execute(f"INSERT INTO {self._name} BY NAME SELECT * FROM voc_batch")
        except duckdb.Error as exc:
            raise InputError(
                f"{self.path}: could not add records to table {self.table!r} ({exc}); nothing "
                "was written; if the table was made by another program or version, write to a "
                "new table with --table"
            ) from exc
        finally:
            self._con.unregister("voc_batch")
        return table.num_rows

    def _close(self) -> None:
        try:
            self._con.execute("COMMIT")
        finally:
            self._con.close()

    def _abort(self) -> None:
        import duckdb

        try:
            self._con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # a failed statement may have ended the transaction already
        finally:
            self._con.close()


WRITERS: dict[str, type[RecordWriter]] = {
    ".parquet": ParquetRecordWriter,
    ".jsonl": JsonlRecordWriter,
    ".csv": CsvRecordWriter,
    ".duckdb": DuckDBRecordWriter,
}


def writer_for(path: str) -> type[RecordWriter]:
    """The writer class of `path`'s extension; InputError naming the ones there are."""
    extension = os.path.splitext(path.lower())[1]
    if extension not in WRITERS:
        raise InputError(
            f"{path}: unknown output type {extension or '(no extension)'!r}; "
            f"use one of {', '.join(WRITERS)}"
        )
    return WRITERS[extension]


def open_writer(path: str, table: str = "feedback", metadata: dict[str, str] | None = None) -> RecordWriter:
    """A writer for `path`, chosen by its extension; `table` is for DuckDB;
    `metadata` is stored with the records (see the module's docstring).

    Parquet, JSONL and CSV outputs are replaced when the writer closes; a
    DuckDB table is appended to. Missing parent folders are created.
    """
    writer_class = writer_for(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    if writer_class is DuckDBRecordWriter:
        return DuckDBRecordWriter(path, table, metadata)
    return writer_class(path, metadata)


# The DuckDB table holding each records table's metadata.
META_TABLE = "voc_nlp_meta"


def metadata_sidecar(path: str) -> str:
    """Where a JSONL or CSV output's metadata goes: OUTPUT.meta.json."""
    return path + ".meta.json"


def read_metadata(path: str, table: str | None = None) -> dict[str, str]:
    """The metadata a writer stored with the records at `path` ({} when none):
    a Parquet file's (the first of a glob), a JSONL/CSV sidecar's, or a DuckDB
    table's rows in voc_nlp_meta (`table`, default: feedback, or the only one)."""
    matches = sorted(glob.glob(path)) if any(ch in path for ch in "*?[") else [path]
    if not matches or not os.path.exists(matches[0]):
        return {}
    first = matches[0]
    lower = first.lower()
    try:
        if lower.endswith((".parquet", ".pq")):
            raw = pq.read_schema(first).metadata or {}
            return {k.decode("utf-8"): v.decode("utf-8") for k, v in raw.items()
                    if k.startswith(b"voc_nlp.")}
        if lower.endswith((".duckdb", ".db")):
            return _duckdb_metadata(first, table)
        sidecar = metadata_sidecar(first)
        if os.path.exists(sidecar):
            with open(sidecar, encoding="utf-8") as fh:
                data = json.load(fh)
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError, pa.ArrowException):
        return {}  # no readable metadata: the caller falls back to its defaults
    return {}


def _duckdb_metadata(path: str, table: str | None) -> dict[str, str]:
    import duckdb

    try:
        with duckdb.connect(path, read_only=True) as con:
            if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = ?", [META_TABLE]).fetchall():
                return {}
            rows = con.execute(f"SELECT table_name, key, value FROM {META_TABLE}").fetchall()
    except (OSError, ValueError, duckdb.Error):
        return {}  # no readable metadata: the caller falls back to its defaults
    names = {r[0] for r in rows}
    name = table or ("feedback" if "feedback" in names or len(names) != 1 else next(iter(names)))
    return {k: v for t, k, v in rows if t == name}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _row_converter(schema: pa.Schema) -> Callable[[dict], dict]:
    """A function turning one `to_pylist()` row into JSON-ready values."""
    converters = {f.name: _value_converter(f.type) for f in schema}
    return lambda row: {name: convert(row[name]) for name, convert in converters.items()}


def _value_converter(arrow_type: pa.DataType) -> Callable[[Any], Any]:
    """A function making a value of `arrow_type` JSON-ready, built once per
    type rather than re-inspecting the type for every value.

    Maps come out of Arrow as lists of (key, value) pairs: back to dicts.
    float32 values come out with float32 noise (0.9 -> 0.8999999761...):
    print them as the shortest decimal that is the same float32.
    """
    if pa.types.is_map(arrow_type):
        key, item = _value_converter(arrow_type.key_type), _value_converter(arrow_type.item_type)
        return _none_safe(lambda pairs: {key(k): item(v) for k, v in pairs})
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        item = _value_converter(arrow_type.value_type)
        return _none_safe(lambda values: [item(v) for v in values])
    if pa.types.is_struct(arrow_type):
        fields = {f.name: _value_converter(f.type) for f in arrow_type}
        return _none_safe(lambda struct: {name: fields[name](struct.get(name)) for name in fields})
    if pa.types.is_timestamp(arrow_type):
        return _none_safe(lambda moment: moment.isoformat())
    if pa.types.is_float32(arrow_type):
        return lambda number: None if _not_finite(number) else float(str(np.float32(number)))
    if pa.types.is_floating(arrow_type):
        return lambda number: None if _not_finite(number) else number
    return lambda value: value


def _none_safe(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _not_finite(number: float | None) -> bool:
    """JSON has no NaN or infinity: those, like None, are written as null."""
    return number is None or not math.isfinite(number)


def _csv_cell(name: str, value: Any) -> str:
    """One CSV cell: JSON text for nested columns, plain text otherwise."""
    if value is None:
        return ""
    if name in NESTED_COLUMNS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON columns
    return str(value)


def _last_row_per_id(table: pa.Table) -> pa.Table:
    """Keep only the last row of each id (rows without an id are all kept)."""
    ids = table.column("id").to_pylist()
    last = {row_id: i for i, row_id in enumerate(ids) if row_id is not None}
    keep = sorted(set(last.values()) | {i for i, row_id in enumerate(ids) if row_id is None})
    return table if len(keep) == len(ids) else table.take(keep)


def _quote_identifier(name: str) -> str:
    """`name` as a DuckDB identifier, safe whatever characters it holds."""
    if not name:
        raise InputError("the DuckDB table name is empty")
    return '"' + name.replace('"', '""') + '"'
