"""Counts per period, emerging flags, labels and stop words (no encoder needed)."""

import pandas as pd

from voc_nlp.topics.labels import make_label, stop_words, top_terms
from voc_nlp.topics.trends import NO_DATE, TopicCounts, emerging, period_key


def test_period_keys():
    ts = pd.Timestamp("2026-03-04T10:00:00Z")
    assert period_key(ts, "month") == "2026-03"
    assert period_key(ts, "week") == "2026-W10"
    assert period_key(ts, "day") == "2026-03-04"
    assert period_key(None) == NO_DATE


def test_counts_per_period_and_emerging_flag():
    counts = TopicCounts("month")
    for month, (a, b) in {"2026-01": (20, 2), "2026-02": (20, 2), "2026-03": (20, 15)}.items():
        for _ in range(a):
            counts.add(0, pd.Timestamp(f"{month}-10"))
        for _ in range(b):
            counts.add(1, pd.Timestamp(f"{month}-10"))
    counts.add(-1, None)
    table = counts.table()
    row = table[(table.topic == 1) & (table.period == "2026-03")].iloc[0]
    assert row["count"] == 15 and abs(row["share"] - 15 / 35) < 1e-9
    flags = emerging(table)
    assert flags == {0: False, 1: True}


def test_nothing_emerges_from_a_single_period():
    counts = TopicCounts("month")
    for _ in range(10):
        counts.add(3, pd.Timestamp("2026-01-01"))
    assert emerging(counts.table()) == {3: False}


def test_stop_words_cover_english_french_and_social_noise():
    stops = stop_words()
    assert {"the", "and", "le", "nous", "user", "http"} <= stops


def test_label_is_phrases_not_a_bag_of_words():
    assert make_label(["late delivery", "delivery late", "parcel never arrived"], ["parcel"], []) == (
        "late delivery, parcel never arrived")
    assert make_label([], [], ["The app crashes every single time I try to open it today"]).startswith(
        "The app crashes")


def test_top_terms_find_theme_phrases():
    texts = ["parcel never arrived", "my parcel never arrived at all", "the parcel never arrived",
             "app crashes on login", "the app crashes at startup", "app crashes again"]
    keywords, phrases = top_terms(texts, pd.Series([0, 0, 0, 1, 1, 1]).to_numpy(), [0, 1], stop_words())
    assert "parcel" in keywords[0] and "crashes" in keywords[1]
    assert phrases[0][0] == "parcel never arrived" and phrases[1][0] == "app crashes"
