"""Read customer feedback files into chunks of canonical rows.

`read_feedback` is the only public entry point. It takes CSV/TSV/TXT, JSON
Lines, JSON arrays, Parquet and Excel .xlsx files (text formats optionally
gzipped) and
yields pandas DataFrames of at most `chunk_size` rows with the columns in
`FEEDBACK_COLUMNS`.

Two promises shape this module:

* **Streaming.** No file is ever loaded whole: CSV and JSONL are read line by
  line, JSON arrays item by item, Parquet batch by batch. Memory stays flat
  however large the input.
* **One output row per input row, in order.** A bad row is never dropped or
  raised on: it comes out with `error` set ("<file> row <n>: <reason>") and
  whatever content could be recovered, so the user can find and fix it, and
  the rows around it are unaffected. A row that can be read with a guess
  (a Latin-1 row in a UTF-8 file, a row with too many or too few fields)
  is kept with a warning saying what was guessed. `InputError` is kept for
  problems with the whole file (missing, unknown type, no text column, not
  JSON at all, no data rows).

How each file is read:

    format reader (_iter_csv, _iter_jsonl, ...)  ->  _RawRow per input row
        raw values by canonical field, plus problems met while parsing
    _build_row                                   ->  canonical dict
        ids, text, turns, dates and ratings cleaned; checks for empty or
        over-long text and undecodable bytes
    _stream_chunks                               ->  DataFrame of chunk_size rows
"""

from __future__ import annotations

import codecs
import csv
import glob
import gzip
import hashlib
import io
import itertools
import json
import math
import os
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from voc_nlp.io.columns import ColumnMap, resolve_columns
from voc_nlp.io.errors import InputError

# Columns of every chunk `read_feedback` yields, in this order.
FEEDBACK_COLUMNS = (
    "id", "text", "turns", "lang", "channel", "created_at", "rating", "nps", "csat",
    "source_file", "source_row", "warnings", "error",
)

# File extensions (after an optional ".gz") and the reader for each.
FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
}

# Formats that are binary containers: never gzipped, no text encoding.
BINARY_FORMATS = {"parquet", "xlsx"}

# A CSV record still open after this many physical lines is taken to be an
# unclosed quote swallowing the rest of the file, not a long multi-line review
# (20,000 characters over 1,000 lines would be a very odd review).
MAX_RECORD_LINES = 1000

# Candidate CSV delimiters, in order of preference when the evidence is equal.
CSV_DELIMITERS = ",;\t|"

# Lines looked at to guess the CSV delimiter.
SNIFF_LINES = 50

# The csv module refuses fields over 128 KiB by default; a pasted log or
# e-mail thread can be longer. Over-long texts are cut (max_text_chars) and
# flagged later, so let the parser read them whole.
csv.field_size_limit(2**31 - 1)

# A delimiter that never occurs in real text, for single-column files: their
# text is then never split at a comma or semicolon it happens to contain.
_SINGLE_COLUMN = "\x1f"

# JSON Lines objects looked at to learn the file's keys (they may vary by line).
JSONL_SAMPLE_OBJECTS = 100

# JSON arrays are read in blocks of this many characters; one item may not be
# larger than JSON_MAX_ITEM_CHARS, so a broken file cannot fill the memory.
JSON_BLOCK_CHARS = 1 << 20
JSON_MAX_ITEM_CHARS = 64 << 20

# Rows per Parquet batch read from disk.
PARQUET_BATCH_ROWS = 1024

# Lone surrogates: bytes that did not decode (errors="surrogateescape"), or
# invalid \ud800-style escapes in JSON. Neither can be written out as UTF-8.
_SURROGATES = re.compile("[\ud800-\udfff]")

# A run of bytes that did not decode: surrogateescape maps byte b to U+DC00+b.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")

# Encoding tried, row by row, for bytes that are not UTF-8: Windows-1252 is
# what Excel and most Western European exports write (a superset of Latin-1's
# printable characters).
FALLBACK_ENCODING = "cp1252"


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------


def read_feedback(
    paths: list[str],
    columns: ColumnMap | None = None,
    chunk_size: int = 1000,
    encoding: str | None = None,
    max_text_chars: int = 20000,
    sheet: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Stream the rows of `paths` as DataFrames of at most `chunk_size` rows.

    `paths` are file names or glob patterns ("data/*.csv"), read in the order
    given, each pattern's matches sorted. `columns` names the input columns to
    use (None fields are auto-detected, see `columns.resolve_columns`).
    `encoding` applies to text formats; by default UTF-8, with or without BOM
    (UTF-16 is recognised by its BOM or its NUL bytes), and a row that is not
    UTF-8 is read as cp1252. Text longer than `max_text_chars` is
    truncated and its row flagged. `sheet` names the sheet of .xlsx files
    (default: the first).

    Paths, file types, options, each file's columns and that each file has
    at least one data row are checked before this returns (by reading each
    file's first row), so a typo or an empty export fails at once rather
    than after the first files have been processed.

    Each chunk has the columns `FEEDBACK_COLUMNS`:

    - id: str; the input id, or "vc-" + 16 hex digits derived from the file
      name, row number and text when the input has none
    - text: str ("" for a chat given only as turns)
    - turns: list of {"speaker", "text"} dicts, or None
    - lang, channel: str or None
    - created_at: pandas Timestamp in UTC, or None
    - rating: float or None
    - nps: likelihood to recommend, an integer 0-10 (as a float), or None
    - csat: satisfaction 1-5 (a float), or None
    - source_file: the path as given (or as matched by a glob)
    - source_row: 1-based row number (CSV: record after the header; JSONL:
      line number; JSON: item number; Parquet: row number; xlsx: row after
      the header)
    - warnings: list of str: values set to None because unparseable, fields
      added or merged in a ragged CSV row, a row read as cp1252, NULs removed
    - error: None, or "<file> <row|line|item> <n>: <reasons>" for a row that
      should not be analysed
    """
    if chunk_size < 1:
        raise InputError(f"chunk size must be at least 1, got {chunk_size}")
    if max_text_chars < 1:
        raise InputError(f"max_text_chars must be at least 1, got {max_text_chars}")
    columns = columns or ColumnMap()
    files = check_inputs(paths, columns, encoding, sheet)
    return _stream_chunks(files, columns, chunk_size, encoding, max_text_chars, sheet)


def check_inputs(
    paths: list[str], columns: ColumnMap | None = None, encoding: str | None = None,
    sheet: str | None = None,
) -> list[str]:
    """The files `paths` name, each checked by reading its first row.

    Raises `InputError` for a missing file, an unknown type, a column that is
    not there, or a file without a single data row (empty, or a header
    only): an empty export is nearly always a failed export, better said
    at once than answered with an empty output.
    """
    if encoding is not None:
        _check_encoding(encoding)
    files = expand_paths(paths)
    for path in files:
        rows = _read_file(path, columns or ColumnMap(), encoding, 20000, sheet)
        try:
            first = next(rows, None)
        finally:
            rows.close()  # closes the file now, not whenever the generator is collected
        if first is None:
            raise InputError(f"{path}: no data rows (the file is empty or has only a header); "
                             "nothing to enrich")
    return files


def count_rows(path: str, columns: ColumnMap | None = None, encoding: str | None = None,
               sheet: str | None = None) -> int:
    """How many rows `read_feedback` yields for `path`, by reading it once without
    building rows. For the progress bar of formats with no cheaper count (JSON
    arrays, .xlsx); it parses the file, which costs far less than enriching it."""
    fmt, gzipped = file_format(path)
    ctx = _FileContext(path, gzipped, encoding, 20000, sheet=sheet)
    format_reader = {"csv": _iter_csv, "jsonl": _iter_jsonl, "json": _iter_json, "parquet": _iter_parquet,
                     "xlsx": _iter_xlsx}[fmt]
    return sum(1 for _ in format_reader(ctx, columns or ColumnMap()))


def expand_paths(paths: list[str]) -> list[str]:
    """Expand globs and check that every file exists and has a known type.

    Returns the files in order, without duplicates (so "*.csv extra.csv" does
    not read extra.csv twice).
    """
    if not paths:
        raise InputError("no input files given")
    files: list[str] = []
    for path in paths:
        if glob.has_magic(path):
            matches = sorted(p for p in glob.glob(path, recursive=True) if os.path.isfile(p))
            if not matches:
                raise InputError(f"{path}: no files match this pattern")
        elif os.path.isdir(path):
            raise InputError(
                f"{path}: is a directory; give files or a pattern such as {path}/*.csv"
            )
        elif not os.path.exists(path):
            raise InputError(f"{path}: file not found")
        else:
            matches = [path]
        for match in matches:
            file_format(match)  # raises InputError for an unknown extension
            if match not in files:
                files.append(match)
    return files


def file_format(path: str) -> tuple[str, bool]:
    """Return (format, gzipped) for `path` from its extension."""
    name = path.lower()
    gzipped = name.endswith(".gz")
    if gzipped:
        name = name[: -len(".gz")]
    extension = os.path.splitext(name)[1]
    fmt = FORMATS.get(extension)
    if fmt is None or (gzipped and fmt in BINARY_FORMATS):
        known = ", ".join(FORMATS)
        raise InputError(
            f"{path}: unsupported file type {extension + ('.gz' if gzipped else '')!r}; "
            f"expected one of {known} (text formats may also end in .gz)"
        )
    return fmt, gzipped


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r} (try utf-8, latin-1 or cp1252)") from None


def canonical_frame(
    frame: pd.DataFrame,
    columns: ColumnMap | None = None,
    source: str = "<dataframe>",
    first_row: int = 1,
    max_text_chars: int = 20000,
) -> pd.DataFrame:
    """An in-memory DataFrame as one canonical chunk, checked like a file's rows.

    The Python API (`Pipeline.enrich`) goes through the same row building as
    `read_feedback`: same column detection, ids, dates, ratings and errors.
    """
    ctx = _FileContext(source, False, None, max_text_chars)
    ctx.columns = resolve_columns([str(c) for c in frame.columns], columns or ColumnMap(), source)
    rows = []
    for number, record in enumerate(frame.to_dict("records"), start=first_row):
        values = {f: record.get(col) for f, col in ctx.columns.items() if col is not None}
        rows.append(_build_row(_RawRow(number, values), ctx))
    return _to_frame(rows)


# --------------------------------------------------------------------------
# From files to chunks
# --------------------------------------------------------------------------


@dataclass
class _FileContext:
    """What the row-building code needs to know about the file being read."""

    path: str
    gzipped: bool
    encoding: str | None  # as given by the user; None = detect
    max_text_chars: int
    label: str = "row"  # how a position is named in messages: row, line, item
    columns: dict[str, str | None] = field(default_factory=dict)  # set after the header
    encoding_name: str = "utf-8"  # the encoding actually used, for messages
    sheet: str | None = None  # .xlsx: the sheet to read; None = the first


@dataclass
class _RawRow:
    """One input row as read, before cleaning."""

    number: int  # source_row
    values: dict[str, Any]  # canonical field -> raw value (absent: no such column)
    problems: list[str] = field(default_factory=list)  # make the row an error
    warnings: list[str] = field(default_factory=list)


def _stream_chunks(
    files: list[str], columns: ColumnMap, chunk_size: int, encoding: str | None,
    max_text_chars: int, sheet: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Concatenate the rows of all files and cut them into chunks."""
    chunk: list[dict] = []
    for path in files:
        for row in _read_file(path, columns, encoding, max_text_chars, sheet):
            chunk.append(row)
            if len(chunk) == chunk_size:
                yield _to_frame(chunk)
                chunk = []
    if chunk:
        yield _to_frame(chunk)


def _read_file(
    path: str, columns: ColumnMap, encoding: str | None, max_text_chars: int,
    sheet: str | None = None,
) -> Iterator[dict]:
    """The canonical rows of one file."""
    fmt, gzipped = file_format(path)
    ctx = _FileContext(path, gzipped, encoding, max_text_chars, sheet=sheet)
    format_reader = {
        "csv": _iter_csv, "jsonl": _iter_jsonl, "json": _iter_json, "parquet": _iter_parquet,
        "xlsx": _iter_xlsx,
    }[fmt]
    try:
        for raw in format_reader(ctx, columns):
            yield _build_row(raw, ctx)
    except (OSError, EOFError, UnicodeError, pa.ArrowException) as exc:
        # A corrupt gzip or Parquet file, a disk error: nothing row-level
        # can be said, so stop with a message rather than a traceback.
        raise InputError(f"{path}: could not read the file ({exc})") from exc


def _to_frame(rows: list[dict]) -> pd.DataFrame:
    # dtype=object keeps None as None (pandas would turn it into NaN) and keeps
    # lists, dicts and Timestamps as they are.
    frame = pd.DataFrame(rows, columns=list(FEEDBACK_COLUMNS), dtype=object)
    frame["source_row"] = frame["source_row"].astype("int64")
    return frame


def _open_text(ctx: _FileContext) -> io.TextIOWrapper:
    """Open a text file (maybe gzipped) for streaming.

    Bytes that do not decode become lone surrogates (errors="surrogateescape")
    instead of failing the whole file; `_build_row` then flags the row.
    newline="" leaves line endings to the csv module, as its docs require.
    """
    binary = gzip.open(ctx.path, "rb") if ctx.gzipped else open(ctx.path, "rb")
    encoding = ctx.encoding or _detect_encoding(binary)
    ctx.encoding_name = encoding.removesuffix("-sig")
    return io.TextIOWrapper(binary, encoding=encoding, errors="surrogateescape", newline="")


def _detect_encoding(binary) -> str:
    """UTF-8 unless a BOM says otherwise; "utf-8-sig" drops a UTF-8 BOM.

    UTF-16 without a BOM (some Windows exports) is recognised by its NUL
    bytes: ASCII text in UTF-16-LE has a NUL after every character.
    """
    head = binary.peek(4096)[:4096]
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    pairs = len(head) // 2
    if pairs >= 2:
        odd_nuls = head[1::2].count(0) / pairs
        even_nuls = head[0::2].count(0) / pairs
        if odd_nuls > 0.9 and even_nuls < 0.1:
            return "utf-16-le"
        if even_nuls > 0.9 and odd_nuls < 0.1:
            return "utf-16-be"
    return "utf-8"


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


class _RunawayRecord(Exception):
    """A CSV record has gone on for more than MAX_RECORD_LINES lines."""


class _LineSource:
    """The physical lines of a CSV file, handed to `csv.reader` one at a time.

    `csv.reader` pulls exactly the lines one record needs and no more, so by
    watching what it pulls we know which lines each record came from. When a
    record goes wrong those lines can be pushed back and read again.
    """

    def __init__(self, lines: Iterable[str], max_record_lines: int):
        self._lines = iter(lines)
        self._pending: deque[tuple[int, str]] = deque()  # pushed-back lines
        self._line_number = 0
        self._max_record_lines = max_record_lines
        self.taken: list[tuple[int, str]] = []  # (line number, line) of this record
        self.reached_end = False  # this record ran into the end of the file

    def start_record(self) -> None:
        self.taken = []
        self.reached_end = False

    def next_line(self) -> tuple[int, str] | None:
        """The next (line number, line), or None at the end of the file."""
        if self._pending:
            return self._pending.popleft()
        try:
            line = next(self._lines)
        except StopIteration:
            return None
        self._line_number += 1
        return self._line_number, line

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        """Make `lines` the next ones read, in the same order."""
        self._pending.extendleft(reversed(lines))

    def __iter__(self):
        return self

    def __next__(self) -> str:
        # Raised through csv.reader, which passes our exceptions on.
        if len(self.taken) >= self._max_record_lines:
            raise _RunawayRecord(f"still open after {len(self.taken)} lines")
        numbered = self.next_line()
        if numbered is None:
            self.reached_end = True
            raise StopIteration
        self.taken.append(numbered)
        return numbered[1]


def _iter_csv(ctx: _FileContext, columns: ColumnMap) -> Iterator[_RawRow]:
    """Rows of a CSV/TSV/TXT file; the first non-blank line is the header."""
    default_delimiter = "\t" if ctx.path.lower().removesuffix(".gz").endswith(".tsv") else ","
    with _open_text(ctx) as stream:
        head = list(itertools.islice(stream, SNIFF_LINES))
        delimiter = _sniff_delimiter(head, default_delimiter)
        lines = _LineSource(itertools.chain(head, stream), MAX_RECORD_LINES)
        header = _read_header(lines, delimiter)
        if header is None:
            return  # empty file: nothing to read, nothing wrong
        ctx.columns = resolve_columns(header, columns, ctx.path)
        # The first column of that name, like resolve_columns picks.
        positions = {f: header.index(col) for f, col in ctx.columns.items() if col is not None}
        width = len(header)
        for number, (fields, problems, warnings) in enumerate(
            _csv_records(lines, delimiter, width), start=1
        ):
            if not problems and not _fits(fields, width):
                fields, ragged = _realign(fields, width, positions.get("text"), delimiter)
                warnings = warnings + [ragged]
            values = {f: fields[i] if i < len(fields) else None for f, i in positions.items()}
            yield _RawRow(number, values, problems, warnings)


def _realign(
    fields: list[str], width: int, text_index: int | None, delimiter: str
) -> tuple[list[str | None], str]:
    """Fit a one-line record with the wrong number of fields to the header.

    Missing fields are left empty. Extra fields are most often a review
    holding the delimiter unquoted ("Late, no refund"), so they are given
    back to the text column; without a text column they are dropped.
    Returns the fields and a warning saying what was done.
    """
    found = len(fields)
    while len(fields) > width and not fields[-1].strip():
        fields = fields[:-1]  # a trailing delimiter adds nothing
    said = f"expected {width} fields, found {found}"
    if len(fields) < width:
        return fields + [None] * (width - len(fields)), f"{said}; the missing ones left empty"
    extra = len(fields) - width
    if text_index is None:
        return fields[:width], f"{said}; the last {extra} ignored"
    end = text_index + extra + 1
    merged = fields[:text_index] + [delimiter.join(fields[text_index:end])] + fields[end:]
    return merged, f"{said}; the text taken to hold {extra} unquoted {delimiter!r}"


def _sniff_delimiter(head: list[str], default: str) -> str:
    """Guess the delimiter from the first lines of the file.

    The header decides when exactly one candidate splits it: column names
    rarely hold delimiters, while ragged or messy rows below it would mislead
    any count. Otherwise each candidate splits the header into some number
    of fields; the winner is the one whose following rows most often have
    that same number, then the one giving more fields. A header no candidate
    splits means a single-column file. (csv.Sniffer guesses wrong too often
    on prose.)
    """
    sample = [line for line in head if line.strip()]
    if not sample:
        return default
    candidates = default + CSV_DELIMITERS.replace(default, "")
    splitting = [d for d in candidates if len(_split_line(sample[0], d)) >= 2]
    if len(splitting) == 1:
        return splitting[0]
    best, best_score = None, None
    for delimiter in candidates:
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        score = (sum(width == widths[0] for width in widths[1:]), widths[0])
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best if best is not None else _SINGLE_COLUMN


def _read_header(lines: _LineSource, delimiter: str) -> list[str] | None:
    """The column names from the first non-blank line, or None if there is none."""
    while (numbered := lines.next_line()) is not None:
        line = numbered[1]
        if line.strip():
            names = _split_line(line, delimiter)
            # A BOM survives when the user gave encoding="utf-8" explicitly.
            names[0] = names[0].lstrip("\ufeff")
            return [name.strip() for name in names]
    return None


def _split_line(line: str, delimiter: str) -> list[str]:
    """Split one physical line into fields, tolerating broken quotes.

    A quote left open just runs to the end of this line, never further.
    """
    line = line.rstrip("\r\n")
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=False), [""])
    except csv.Error:  # e.g. a field over csv.field_size_limit()
        return line.split(delimiter)


def _csv_records(
    lines: _LineSource, delimiter: str, width: int
) -> Iterator[tuple[list[str], list[str], list[str]]]:
    """Yield (fields, problems, warnings) for each record after the header.

    Parsing is strict, so quoting mistakes raise instead of being glossed
    over. A record is suspect when the parser fails on it, when it runs past
    MAX_RECORD_LINES lines, or when it spans several lines and still has the
    wrong number of fields: all signs of an unclosed quote that has swallowed
    the rows after it. `_recover_record` then reads the record's first line
    on its own and puts the other lines back to be parsed normally, so the
    rows after a broken quote come through intact.
    """
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        lines.start_record()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except (csv.Error, _RunawayRecord) as exc:
            yield _recover_record(lines, delimiter, width, str(exc))
            # A reader that raised is stuck halfway through a record.
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            continue
        if not fields:
            continue  # a blank line is not a row
        if _fits(fields, width) or len(lines.taken) == 1:
            # A one-line record with the wrong number of fields is ragged,
            # not broken: the caller fits it to the header with a warning.
            yield fields, [], []
        else:
            yield _recover_record(
                lines, delimiter, width,
                f"the record spans {len(lines.taken)} lines and has {len(fields)} fields",
            )


def _fits(fields: list[str], width: int) -> bool:
    """Right number of fields? Extra empty fields at the end (a trailing
    delimiter, common in spreadsheet exports) do no harm and are allowed."""
    return len(fields) == width or (
        len(fields) > width and not any(f.strip() for f in fields[width:])
    )


def _recover_record(
    lines: _LineSource, delimiter: str, width: int, why: str
) -> tuple[list[str], list[str], list[str]]:
    """Read the first line of a failed record on its own; push back the rest."""
    first_number, first_line = lines.taken[0]
    spilled = len(lines.taken) > 1 or lines.reached_end
    lines.push_back(lines.taken[1:])
    fields = _split_line(first_line, delimiter)
    if spilled:
        # The quote's true end is unknowable, so the row can't be trusted.
        problem = (f"a quote opened on line {first_number} is not closed properly ({why}); "
                   f"line {first_number} read on its own (broken quoting?)")
        return fields, [problem], []
    # E.g. `1,"He said "hi"",5`: quotes inside a field not doubled. The line
    # is read leniently and kept, with a warning (fitted to the header by
    # the caller if its field count is off too).
    warning = f"stray quote characters on line {first_number} ({why}); read leniently"
    return fields, [], [warning]


# --------------------------------------------------------------------------
# JSON Lines and JSON arrays
# --------------------------------------------------------------------------


def _iter_jsonl(ctx: _FileContext, columns: ColumnMap) -> Iterator[_RawRow]:
    """Rows of a JSON Lines file: one object per line, blank lines skipped."""
    ctx.label = "line"
    with _open_text(ctx) as stream:
        parsed = _jsonl_objects(stream)
        # Lines may omit keys, so learn the columns from a sample of lines.
        sample = list(itertools.islice(parsed, JSONL_SAMPLE_OBJECTS))
        if not sample:
            return
        ctx.columns = resolve_columns(_keys_of(obj for _, obj, _ in sample), columns, ctx.path)
        for number, obj, problem in itertools.chain(sample, parsed):
            if problem is not None:
                yield _RawRow(number, {}, [problem])
            else:
                yield _object_row(number, obj, ctx)


def _jsonl_objects(stream) -> Iterator[tuple[int, Any, str | None]]:
    """Yield (line number, parsed value, problem) for each non-blank line."""
    for number, line in enumerate(stream, start=1):
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield number, None, f"invalid JSON ({exc.msg} at column {exc.colno})"


def _iter_json(ctx: _FileContext, columns: ColumnMap) -> Iterator[_RawRow]:
    """Rows of a file holding one JSON array of objects, read item by item."""
    ctx.label = "item"
    with _open_text(ctx) as stream:
        items = _json_array_items(_TextBuffer(stream), ctx.path)
        sample = list(itertools.islice(items, JSONL_SAMPLE_OBJECTS))
        if not sample:
            return
        ctx.columns = resolve_columns(_keys_of(obj for _, obj in sample), columns, ctx.path)
        for number, obj in itertools.chain(sample, items):
            yield _object_row(number, obj, ctx)


class _TextBuffer:
    """A growing window on a text stream, for decoding JSON piece by piece."""

    def __init__(self, stream):
        self._stream = stream
        self.text = ""
        self.pos = 0
        self.at_eof = False

    def read_more(self) -> None:
        """Drop what has been consumed and append the next block."""
        block = self._stream.read(JSON_BLOCK_CHARS)
        self.at_eof = not block
        self.text = self.text[self.pos:] + block
        self.pos = 0

    def next_char(self) -> str | None:
        """Skip whitespace (and a BOM); return the next character, unconsumed."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n\ufeff":
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if self.at_eof:
                return None
            self.read_more()


def _json_array_items(buffer: _TextBuffer, path: str) -> Iterator[tuple[int, Any]]:
    """Yield (item number, value) for each item of a top-level JSON array.

    A syntax error raises InputError: inside an array there is no reliable
    way to find where the next item starts (unlike JSONL's next line).
    """
    first = buffer.next_char()
    if first is None:
        return
    if first != "[":
        raise InputError(f"{path}: expected a JSON array of objects, found {first!r} first; "
                         "for one object per line, name the file .jsonl")
    buffer.pos += 1
    if buffer.next_char() == "]":
        return
    decoder = json.JSONDecoder()
    number = 0
    while True:
        number += 1
        yield number, _decode_item(buffer, decoder, path, number)
        separator = buffer.next_char()
        if separator == "]":
            return
        if separator != ",":
            found = "end of file" if separator is None else repr(separator)
            raise InputError(
                f"{path}: invalid JSON after item {number}: expected ',' or ']', found {found}"
            )
        buffer.pos += 1


def _decode_item(buffer: _TextBuffer, decoder: json.JSONDecoder, path: str, number: int) -> Any:
    """Decode the value at the buffer's position, reading more text as needed."""
    buffer.next_char()
    while True:
        try:
            value, end = decoder.raw_decode(buffer.text, buffer.pos)
            # A number cut at the block's end ("12" of "123") decodes fine but
            # wrongly: only trust a value that ends before the buffer does.
            if end < len(buffer.text) or buffer.at_eof:
                buffer.pos = end
                return value
        except json.JSONDecodeError as exc:
            if buffer.at_eof or len(buffer.text) - buffer.pos > JSON_MAX_ITEM_CHARS:
                raise InputError(f"{path}: invalid JSON in item {number} ({exc.msg})") from None
        buffer.read_more()


def _keys_of(objects: Iterable[Any]) -> list[str]:
    """All keys of the dicts among `objects`, in order of first appearance."""
    keys: dict[str, None] = {}
    for obj in objects:
        if isinstance(obj, dict):
            keys.update(dict.fromkeys(str(key) for key in obj))
    return list(keys)


def _object_row(number: int, obj: Any, ctx: _FileContext) -> _RawRow:
    """A raw row from one parsed JSON value (which should be an object)."""
    if not isinstance(obj, dict):
        return _RawRow(number, {}, [f"expected a JSON object, found {_json_type(obj)}"])
    values = {f: obj.get(col) for f, col in ctx.columns.items() if col is not None}
    return _RawRow(number, values)


def _json_type(value: Any) -> str:
    for python_type, name in ((bool, "a boolean"), (str, "a string"), (list, "an array"),
                              (dict, "an object"),
                              ((int, float), "a number"), (type(None), "null")):
        if isinstance(value, python_type):
            return name
    return type(value).__name__


# --------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------


def _iter_parquet(ctx: _FileContext, columns: ColumnMap) -> Iterator[_RawRow]:
    """Rows of a Parquet file, reading only the needed columns, batch by batch."""
    parquet = pq.ParquetFile(ctx.path)
    try:
        ctx.columns = resolve_columns(parquet.schema_arrow.names, columns, ctx.path)
        needed = list(dict.fromkeys(col for col in ctx.columns.values() if col is not None))
        number = 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=needed):
            for record in batch.to_pylist():
                number += 1
                values = {f: record.get(col) for f, col in ctx.columns.items() if col is not None}
                yield _RawRow(number, values)
    finally:
        parquet.close()


# --------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------


def _iter_xlsx(ctx: _FileContext, columns: ColumnMap) -> Iterator[_RawRow]:
    """Rows of one sheet of an .xlsx workbook (`ctx.sheet`, or the first).

    As in CSV, the first non-empty row is the header and `source_row`
    counts the rows after it (so the sheet's row number is `source_row`
    plus the header's); wholly empty rows are skipped but counted. Cells
    keep their types (dates as datetimes, numbers as numbers); formulas
    give their last computed value.
    """
    try:
        import openpyxl
    except ImportError:
        raise InputError(f"{ctx.path}: reading .xlsx files needs openpyxl "
                         "(pip install openpyxl), or save the sheet as CSV") from None
    try:
        # read_only streams the rows instead of building the whole sheet.
        workbook = openpyxl.load_workbook(ctx.path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt file fails in many ways (zip, XML, missing parts)
        raise InputError(f"{ctx.path}: could not read the file as .xlsx ({exc})") from exc
    try:
        if ctx.sheet is None:
            worksheet = workbook.worksheets[0]
        elif ctx.sheet in workbook.sheetnames:
            worksheet = workbook[ctx.sheet]
        else:
            raise InputError(f"{ctx.path}: no sheet named {ctx.sheet!r}; sheets present: "
                             f"{', '.join(workbook.sheetnames)}")
        rows = worksheet.iter_rows(values_only=True)
        header_cells = next((row for row in rows if not _empty_cells(row)), None)
        if header_cells is None:
            return
        header = [str(cell).strip() if cell is not None else f"column {i}"
                  for i, cell in enumerate(header_cells, start=1)]
        ctx.columns = resolve_columns(header, columns, ctx.path)
        positions = {f: header.index(col) for f, col in ctx.columns.items() if col is not None}
        for number, cells in enumerate(rows, start=1):
            if _empty_cells(cells):
                continue
            values = {f: cells[i] if i < len(cells) else None for f, i in positions.items()}
            yield _RawRow(number, values)
    finally:
        workbook.close()


def _empty_cells(cells: tuple) -> bool:
    return all(_is_missing(cell) or not str(cell).strip() for cell in cells)


# --------------------------------------------------------------------------
# From a raw row to a canonical row
# --------------------------------------------------------------------------


def _build_row(raw: _RawRow, ctx: _FileContext) -> dict:
    """Clean one raw row into the canonical columns, collecting its problems."""
    problems = list(raw.problems)
    warnings = list(raw.warnings)
    values = _repair_undecodable(raw.values, ctx, problems, warnings)

    text = _text_value(values.get("text"))
    turns, turns_problem = _parse_turns(values.get("turns"))
    if turns_problem:
        problems.append(f"column {ctx.columns['turns']}: {turns_problem}")

    # "empty text" only describes a row that was otherwise read correctly;
    # after a parse error it would just be noise.
    if not raw.problems and not text.strip() and not turns:
        has_turns_column = ctx.columns.get("turns") is not None
        problems.append("empty text and no turns" if has_turns_column else "empty text")
    text, too_long = _truncate(text, ctx.max_text_chars)
    if too_long:
        problems.append(too_long)
    if turns:
        turns, too_long = _truncate_turns(turns, ctx.max_text_chars)
        if too_long:
            problems.append(too_long)

    created_at = _checked(parse_timestamp, values.get("time"), "time", "a date", ctx, warnings)
    rating = _checked(parse_rating, values.get("rating"), "rating", "a rating", ctx, warnings)
    nps = _checked(parse_nps, values.get("nps"), "nps", "an NPS score (0-10)", ctx, warnings)
    csat = _checked(parse_csat, values.get("csat"), "csat", "a CSAT score (1-5)", ctx, warnings)

    row_id = _id_value(values.get("id"))
    if row_id is None:
        content = text or "\n".join(turn["text"] for turn in turns or [])
        row_id = generated_id(ctx.path, raw.number, content)

    error = f"{ctx.path} {ctx.label} {raw.number}: {'; '.join(problems)}" if problems else None
    return {
        "id": row_id,
        "text": text,
        "turns": turns,
        "lang": _optional_str(values.get("lang")),
        "channel": _optional_str(values.get("channel")),
        "created_at": created_at,
        "rating": rating,
        "nps": nps,
        "csat": csat,
        "source_file": ctx.path,
        "source_row": raw.number,
        "warnings": warnings,
        "error": error,
    }


def generated_id(source_file: str, row: int, text: str) -> str:
    """A stable id for a row without one: the same file name, row and text
    give the same id on any machine. Only the base name is used, so moving
    the file to another folder keeps the ids."""
    key = f"{os.path.basename(source_file)}\x1f{row}\x1f{text}"
    return "vc-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _repair_undecodable(
    values: dict[str, Any], ctx: _FileContext, problems: list[str], warnings: list[str]
) -> dict:
    """Clean the text of one row's values, column by column.

    - Bytes that were not UTF-8 are decoded as cp1252, this row only: one
      Latin-1 row pasted into a UTF-8 export should not spoil the file (a
      warning says so).
    - NUL characters are removed (a warning says so): they are never text,
      and break CSV tools and databases downstream.
    - Bytes still undecodable become U+FFFD and make the row an error.
    """
    repaired = {}
    for name, value in values.items():
        column = ctx.columns.get(name, name)
        if ctx.encoding_name == "utf-8":
            value, decoded = _map_strings(value, _decode_escaped_bytes)
            if decoded:
                warnings.append(f"column {column}: not valid UTF-8, read as {FALLBACK_ENCODING}")
        value, had_nul = _map_strings(value, lambda text: text.replace("\x00", ""))
        if had_nul:
            warnings.append(f"column {column}: NUL characters removed")
        repaired[name], found = _map_strings(value, lambda text: _SURROGATES.sub("\ufffd", text))
        if found:
            problems.append(
                f"undecodable bytes in column {column} for encoding "
                f"{ctx.encoding_name}; use --encoding"
            )
    return repaired


def _decode_escaped_bytes(text: str) -> str:
    """Decode the bytes surrogateescape kept in `text` as FALLBACK_ENCODING.

    Bytes that encoding cannot decode either stay escaped (and are flagged).
    """
    def decode(match: re.Match) -> str:
        raw = bytes(ord(char) - 0xDC00 for char in match.group())
        return raw.decode(FALLBACK_ENCODING, errors="surrogateescape")

    return _ESCAPED_BYTES.sub(decode, text)


def _map_strings(value: Any, change) -> tuple[Any, bool]:
    """`change` applied to every string in `value`, looking inside lists and
    dicts; returns (new value, whether anything changed)."""
    if isinstance(value, str):
        fixed = change(value)
        return fixed, fixed != value
    if isinstance(value, list):
        pairs = [_map_strings(item, change) for item in value]
        return [item for item, _ in pairs], any(found for _, found in pairs)
    if isinstance(value, dict):
        pairs = {key: _map_strings(item, change) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(f for _, f in pairs.values())
    return value, False


def _is_missing(value: Any) -> bool:
    """None, NaN (how pandas and Parquet floats say "missing") or NaT."""
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _text_value(value: Any) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _optional_str(value: Any) -> str | None:
    text = _text_value(value).strip()
    return text or None


def _id_value(value: Any) -> str | None:
    """The id as a string; numbers without a spurious ".0"; blank -> None."""
    if _is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = _text_value(value).strip()
    # "123.0" is how a float-typed id column comes out of a spreadsheet or pandas.
    if re.fullmatch(r"-?\d+\.0+", text):
        text = text.split(".")[0]
    return text or None


def _truncate(text: str, limit: int) -> tuple[str, str | None]:
    if len(text) <= limit:
        return text, None
    problem = f"text has {len(text)} characters, over the limit of {limit} (max_text_chars)"
    return text[:limit], problem


def _truncate_turns(turns: list[dict], limit: int) -> tuple[list[dict], str | None]:
    """Keep turns up to `limit` characters in all, cutting the turn that crosses it."""
    total = sum(len(turn["text"]) for turn in turns)
    if total <= limit:
        return turns, None
    kept, room = [], limit
    for turn in turns:
        if room <= 0:
            break
        kept.append({**turn, "text": turn["text"][:room]})
        room -= len(turn["text"])
    return kept, f"turns have {total} characters, over the limit of {limit} (max_text_chars)"


def _parse_turns(value: Any) -> tuple[list[dict] | None, str | None]:
    """Turns as a list of {"speaker", "text"}, from a JSON string or a list.

    Items may also use the chat-API keys "role" and "content", or be plain
    strings (speaker unknown). Speakers are passed through unchanged.
    Returns (turns or None, problem or None).
    """
    if _is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None, None
    expected = 'expected a JSON list of {"speaker", "text"} objects'
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            why = f"invalid JSON: {exc.msg} at column {exc.colno}"
            return None, f"invalid turns, {expected} ({why})"
    if not isinstance(value, (list, tuple)):
        return None, f"invalid turns, {expected}, found {_json_type(value)}"
    turns = []
    for item in value:
        if isinstance(item, str):
            turns.append({"speaker": None, "text": item})
        elif isinstance(item, dict):
            speaker = item.get("speaker", item.get("role"))
            text = item.get("text", item.get("content"))
            turns.append({"speaker": None if _is_missing(speaker) else str(speaker),
                          "text": _text_value(text)})
        else:
            return None, f"invalid turns, {expected}, found an item that is {_json_type(item)}"
    return turns or None, None


def _checked(
    parse, value: Any, field_name: str, what: str, ctx: _FileContext, warnings: list[str]
) -> Any:
    """parse(value), or None plus a warning when the value can't be parsed."""
    try:
        return parse(value)
    except ValueError:
        column = ctx.columns[field_name]
        warnings.append(f"column {column}: could not read {_excerpt(value)} as {what}; left empty")
        return None


def _excerpt(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Date formats tried after ISO 8601, in order. Slashed dates are ambiguous:
# month first (US) is tried before day first, so 03/02/2015 is 2 March and
# 13/02/2015 is 13 February.
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",  # 2015-02-24 11:35:52 -0800 (Twitter US Airline dataset)
    "%a %b %d %H:%M:%S %z %Y",  # Tue Feb 24 11:35:52 +0000 2015 (Twitter API)
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y",  # February 24, 2015 / 24 Feb 2015
)


def parse_timestamp(value: Any) -> pd.Timestamp | None:
    """A UTC Timestamp from a date value; None if missing; ValueError if unreadable.

    Accepts datetimes, dates, Unix epochs (seconds, or milliseconds when
    larger than 1e11), ISO 8601, RFC 2822 and the `_DATE_FORMATS`. Times
    without a zone are taken to be UTC. No guessing beyond these formats, so
    the result never depends on today's date or the machine's locale.
    """
    if _is_missing(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if re.fullmatch(r"\d{9,13}(\.\d+)?", value):
            value = float(value)
        else:
            value = _parse_date_string(value)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a date")
    try:
        if isinstance(value, (int, float)):
            seconds = value / 1000 if abs(value) > 1e11 else value
            value = datetime.fromtimestamp(seconds, tz=timezone.utc)
        elif isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if not isinstance(value, datetime):
            raise ValueError(f"not a date: {value!r}")
        # Converting the datetime before making a Timestamp is much faster
        # than Timestamp.tz_convert, and this runs for every row.
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return pd.Timestamp(value.astimezone(timezone.utc))
    except (OverflowError, OSError) as exc:  # an epoch far outside any calendar
        raise ValueError(f"date out of range: {value!r}") from exc


def _parse_date_string(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text)  # Tue, 24 Feb 2015 11:35:52 -0800
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"unrecognised date: {text!r}") from None


# A number, optionally "out of" / "/" a scale and followed by "stars":
# "4", "4.5", "4,5", "4/5", "4 out of 5", "4.0 out of 5 stars".
_RATING = re.compile(
    r"([-+]?\d+(?:[.,]\d+)?)\s*(?:(?:/|out\s+of)\s*\d+(?:[.,]\d+)?)?\s*(?:stars?)?",
    re.IGNORECASE,
)


def parse_rating(value: Any) -> float | None:
    """A float from a rating value; None if missing; ValueError if unreadable."""
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a rating")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = _text_value(value).strip()
        if not text:
            return None
        match = _RATING.fullmatch(text)
        if match is None:
            raise ValueError(f"not a rating: {text!r}")
        number = float(match.group(1).replace(",", "."))
    if not math.isfinite(number):
        raise ValueError(f"not a finite rating: {value!r}")
    return number


def parse_nps(value: Any) -> float | None:
    """A likelihood-to-recommend score: a whole number from 0 to 10; None if missing."""
    number = parse_rating(value)
    if number is not None and (number != int(number) or not 0 <= number <= 10):
        raise ValueError(f"not an NPS score: {value!r}")
    return number


def parse_csat(value: Any) -> float | None:
    """A satisfaction score from 1 to 5; None if missing."""
    number = parse_rating(value)
    if number is not None and not 1 <= number <= 5:
        raise ValueError(f"not a CSAT score: {value!r}")
    return number
