"""`voc-nlp evaluate` on a small labelled file, as a user runs it."""

import json

import pandas as pd
import pytest

from voc_nlp.cli.__main__ import main

ITEMS = [
    {"id": "e1", "lang": "en", "text": "The parcel arrived two weeks late and the box was crushed.",
     "sentiment": "negative", "emotions": ["frustration"], "phase": "retention", "touchpoints": ["delivery"]},
    {"id": "e2", "lang": "en", "text": "Delivery was fast but customer support never answered my emails.",
     "sentiment": "negative", "emotions": ["frustration"], "phase": "retention",
     "touchpoints": ["customer_support", "delivery"],
     "touchpoint_sentiment": {"delivery": "positive", "customer_support": "negative"}},
    {"id": "f1", "lang": "fr", "text": "Mon colis est arrivé en retard et l'emballage était abîmé.",
     "sentiment": "negative", "emotions": ["frustration"], "phase": "retention", "touchpoints": ["delivery"]},
    {"id": "f2", "lang": "fr", "text": "Impossible de me connecter à mon compte, mot de passe refusé.",
     "sentiment": "negative", "emotions": ["frustration"], "phase": "retention", "touchpoints": ["account"]},
]


def _with_signals(items):
    return [{**i, "intent": "complaint", "effort": False, "churn_risk": False} for i in items]


def _write(tmp_path, items, name="gold.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    return path


def test_evaluate_json_gives_every_figure_overall_and_per_language(tmp_path, capsys):
    assert main(["evaluate", str(_write(tmp_path, ITEMS)), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert [figures[k]["n"] for k in ("all", "en", "fr")] == [4, 2, 2]
    overall = figures["all"]
    for section, key in [("sentiment", "accuracy"), ("sentiment", "macro_f1"), ("emotions", "macro_f1"),
                         ("phase", "accuracy"), ("phase", "macro_f1"), ("touchpoints", "micro_f1"),
                         ("touchpoints", "macro_f1"), ("touchpoint_sentiment", "accuracy")]:
        assert 0.0 <= overall[section][key] <= 1.0, (section, key)
    # These items are easy: the pipeline gets their phase and every gold touchpoint right.
    assert overall["phase"]["accuracy"] == 1.0
    assert overall["touchpoints"]["per_label_f1"]["delivery"] == 1.0
    assert overall["touchpoints"]["per_label_f1"]["account"] == 1.0
    assert overall["touchpoint_sentiment"]["n_labels"] == 2 and overall["touchpoint_sentiment"]["n_items"] == 1
    assert "signals" not in overall  # no intent / effort / churn labels in this file


def test_evaluate_tags_no_extra_touchpoint_on_easy_french_items(tmp_path, capsys):
    assert main(["evaluate", str(_write(tmp_path, ITEMS)), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fr"]["touchpoints"]["micro_f1"] == 1.0


def test_evaluate_reads_each_touchpoint_sentiment_of_a_mixed_sentence(tmp_path, capsys):
    assert main(["evaluate", str(_write(tmp_path, ITEMS)), "--json"]) == 0
    overall = json.loads(capsys.readouterr().out)["all"]
    figures = overall["touchpoint_sentiment"]
    assert (figures["accuracy"], figures["n_labels"], figures["n_items"]) == (1.0, 2, 1)


def test_evaluate_gives_the_cx_signal_figures_when_the_file_has_them(tmp_path, capsys):
    assert main(["evaluate", str(_write(tmp_path, _with_signals(ITEMS))), "--json"]) == 0
    signals = json.loads(capsys.readouterr().out)["all"]["signals"]
    assert signals["intent_accuracy"] == 1.0  # four plain complaints
    assert set(signals) == {"intent_accuracy", "intent_macro_f1", "effort_f1", "churn_risk_f1"}


def test_wrong_gold_labels_lower_the_figures(tmp_path, capsys):
    wrong = [{**i, "phase": "awareness", "touchpoints": ["loyalty_program"],
              "touchpoint_sentiment": {k: "neutral" for k in i.get("touchpoint_sentiment", {})} or None}
             for i in ITEMS]
    assert main(["evaluate", str(_write(tmp_path, wrong)), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["all"]
    assert figures["phase"]["accuracy"] == 0.0
    assert figures["touchpoints"]["micro_f1"] == 0.0
    assert figures["touchpoint_sentiment"]["accuracy"] == 0.0


def test_evaluate_csv_prints_a_table(tmp_path, capsys):
    rows = [{**i, "emotions": ";".join(i["emotions"]), "touchpoints": json.dumps(i["touchpoints"]),
             "touchpoint_sentiment": json.dumps(i.get("touchpoint_sentiment", {}))} for i in ITEMS]
    path = tmp_path / "gold.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "touchpoint micro-F1" in out and "phase macro-F1" in out
    assert main(["evaluate", str(path), "--json"]) == 0
    french = json.loads(capsys.readouterr().out)["fr"]["touchpoints"]["micro_f1"]
    assert f"French touchpoint micro-F1: {french:.3f}\n" in out


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope.jsonl")]) == 2
    assert "not found" in capsys.readouterr().err


def test_sentiment_column_can_be_named(tmp_path, capsys):
    # An export labelled like the airline tweets: `airline_sentiment`, no other gold column.
    rows = [{"text": i["text"], "airline_sentiment": i["sentiment"]} for i in ITEMS]
    path = tmp_path / "tweets.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["evaluate", str(path), "--sentiment-col", "airline_sentiment", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["all"]["sentiment"]["n"] == 4 and figures["all"]["sentiment"]["accuracy"] == 1.0
    assert main(["evaluate", str(path), "--sentiment-col", "stars"]) == 2
    assert "no 'stars' column" in capsys.readouterr().err


def test_figures_by_any_column(tmp_path, capsys):
    # One group's gold is wrong: the breakdown shows which group the errors come from.
    items = [{**i, "channel": "review" if i["id"] in ("e1", "f1") else "chat"} for i in ITEMS]
    items[3] = {**items[3], "phase": "awareness"}
    path = _write(tmp_path, items)
    assert main(["evaluate", str(path), "--by", "channel", "--json"]) == 0
    by = json.loads(capsys.readouterr().out)["by"]
    assert by["column"] == "channel" and list(by["groups"]) == ["chat", "review"]
    assert [by["groups"][k]["n"] for k in ("chat", "review")] == [2, 2]
    assert by["groups"]["review"]["phase"]["accuracy"] == 1.0
    assert by["groups"]["chat"]["phase"]["accuracy"] == 0.5
    assert main(["evaluate", str(path), "--by", "channel"]) == 0
    out = capsys.readouterr().out
    assert "by channel: chat n=2, review n=2" in out
    assert main(["evaluate", str(path), "--by", "source"]) == 2
    assert "no 'source' column" in capsys.readouterr().err


def test_a_gzipped_review_export_gives_calibration_error_and_figures_per_column(tmp_path, capsys):
    # Shaped like shared/data/womens_clothing_reviews/dev.csv.gz: text, rating, sentiment, a department column.
    rows = [{"text": "Love this top, the fabric is soft and it fits perfectly.", "rating": 5,
             "sentiment": "positive", "department_name": "Tops"},
            {"text": "The seams came apart after one wash, returning it.", "rating": 1,
             "sentiment": "negative", "department_name": "Tops"},
            {"text": "Robe magnifique, je la porte tout l'été.", "rating": 5,
             "sentiment": "positive", "department_name": "Dresses"}]
    path = tmp_path / "reviews.csv.gz"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["evaluate", str(path), "--by", "department_name", "--json", "--threads", "1"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["all"]["sentiment"]["n"] == 3
    assert 0.0 <= figures["all"]["sentiment"]["ece"] <= 1.0
    assert figures["fr"]["sentiment"]["n"] == 1  # language from the text when the file has no lang column
    assert {k: v["n"] for k, v in figures["by"]["groups"].items()} == {"Dresses": 1, "Tops": 2}
    assert main(["evaluate", str(path), "--threads", "1"]) == 0
    assert "sentiment calibration error (ECE, probabilities)" in capsys.readouterr().out


def test_pain_point_share_per_gold_sentiment(tmp_path, capsys):
    # Shaped like the airline tweets: the share of pain points among each gold sentiment, neutral included
    # (an analyst reads the pain-point share of feedback that is mostly not about a problem).
    rows = [{"text": "@AirCo my bag never arrived and nobody answers the phone.", "airline_sentiment": "negative"},
            {"text": "@AirCo what time does boarding start for the 6pm flight to Boston?",
             "airline_sentiment": "neutral"},
            {"text": "@AirCo the crew was lovely, thanks for a smooth flight!", "airline_sentiment": "positive"}]
    path = tmp_path / "tweets.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["evaluate", str(path), "--sentiment-col", "airline_sentiment", "--json", "--threads", "1"]) == 0
    shares = json.loads(capsys.readouterr().out)["all"]["pain_point"]
    assert shares == {"share_of_gold_negative": 1.0, "share_of_gold_neutral": 0.0, "share_of_gold_positive": 0.0}
    assert main(["evaluate", str(path), "--sentiment-col", "airline_sentiment", "--threads", "1"]) == 0
    assert "pain point on gold-neutral items (share)" in capsys.readouterr().out


def test_a_broken_jsonl_line_is_named_by_file_and_line(tmp_path, capsys):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(ITEMS[0]) + "\n" + '{"text": "Parcel late", "sentiment": negative}\n')
    assert main(["evaluate", str(path)]) == 2
    assert f"{path}:2: not valid JSON" in capsys.readouterr().err


def test_a_gold_label_the_taxonomy_does_not_know_is_refused_not_scored_as_wrong(tmp_path, capsys):
    # A typo in the gold file used to count as a wrong prediction and lower the figures silently.
    items = [ITEMS[0], {**ITEMS[1], "touchpoints": ["delivery", "custmer_support"]}]
    assert main(["evaluate", str(_write(tmp_path, items))]) == 2
    err = capsys.readouterr().err
    assert "gold.jsonl row 2, column touchpoints: 'custmer_support' is not a known label" in err
    rows = [{"text": i["text"], "airline_sentiment": "negatve" if k == 2 else i["sentiment"]}
            for k, i in enumerate(ITEMS)]
    path = tmp_path / "tweets.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["evaluate", str(path), "--sentiment-col", "airline_sentiment"]) == 2
    err = capsys.readouterr().err
    assert "tweets.csv row 3, column airline_sentiment: 'negatve'" in err and "negative, neutral, positive" in err


def test_csv_signal_labels_with_empty_cells_are_read_as_booleans(tmp_path, capsys):
    # In a CSV, `effort` with an empty cell is text ("true", "false", ""): it used to be left out silently.
    rows = [{**i, "intent": "complaint", "effort": "true" if k == 0 else ("" if k == 1 else "false"),
             "churn_risk": "no"} for k, i in enumerate(ITEMS)]
    path = tmp_path / "gold.csv"
    pd.DataFrame(rows).drop(columns=["touchpoint_sentiment", "emotions", "touchpoints"]).to_csv(path, index=False)
    assert main(["evaluate", str(path), "--json", "--threads", "1"]) == 0
    assert {"effort_f1", "churn_risk_f1"} <= set(json.loads(capsys.readouterr().out)["all"]["signals"])
    pd.DataFrame([{**rows[0], "effort": "maybe"}]).to_csv(path, index=False)
    assert main(["evaluate", str(path)]) == 2
    assert "gold.csv row 1, column effort: 'maybe' is not true or false" in capsys.readouterr().err
    # JSONL flags written 1 / 0 / null are read the same way.
    items = [{**i, "effort": [1, None, 0, 0][k]} for k, i in enumerate(ITEMS)]
    assert main(["evaluate", str(_write(tmp_path, items)), "--json", "--threads", "1"]) == 0
    assert "effort_f1" in json.loads(capsys.readouterr().out)["all"]["signals"]


def test_a_missing_column_error_names_the_file(tmp_path, capsys):
    path = tmp_path / "gold.csv"
    pd.DataFrame([{"body": "Parcel late", "sentiment": "negative"}]).to_csv(path, index=False)
    assert main(["evaluate", str(path)]) == 2
    assert f"{path}: no 'text' or 'turns' column; columns: body, sentiment" in capsys.readouterr().err
