"""Personal data through the whole pipeline: masked before the models read the
text, absent from every output field and from the report; kept with
`privacy.mask: false` / `voc-nlp enrich --no-mask`."""

import json

import pandas as pd

from voc_nlp.cli.__main__ import main
from voc_nlp.io import open_writer, records_to_frame
from voc_nlp.report import build_report

EMAIL, PHONE, CARD = "jane.doe@gmail.com", "06 12 34 56 78", "4111 1111 1111 1111"
TEXTS = [
    f"My parcel never arrived and support ignores me. Email me at {EMAIL} or call {PHONE}, order 4501239876.",
    "Colis jamais arrivé, remboursez-moi vite. Commande du 12/03/2024, 49,99 €.",
]


def _all_strings(record) -> str:
    """Every text a record carries, nested fields included."""
    return json.dumps(records_to_frame([record]).to_dict("records"), default=str, ensure_ascii=False)


def test_enriched_records_show_placeholders_only(pipeline):
    masked, plain = pipeline.enrich_texts(TEXTS)
    assert masked.pii_found == ["EMAIL", "PHONE"] and plain.pii_found == []
    assert f"Email me at <EMAIL> or call <PHONE>, order 4501239876." in masked.text
    everything = _all_strings(masked)
    assert EMAIL not in everything and PHONE not in everything
    # Unit offsets point into the masked text, so evidence quotes the placeholders too.
    assert all(masked.text[u.start : u.end] == u.text for u in masked.units)
    assert plain.text == TEXTS[1]  # dates, prices and order numbers stay


def test_chat_turns_are_masked(pipeline):
    frame = pd.DataFrame({
        "id": ["c1"],
        "turns": [json.dumps([
            {"speaker": "customer", "text": f"I was charged twice on {CARD}, refund please"},
            {"speaker": "agent", "text": "Sorry about that, refunding now."},
        ])],
    })
    out = pipeline.enrich(frame)
    assert list(out["pii_found"][0]) == ["CARD"]
    assert CARD not in out["text"][0] and "<CARD>" in out["units"][0][0]["text"]


def test_mask_false_keeps_the_raw_text(pipeline, monkeypatch):
    monkeypatch.setitem(pipeline.config, "privacy", {"mask": False})
    (record,) = pipeline.enrich_texts(TEXTS[:1])
    assert record.text == TEXTS[0]
    assert record.pii_found == ["EMAIL", "PHONE"]  # still listed, for auditing


def test_cli_no_mask(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": ["r1"], "text": [TEXTS[0]]}).to_csv(src, index=False)
    masked, raw = tmp_path / "masked.jsonl", tmp_path / "raw.jsonl"
    assert main(["enrich", str(src), "-o", str(masked), "--quiet"]) == 0
    assert main(["enrich", str(src), "-o", str(raw), "--quiet", "--no-mask"]) == 0
    masked_row = json.loads(masked.read_text().splitlines()[0])
    raw_row = json.loads(raw.read_text().splitlines()[0])
    assert EMAIL not in masked.read_text() and "<EMAIL>" in masked_row["text"]
    assert raw_row["text"] == TEXTS[0]
    assert masked_row["pii_found"] == raw_row["pii_found"] == ["EMAIL", "PHONE"]


def _report_html(records, tmp_path) -> str:
    for record in records:  # as the topic step would file them
        record.topic_id, record.topic_label, record.topic_keywords = 0, "parcel never arrived", ["parcel"]
        record.pain_point, record.pain_point_score = True, 0.9
    path = tmp_path / "records.parquet"
    with open_writer(str(path)) as writer:
        writer.write(records_to_frame(records))
    html, _ = build_report(str(path), None)
    return html


def test_report_never_shows_the_raw_values(pipeline, tmp_path):
    html = _report_html(pipeline.enrich_texts(TEXTS), tmp_path)
    assert "&lt;EMAIL&gt; or call &lt;PHONE&gt;" in html  # the quote is there, masked
    assert EMAIL not in html and PHONE not in html


def test_report_masks_quotes_of_records_written_unmasked(pipeline, monkeypatch, tmp_path):
    monkeypatch.setitem(pipeline.config, "privacy", {"mask": False})
    records = pipeline.enrich_texts(TEXTS)
    assert EMAIL in records[0].text
    html = _report_html(records, tmp_path)
    assert "&lt;EMAIL&gt; or call &lt;PHONE&gt;" in html
    assert EMAIL not in html and PHONE not in html
