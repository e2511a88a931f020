"""Aggregates on the hand-built fixture (tests/report/conftest.py FILLED), numbers worked out by hand."""

import math

import pytest

from voc_nlp.report import Options, compute, load
from voc_nlp.taxonomy import Taxonomy


@pytest.fixture
def data(filled_parquet):
    con = load(str(filled_parquet))
    return compute(con, Taxonomy.load(), Options(emerging_min=1))


def _cell(frame, phase, touchpoint):
    rows = frame[(frame.phase == phase) & (frame.touchpoint.fillna("-") == (touchpoint or "-"))]
    assert len(rows) == 1, (phase, touchpoint)
    return rows.iloc[0]


def test_overview(data):
    ov = data.tables["overview"].iloc[0]
    assert (ov["items"], ov["errors"]) == (10, 1)  # the error row is left out
    assert (ov["negative"], ov["neutral"], ov["positive"]) == (5, 2, 3)
    assert ov["share_negative"] == pytest.approx(0.5)
    assert ov["net_sentiment"] == pytest.approx(-0.2)
    assert ov["mean_rating"] == pytest.approx(2.5) and ov["rated"] == 6
    assert ov["grain"] == "month"  # 10 Jan .. 25 Jun: more than 120 days
    channel = data.tables["by_channel"].set_index("channel")
    assert channel.loc["app_review", "items"] == 4
    assert channel.loc["app_review", "net_sentiment"] == pytest.approx(-1.0)
    emotions = data.tables["emotions"].set_index("emotion")
    assert emotions.loc["frustration", "items"] == 3
    assert emotions.loc["frustration", "share"] == pytest.approx(0.3)


def test_journey_cells_use_aspect_sentiment_and_dominant_emotion(data):
    cells = data.tables["journey_map"]
    delivery = _cell(cells, "retention", "delivery")
    # r1 (item negative), r2 (aspect negative), r4 (aspect positive), r6 (aspect negative)
    assert delivery["items"] == 4
    assert delivery["net_sentiment"] == pytest.approx(-0.5)
    assert delivery["dominant_emotion"] == "frustration" and delivery["dominant_share"] == pytest.approx(0.75)
    assert delivery["stage"] == "after_purchase"
    support = _cell(cells, "retention", "customer_support")
    # r2 negative, r6 aspect positive (item negative), r7 negative, r8 positive
    assert support["items"] == 4 and support["net_sentiment"] == pytest.approx(0.0)
    assert support["dominant_emotion"] == "anger"  # anger 2, frustration 2: tie broken by name
    no_tp = _cell(cells, "retention", None)
    assert no_tp["items"] == 1 and no_tp["net_sentiment"] == pytest.approx(-1.0)
    checkout = _cell(cells, "purchase", "checkout_payment")
    assert checkout["items"] == 1 and not isinstance(checkout["dominant_emotion"], str)  # only neutral
    # Taxonomy order: awareness before purchase before retention.
    assert list(dict.fromkeys(cells.phase)) == ["awareness", "purchase", "retention"]
    phases = data.tables["journey_phases"].set_index("phase")
    assert phases.loc["retention", "items"] == 7
    assert phases.loc["retention", "net_sentiment"] == pytest.approx((2 - 5) / 7)
    assert data.meta["journey_items"] == 9


def test_emotion_curve(data):
    curve = data.tables["emotion_curve"]
    row = curve[(curve.phase == "retention") & (curve.emotion == "frustration")].iloc[0]
    assert row["items"] == 3 and row["phase_items"] == 7 and row["share"] == pytest.approx(3 / 7)


def test_pain_points_trend_and_quotes(data):
    pain = data.tables["pain_points"].set_index("topic")
    assert list(pain.index) == ["0", "1"]  # ranked by volume
    late = pain.loc["0"]
    assert late["label"] == "late delivery" and late["items"] == 3
    assert late["share"] == pytest.approx(0.3)
    # Recent window = May..June (2 months): 5 items, 1 of them late delivery; before: 5 items, 2.
    assert late["recent_share"] == pytest.approx(0.2) and late["before_share"] == pytest.approx(0.4)
    assert late["trend_points"] == pytest.approx(-20)
    assert late["top_touchpoints"].startswith("delivery (3)")
    assert late["top_phases"] == "retention (3)"
    assert late["keywords"] == "late; delivery; parcel"
    quotes = [late[f"quote_{i}"] for i in (1, 2, 3)]
    assert all(isinstance(q, str) and q for q in quotes) and len(set(quotes)) == 3
    assert quotes[0].startswith("Delivery late again") or quotes[0].startswith("My parcel")  # English first
    emerging = data.tables["emerging_topics"].set_index("topic")
    assert bool(emerging.loc["1", "emerging"]) and math.isinf(emerging.loc["1", "lift"])  # new in June
    assert not bool(emerging.loc["0", "emerging"])
    sparks = data.tables["topic_trends"]
    assert sparks[sparks.topic == "0"]["items"].tolist() == [1, 1, 0, 0, 0, 1]


def test_rating_impact_ranked(data):
    impact = data.tables["impact"]
    assert list(zip(impact.kind, impact.key)) == [("topic", "0"), ("touchpoint", "customer_support"),
                                                 ("touchpoint", "delivery")]
    rows = impact.set_index("key")
    assert rows.loc["delivery", "mean_with"] == pytest.approx(2.25)
    assert rows.loc["delivery", "mean_without"] == pytest.approx(3.0)
    assert rows.loc["delivery", "impact"] == pytest.approx(-0.5)
    assert rows.loc["customer_support", "impact"] == pytest.approx((5 / 3 - 10 / 3) * 3 / 6)
    assert rows.loc["0", "impact"] == pytest.approx((4 / 3 - 11 / 3) * 3 / 6)


def test_chat_mood(data):
    chats = data.tables["chats"].set_index("group")
    assert chats.loc["all", "conversations"] == 2 and chats.loc["all", "compared"] == 2
    assert chats.loc["all", "improved"] == 1 and chats.loc["all", "worsened"] == 1
    assert chats.loc["all", "share_improved"] == pytest.approx(0.5)
    assert chats.loc["lang=en", "improved"] == 1 and chats.loc["lang=fr", "worsened"] == 1
    assert chats.loc["all", "mean_first"] == pytest.approx(-0.25)


def test_empty_journey_and_topic_columns(empty_parquet):
    data = compute(load(str(empty_parquet)), Taxonomy.load(), Options())
    assert data.meta["journey_items"] == 0 and data.meta["topics"] == 0
    for name in ("journey_map", "journey_phases", "emotion_curve", "pain_points", "emerging_topics"):
        assert data.tables[name].empty, name
    assert data.tables["impact"].empty  # no touchpoint or topic to rank
    assert data.tables["overview"].iloc[0]["items"] == 10
    assert data.tables["chats"].iloc[0]["compared"] == 2


@pytest.mark.parametrize("suffix", [".jsonl", ".duckdb"])
def test_jsonl_and_duckdb_inputs_give_the_same_numbers(filled_parquet, filled_as, suffix):
    import pandas as pd

    other = filled_as(suffix)
    tax = Taxonomy.load()
    ref = compute(load(str(filled_parquet)), tax, Options())
    got = compute(load(str(other)), tax, Options())
    for name in ("overview", "by_channel", "journey_map", "emotion_curve", "pain_points", "impact", "chats",
                 "contact_costs", "journey_signals", "churn_reasons", "non_purchase_reasons", "nps", "nps_drivers", "csat"):
        pd.testing.assert_frame_equal(got.tables[name], ref.tables[name], check_dtype=False, obj=name)
