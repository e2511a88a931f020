"""The pipeline end to end, with the real encoder and the shipped heads."""

import pandas as pd
import pytest

from voc_nlp.paths import default_pipeline_dir
from voc_nlp.pipeline import ConfigError, Pipeline
from voc_nlp.schema import ARROW_SCHEMA, EnrichedRecord


def test_enrich_texts_scores_clear_english_and_french_items(pipeline):
    records = pipeline.enrich_texts([
        "Worst service ever. My order is two weeks late and nobody answers.",
        "I absolutely love this app, it is fantastic!",
        "Livraison rapide, produit parfait, je suis ravie !",
        "Produit cassé à l'arrivée, service client injoignable. Honteux.",
    ])
    assert [r.sentiment for r in records] == ["negative", "positive", "positive", "negative"]
    assert [r.lang for r in records] == ["en", "en", "fr", "fr"]
    assert records[0].sentiment_score < -0.3 < 0.3 < records[1].sentiment_score
    assert set(records[0].emotions) & {"anger", "frustration"}
    assert "delight" in records[1].emotions
    for r in records:
        assert isinstance(r, EnrichedRecord)
        assert r.error is None
        assert abs(sum(r.sentiment_probs.values()) - 1) < 1e-4
        assert set(r.emotion_scores) == {"anger", "frustration", "worry", "confusion", "sadness",
                                         "delight", "gratitude", "neutral"}
        assert r.model_version and r.schema_version


def test_units_are_sentences_with_offsets_into_the_text(pipeline):
    text = ("Delivery was fast and free, the courier even called ahead to make sure someone would be "
            "home, and the tracking page was updated at every single step of the way from the warehouse "
            "to my front door. "
            "The box arrived crushed and the screen of the tablet inside was cracked, what a mess.")
    assert len(text) > 280  # units.split_above_chars
    (record,) = pipeline.enrich_texts([text])
    assert len(record.units) == 2
    for unit in record.units:
        assert text[unit.start:unit.end] == unit.text
        assert unit.sentiment in {"negative", "neutral", "positive"}
    assert record.units[1].sentiment == "negative"


def test_a_short_text_is_one_unit_read_whole(pipeline):
    text = "  Thanks for nothing. Three hours on the tarmac and not a word from the crew.  "
    (record,) = pipeline.enrich_texts([text])
    (unit,) = record.units
    assert unit.text == record.text.strip() and record.text[unit.start:unit.end] == unit.text
    assert record.sentiment == "negative"


def test_chat_agent_turns_are_kept_but_not_scored(pipeline):
    text = ("Customer: my refund still hasn't arrived, this is ridiculous\n"
            "Agent: I am so sorry, I love helping, everything is wonderful!\n"
            "Customer: still waiting, very annoyed")
    (record,) = pipeline.enrich_texts([text])
    speakers = [u.speaker for u in record.units]
    assert speakers == ["customer", "agent", "customer"]
    agent = record.units[1]
    assert agent.sentiment is None and agent.emotions == []
    assert record.sentiment == "negative"


def test_turns_column_builds_a_transcript(pipeline):
    frame = pd.DataFrame({
        "id": ["c1"],
        "turns": ['[{"speaker": "customer", "text": "Mon colis est perdu depuis 10 jours."},'
                  ' {"speaker": "agent", "text": "Je regarde cela pour vous."},'
                  ' {"speaker": "customer", "text": "Merci beaucoup, problème réglé !"}]'],
    })
    out = pipeline.enrich(frame)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["text"].startswith("[customer] Mon colis")
    assert [u["speaker"] for u in row["units"]] == ["customer", "agent", "customer"]
    assert row["lang"] == "fr"


def test_every_input_row_gives_one_record_even_when_broken(pipeline):
    frame = pd.DataFrame({
        "review": ["Great product", "", "   ", "x" * 30, "Not bad"],
        "stars": [5, 1, 2, 3, "four"],
    })
    small = Pipeline.from_dict({**pipeline.config, "input": {"max_text_chars": 20}},
                               base_dir=default_pipeline_dir())
    out = small.enrich(frame)
    assert len(out) == 5
    errors = out["error"].tolist()
    assert errors[0] is None and errors[4] is None
    assert "empty" in errors[1] and "empty" in errors[2]
    assert "limit" in errors[3]
    assert out["sentiment"][1] is None
    assert out["rating"].tolist()[:4] == [5.0, 1.0, 2.0, 3.0]
    assert any("rating" in w for w in out["warnings"][4])


def test_output_frame_has_the_documented_columns(pipeline):
    out = pipeline.enrich(pd.DataFrame({"text": ["fine", "bad"]}))
    assert list(out.columns) == ARROW_SCHEMA.names
    assert out["id"].is_unique


def test_same_input_same_output(pipeline):
    texts = ["The app crashes every time I open it.", "Très bon accueil en magasin.", "ok"]
    first = [r.to_dict() for r in pipeline.enrich_texts(texts)]
    second = [r.to_dict() for r in Pipeline.from_config().enrich_texts(texts)]
    assert first == second


def test_other_languages_are_processed_with_a_warning(pipeline):
    (record,) = pipeline.enrich_texts(["Das Paket ist leider beschädigt angekommen und niemand antwortet."])
    assert record.lang == "de"
    assert record.sentiment is not None
    assert any("language 'de'" in w for w in record.warnings)


def test_a_misordered_pipeline_is_refused(pipeline):
    config = {**pipeline.config, "pipeline": ["units", "sentiment", "embed"]}
    with pytest.raises(ConfigError, match="'sentiment' needs doc.vectors"):
        Pipeline.from_dict(config, base_dir=default_pipeline_dir())


def test_a_misspelt_component_setting_is_one_clear_line(tmp_path, capsys, default_config_anywhere):
    from voc_nlp.cli.__main__ import main

    config = tmp_path / "typo.yaml"
    config.write_text(default_config_anywhere.replace("max_touchpoints: 4", "max_touchpionts: 4"))
    data = tmp_path / "in.csv"
    data.write_text("text\nParcel late\n")
    assert main(["enrich", str(data), "-o", str(tmp_path / "out.jsonl"), "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "components.journey: unknown setting 'max_touchpionts'" in err[0]
    assert "max_touchpoints" in err[0]  # the settings it could have meant


def test_a_config_that_is_not_valid_yaml_is_one_line_naming_file_and_line(tmp_path, capsys,
                                                                          default_config_anywhere):
    # An unquoted `{lang}` inside a flow list, as an analyst adding a rule file might write it.
    from voc_nlp.cli.__main__ import main

    text = default_config_anywhere.replace("swearing: ", "swearing: [x/{lang}/swearing.yaml, mine.yaml] #", 1)
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "mine.yaml" in row)
    config = tmp_path / "broken.yaml"
    config.write_text(text)
    data = tmp_path / "in.csv"
    data.write_text("text\nParcel late\n")
    for command in (["enrich", str(data), "-o", str(tmp_path / "out.jsonl"), "--quiet"],
                    ["report", str(data), "-o", str(tmp_path / "r.html")],
                    ["train", "journey", str(data), "-o", str(tmp_path / "model")]):
        assert main(command + ["--config", str(config)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"{config}:{line}: not valid YAML" in err[0], (command, err)
    config.write_text("- a list, not settings\n")
    with pytest.raises(ConfigError, match="broken.yaml: not a mapping of settings"):
        Pipeline.from_config(config)
