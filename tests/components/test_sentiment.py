"""Sentiment per unit and item, and the customer's mood trajectory in chats."""


def test_chat_mood_trajectory_improves_when_the_customer_ends_happy(pipeline):
    chat = ("Customer: My parcel is lost and nobody answers, this is a disgrace.\n"
            "Agent: Sorry about that, I have sent a replacement today.\n"
            "Customer: Wonderful, thank you so much, great service!")
    (record,) = pipeline.enrich_texts([chat])
    assert record.mood_start < 0 < record.mood_end
    assert record.mood_change == "improved"
    customer = [u for u in record.units if u.speaker == "customer"]
    assert record.mood_start == customer[0].sentiment_score
    assert record.mood_end == customer[-1].sentiment_score


def test_chat_mood_worsens_and_plain_items_have_no_trajectory(pipeline):
    chat = ("Customer: Hi, thanks for the quick reply yesterday, lovely team!\n"
            "Agent: The refund is refused, the policy does not allow it.\n"
            "Customer: That is unacceptable, I am furious and closing my account.")
    one_turn = "Customer: Where is my order?\nAgent: It ships tomorrow."
    worse, single, plain = pipeline.enrich_texts([chat, one_turn, "Great app, works well."])
    assert worse.mood_change == "worsened"
    assert single.mood_start is not None and single.mood_change is None
    assert plain.mood_start is None and plain.mood_end is None and plain.mood_change is None


def test_probabilities_are_calibrated_by_a_fitted_temperature(pipeline):
    step = next(s for s in pipeline.steps if s.name == "sentiment")
    calibration = step.head.metadata["calibration"]
    assert step.head.temperature == calibration["temperature"] != 1.0
    assert calibration["ece_after"] <= calibration["ece_before"]
