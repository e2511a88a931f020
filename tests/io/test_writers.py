"""Tests for voc_nlp.io.writers: each format round-trips nested values."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from voc_nlp.io import InputError, open_writer, records_to_frame
from voc_nlp.schema import ARROW_SCHEMA, NESTED_COLUMNS, EnrichedRecord, Unit

# Scores are exact in float32 (0.5, 0.75, ...) so round trips compare equal.
UNITS = [
    Unit(index=0, text="Flight delayed 3h.", start=0, end=18, speaker="customer",
         sentiment="negative", sentiment_score=0.75, emotions=["frustration"],
         emotion_scores={"frustration": 0.75, "joy": 0.0}),
    Unit(index=1, text="Crew was lovely.", start=19, end=35, sentiment="positive",
         sentiment_score=0.5, emotions=[], emotion_scores={"joy": 0.5}),
]


def make_records() -> list[EnrichedRecord]:
    return [
        EnrichedRecord(
            id="r1", text="Flight delayed 3h. Crew was lovely.", lang="en", channel="twitter",
            created_at=pd.Timestamp("2015-02-24T19:35:52Z"), rating=2.0,
            sentiment="negative", sentiment_score=0.9, sentiment_probs={"negative": 0.625},
            emotions=["frustration"], emotion_scores={"frustration": 0.75, "joy": 0.25},
            units=UNITS, phase="travel", touchpoints=["delay", "crew"],
            touchpoint_scores={"delay": 0.875},
            touchpoint_evidence=[{"touchpoint": "delay", "unit_index": 0, "start": 0, "end": 18,
                                  "text": "Flight delayed 3h.", "sentiment": "negative"}],
            touchpoint_sentiment={"delay": "negative", "crew": "positive"},
            pain_point=True, pain_point_score=0.5, topic_id=3, topic_label="delays",
            topic_keywords=["delay", "late"], source_file="in.csv", source_row=1,
            warnings=["column date: something"], model_version="test",
        ),
        EnrichedRecord(id="r2", text="Très déçu 👎", lang="fr", source_file="in.csv",
                       source_row=2, error="in.csv row 2: empty text"),
        EnrichedRecord(id="r3", text="ok"),
    ]


def expected_units() -> list[dict]:
    """UNITS as plain dicts, as every format should give them back."""
    return make_records()[0].to_dict()["units"]


def check_first_record(row: dict) -> None:
    """The nested and scalar values of make_records()[0] survived."""
    assert row["id"] == "r1"
    assert row["units"] == expected_units()
    assert row["emotion_scores"] == {"frustration": 0.75, "joy": 0.25}
    assert row["emotions"] == ["frustration"]
    assert row["touchpoint_sentiment"] == {"delay": "negative", "crew": "positive"}
    assert row["touchpoint_evidence"][0]["text"] == "Flight delayed 3h."
    assert row["pain_point"] is True
    assert row["topic_id"] == 3
    assert row["sentiment_score"] == pytest.approx(0.9, abs=1e-6)


def write_records(path, records, **options) -> int:
    with open_writer(str(path), **options) as writer:
        writer.write(records_to_frame(records))
    return writer.rows_written


def test_records_to_frame_has_schema_columns():
    frame = records_to_frame(make_records())
    assert list(frame.columns) == ARROW_SCHEMA.names
    assert frame.loc[2, "lang"] is None  # None, not NaN
    assert list(records_to_frame([]).columns) == ARROW_SCHEMA.names


def test_parquet_round_trip(tmp_path):
    path = tmp_path / "out.parquet"
    assert write_records(path, make_records()) == 3
    table = pq.read_table(path)
    assert table.schema.equals(ARROW_SCHEMA)
    rows = table.to_pylist(maps_as_pydicts="strict")
    check_first_record(rows[0])
    assert rows[0]["created_at"] == pd.Timestamp("2015-02-24T19:35:52Z")
    assert rows[1]["text"] == "Très déçu 👎"
    assert rows[2]["units"] == [] and rows[2]["emotion_scores"] == {}


def test_parquet_written_in_several_chunks(tmp_path):
    path = tmp_path / "out.parquet"
    records = make_records()
    with open_writer(str(path)) as writer:
        writer.write(records_to_frame(records[:2]))
        writer.write(records_to_frame([]))
        writer.write(records_to_frame(records[2:]))
    assert writer.rows_written == 3
    assert pq.read_table(path).column("id").to_pylist() == ["r1", "r2", "r3"]


def test_parquet_chunks_are_gathered_into_row_groups(tmp_path):
    """Small chunks make few row groups (the footer's memory grows with each), in input order."""
    from voc_nlp.io.writers import ParquetRecordWriter

    path = tmp_path / "out.parquet"
    records = make_records()
    with ParquetRecordWriter(str(path), row_group_rows=2) as writer:
        for record in records:
            writer.write(records_to_frame([record]))
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [2, 1]
    assert pq.read_table(path).column("id").to_pylist() == ["r1", "r2", "r3"]


def test_jsonl_round_trip(tmp_path):
    path = tmp_path / "out.jsonl"
    write_records(path, make_records())
    text = path.read_text(encoding="utf-8")
    assert "Très déçu 👎" in text  # UTF-8, not \u escapes
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == 3
    check_first_record(rows[0])
    assert rows[0]["sentiment_score"] == 0.9  # float32 noise removed
    assert rows[0]["created_at"] == "2015-02-24T19:35:52+00:00"
    assert rows[2]["rating"] is None and rows[2]["created_at"] is None


def test_jsonl_writes_nan_as_null(tmp_path):
    record = EnrichedRecord(id="n", text="x", rating=float("nan"), sentiment_score=float("nan"))
    path = tmp_path / "out.jsonl"
    write_records(path, [record])
    row = json.loads(path.read_text())
    assert row["rating"] is None and row["sentiment_score"] is None


def test_csv_round_trip(tmp_path):
    path = tmp_path / "out.csv"
    write_records(path, make_records())
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ARROW_SCHEMA.names
    for row in rows:
        for name in NESTED_COLUMNS:
            row[name] = json.loads(row[name])
    first = rows[0]
    assert first["units"] == expected_units()
    assert first["emotion_scores"] == {"frustration": 0.75, "joy": 0.25}
    assert first["emotions"] == ["frustration"]
    assert first["pain_point"] == "true"
    assert first["created_at"] == "2015-02-24T19:35:52+00:00"
    assert first["sentiment_score"] == "0.9"
    assert rows[1]["text"] == "Très déçu 👎"
    assert rows[2]["rating"] == ""


def test_csv_without_records_has_a_header(tmp_path):
    path = tmp_path / "out.csv"
    assert write_records(path, []) == 0
    assert path.read_text().strip() == ",".join(ARROW_SCHEMA.names)


def read_duckdb(path, table="feedback") -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        # Through Arrow: fetching TIMESTAMPTZ as Python objects needs pytz.
        arrow = con.sql(f'SELECT * FROM "{table}" ORDER BY id').to_arrow_table()
    return arrow.to_pylist(maps_as_pydicts="strict")


def test_duckdb_round_trip(tmp_path):
    path = tmp_path / "out.duckdb"
    write_records(path, make_records(), table="reviews")
    rows = read_duckdb(path, "reviews")
    assert [row["id"] for row in rows] == ["r1", "r2", "r3"]
    check_first_record(rows[0])
    assert rows[0]["created_at"] == pd.Timestamp("2015-02-24T19:35:52Z")
    with duckdb.connect(str(path), read_only=True) as con:
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'reviews'").fetchall())
    assert types["emotion_scores"] == "MAP(VARCHAR, FLOAT)"
    assert types["units"].startswith("STRUCT(")
    assert types["emotions"] == "VARCHAR[]"


def test_duckdb_append_replaces_rows_with_the_same_id(tmp_path):
    path = tmp_path / "out.duckdb"
    first, second, third = make_records()
    write_records(path, [first, second, third])

    second.sentiment, third.text = "positive", "changed"
    new = EnrichedRecord(id="r4", text="new one")
    assert write_records(path, [second, third, new]) == 3

    rows = {row["id"]: row for row in read_duckdb(path)}
    assert sorted(rows) == ["r1", "r2", "r3", "r4"]
    assert rows["r2"]["sentiment"] == "positive"
    assert rows["r3"]["text"] == "changed"
    check_first_record(rows["r1"])


def test_duckdb_last_record_of_an_id_in_one_batch_wins(tmp_path):
    path = tmp_path / "out.duckdb"
    records = [EnrichedRecord(id="a", text="old"), EnrichedRecord(id="b", text="b"),
               EnrichedRecord(id="a", text="new")]
    assert write_records(path, records) == 2
    assert [(row["id"], row["text"]) for row in read_duckdb(path)] == [("a", "new"), ("b", "b")]


def test_unknown_output_extension(tmp_path):
    with pytest.raises(InputError, match=r"unknown output type '\.xlsx'"):
        open_writer(str(tmp_path / "out.xlsx"))
    with pytest.raises(ValueError):  # InputError is a ValueError
        open_writer(str(tmp_path / "out"))


def test_missing_columns_are_refused(tmp_path):
    with open_writer(str(tmp_path / "out.jsonl")) as writer:
        with pytest.raises(ValueError, match="records lack output columns: .*units"):
            writer.write(records_to_frame(make_records()).drop(columns=["units"]))


def test_parent_folders_are_created(tmp_path):
    path = tmp_path / "new" / "dir" / "out.parquet"
    write_records(path, make_records()[:1])
    assert pq.read_table(path).num_rows == 1


def test_writing_parquet_or_jsonl_does_not_import_duckdb(tmp_path):
    # duckdb takes 0.1 s to import: only DuckDB output and metadata reads pay it.
    code = ("import sys; from voc_nlp.io.writers import open_writer, read_metadata; "
            f"w = open_writer({str(tmp_path / 'out.parquet')!r}); w.close(); "
            f"w = open_writer({str(tmp_path / 'out.jsonl')!r}, metadata={{'k': 'v'}}); w.close(); "
            f"read_metadata({str(tmp_path / 'out.jsonl')!r}); print('duckdb' in sys.modules)")
    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "False"
