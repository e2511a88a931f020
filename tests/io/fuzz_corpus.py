"""A seeded generator of messy feedback files, and the checks the readers must pass.

Used by tests/io/test_fuzz_readers.py (small corpus, every test run) and
scripts/fuzz_readers.py (10,000+ rows, prints rows in / out / lost).

Each generated file comes with the number of rows a person would count in
it: one per CSV record line, one per non-blank JSONL line, one per JSON
array item. The readers must give exactly that many records, in order,
whatever the content: random bytes, invalid UTF-8, Latin-1, NUL, stray
quotes, delimiters inside text, ragged rows, mixed line endings, JSON of
any shape. A row that cannot be read must come out with `error` set.

Out of scope, because the file itself is ambiguous: a quote opened at the
start of a field and closed on a later line (CSV's rules make that one
multi-line field); a ragged row that also holds a quoted line break (the
reader takes a record that spans lines with the wrong number of fields for
an unclosed quote, the far more common case, and reads its lines apart);
and a syntax error inside a JSON array (there is no telling where the next
item starts; the file is refused whole).
"""

from __future__ import annotations

import io
import json
import math
import random
from pathlib import Path

import pandas as pd

# Bytes that neither UTF-8 nor cp1252 can decode: rows holding them must be errors.
UNDECODABLE = b"bad \x81\x8d bytes"
LATIN1 = "Café très fréquenté, déçu".encode("latin-1")

_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyz ABCXYZ 0123456789 .,;:!?'-_/|\t"
    "éèàçùôœÉ€£’“”…👍😡🙂 中文 العربية"
)
_WORDS = ["late", "parcel", "refund", "app", "crash", "merci", "colis", "retard", "great", "nul"]


def random_text(rng: random.Random, max_len: int = 40) -> str:
    """Printable text without line breaks or double quotes."""
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, max_len)))


def random_bytes(rng: random.Random, max_len: int = 30) -> bytes:
    """Any bytes but line breaks and quotes (those are the file's structure)."""
    return bytes(b for b in (rng.randrange(256) for _ in range(rng.randint(1, max_len)))
                 if b not in b'\r\n"')


def _csv_field(rng: random.Random, delimiter: str, ragged: bool) -> bytes:
    """One field's bytes. In a ragged row, unquoted text may hold the
    delimiter (more fields) but quoted text holds no line break; in a
    regular row it is the other way round (see the module's docstring)."""
    kind = rng.random()
    if kind < 0.8:
        if kind < 0.35:
            field = " ".join(rng.choices(_WORDS, k=rng.randint(1, 6))).encode()
        elif kind < 0.5:
            field = random_text(rng).encode("utf-8")
        elif kind < 0.6:
            field = random_bytes(rng)
        elif kind < 0.65:
            field = LATIN1
        elif kind < 0.7:
            field = UNDECODABLE
        elif kind < 0.75:
            field = b"nul\x00in\x00text"
        else:
            field = b'stray "quote" inside'  # not at the field's start: no quoted section opens
        return field if ragged else field.replace(delimiter.encode(), b" ")
    if kind < 0.9:
        # Properly quoted: delimiters, doubled quotes and line breaks inside are fine.
        breaks = [] if ragged else ["\n", "\r\n"]
        inner = random_text(rng) + rng.choice(['"', '""', delimiter, ""] + breaks) + random_text(rng)
        return ('"' + inner.replace('"', '""') + '"').encode("utf-8")
    return b""


def write_csv(rng: random.Random, path: Path, rows: int) -> int:
    """A messy CSV of `rows` records after an `id,text,rating` header; returns `rows`."""
    delimiter = rng.choice([",", ";", "\t", "|"])
    header = delimiter.join(["id", "text", "rating"]).encode()
    out = io.BytesIO()
    if rng.random() < 0.2:
        out.write(b"\xef\xbb\xbf")  # a BOM
    out.write(header + b"\n")
    for number in range(1, rows + 1):
        ragged = rng.random() < 0.2
        width = rng.choice([1, 2, 3, 4, 5]) if ragged else 3
        fields = [f"r{number}".encode()] + [_csv_field(rng, delimiter, ragged) for _ in range(width - 1)]
        if rng.random() < 0.1:
            fields.append(b"")  # a trailing delimiter
        out.write(delimiter.encode().join(fields))
        out.write(rng.choice([b"\n", b"\r\n", b"\r"]) if number < rows or rng.random() < 0.7 else b"")
    path.write_bytes(out.getvalue())
    return rows


def _json_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 3, 4.5, 1e308, 2**70, 1700000000, 1700000000000])
    if kind in (3, 4):
        return random_text(rng)
    if kind == 5:
        return rng.choice(["\ud800 lone surrogate", "nul\x00char", "NaN", "2026-13-45", "4/5", "😡"])
    if kind == 6:
        return [_json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["text", "id", "rating", "date", "turns", "speaker", "x", ""]
    return {rng.choice(keys): _json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def _json_item(rng: random.Random, number: int):
    kind = rng.random()
    if kind < 0.6:
        item = {"id": rng.choice([f"j{number}", number, None, "", 1.5]),
                "text": rng.choice([" ".join(rng.choices(_WORDS, k=4)), _json_value(rng)]),
                "rating": _json_value(rng), "date": _json_value(rng)}
        if rng.random() < 0.2:
            item["turns"] = _json_value(rng)
        return item
    return _json_value(rng)  # any shape: array, string, number, null, object without text


def write_jsonl(rng: random.Random, path: Path, rows: int) -> int:
    """A JSON Lines file of `rows` non-blank lines; returns `rows`."""
    lines = [json.dumps({"id": "first", "text": "a valid first line"}).encode()]
    for number in range(2, rows + 1):
        kind = rng.random()
        if kind < 0.7:
            text = json.dumps(_json_item(rng, number), ensure_ascii=rng.random() < 0.5)
            lines.append(text.encode("utf-8", errors="surrogatepass"))
        elif kind < 0.8:
            lines.append(b'{"text": "truncated')  # invalid JSON
        elif kind < 0.9:
            lines.append(b"x" + random_bytes(rng))  # not JSON at all (never blank)
        else:
            lines.append(b'{"id": "l1", "text": "' + LATIN1 + b'"}')
    ending = rng.choice([b"\n", b"\r\n"])
    path.write_bytes(ending.join(lines) + ending)
    return rows


def write_json(rng: random.Random, path: Path, rows: int) -> int:
    """A JSON array of `rows` items of any shape; returns `rows`."""
    items = [{"id": "first", "text": "a valid first item"}] + [
        _json_item(rng, n) for n in range(2, rows + 1)]
    text = json.dumps(items, ensure_ascii=False, indent=rng.choice([None, 1]))
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    return rows


WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "json": write_json}


def make_corpus(folder: Path, seed: int, files: int, rows_per_file: int) -> list[tuple[Path, int]]:
    """`files` messy files in `folder`: [(path, rows a person would count)]."""
    rng = random.Random(seed)
    corpus = []
    for index in range(files):
        kind = rng.choice(list(WRITERS))
        path = folder / f"fuzz_{seed}_{index:04d}.{kind}"
        corpus.append((path, WRITERS[kind](rng, path, rng.randint(1, rows_per_file))))
    return corpus


def check_rows(frame: pd.DataFrame, path: Path, expected_rows: int) -> list[str]:
    """What is wrong with the records read from one generated file (empty: all fine)."""
    problems = []
    if len(frame) != expected_rows:
        problems.append(f"{path.name}: {expected_rows} rows in, {len(frame)} out")
    if list(frame["source_row"]) != sorted(frame["source_row"]) or frame["source_row"].duplicated().any():
        problems.append(f"{path.name}: source_row not increasing")
    for row in frame.to_dict("records"):
        where = f"{path.name} row {row['source_row']}"
        if not isinstance(row["id"], str) or not row["id"]:
            problems.append(f"{where}: no id")
        for column in ("text", "id", "lang", "channel", "error"):
            value = row[column]
            if value is not None and (not isinstance(value, str) or "\x00" in value
                                      or _unencodable(value)):
                problems.append(f"{where}: {column} is not clean text: {value!r:.60}")
        if row["rating"] is not None and not math.isfinite(row["rating"]):
            problems.append(f"{where}: rating {row['rating']!r}")
        if row["created_at"] is not None and not isinstance(row["created_at"], pd.Timestamp):
            problems.append(f"{where}: created_at {row['created_at']!r}")
        if row["error"] is not None and not row["error"].startswith(str(path)):
            problems.append(f"{where}: error does not name the file: {row['error']!r:.80}")
        if "bad \ufffd\ufffd bytes" in row["text"] and row["error"] is None:
            problems.append(f"{where}: undecodable bytes without an error")
    return problems


def _unencodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
