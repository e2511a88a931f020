"""Reading feedback files and writing enriched records.

- `read_feedback` streams CSV/TSV/TXT, JSONL, JSON, Parquet and .xlsx input as
  chunks of canonical rows (see `readers.FEEDBACK_COLUMNS`).
- `open_writer` writes records to Parquet, JSONL, CSV or DuckDB, atomically.
- `checkpoints` saves each chunk's records so a killed run can be resumed.
- `InputError` is a problem the user can fix; the CLI prints it and exits 2.
"""

from voc_nlp.io.columns import ColumnMap, resolve_columns
from voc_nlp.io.errors import InputError

# Readers and writers import pandas and pyarrow: loaded on first use, so the
# CLI can parse its arguments (and `voc-nlp --help` answer) without them.
_LAZY = {
    "FEEDBACK_COLUMNS": "readers", "canonical_frame": "readers", "read_feedback": "readers",
    "RecordWriter": "writers", "open_writer": "writers", "records_to_frame": "writers", "to_arrow": "writers",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"voc_nlp.io.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ColumnMap",
    "FEEDBACK_COLUMNS",
    "canonical_frame",
    "InputError",
    "RecordWriter",
    "open_writer",
    "read_feedback",
    "records_to_frame",
    "resolve_columns",
    "to_arrow",
]
