"""Tests for voc_nlp.io.readers: every format, every kind of broken row."""

import gzip
import json
import math
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from voc_nlp.io import FEEDBACK_COLUMNS, ColumnMap, InputError, read_feedback
from voc_nlp.io import readers
from voc_nlp.io.readers import generated_id, parse_rating, parse_timestamp


def read_all(paths, **options) -> pd.DataFrame:
    """All chunks of read_feedback in one frame (fine for small test files)."""
    chunks = list(read_feedback([str(p) for p in paths], **options))
    if not chunks:
        return pd.DataFrame(columns=list(FEEDBACK_COLUMNS))
    return pd.concat(chunks, ignore_index=True)


def write(path, data: bytes | str):
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- broken CSV

# Twelve data rows after the header; the comments give each one's trouble.
BROKEN_CSV = (
    b"id,text,rating\n"
    b"1,Great service,5\n"                      # good
    b'2,"Unclosed quote starts here,3\n'        # quote never closed
    b"3,Fine flight,4\n"                        # good: must not be swallowed by row 2
    b'4,"Multi\nline, fine",2\n'                # good: legitimate multi-line field
    b"5,too,many,fields,here\n"                 # too many fields
    b"6,too few\n"                              # too few fields
    b"7,Bad bytes \xff\xfe here,1\n"            # undecodable in UTF-8
    b"8,,3\n"                                   # empty text
    b"9,   ,3\n"                                # whitespace-only text
    b"10," + b"x" * 50 + b",5\n"                # over max_text_chars=40
    b'11,"He said "hi" to me",5\n'              # stray quotes, still 3 fields
    b"12,Last good row,5\n"                     # good
)


@pytest.fixture
def broken(tmp_path):
    frame = read_all([write(tmp_path / "broken.csv", BROKEN_CSV)], max_text_chars=40)
    return frame.set_index("source_row", drop=False)


def test_broken_csv_keeps_one_row_per_record_in_order(broken):
    assert len(broken) == 12
    assert list(broken["source_row"]) == list(range(1, 13))
    assert list(broken["id"]) == [str(n) for n in range(1, 13)]


def test_broken_csv_good_rows_come_through_intact(broken):
    for row, text, rating in [(1, "Great service", 5.0), (3, "Fine flight", 4.0),
                              (4, "Multi\nline, fine", 2.0), (12, "Last good row", 5.0)]:
        assert broken.loc[row, "text"] == text
        assert broken.loc[row, "rating"] == rating
        assert broken.loc[row, "error"] is None
        assert broken.loc[row, "warnings"] == []


def test_broken_csv_unclosed_quote(broken):
    error = broken.loc[2, "error"]
    assert error.startswith(f"{broken.loc[2, 'source_file']} row 2: a quote opened on line 3")
    assert "broken quoting?" in error
    # The line is read on its own: its content is kept.
    assert broken.loc[2, "text"] == "Unclosed quote starts here,3"


def test_broken_csv_wrong_field_counts_are_kept_with_a_warning(broken):
    # Extra fields go back to the text (an unquoted comma), missing ones are empty.
    assert broken.loc[5, "error"] is None
    assert broken.loc[5, "text"] == "too,many,fields"
    assert broken.loc[5, "warnings"][0] == "expected 3 fields, found 5; the text taken to hold 2 unquoted ','"
    assert broken.loc[6, "error"] is None
    assert broken.loc[6, "text"] == "too few"
    assert broken.loc[6, "rating"] is None
    assert broken.loc[6, "warnings"] == ["expected 3 fields, found 2; the missing ones left empty"]


def test_broken_csv_bytes_not_utf8_are_read_as_cp1252(broken):
    assert broken.loc[7, "error"] is None
    assert broken.loc[7, "text"] == "Bad bytes \u00ff\u00fe here"
    assert broken.loc[7, "warnings"] == ["column text: not valid UTF-8, read as cp1252"]
    assert broken.loc[7, "rating"] == 1.0


def test_bytes_no_encoding_can_read_are_an_error(tmp_path):
    # 0x81 and 0x8d are neither UTF-8 nor cp1252.
    frame = read_all([write(tmp_path / "f.csv", b"id,text\n1,odd \x81\x8d bytes\n2,fine\n")])
    assert frame.loc[0, "error"].endswith(
        "row 1: undecodable bytes in column text for encoding utf-8; use --encoding")
    assert frame.loc[0, "text"] == "odd \ufffd\ufffd bytes"
    assert frame.loc[1, "error"] is None


def test_broken_csv_empty_and_long_text(broken):
    assert broken.loc[8, "error"].endswith("row 8: empty text")
    assert broken.loc[9, "error"].endswith("row 9: empty text")
    assert broken.loc[10, "error"].endswith(
        "row 10: text has 50 characters, over the limit of 40 (max_text_chars)")
    assert broken.loc[10, "text"] == "x" * 40


def test_broken_csv_stray_quotes_are_a_warning(broken):
    assert broken.loc[11, "error"] is None
    assert broken.loc[11, "text"].startswith("He said hi")
    assert "stray quote" in broken.loc[11, "warnings"][0]


def test_unclosed_quote_running_to_end_of_file(tmp_path):
    # No other quote in the file: the strict parser reaches the end of the
    # file inside the quoted field.
    path = write(tmp_path / "eof.csv", 'id,text\n1,fine\n2,"never closed\n3,ok\n4,also ok\n')
    frame = read_all([path])
    assert list(frame["text"]) == ["fine", "never closed", "ok", "also ok"]
    assert [e is None for e in frame["error"]] == [True, False, True, True]


def test_unclosed_quote_longer_than_the_line_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_RECORD_LINES", 3)
    lines = "".join(f"{n},row {n}\n" for n in range(2, 12))
    path = write(tmp_path / "long.csv", 'id,text\n1,"open\n' + lines)
    frame = read_all([path])
    assert len(frame) == 11
    assert "still open after 3 lines" in frame.loc[0, "error"]
    assert list(frame["text"][1:]) == [f"row {n}" for n in range(2, 12)]
    assert frame["error"][1:].isna().all()


def test_multiline_record_with_wrong_field_count_is_split(tmp_path):
    # The quote closes, but only after swallowing the next line: 4 fields, not 3.
    path = write(tmp_path / "f.csv", 'id,text,rating\n1,"broken,5\n2,ok",4,x\n3,fine,5\n')
    frame = read_all([path])
    assert list(frame["source_row"]) == [1, 2, 3]
    assert "quote opened on line 2" in frame.loc[0, "error"]
    # Line 2 read on its own has 4 fields: kept, with the extra one in the text.
    assert frame.loc[1, "error"] is None
    assert frame.loc[1, "warnings"][0] == "expected 3 fields, found 4; the text taken to hold 1 unquoted ','"
    assert frame.loc[2, "text"] == "fine" and frame.loc[2, "error"] is None


def test_trailing_empty_fields_are_not_an_error(tmp_path):
    path = write(tmp_path / "f.csv", "id,text\n1,hello,\n2,world,,\n")
    frame = read_all([path])
    assert frame["error"].isna().all()
    assert list(frame["text"]) == ["hello", "world"]


# ------------------------------------------------------- encodings, delimiters


def test_utf8_bom_is_stripped_from_the_header(tmp_path):
    path = write(tmp_path / "bom.csv", b"\xef\xbb\xbfid,text\n1,caf\xc3\xa9\n")
    frame = read_all([path])
    assert frame.loc[0, "id"] == "1"
    assert frame.loc[0, "text"] == "café"


def test_bom_stripped_even_with_explicit_utf8(tmp_path):
    path = write(tmp_path / "bom.csv", b"\xef\xbb\xbftext\nbonjour\n")
    assert read_all([path], encoding="utf-8").loc[0, "text"] == "bonjour"


@pytest.mark.parametrize("encoding, text", [
    ("latin-1", "Très déçu"),
    ("cp1252", "It’s “fine” – ok"),
])
def test_explicit_encoding(tmp_path, encoding, text):
    path = write(tmp_path / "f.csv", f"text\n{text}\n".encode(encoding))
    frame = read_all([path], encoding=encoding)
    assert frame.loc[0, "text"] == text
    assert frame.loc[0, "error"] is None


def test_utf16_detected_by_bom(tmp_path):
    path = write(tmp_path / "excel.txt", "id\ttext\n1\tgood\n".encode("utf-16"))
    assert read_all([path]).loc[0, "text"] == "good"


def test_unknown_encoding_is_an_input_error(tmp_path):
    path = write(tmp_path / "f.csv", "text\nx\n")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_feedback([str(path)], encoding="klingon")


@pytest.mark.parametrize("name, content", [
    ("semi.csv", "id;text;rating\n1;Bien, merci;4\n2;Nul;1\n"),
    ("tabs.tsv", "id\ttext\trating\n1\tGood, thanks\t4\n2\tBad\t1\n"),
    ("pipes.txt", "id|text|rating\n1|Good; thanks|4\n2|Bad|1\n"),
])
def test_delimiter_is_sniffed(tmp_path, name, content):
    frame = read_all([write(tmp_path / name, content)])
    assert list(frame["id"]) == ["1", "2"]
    assert frame.loc[0, "text"] in ("Bien, merci", "Good, thanks", "Good; thanks")
    assert list(frame["rating"]) == [4.0, 1.0]


def test_single_column_file_keeps_commas_in_text(tmp_path):
    path = write(tmp_path / "reviews.txt", 'text\nGood, but slow; meh\n"Quoted, too"\n')
    frame = read_all([path])
    assert list(frame["text"]) == ["Good, but slow; meh", "Quoted, too"]
    assert frame["error"].isna().all()


def test_gzipped_csv(tmp_path):
    path = tmp_path / "f.csv.gz"
    path.write_bytes(gzip.compress(b"id,text\n1,zipped\n"))
    assert read_all([path]).loc[0, "text"] == "zipped"


# ----------------------------------------------------------- JSONL and JSON


def test_jsonl_rows_and_line_numbers(tmp_path):
    lines = [
        json.dumps({"id": 1, "review": "Loved it", "stars": 5}),
        "",  # blank lines are skipped but still counted
        '{"id": 2, "review": "broken',
        json.dumps(["not", "an", "object"]),
        json.dumps({"review": "No id here", "stars": "4/5", "channel": "app"}),
    ]
    path = write(tmp_path / "f.jsonl", "\n".join(lines) + "\n")
    frame = read_all([path])
    assert list(frame["source_row"]) == [1, 3, 4, 5]
    assert frame.loc[0, "id"] == "1" and frame.loc[0, "text"] == "Loved it"
    assert re.fullmatch(r".*f\.jsonl line 3: invalid JSON \(.+\)", frame.loc[1, "error"])
    assert frame.loc[2, "error"].endswith("line 4: expected a JSON object, found an array")
    # The channel key first appears on line 5: keys are learnt from a sample.
    assert frame.loc[3, "channel"] == "app"
    assert frame.loc[3, "rating"] == 4.0
    assert frame.loc[3, "id"].startswith("vc-")


def test_gzipped_jsonl(tmp_path):
    path = tmp_path / "f.ndjson.gz"
    path.write_bytes(gzip.compress(b'{"text": "one"}\n{"text": "two"}\n'))
    assert list(read_all([path])["text"]) == ["one", "two"]


def test_json_array_read_in_small_blocks(tmp_path, monkeypatch):
    # Tiny blocks force items, strings and numbers to be split across reads.
    monkeypatch.setattr(readers, "JSON_BLOCK_CHARS", 7)
    items = [{"id": 12345, "text": "first review, long enough to span blocks", "rating": 4.5},
             "not an object",
             {"id": 7, "text": "Ünïcödé ✓", "rating": 123456}]
    path = write(tmp_path / "f.json", json.dumps(items, ensure_ascii=False, indent=2))
    frame = read_all([path])
    assert list(frame["id"])[::2] == ["12345", "7"]
    assert frame.loc[0, "text"] == items[0]["text"]
    assert frame.loc[2, "rating"] == 123456.0
    assert frame.loc[2, "text"] == "Ünïcödé ✓"
    assert frame.loc[1, "error"].endswith("item 2: expected a JSON object, found a string")


def test_json_that_is_not_an_array(tmp_path):
    path = write(tmp_path / "f.json", '{"reviews": []}')
    with pytest.raises(InputError, match="expected a JSON array of objects"):
        read_all([path])


def test_json_with_a_syntax_error(tmp_path):
    path = write(tmp_path / "f.json", '[{"text": "a"}, {"text": }]')
    with pytest.raises(InputError, match=r"f\.json: invalid JSON in item 2"):
        read_all([path])


# ------------------------------------------------------------------ Parquet


def test_parquet_in_chunks(tmp_path):
    path = tmp_path / "f.parquet"
    table = pa.table({
        "ReviewId": [1.0, 2.0, 3.0, 4.0, None],
        "Body": ["a", "b", "c", "d", "e"],
        "Posted_At": pa.array([pd.Timestamp("2024-01-02 03:04:05")] * 5, pa.timestamp("ms")),
        "unused": [0] * 5,
    })
    pq.write_table(table, path)
    chunks = list(read_feedback([str(path)], ColumnMap(id="ReviewId"), chunk_size=2))
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    frame = pd.concat(chunks, ignore_index=True)
    assert list(frame["id"][:4]) == ["1", "2", "3", "4"]
    assert frame.loc[4, "id"] == generated_id(str(path), 5, "e")
    assert frame.loc[0, "created_at"] == pd.Timestamp("2024-01-02 03:04:05", tz="UTC")


# -------------------------------------------------------------- chats/turns


def test_turns_from_json_strings_in_csv(tmp_path):
    good = json.dumps([{"speaker": "customer", "text": "My bag is lost"},
                       {"role": "agent", "content": "Sorry to hear that"}])
    rows = [["c1", good], ["c2", "[{not json"], ["c3", ""]]
    content = "conversation_id,turns\n" + "".join(
        f'{cid},"{value.replace(chr(34), chr(34) * 2)}"\n' for cid, value in rows)
    frame = read_all([write(tmp_path / "chats.csv", content)])
    assert frame.loc[0, "text"] == ""
    assert frame.loc[0, "turns"] == [{"speaker": "customer", "text": "My bag is lost"},
                                     {"speaker": "agent", "text": "Sorry to hear that"}]
    assert frame.loc[0, "error"] is None
    assert "row 2: column turns: invalid turns" in frame.loc[1, "error"]
    assert frame.loc[2, "error"].endswith("row 3: empty text and no turns")


def test_turns_as_lists_in_jsonl(tmp_path):
    line = {"id": "x", "messages": [{"speaker": "agent", "text": "Hi"}, "plain string"]}
    frame = read_all([write(tmp_path / "c.jsonl", json.dumps(line))])
    assert frame.loc[0, "turns"] == [{"speaker": "agent", "text": "Hi"},
                                     {"speaker": None, "text": "plain string"}]


def test_turns_over_the_limit_are_cut(tmp_path):
    line = {"turns": [{"speaker": "a", "text": "x" * 6}, {"speaker": "b", "text": "y" * 6},
                      {"speaker": "c", "text": "z"}]}
    frame = read_all([write(tmp_path / "c.jsonl", json.dumps(line))], max_text_chars=8)
    assert [t["text"] for t in frame.loc[0, "turns"]] == ["x" * 6, "yy"]
    assert "turns have 13 characters, over the limit of 8" in frame.loc[0, "error"]


# ----------------------------------------------------------------- values


def test_generated_ids_are_stable_and_distinct(tmp_path):
    path = write(tmp_path / "noid.csv", "text\nsame\nsame\n")
    first, second = read_all([path]), read_all([path])
    assert list(first["id"]) == list(second["id"])
    assert first.loc[0, "id"] != first.loc[1, "id"]
    assert re.fullmatch(r"vc-[0-9a-f]{16}", first.loc[0, "id"])
    # Only the base name counts, so the id survives moving the file.
    assert first.loc[0, "id"] == generated_id("elsewhere/noid.csv", 1, "same")


def test_numeric_ids_lose_their_point_zero(tmp_path):
    path = write(tmp_path / "f.csv", "id,text\n570306133677760513.0,a\n42,b\n ,c\nabc.0,d\n")
    assert list(read_all([path])["id"])[:2] == ["570306133677760513", "42"]
    assert read_all([path])["id"][2].startswith("vc-")
    assert read_all([path])["id"][3] == "abc.0"


def test_missing_values_are_none_and_types_are_canonical(tmp_path):
    path = write(tmp_path / "f.csv", "text,date,rating,lang\nhello,,,\n")
    frame = read_all([path])
    assert list(frame.columns) == list(FEEDBACK_COLUMNS)
    row = frame.iloc[0]
    assert row["created_at"] is None and row["rating"] is None and row["lang"] is None
    assert row["channel"] is None and row["turns"] is None and row["error"] is None
    assert frame["source_row"].dtype == "int64"


def test_unparseable_date_and_rating_become_warnings(tmp_path):
    path = write(tmp_path / "f.csv", "text,date,rating\nhello,someday,great\n")
    row = read_all([path]).iloc[0]
    assert row["created_at"] is None and row["rating"] is None and row["error"] is None
    assert row["warnings"] == [
        "column date: could not read 'someday' as a date; left empty",
        "column rating: could not read 'great' as a rating; left empty",
    ]


@pytest.mark.parametrize("value, expected", [
    ("2015-02-24 11:35:52 -0800", "2015-02-24T19:35:52Z"),
    ("2015-02-24T11:35:52Z", "2015-02-24T11:35:52Z"),
    ("2015-02-24", "2015-02-24T00:00:00Z"),
    ("Tue Feb 24 11:35:52 +0000 2015", "2015-02-24T11:35:52Z"),
    ("Tue, 24 Feb 2015 11:35:52 -0800", "2015-02-24T19:35:52Z"),
    ("02/24/2015", "2015-02-24T00:00:00Z"),
    ("24/02/2015 10:00", "2015-02-24T10:00:00Z"),
    ("February 24, 2015", "2015-02-24T00:00:00Z"),
    ("1424806552", "2015-02-24T19:35:52Z"),
    (1424806552000, "2015-02-24T19:35:52Z"),
])
def test_parse_timestamp(value, expected):
    assert parse_timestamp(value) == pd.Timestamp(expected)
    assert str(parse_timestamp(value).tz) == "UTC"


@pytest.mark.parametrize("value", ["someday", "2015-13-45", "March"])
def test_parse_timestamp_rejects(value):
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize("value, expected", [
    ("4", 4.0), ("4.5", 4.5), ("4,5", 4.5), ("4/5", 4.0), ("4.0 out of 5 stars", 4.0),
    (3, 3.0), ("", None), (None, None), (math.nan, None),
])
def test_parse_rating(value, expected):
    assert parse_rating(value) == expected


@pytest.mark.parametrize("value", ["great", "N/A", True, "inf"])
def test_parse_rating_rejects(value):
    with pytest.raises(ValueError):
        parse_rating(value)


def test_nps_and_csat_out_of_range_become_warnings(tmp_path):
    path = write(tmp_path / "survey.csv", "text,nps,csat\ngood,9,4.5\nbad,11,0\nmeh,7.5,\n")
    frame = read_all([path])
    assert frame["nps"].tolist()[0] == 9.0 and frame["csat"].tolist()[0] == 4.5
    assert frame["nps"].iloc[1] is None and frame["csat"].iloc[1] is None
    assert frame["warnings"].iloc[1] == ["column nps: could not read '11' as an NPS score (0-10); left empty",
                                         "column csat: could not read '0' as a CSAT score (1-5); left empty"]
    assert frame["nps"].iloc[2] is None  # NPS answers are whole numbers
    assert frame["csat"].iloc[2] is None and frame["error"].tolist() == [None, None, None]


# ------------------------------------------------------- paths and chunking


def test_globs_are_sorted_and_chunks_span_files(tmp_path):
    write(tmp_path / "b.csv", "text\nb1\nb2\n")
    write(tmp_path / "a.csv", "text\na1\na2\na3\n")
    chunks = list(read_feedback([str(tmp_path / "*.csv")], chunk_size=2))
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    frame = pd.concat(chunks, ignore_index=True)
    assert list(frame["text"]) == ["a1", "a2", "a3", "b1", "b2"]
    assert list(frame["source_row"]) == [1, 2, 3, 1, 2]
    assert frame.loc[3, "source_file"] == str(tmp_path / "b.csv")


def test_path_errors_are_raised_before_reading(tmp_path):
    with pytest.raises(InputError, match="missing.csv: file not found"):
        read_feedback([str(tmp_path / "missing.csv")])
    with pytest.raises(InputError, match=r"\*\.jsonl: no files match this pattern"):
        read_feedback([str(tmp_path / "*.jsonl")])
    with pytest.raises(InputError, match=r"unsupported file type '\.xls'"):
        read_feedback([str(write(tmp_path / "f.xls", b""))])


def test_missing_text_column_names_the_file(tmp_path):
    path = write(tmp_path / "f.csv", "Id,Remarks\n1,x\n")
    expected = r"f\.csv: no text column found .* columns present: Id, Remarks"
    with pytest.raises(InputError, match=expected):
        read_all([path])


@pytest.mark.parametrize("name, content", [
    ("empty.csv", ""), ("header.csv", "id,text\n"), ("blank_rows.csv", "id,text\n\n\r\n"),
    ("empty.jsonl", "\n"), ("empty.json", "[]"), ("empty.csv.gz", gzip.compress(b"")),
])
def test_empty_files_are_refused_before_reading(tmp_path, name, content):
    write(tmp_path / "good.csv", "text\nfine\n")
    with pytest.raises(InputError, match=f"{re.escape(name)}: no data rows"):
        read_feedback([str(tmp_path / "good.csv"), str(write(tmp_path / name, content))])


def test_empty_parquet_is_refused(tmp_path):
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), path)
    with pytest.raises(InputError, match="empty.parquet: no data rows"):
        read_feedback([str(path)])


@pytest.mark.parametrize("name", ["bad.parquet", "bad.csv.gz"])
def test_corrupt_files_are_input_errors(tmp_path, name):
    path = write(tmp_path / name, b"this is not what the extension says")
    with pytest.raises(InputError, match=f"{name}: could not read the file"):
        read_all([path])


def test_directory_is_refused(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        read_feedback([str(tmp_path)])
