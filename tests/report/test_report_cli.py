"""`voc-nlp report` as an analyst runs it: HTML, --tables, --lang fr, empty journey/topic columns."""

import re

import pandas as pd
import pytest

from voc_nlp.cli.__main__ import main
from voc_nlp.report import build_report
from voc_nlp.report.i18n import STRINGS
from voc_nlp.taxonomy import Taxonomy

SECTION_IDS = ("overview", "journey", "curve", "pain", "trends", "impact", "chats", "costs", "churn", "nonpurchase", "nps")


def test_report_and_tables(filled_parquet, tmp_path, capsys):
    html_path, tables = tmp_path / "report.html", tmp_path / "tables"
    assert main(["report", str(filled_parquet), "-o", str(html_path), "--tables", str(tables)]) == 0
    html = html_path.read_text(encoding="utf-8")
    for key in SECTION_IDS:
        assert f'<section id="{key}">' in html
    # Self-contained: nothing loaded from elsewhere.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script>" in html and "<style>" in html
    for name in ("overview", "by_channel", "by_language", "emotions", "journey_map", "journey_phases",
                 "emotion_curve", "pain_points", "trends", "emerging_topics", "impact", "chats", "contact_costs",
                 "journey_signals", "churn_reasons", "non_purchase_reasons", "nps", "nps_drivers", "csat"):
        assert (tables / f"{name}.csv").exists() and (tables / f"{name}.parquet").exists(), name
    cells = pd.read_csv(tables / "journey_map.csv")
    row = cells[(cells.phase == "retention") & (cells.touchpoint == "delivery")].iloc[0]
    assert row["items"] == 4 and row["net_sentiment"] == pytest.approx(-0.5)
    assert pd.read_parquet(tables / "impact.parquet")["key"].tolist()[0] == "0"
    # The cell in the HTML carries the same numbers.
    cell = re.search(r'<td class="cell" data-phase="retention" data-touchpoint="delivery" data-items="(\d+)" '
                     r'data-net="(-?\d+)"', html)
    assert cell and cell.groups() == ("4", "-50")
    assert "late delivery" in html and "My parcel is three weeks late" in html
    assert "voc-nlp report: 10 items" in capsys.readouterr().err


def test_french_labels(filled_parquet, tmp_path):
    out = tmp_path / "rapport.html"
    assert main(["report", str(filled_parquet), "-o", str(out), "--lang", "fr", "--quiet"]) == 0
    html = out.read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    for key in ("journey", "pain", "chats", "net_sentiment"):
        assert STRINGS["fr"][key].replace("'", "&#x27;") in html
    tax = Taxonomy.load()
    for kind, key in (("touchpoint", "delivery"), ("phase", "retention"), ("emotion", "frustration")):
        fr, en = tax.label(kind, key, "fr"), tax.label(kind, key, "en")
        assert fr.replace("'", "&#x27;") in html, (kind, key)
    if tax.journey.stages:
        assert tax.label("stage", "after_purchase", "fr").replace("'", "&#x27;") in html
    assert "\u2212" in html and "\u202f%" in html  # French number format: 50 %, real minus sign
    assert STRINGS["en"]["journey"] not in html


def test_empty_journey_and_topics_say_so(empty_parquet, tmp_path):
    html, data = build_report(str(empty_parquet), tmp_path / "r.html", tables_dir=tmp_path / "t")
    assert STRINGS["en"]["no_journey"] in html
    assert STRINGS["en"]["no_topics"] in html
    assert STRINGS["en"]["no_impact_tags"] in html
    assert 'id="journey-map"' not in html
    assert pd.read_csv(tmp_path / "t" / "journey_map.csv").empty
    html_fr, _ = build_report(str(empty_parquet), None, lang="fr")
    assert STRINGS["fr"]["no_journey"].replace("'", "&#x27;") in html_fr


def test_labels_fall_back_to_ids_without_journey_taxonomy(filled_parquet, tmp_path):
    """A taxonomy with only sentiment and emotions: phases and touchpoints title-cased from the data."""
    import yaml

    from voc_nlp.paths import default_taxonomy

    full = yaml.safe_load(default_taxonomy().read_text(encoding="utf-8"))
    path = tmp_path / "minimal.yaml"
    path.write_text(yaml.safe_dump({k: full[k] for k in ("sentiment", "emotions")}, allow_unicode=True),
                    encoding="utf-8")
    html, data = build_report(str(filled_parquet), None, taxonomy=path)
    assert ">Customer Support<" in html and ">Retention<" in html
    assert len(data.tables["journey_map"]) == 5


def test_no_rating_column(tmp_path, filled_parquet):
    frame = pd.read_parquet(filled_parquet)
    frame["rating"] = None
    from voc_nlp.io import open_writer

    path = tmp_path / "norating.parquet"
    with open_writer(str(path)) as writer:
        writer.write(frame.astype(object).where(frame.notna(), None))
    html, data = build_report(str(path), None)
    assert STRINGS["en"]["no_rating"] in html and data.tables["impact"].empty


def test_bad_input_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.parquet"), "-o", str(tmp_path / "r.html")]) == 2
    assert "no such file" in capsys.readouterr().err
    raw = tmp_path / "raw.parquet"
    pd.DataFrame({"text": ["hello"]}).to_parquet(raw)
    assert main(["report", str(raw), "-o", str(tmp_path / "r.html")]) == 2
    assert "not enriched" in capsys.readouterr().err


@pytest.mark.parametrize("ext", ["parquet", "jsonl", "duckdb"])
def test_taxonomy_comes_from_the_outputs_metadata(filled_parquet, tmp_path, ext):
    """Without --taxonomy the report labels with the taxonomy the output records
    (io.writers metadata): here one without phases, so they are title-cased ids."""
    import yaml

    import pyarrow.parquet as pq

    from voc_nlp.io.writers import open_writer, read_metadata
    from voc_nlp.paths import default_taxonomy

    full = yaml.safe_load(default_taxonomy().read_text(encoding="utf-8"))
    text = yaml.safe_dump({k: full[k] for k in ("sentiment", "emotions")}, allow_unicode=True)
    meta = {"voc_nlp.taxonomy": text, "voc_nlp.taxonomy_path": str(tmp_path / "gone" / "minimal.yaml"),
            "voc_nlp.schema_version": "1.0"}
    path = tmp_path / f"out.{ext}"
    with open_writer(str(path), metadata=meta) as writer:
        writer.write_table(pq.read_table(filled_parquet))
    assert read_metadata(str(path)) == meta
    html, _ = build_report(str(path), None)
    assert ">Customer Support<" in html
    html, _ = build_report(str(path), None, taxonomy=default_taxonomy())
    assert ">Customer Support<" not in html
