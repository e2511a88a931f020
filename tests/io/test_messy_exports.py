"""Regression tests for exports that used to lose rows or be refused whole (issue 21).

Each test builds the file a user actually had: a UTF-8 CSV with one Latin-1
row and ragged rows, a French semicolon export, NUL bytes and mixed line
endings, empty exports, and Excel workbooks.
"""

import datetime as dt

import pandas as pd
import pytest

from voc_nlp.io import FEEDBACK_COLUMNS, ColumnMap, InputError, read_feedback

# Header id,text,rating; row 2 in Latin-1 bytes among UTF-8 rows, row 3 with
# two extra fields (commas not quoted in the review), row 4 a field short.
MIXED_CSV = (
    "id,text,rating\n"
    "1,Très bon accueil,5\n".encode("utf-8")
    + "2,Café froid et service très lent,2\n".encode("latin-1")
    + b"3,Late again, no refund, no answer,1\n"
    + b"4,Missing its rating\n"
    + "5,Rien à redire,4\n".encode("utf-8")
)


def read_all(paths, **options) -> pd.DataFrame:
    chunks = list(read_feedback([str(p) for p in paths], **options))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=list(FEEDBACK_COLUMNS))


@pytest.fixture
def mixed_csv(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(MIXED_CSV)
    return path


@pytest.mark.parametrize("columns", [None, ColumnMap(text="text")])
def test_every_row_of_a_mixed_csv_comes_out(mixed_csv, columns):
    frame = read_all([mixed_csv], columns=columns)
    assert list(frame["id"]) == ["1", "2", "3", "4", "5"]
    assert frame["error"].isna().all(), list(frame["error"])
    assert list(frame["text"]) == [
        "Très bon accueil", "Café froid et service très lent",
        "Late again, no refund, no answer", "Missing its rating", "Rien à redire",
    ]
    assert list(frame["rating"]) == [5.0, 2.0, 1.0, None, 4.0]
    warnings = list(frame["warnings"])
    assert warnings[0] == warnings[4] == []
    assert warnings[1] == ["column text: not valid UTF-8, read as cp1252"]
    assert warnings[2] == ["expected 3 fields, found 5; the text taken to hold 2 unquoted ','"]
    assert warnings[3] == ["expected 3 fields, found 2; the missing ones left empty"]


def test_french_semicolon_export(tmp_path):
    path = tmp_path / "avis.csv"
    path.write_text("id;texte;note;canal;date\n"
                    "a1;Livraison lente, colis abîmé;2;web;12/03/2026\n"
                    "a2;Très bon produit;5;appli;13/03/2026\n", encoding="utf-8")
    frame = read_all([path])
    assert list(frame["text"]) == ["Livraison lente, colis abîmé", "Très bon produit"]
    assert list(frame["rating"]) == [2.0, 5.0]
    assert list(frame["channel"]) == ["web", "appli"]
    assert frame.loc[1, "created_at"] == pd.Timestamp("2026-03-13", tz="UTC")
    assert frame["error"].isna().all()


@pytest.mark.parametrize("header, text_column", [
    ("id;commentaire", "commentaire"), ("id;avis", "avis"), ("id;verbatim", "verbatim"),
])
def test_french_text_headers(tmp_path, header, text_column):
    path = tmp_path / "f.csv"
    path.write_text(f"{header}\n1;Service client injoignable, c'est pénible\n", encoding="utf-8")
    assert read_all([path]).loc[0, "text"] == "Service client injoignable, c'est pénible"


def test_a_huge_row_does_not_hide_the_headers_delimiter(tmp_path):
    # A 200,000-character review among the first lines used to make every
    # delimiter fail the sniffing: the file was read as one column "id,text"
    # and refused whole ("no text column found; columns present: id,text").
    path = tmp_path / "f.csv"
    path.write_text("id,text\n1," + "x" * 200_000 + "\n2,short one\n", encoding="utf-8")
    frame = read_all([path])
    assert list(frame["id"]) == ["1", "2"]
    assert "over the limit of 20000" in frame.loc[0, "error"] and frame.loc[0, "warnings"] == []
    assert frame.loc[1, "text"] == "short one" and frame.loc[1, "error"] is None


def test_nul_bytes_and_mixed_line_endings(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'id,text\r\n1,hello\x00 world\n2,second\r3,"multi\r\nline"\r\n4,last')
    frame = read_all([path])
    assert list(frame["text"]) == ["hello world", "second", "multi\r\nline", "last"]
    assert frame.loc[0, "warnings"] == ["column text: NUL characters removed"]
    assert frame["error"].isna().all()


def test_utf16_without_bom_is_recognised(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes("id\ttext\n1\tÇa marche\n".encode("utf-16-le"))
    frame = read_all([path])
    assert frame.loc[0, "text"] == "Ça marche" and frame.loc[0, "error"] is None


@pytest.mark.parametrize("content", [b"", b"\n\n", b"id,text,rating\n", b"id,text,rating\r\n\r\n"])
def test_empty_export_is_an_input_error(tmp_path, content):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="export.csv: no data rows"):
        read_feedback([str(path)])


# ------------------------------------------------------------------ xlsx


@pytest.fixture
def workbook(tmp_path):
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is not installed")
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Avis"
    first.append(["Identifiant", "Texte", "Note", "Date"])
    first.append([101, "Colis jamais arrivé", 1, dt.datetime(2026, 3, 1, 9, 30)])
    first.append([None, None, None, None])  # an empty row in the middle
    first.append([102, "Parfait", 5.0, "2026-03-02"])
    second = book.create_sheet("Tickets")
    second.append(["id", "body"])
    second.append(["t1", "App crashes at login"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    return path


def test_xlsx_first_sheet(workbook):
    frame = read_all([workbook])
    assert list(frame["id"]) == ["101", "102"]
    assert list(frame["text"]) == ["Colis jamais arrivé", "Parfait"]
    assert list(frame["rating"]) == [1.0, 5.0]
    assert frame.loc[0, "created_at"] == pd.Timestamp("2026-03-01 09:30", tz="UTC")
    assert list(frame["source_row"]) == [1, 3]  # the empty row is skipped, not renumbered


def test_xlsx_named_sheet(workbook):
    frame = read_all([workbook], sheet="Tickets")
    assert list(frame["id"]) == ["t1"] and frame.loc[0, "text"] == "App crashes at login"
    with pytest.raises(InputError, match="no sheet named 'Nope'; sheets present: Avis, Tickets"):
        read_feedback([str(workbook)], sheet="Nope")


def test_corrupt_xlsx_is_an_input_error(tmp_path):
    pytest.importorskip("openpyxl", reason="openpyxl is not installed")
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="bad.xlsx: could not read the file as .xlsx"):
        read_feedback([str(path)])
