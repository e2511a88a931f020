"""Sentiment across domains and both languages: written examples (not from any data set) that the heads
trained on TweetEval alone read wrong (measured with the models shipped before issue 20) and the heads
trained on the multi-domain mix (tweets, clothing reviews, French book reviews, CX items) read right."""

import pytest

LUKEWARM = [  # 3-star reviews: some praise, some reservations, no verdict
    "Three stars. Nice enough dress, nothing special; it runs a little big and the zipper feels cheap.",
    "Lecture agréable mais sans plus. L'intrigue se tient, les personnages manquent un peu d'épaisseur.",
]
NEGATED_COMPLAINTS = [  # a complaint's words, negated: praise
    "I don't hate it at all, it's actually pretty comfy.",
    "Je n'ai pas été déçue par ce livre, bien au contraire.",
]
DARK_BOOKS = [  # the themes are dark, the reader's verdict is not
    "A bleak, brutal novel about grief and murder, and I could not put it down. Masterful.",
    "Un roman sombre et bouleversant sur la guerre, la mort et le deuil, que j'ai dévoré d'une traite. "
    "Un chef-d'œuvre.",
]
CALM_PROBLEMS = [  # a factual problem report: neutral by the taxonomy's convention, and a pain point
    "My card payment was declined twice at the store this morning.",
    "Ma carte a été refusée deux fois au distributeur ce matin.",
]


@pytest.mark.parametrize("text", LUKEWARM)
def test_a_lukewarm_three_star_review_is_neutral(pipeline, text):
    (record,) = pipeline.enrich_texts([text])
    assert record.sentiment == "neutral", record.sentiment_probs


@pytest.mark.parametrize("text", NEGATED_COMPLAINTS)
def test_a_negated_complaint_is_not_negative(pipeline, text):
    (record,) = pipeline.enrich_texts([text])
    assert record.sentiment == "positive", record.sentiment_probs
    assert record.sentiment_score > 0


@pytest.mark.parametrize("text", DARK_BOOKS)
def test_a_positive_review_of_a_dark_book_is_positive(pipeline, text):
    (record,) = pipeline.enrich_texts([text])
    assert record.sentiment == "positive", record.sentiment_probs


@pytest.mark.parametrize("text", CALM_PROBLEMS)
def test_a_calm_problem_report_is_neutral_and_a_pain_point(pipeline, text):
    (record,) = pipeline.enrich_texts([text])
    assert record.sentiment == "neutral", record.sentiment_probs
    assert record.pain_point  # the problem detector still flags it


def test_the_heads_are_trained_on_every_domain_and_language(pipeline):
    step = next(s for s in pipeline.steps if s.name == "sentiment")
    for view, head in step.heads.items():
        trained_on = head.metadata["trained_on"]
        assert set(trained_on) >= {"tweeteval_sentiment/train", "womens_clothing_reviews/train",
                                   "french_book_reviews/train", "journey_train/train"}, view
        # Calibrated on a held-out fold of the training mix, not on a dev set.
        assert "fold 0" in head.metadata["calibration"]["fitted_on"], view
