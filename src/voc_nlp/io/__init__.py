"""Reading feedback files and writing enriched records.

- `read_feedback` streams CSV/TSV/TXT, JSONL, JSON, Parquet and .xlsx input as
  chunks of canonical rows (see `readers.FEEDBACK_COLUMNS`).
- `open_writer` writes records to Parquet, JSONL, CSV or DuckDB, atomically.
- `checkpoints` saves each chunk's records so a killed run can be resumed.
- `InputError` is a problem the user can fix; the CLI prints it and exits 2.
"""

from voc_nlp.io.columns import ColumnMap, resolve_columns
from voc_nlp.io.errors import InputError
from voc_nlp.io.readers import FEEDBACK_COLUMNS, canonical_frame, read_feedback
from voc_nlp.io.writers import RecordWriter, open_writer, records_to_frame, to_arrow

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
