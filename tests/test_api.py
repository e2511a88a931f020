"""The Python API as the README shows it: voc_nlp.load(), enrich(df), enrich_texts(list), pipe(dicts)."""

import inspect
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import voc_nlp
from voc_nlp.io.columns import ColumnMap
from voc_nlp.paths import default_config
from voc_nlp.pipeline import ConfigError, InvalidItem, Pipeline, config_path

SRC = Path(__file__).resolve().parents[1] / "src"


def test_import_is_cheap_no_model_no_heavy_library():
    code = ("import sys, voc_nlp; heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', "
            "'pandas', 'voc_nlp.pipeline', 'voc_nlp.encoders') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"
    assert callable(voc_nlp.load)


def test_load_resolves_default_file_and_folder(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(Pipeline, "from_config", classmethod(lambda cls, path, overrides=None: seen.append(path) or "pipe"))
    assert voc_nlp.load() == "pipe"
    config = tmp_path / "my.yaml"
    config.write_text("pipeline: []\n")
    voc_nlp.load(config)
    folder = tmp_path / "pipe"
    folder.mkdir()
    (folder / "config.yaml").write_text("pipeline: []\n")
    voc_nlp.load(str(folder))
    assert seen == [default_config(), config, folder / "config.yaml"]


def test_load_says_what_is_missing(tmp_path):
    with pytest.raises(ConfigError, match="no pipeline config in folder"):
        config_path(tmp_path)
    with pytest.raises(ConfigError, match="config file not found"):
        voc_nlp.load(tmp_path / "nope.yaml")


def test_load_builds_a_working_pipeline_from_a_folder(tmp_path, default_config_anywhere):
    # A pipeline folder: a config whose paths point back at the shipped models and rules.
    folder = tmp_path / "pipeline"
    folder.mkdir()
    (folder / "config.yaml").write_text(default_config_anywhere)
    nlp = voc_nlp.load(folder)
    (record,) = nlp.enrich_texts(["Parcel late again, nobody answers the phone."])
    assert record.sentiment == "negative" and record.error is None


def test_enrich_dataframe_with_column_mapping(pipeline):
    frame = pd.DataFrame({"ticket": ["t1", "t2"], "body": ["Refund never arrived, I am furious.", "Great app, thanks!"],
                          "opened": ["2026-03-01", "2026-03-02"]})
    out = pipeline.enrich(frame, ColumnMap(text="body", id="ticket", time="opened"))
    assert isinstance(out, pd.DataFrame)
    assert out["id"].tolist() == ["t1", "t2"]
    assert out["sentiment"].tolist() == ["negative", "positive"]
    assert str(out["created_at"][0].date()) == "2026-03-01"


def test_pipe_is_a_generator_of_json_records_in_order(pipeline):
    items = [
        {"id": "a", "text": "The courier left my parcel in the rain.", "rating": 1, "created_at": "2026-03-01"},
        {"id": "b", "text": "Livraison rapide, merci !", "channel": "app_review"},
        "Plain strings are texts too",
        {"id": "d", "turns": [{"speaker": "customer", "text": "my refund is late"},
                              {"speaker": "agent", "text": "sorry, it is on its way"}]},
    ]
    out = pipeline.pipe(items, batch_size=3)
    assert inspect.isgenerator(out)
    records = list(out)
    assert len(records) == 4
    assert [r["id"] for r in records[:2]] == ["a", "b"] and records[3]["id"] == "d"
    assert records[0]["sentiment"] == "negative" and records[1]["sentiment"] == "positive"
    assert records[0]["created_at"].startswith("2026-03-01T") and records[0]["rating"] == 1.0
    assert records[1]["channel"] == "app_review" and records[1]["lang"] == "fr"
    assert records[2]["text"] == "Plain strings are texts too"
    assert [u["speaker"] for u in records[3]["units"]] == ["customer", "agent"]
    assert all(r["error"] is None for r in records)
    json.dumps(records, allow_nan=False)  # JSON-ready, as a line of the JSONL output


def test_pipe_gives_bad_items_an_error_record_in_place(pipeline):
    items = [{"id": "ok", "text": "Support was great"}, {"id": "empty"}, 42,
             InvalidItem("bad shape", id="given"), {"id": "ok2", "text": "App crashes on login"}]
    records = list(pipeline.pipe(items))
    assert [r["id"] for r in records][:2] == ["ok", "empty"]
    assert records[3]["id"] == "given" and records[4]["id"] == "ok2"
    assert records[0]["error"] is None and records[4]["error"] is None
    assert "empty text" in records[1]["error"]
    assert "expected a dict or a string, found int" in records[2]["error"]
    assert records[3]["error"] == "bad shape"
    assert records[1]["sentiment"] is None and records[4]["sentiment"] == "negative"


def test_pipe_batch_with_no_text_column_gives_errors_not_an_exception(pipeline):
    records = list(pipeline.pipe([{"foo": 1}, {"bar": 2}]))
    assert [("empty text" in r["error"]) for r in records] == [True, True]
    records = list(pipeline.pipe([{"x": 1}], columns=ColumnMap(text="body")))
    assert "empty text" in records[0]["error"]


def test_pipe_maps_columns_as_the_cli(pipeline):
    items = [{"body": "Checkout keeps failing", "ticket": 7, "stars": "2"}]
    (record,) = pipeline.pipe(items, columns=ColumnMap(text="body", id="ticket", rating="stars"))
    assert record["id"] == "7" and record["rating"] == 2.0 and record["text"] == "Checkout keeps failing"


def test_pipe_streams_lazily_and_batching_does_not_change_records(pipeline):
    texts = ["Parcel late again", "Love the new app", "Où est mon colis ?", "ok", "Refund took a month"]
    endless = itertools.cycle([{"text": t} for t in texts])
    first = list(itertools.islice(pipeline.pipe(endless, batch_size=2), 5))  # an endless input is fine
    one_by_one = list(pipeline.pipe(({"text": t} for t in texts), batch_size=1))
    assert [r["id"] for r in first] == [r["id"] for r in one_by_one]  # ids from positions, not batches
    assert [r["sentiment"] for r in first] == [r["sentiment"] for r in one_by_one]
    for a, b in zip(first, one_by_one):
        assert a["sentiment_score"] == pytest.approx(b["sentiment_score"], abs=1e-3)
    assert [r["sentiment"] for r in first] == [r.sentiment for r in pipeline.enrich_texts(texts)]


def test_pipe_rejects_a_bad_batch_size(pipeline):
    with pytest.raises(ValueError, match="batch_size"):
        list(pipeline.pipe(["x"], batch_size=-1))


def test_pipe_reports_lone_surrogates_per_item(pipeline):
    records = list(pipeline.pipe([{"text": "half \ud800 pair"}, {"text": "Fine"}]))
    assert "undecodable" in records[0]["error"] and records[1]["error"] is None
    json.dumps(records).encode("utf-8")


def test_to_disk_folder_loads_back_and_enriches_the_same(pipeline, tmp_path):
    """`to_disk` writes a self-contained folder (relative paths only) that `load` reads back."""
    import yaml

    import voc_nlp

    folder = pipeline.to_disk(tmp_path / "pipe")
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    assert config["taxonomy"] == "taxonomy.yaml" and (folder / "taxonomy.yaml").is_file()
    assert config["components"]["emotions"]["model"] == "models/emotions"
    assert config["components"]["sentiment"]["swearing"] == "rules/{lang}/swearing.yaml"
    assert (folder / "rules" / "fr" / "swearing.yaml").is_file()
    # The rule components' phrase files travel with it.
    assert config["components"]["contacts"]["phrases"] == "rules/{lang}/contacts.yaml"
    assert (folder / "rules" / "fr" / "non_purchase.yaml").is_file()
    assert "../" not in (folder / "config.yaml").read_text(encoding="utf-8")
    copy = voc_nlp.load(folder)
    assert copy.base_dir == folder
    texts = ["Parcel late again", "Merci, livraison rapide !", "The app crashes when I pay. So frustrated.",
             "How do I change my address?"]
    assert [r.to_dict() for r in copy.enrich_texts(texts)] == [r.to_dict() for r in pipeline.enrich_texts(texts)]
    assert copy.provenance()["voc_nlp.taxonomy"] == pipeline.provenance()["voc_nlp.taxonomy"]
    with pytest.raises(FileExistsError):
        pipeline.to_disk(folder)


def test_profiles_pick_named_settings_and_say_so():
    """The default config's profiles: `fast` (the file as written) and `accurate` (a second encoder and the
    sentiment head over it); the profile is in the provenance; an unknown one is refused by name."""
    fast, accurate = voc_nlp.load(), voc_nlp.load(profile="accurate")
    assert fast.provenance()["voc_nlp.profile"] == "fast"
    assert accurate.provenance()["voc_nlp.profile"] == "accurate"
    assert list(fast.config["encoder"]["adapters"]) == ["affect_emotions"]
    assert list(accurate.config["encoder"]["adapters"]) == ["affect_emotions"]
    assert set(accurate.config["components"]["sentiment"]["models"]) == {"base", "affect_emotions", "e5_sentiment"}
    assert "extra_views" not in fast.config["encoder"]
    assert set(accurate.config["encoder"]["extra_views"]) == {"e5_sentiment"}
    assert fast.provenance()["voc_nlp.config_sha256"] != accurate.provenance()["voc_nlp.config_sha256"]
    texts = ["It's fine I guess, nothing special.", "Colis arrivé cassé, personne ne répond."]
    for nlp in (fast, accurate):
        assert [r.to_dict() for r in nlp.enrich_texts(texts)] == [r.to_dict() for r in nlp.enrich_texts(texts)]
    with pytest.raises(ConfigError, match=r"no profile 'turbo' \(profiles: accurate, fast\)"):
        voc_nlp.load(profile="turbo")


def test_a_saved_profile_loads_back_as_that_profile(tmp_path):
    saved = voc_nlp.load(profile="accurate").to_disk(tmp_path / "accurate")
    again = voc_nlp.load(saved)
    assert again.provenance()["voc_nlp.profile"] == "accurate"
    assert list(again.config["encoder"]["adapters"]) == ["affect_emotions"]
    assert again.config["encoder"]["extra_views"] == {"e5_sentiment": "models/sentiment_e5"}
