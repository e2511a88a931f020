"""Figures from gold and predicted records."""

from voc_nlp.evaluation import touchpoint_sentiment_accuracy


def test_touchpoint_sentiment_tells_a_touchpoint_not_found_from_a_wrong_reading():
    gold = [{"delivery": "positive", "customer_support": "negative"},
            {"billing": "negative", "returns_refunds": "neutral"},
            {"store": "positive"}]  # one touchpoint: not scored
    predicted = [{"delivery": "positive", "customer_support": "negative"},
                 {"billing": "positive"},  # returns_refunds not found, billing read wrong
                 {"store": "negative"}]
    figures = touchpoint_sentiment_accuracy(gold, predicted)
    assert figures["n_items"] == 2 and figures["n_labels"] == 4
    assert figures["accuracy"] == 2 / 4  # the touchpoint not found counts as wrong
    assert figures["n_found"] == 3 and figures["found_accuracy"] == 2 / 3


def test_no_touchpoint_found_leaves_the_found_accuracy_out():
    figures = touchpoint_sentiment_accuracy([{"delivery": "positive", "billing": "negative"}], [{}])
    assert figures["accuracy"] == 0.0 and figures["n_found"] == 0 and "found_accuracy" not in figures
