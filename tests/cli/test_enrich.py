"""`voc-nlp enrich` as a user runs it: files in, one record per row out."""

import json

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from voc_nlp.cli.__main__ import main

ROWS = [
    {"review_id": "r1", "date": "2026-03-01", "stars": 1, "body": "Parcel lost, no answer from support."},
    {"review_id": "r2", "date": "2026-03-02", "stars": 5, "body": "Super appli, très pratique, merci !"},
    {"review_id": "r3", "date": "2026-03-03", "stars": 3, "body": "Customer: where is my order?\nAgent: it ships today."},
]


@pytest.fixture
def export_csv(tmp_path):
    path = tmp_path / "export.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    return path


def test_enrich_csv_to_parquet_with_auto_detected_columns(export_csv, tmp_path, capsys):
    out = tmp_path / "out.parquet"
    assert main(["enrich", str(export_csv), "-o", str(out), "--quiet"]) == 0
    table = pq.read_table(out).to_pandas()
    assert table["id"].tolist() == ["r1", "r2", "r3"]
    assert table["rating"].tolist() == [1.0, 5.0, 3.0]
    assert str(table["created_at"][0].date()) == "2026-03-01"
    assert table["sentiment"][0] == "negative"
    assert table["lang"].tolist()[:2] == ["en", "fr"]
    assert [u["speaker"] for u in table["units"][2]] == ["customer", "agent"]


def test_enrich_to_jsonl_and_csv(export_csv, tmp_path):
    jsonl, csv = tmp_path / "out.jsonl", tmp_path / "out.csv"
    assert main(["enrich", str(export_csv), "-o", str(jsonl), "--quiet"]) == 0
    assert main(["enrich", str(export_csv), "-o", str(csv), "--quiet"]) == 0
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [r["id"] for r in lines] == ["r1", "r2", "r3"]
    assert isinstance(lines[0]["emotion_scores"], dict)
    flat = pd.read_csv(csv, keep_default_na=False)
    assert len(flat) == 3
    assert json.loads(flat["emotions"][0]) == lines[0]["emotions"]


def test_duckdb_output_appends_without_duplicating_ids(export_csv, tmp_path):
    db = tmp_path / "voc.duckdb"
    assert main(["enrich", str(export_csv), "-o", str(db), "--table", "fb", "--quiet"]) == 0
    assert main(["enrich", str(export_csv), "-o", str(db), "--table", "fb", "--quiet"]) == 0
    with duckdb.connect(str(db)) as con:
        assert con.execute("select count(*), count(distinct id) from fb").fetchone() == (3, 3)


def test_column_flags_override_auto_detection(tmp_path):
    path = tmp_path / "odd.csv"
    pd.DataFrame({"verbatim_fr": ["Service client nul"], "note": [1]}).to_csv(path, index=False)
    out = tmp_path / "o.jsonl"
    assert main(["enrich", str(path), "-o", str(out), "--text-col", "verbatim_fr",
                 "--rating-col", "note", "--quiet"]) == 0
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["text"] == "Service client nul" and record["rating"] == 1.0
    assert record["id"].startswith("vc-")


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    code = main(["enrich", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.parquet"), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "Traceback" not in err


def test_missing_column_names_the_columns_present(tmp_path, capsys):
    path = tmp_path / "no_text.csv"
    pd.DataFrame({"Id": [1], "Stars": [4]}).to_csv(path, index=False)
    code = main(["enrich", str(path), "-o", str(tmp_path / "o.parquet"), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no_text.csv" in err and "Stars" in err


@pytest.mark.parametrize("flags", [[], ["--topics"]])
def test_an_output_type_that_cannot_be_written_fails_before_the_models_load(export_csv, tmp_path, capsys,
                                                                            monkeypatch, flags):
    # With --topics the writer opens only after the whole enrichment and the topic fit.
    from voc_nlp.pipeline import Pipeline

    def no_models(*args, **kwargs):
        raise AssertionError("the models were loaded")

    monkeypatch.setattr(Pipeline, "from_config", no_models)
    assert main(["enrich", str(export_csv), "-o", str(tmp_path / "out.txt"), "--quiet"] + flags) == 2
    err = capsys.readouterr().err
    assert "out.txt: unknown output type '.txt'; use one of .parquet, .jsonl, .csv, .duckdb" in err


def test_broken_csv_keeps_one_row_per_input_row(tmp_path, capsys):
    path = tmp_path / "broken.csv"
    path.write_bytes(
        b"id,text\n"
        b"a,Fine product\n"
        b"b,\n"
        b"c,\"unterminated quote, the rest must survive\n"
        b"d,Late delivery again\n"
        b"e,bad bytes \xff\xfe here\n"
        b"f,Great support\n"
    )
    out = tmp_path / "o.jsonl"
    assert main(["enrich", str(path), "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 6
    by_id = {r["id"]: r for r in records}
    assert by_id["a"]["error"] is None and by_id["a"]["sentiment"]
    assert "empty" in by_id["b"]["error"]
    assert by_id["f"]["error"] is None and by_id["f"]["sentiment"] == "positive"
    # Not UTF-8: this row alone is read as cp1252, with a warning.
    assert by_id["e"]["error"] is None and by_id["e"]["text"] == "bad bytes \u00ff\u00fe here"
    assert by_id["e"]["warnings"] == ["column text: not valid UTF-8, read as cp1252"]
    summary = capsys.readouterr().err
    assert "6 rows in, 6 rows out" in summary


def test_max_text_chars_flag_flags_long_texts(tmp_path):
    path = tmp_path / "long.csv"
    pd.DataFrame({"id": ["a", "b"], "text": ["short and fine", "x" * 50]}).to_csv(path, index=False)
    out = tmp_path / "o.jsonl"
    assert main(["enrich", str(path), "-o", str(out), "--max-text-chars", "20", "--quiet"]) == 0
    a, b = [json.loads(line) for line in out.read_text().splitlines()]
    assert a["error"] is None
    assert "limit of 20" in b["error"] and len(b["text"]) == 20


@pytest.mark.parametrize("content", [b"", b"id,text,rating\n"])
def test_empty_export_exits_2_with_a_message(tmp_path, capsys, content):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    out = tmp_path / "o.parquet"
    assert main(["enrich", str(path), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "export.csv: no data rows" in err and "Traceback" not in err
    assert not out.exists()


def test_mixed_encodings_and_ragged_rows_with_text_col(tmp_path):
    # The file from issue 21 that was refused whole: one Latin-1 row among
    # UTF-8 ones, one row with two extra fields, one with a missing field.
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "id,text,rating\n1,Très bon accueil,5\n".encode("utf-8")
        + "2,Café froid et service très lent,2\n".encode("latin-1")
        + b"3,Late again, no refund, no answer,1\n4,Missing its rating\n"
    )
    out = tmp_path / "o.jsonl"
    assert main(["enrich", str(path), "-o", str(out), "--text-col", "text", "--quiet"]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["1", "2", "3", "4"]
    assert all(r["error"] is None and r["sentiment"] for r in records)
    assert records[1]["text"] == "Café froid et service très lent"
    assert records[2]["text"] == "Late again, no refund, no answer"
    assert records[3]["warnings"] == ["expected 3 fields, found 2; the missing ones left empty"]


def test_the_progress_total_counts_records_not_lines(tmp_path):
    from voc_nlp.cli.enrich import _estimate_rows

    # Quoted fields spanning lines made the bar start at 0/322 for a 200-row sample.
    path = tmp_path / "multi.csv"
    path.write_text('id,text\n1,"first line\nsecond line"\n2,plain\n3,"a\n\nb"\n')
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text('{"text": "a"}\n\n{"text": "b"}\n')
    assert _estimate_rows([str(path)]) == 3
    assert _estimate_rows([str(path), str(jsonl)]) == 5
    assert _estimate_rows([str(tmp_path / "missing.csv")]) is None


def test_the_progress_total_is_the_rows_read_for_every_format(tmp_path):
    import openpyxl
    import pandas as pd

    from voc_nlp.cli.enrich import _estimate_rows
    from voc_nlp.io import read_feedback

    texts = ["Parcel late again", "Colis abîmé, très déçu", "Refund still pending", "Great support"]
    frame = pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": texts})
    files = {"csv": tmp_path / "f.csv", "jsonl": tmp_path / "f.jsonl", "json": tmp_path / "f.json",
             "parquet": tmp_path / "f.parquet", "xlsx": tmp_path / "f.xlsx"}
    frame.to_csv(files["csv"], index=False)
    frame.to_json(files["jsonl"], orient="records", lines=True, force_ascii=False)
    frame.to_json(files["json"], orient="records", force_ascii=False)
    frame.to_parquet(files["parquet"])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "text"])
    for i, text in enumerate(texts):
        sheet.append([str(i), text])
        if i == 1:
            sheet.append([None, None])  # an empty row: skipped by the reader, so not counted
    book.save(files["xlsx"])
    for fmt, path in files.items():
        rows_read = sum(len(chunk) for chunk in read_feedback([str(path)]))
        assert rows_read == len(texts), fmt
        assert _estimate_rows([str(path)]) == rows_read, fmt
    assert _estimate_rows([str(p) for p in files.values()]) == len(texts) * len(files)


def test_the_progress_bar_shows_rows_rate_and_total_for_a_sheet(tmp_path, capsys):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["text"])
    for text in ("Parcel late again", "Refund still pending", "Great support"):
        book.active.append([text])
    path = tmp_path / "f.xlsx"
    book.save(path)
    assert main(["enrich", str(path), "-o", str(tmp_path / "o.jsonl")]) == 0
    frames = capsys.readouterr().err.split("\r")
    # The total is known from the start (the bar ends at the true count whatever it was).
    assert "0/3" in frames[1], frames
    assert "3/3" in frames[-1] and "rows/s" in frames[-1], frames


def test_an_unknown_profile_is_one_line_naming_the_profiles(export_csv, tmp_path, capsys):
    out = tmp_path / "out.parquet"
    assert main(["enrich", str(export_csv), "-o", str(out), "--quiet", "--profile", "turbo"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no profile 'turbo' (profiles: accurate, fast)" in err
    assert not out.exists()


def test_the_profile_is_in_the_output_metadata(export_csv, tmp_path):
    out = tmp_path / "out.parquet"
    assert main(["enrich", str(export_csv), "-o", str(out), "--quiet", "--profile", "accurate"]) == 0
    assert pq.read_schema(out).metadata[b"voc_nlp.profile"] == b"accurate"
