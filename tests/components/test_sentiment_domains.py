"""Sentiment across domains and both languages: written examples (not from any data set) that the heads
trained on TweetEval alone read wrong (measured with the models shipped before issue 20) and the heads
trained on the multi-domain mix (tweets, clothing reviews, French book reviews, CX items) read right."""

import pytest

LUKEWARM = [  # 3-star reviews: some praise, some reservations, no verdict
    "It's okay. The fabric is decent but the fit is a bit boxy and the color is duller than in the photo. "
    "I might keep it.",
    "Lecture agréable mais sans plus. L'intrigue se tient, les personnages manquent un peu d'épaisseur.",
]
NEGATED_COMPLAINTS = [  # a complaint's words, negated: praise (the heads and the verdict phrases together)
    "The hotel did not disappoint, the room was spotless.",
    "I don't regret buying it, it's held up well.",
    "Je n'ai pas été déçue par ce livre, bien au contraire.",
]
DARK_BOOKS = [  # the themes are dark, the reader's verdict is not
    "A dark, haunting story about loss and violence. I loved every page.",
    "Un roman sombre et bouleversant sur la guerre, la mort et le deuil, que j'ai dévoré d'une traite. "
    "Un chef-d'œuvre.",
    "Une histoire terrible de meurtre et de folie, glaçante du début à la fin : j'ai adoré.",
]
CALM_PROBLEMS = [  # a factual problem report: neutral by the taxonomy's convention, and a pain point
    "I was charged twice for the same order last week.",
    "My refund has not shown up on my statement yet.",
    "Le paiement par carte a été refusé deux fois ce matin.",
    "Mon remboursement n'apparaît pas encore sur mon relevé.",
]
# Still read wrong (docs/sentiment-and-emotions.md, "Known blind spots"): "I don't hate it at all, it's
# actually pretty comfy." (negative: no training text says "don't hate"), "A bleak, brutal novel about grief
# and murder, and I could not put it down. Masterful." (negative), "My card payment was declined at the
# supermarket today." (negative).


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
