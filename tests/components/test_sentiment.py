"""Sentiment per unit and item, and the customer's mood trajectory in chats."""

import numpy as np
import pytest

from voc_nlp.lexical import sharpen
from voc_nlp.paths import default_config, default_model, default_pipeline_dir
from voc_nlp.pipeline import ConfigError, Pipeline


@pytest.mark.parametrize("profile, views", [("fast", {"base", "affect_emotions"}),
                                            ("accurate", {"base", "affect_emotions", "e5_sentiment"})])
def test_each_head_reads_the_encoder_view_it_was_trained_on(pipeline, accurate, profile, views):
    nlp = pipeline if profile == "fast" else accurate
    sentiment = next(s for s in nlp.steps if s.name == "sentiment")
    encoder = next(s for s in nlp.steps if s.name == "embed").encoder
    assert set(sentiment.heads) == views
    # Retraining an adapter without refitting its head (make models does both) breaks this.
    for view in views - {"base"}:
        assert sentiment.heads[view].encoder == encoder.view_fingerprint(view)
    assert sentiment.heads["base"].encoder == encoder.fingerprint
    (record,) = nlp.enrich_texts(["Mon colis est arrivé cassé et personne ne répond."])
    assert record.sentiment == "negative"


@pytest.mark.parametrize("profile", ["fast", "accurate"])
def test_unit_probabilities_are_the_weighted_mean_of_the_heads(pipeline, accurate, profile):
    nlp = pipeline if profile == "fast" else accurate
    sentiment = next(s for s in nlp.steps if s.name == "sentiment")
    texts = ["@united thanks for nothing, 4 hours on the tarmac", "Très facile à monter, je recommande."]
    (a, b) = nlp.enrich_texts(texts)
    docs = [d for d in _docs_through(nlp, texts)]
    expected = np.average([head.predict_proba(np.vstack([d.vectors if view == "base" else d.views[view]
                                                         for d in docs]))
                           for view, head in sentiment.heads.items()], axis=0,
                          weights=[sentiment.weights[view] for view in sentiment.heads])
    # Units in the lexical head's languages (English and French) also average in its label shares,
    # then the priors (none by default) and the fusion's temperature apply.
    w = sentiment.lexical.weight
    assert all(sentiment.lexical.applies_to(d.record.lang) for d in docs)
    for k, d in enumerate(docs):
        expected[k] = (1 - w) * expected[k] + w * sentiment.lexical.label_shares(d.scored_texts)[0]
    expected = expected * np.array([(sentiment.priors or {}).get(label, 1.0) for label in sentiment.labels])
    expected /= expected.sum(axis=1, keepdims=True)
    expected = sharpen(expected, sentiment.lexical.fused_temperature_)  # the fusion's calibration
    for record, p in zip((a, b), expected):
        assert record.sentiment_probs == pytest.approx(dict(zip(sentiment.labels, p.tolist())), abs=1e-5)


def _docs_through(pipeline, texts):
    from voc_nlp.io.columns import ColumnMap
    from voc_nlp.io.readers import canonical_frame
    from voc_nlp.pipeline import to_doc
    import pandas as pd

    frame = canonical_frame(pd.DataFrame({"id": [str(k) for k in range(len(texts))], "text": texts}), ColumnMap(),
                            source="<t>", first_row=1)
    docs = [to_doc(row) for row in frame.to_dict("records")]
    for step in pipeline.steps:
        step(docs)
        if step.name == "embed":
            return docs


# Longer than units.split_above_chars: read sentence by sentence. No verdict phrase, no swearing.
LONG_REVIEW = ("I ordered this dress in my usual size and the colour is lovely, a deep green exactly as pictured on "
               "the website. The fabric is thinner than I expected and you can see through it in daylight. It runs "
               "small across the shoulders. The length is fine for me. I might keep it for summer evenings.")


@pytest.mark.parametrize("reading", ["vector", "blend"])
def test_an_item_of_several_units_can_be_read_as_one_unit(pipeline, reading):
    sentiment = next(s for s in pipeline.steps if s.name == "sentiment")
    (doc,) = _docs_through(pipeline, [LONG_REVIEW])
    assert len(doc.scored_units) >= 3
    saved = sentiment.item, sentiment.unit_weights
    try:
        sentiment.item, sentiment.unit_weights = "units", "length"
        (by_units,) = pipeline.enrich_texts([LONG_REVIEW])
        sentiment.item = reading
        (record,) = pipeline.enrich_texts([LONG_REVIEW])
    finally:
        sentiment.item, sentiment.unit_weights = saved
    # The heads over the length-weighted mean of the unit vectors, back to unit length; the lexical head
    # over the item's text; the fusion's temperature.
    weights = np.array([len(u.text) for u in doc.scored_units], dtype=np.float32)
    heads = []
    for view, head in sentiment.heads.items():
        mean = weights @ (doc.vectors if view == "base" else doc.views[view]) / weights.sum()
        heads.append(head.predict_proba((mean / np.linalg.norm(mean))[None, :])[0] * sentiment.weights[view])
    whole = np.sum(heads, axis=0) / sum(sentiment.weights.values())
    w = sentiment.lexical.weight
    whole = (1 - w) * whole + w * sentiment.lexical.label_shares([" ".join(doc.scored_texts)])[0]
    whole = sharpen(whole[None, :], sentiment.lexical.fused_temperature_)[0]
    units_mean = np.array([by_units.sentiment_probs[label] for label in sentiment.labels])
    expected = whole if reading == "vector" else (whole + units_mean) / 2
    assert record.sentiment_probs == pytest.approx(dict(zip(sentiment.labels, expected.tolist())), abs=1e-5)
    assert record.sentiment_probs != by_units.sentiment_probs
    # Units keep their own reading.
    assert [(u.sentiment, u.sentiment_score) for u in record.units] == \
        [(u.sentiment, u.sentiment_score) for u in by_units.units]


def test_units_can_weigh_the_same_in_their_item(pipeline):
    sentiment = next(s for s in pipeline.steps if s.name == "sentiment")
    saved = sentiment.item, sentiment.unit_weights
    try:
        sentiment.item, sentiment.unit_weights = "units", "equal"
        (record,) = pipeline.enrich_texts([LONG_REVIEW])
    finally:
        sentiment.item, sentiment.unit_weights = saved
    scores = [u.sentiment_score for u in record.units]
    assert len(set(len(u.text) for u in record.units)) > 1  # equal weights differ from length weights here
    assert record.sentiment_score == pytest.approx(np.mean(scores), abs=1e-5)


def test_a_chat_is_read_as_one_unit_and_its_turns_keep_their_own_reading(pipeline):
    sentiment = next(s for s in pipeline.steps if s.name == "sentiment")
    # The shipped reading, chosen by cross-validation on the train splits (configs/default.yaml).
    assert (sentiment.item, sentiment.chat_item, sentiment.unit_weights) == ("units", "vector", "equal")
    chat = ("Customer: Hi, I ordered a lamp two weeks ago and it still has not arrived.\n"
            "Agent: Let me check. It was returned to our depot, I am sending it again today.\n"
            "Customer: Ok thanks, please make sure it comes this week.")
    (whole,) = pipeline.enrich_texts([chat])
    sentiment.chat_item = "units"
    try:
        (by_turns,) = pipeline.enrich_texts([chat])
    finally:
        sentiment.chat_item = "vector"
    turns = [u.sentiment_score for u in by_turns.units if u.speaker == "customer"]
    assert by_turns.sentiment_score == pytest.approx(np.mean(turns), abs=1e-5)
    assert whole.sentiment_probs != by_turns.sentiment_probs
    assert [u.sentiment_score for u in whole.units] == [u.sentiment_score for u in by_turns.units]
    assert (whole.mood_start, whole.mood_end) == (turns[0], turns[-1])


def test_item_readings_are_named():
    from voc_nlp.components.sentiment import SentimentClassifier

    for key, value in (("item", "whole"), ("chat_item", "turns"), ("unit_weights", "words")):
        with pytest.raises(ValueError, match=key):
            SentimentClassifier(str(default_model("sentiment")), **{key: value})


def test_a_view_the_encoder_does_not_compute_is_refused(pipeline):
    # Up to sentiment: the emotion step would refuse the missing view first (test_emotions.py).
    order = pipeline.config["pipeline"]
    config = {**pipeline.config, "encoder": {**pipeline.config["encoder"], "adapters": {}},
              "pipeline": order[: order.index("sentiment") + 1]}
    with pytest.raises(ConfigError, match="doc.views.affect"):
        Pipeline.from_dict(config, base_dir=default_pipeline_dir())


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


def test_each_head_is_calibrated_by_a_fitted_temperature(pipeline):
    step = next(s for s in pipeline.steps if s.name == "sentiment")
    for view, head in step.heads.items():
        calibration = head.metadata["calibration"]
        assert head.temperature == calibration["temperature"] != 1.0, view
        # The temperature minimises dev log-loss: a head that was nearly calibrated
        # can lose a little ECE (base: 0.033 -> 0.035), an overconfident one gains.
        assert calibration["ece_after"] <= 0.05, (view, calibration)
    # The lexical head's shares, and their average with the heads' mean, are calibrated the same way.
    dev = step.lexical.metadata_["dev"]
    fusion = dev["fused with the sentiment heads' mean (priors and rules off)"]
    assert step.lexical.temperature_ == dev["calibration"]["temperature"] != 1.0
    assert step.lexical.fused_temperature_ == fusion["temperature"] != 1.0
    assert dev["calibration"]["ece_after"] < dev["calibration"]["ece_before"]
    assert fusion["ece_after"] < fusion["ece_before"] and fusion["ece_after"] <= 0.05


def test_priors_reweight_the_heads_probabilities():
    import numpy as np
    import pytest

    from voc_nlp.components.sentiment import SentimentClassifier
    from voc_nlp.paths import default_config, default_pipeline_dir
    from voc_nlp.pipeline import Pipeline

    def pipe(priors):
        import yaml

        config = yaml.safe_load(default_config().read_text())
        config["pipeline"] = ["units", "language", "embed", "sentiment"]
        config["components"]["sentiment"]["priors"] = priors
        return Pipeline.from_dict(config, base_dir=default_pipeline_dir())

    text = "@united my flight to Denver was moved to tomorrow morning."
    shifting = pipe({"negative": 1.5})
    (plain,), (shifted,) = pipe(None).enrich_texts([text]), shifting.enrich_texts([text])
    p, q = plain.sentiment_probs, shifted.sentiment_probs
    # Bayes prior shift: negative odds x1.5 against each other label, probabilities still sum to 1.
    # (An English unit's probabilities then take the lexical fusion's temperature: odds to the power 1/t.)
    t = next(s for s in shifting.steps if s.name == "sentiment").lexical.fused_temperature_
    assert q["negative"] / q["neutral"] == pytest.approx(1.5 ** (1 / t) * p["negative"] / p["neutral"], rel=1e-4)
    assert q["positive"] / q["neutral"] == pytest.approx(p["positive"] / p["neutral"], rel=1e-4)
    assert sum(q.values()) == pytest.approx(1.0) and shifted.sentiment_score < plain.sentiment_score
    model = str(default_model("sentiment"))
    with pytest.raises(ValueError, match="unknown labels"):
        SentimentClassifier(model, priors={"angry": 2.0})
    with pytest.raises(ValueError, match="positive weights"):
        SentimentClassifier(model, priors={"negative": 0})
    assert np.isfinite(shifted.sentiment_score)


def test_no_prior_by_default_and_a_prior_reads_borderline_complaints_as_negative(pipeline):
    # Off by default: cross-validated on the train mix, a negative prior costs review domains more than
    # it gives tweets (docs/measuring/sentiment.md). Set for feedback written to a brand, it shifts a borderline
    # complaint towards negative.
    texts = ["@JetBlue I guess I'll just wait another hour then."]
    step = next(s for s in pipeline.steps if s.name == "sentiment")
    assert step.priors is None
    (plain,) = pipeline.enrich_texts(texts)
    step.priors = {"negative": 3.0}
    try:
        (shifted,) = pipeline.enrich_texts(texts)
    finally:
        step.priors = None
    assert shifted.sentiment_probs["negative"] > plain.sentiment_probs["negative"]
    assert shifted.sentiment_score < plain.sentiment_score
    assert shifted.sentiment == "negative"


def test_one_head_or_heads_by_view_but_not_both():
    from voc_nlp.components.sentiment import SentimentClassifier

    model = str(default_model("sentiment"))
    with pytest.raises(ValueError, match="either `model`"):
        SentimentClassifier(model, models={"base": model})
    with pytest.raises(ValueError, match="either `model`"):
        SentimentClassifier()
    assert SentimentClassifier(model).requires == ("doc.vectors",)


def test_head_weights_name_views_of_models():
    from voc_nlp.components.sentiment import SentimentClassifier

    model = str(default_model("sentiment"))
    assert SentimentClassifier(models={"base": model}, weights={"base": 2}).weights == {"base": 2.0}
    with pytest.raises(ValueError, match="views in `models`"):
        SentimentClassifier(models={"base": model}, weights={"e5_sentiment": 3})
    with pytest.raises(ValueError, match="positive numbers"):
        SentimentClassifier(models={"base": model}, weights={"base": 0})


def test_a_unit_read_as_neutral_that_swears_is_negative(pipeline):
    step = next(s for s in pipeline.steps if s.name == "sentiment")
    # French: English units also read their words (the lexical head), which already take swearing as negative.
    texts = ["Je voudrais passer une putain de commande, vous pouvez m'aider ?",
             "Je voudrais passer une commande, vous pouvez m'aider ?",
             "putain c'est génial"]
    swearing, polite, praise = pipeline.enrich_texts(texts)
    assert swearing.sentiment == "negative" and swearing.sentiment_probs["neutral"] == 0.0
    assert sum(swearing.sentiment_probs.values()) == pytest.approx(1.0)
    assert polite.sentiment == "neutral" and praise.sentiment == "positive"
    rule, step.swearing = step.swearing, None
    try:
        # The heads alone read the polite request around the word.
        assert pipeline.enrich_texts(texts[:1])[0].sentiment == "neutral"
    finally:
        step.swearing = rule


MIXED_REVIEW = ("Acheté pour un cadeau, ce portefeuille est vraiment très joli, bien fini et pratique, ma femme "
                "l'adore et les rangements sont nombreux. Par contre, pour un portefeuille vendu comme du cuir "
                "véritable, il sent horriblement le plastique et la couture du côté a lâché au bout d'une semaine, "
                "c'est inadmissible.")


def test_an_item_that_praises_and_complains_is_neutral_when_the_mixed_rule_is_on(pipeline):
    step = next(s for s in pipeline.steps if s.name == "sentiment")
    assert step.mixed_above is None  # off by default: cross-validated, it costs every review domain
    step.mixed_above = 0.4
    try:
        (record,) = pipeline.enrich_texts([MIXED_REVIEW])
        scores = [u.sentiment_score for u in record.units]
        assert max(scores) > step.mixed_above and min(scores) < -step.mixed_above
        assert record.sentiment == "neutral"
        # In a chat the same two sentences are a mood trajectory, not a mixed item.
        praise, complaint = MIXED_REVIEW.split(". Par contre, ")
        (chat,) = pipeline.enrich_texts([f"Customer: {praise}.\nAgent: Merci !\nCustomer: Par contre, {complaint}"])
        assert chat.mood_change == "worsened" and chat.sentiment != "neutral"
    finally:
        step.mixed_above = None
    # Off, the mean of its two units (+0.92, -0.91, each weighing the same) sides with one of them.
    assert pipeline.enrich_texts([MIXED_REVIEW])[0].sentiment != "neutral"


def test_mixed_above_is_a_unit_score():
    with pytest.raises(ValueError, match="mixed_above"):
        from voc_nlp.components.sentiment import SentimentClassifier

        SentimentClassifier(str(default_model("sentiment")), mixed_above=1.5)


def test_a_stated_verdict_stands_whatever_the_heads_read(pipeline):
    step = next(s for s in pipeline.steps if s.name == "sentiment")
    texts = ["Aucun souci avec ce grille-pain, rien à redire.",  # litotes: a complaint's words
             "Je ne suis pas déçu de cet achat.",
             "Nothing to complain about, works as described.",
             "Produit à éviter.",                                # read as neutral
             "Je le recommande pas."]                            # read as positive
    expected = ["positive", "positive", "positive", "negative", "negative"]
    records = pipeline.enrich_texts(texts)
    assert [r.sentiment for r in records] == expected
    assert all(sum(r.sentiment_probs.values()) == pytest.approx(1.0) for r in records)
    rule, step.verdicts = step.verdicts, {}
    try:
        # The heads alone get the litotes and the negated recommendation wrong; "à éviter" they now read
        # right (trained on French reviews; the heads trained on tweets alone read it neutral).
        assert [r.sentiment for r in pipeline.enrich_texts(texts)] == ["negative", "negative", "negative",
                                                                        "negative", "positive"]
    finally:
        step.verdicts = rule


def test_of_two_overlapping_verdicts_the_later_ending_wins(pipeline):
    step = next(s for s in pipeline.steps if s.name == "sentiment")

    def said(text, lang):
        label = step.stated_verdict(text, lang)
        return None if label is None else step.labels[label]

    assert said("Je le recommande !", "fr") == "positive"
    assert said("Je le recommande pas.", "fr") == "negative"  # "recommande pas" extends "je le recommande"
    assert said("I would not recommend it", "en") == "negative"
    # Two verdicts that stand apart cancel: the heads' reading stays.
    assert said("Rien à redire sur la livraison, mais le produit est à éviter.", "fr") is None
    assert said("The seat was comfortable.", "en") is None


def test_verdicts_name_known_labels(rule_file):
    from voc_nlp.components.sentiment import SentimentClassifier

    verdicts = rule_file("sentiment_verdicts", {"en": {"positive": ["wow"], "great": ["wow"]}})
    with pytest.raises(ValueError, match=r"en/sentiment_verdicts.yaml:3: unknown list 'great' "
                                         r"\(this rule reads: negative, neutral, positive\)"):
        SentimentClassifier(str(default_model("sentiment")), verdicts=verdicts)


def test_an_analysts_own_phrases_add_to_the_shipped_ones(tmp_path):
    """`swearing: [rules/{lang}/swearing.yaml, my_swearing.yaml]`: a file without {lang} counts in every language."""
    from voc_nlp.components.sentiment import SentimentClassifier

    shipped = str(default_pipeline_dir() / "rules" / "{lang}" / "swearing.yaml")
    (tmp_path / "my_swearing.yaml").write_text("# our customers' word\nphrases: [frak*]\n", encoding="utf-8")
    step = SentimentClassifier(str(default_model("sentiment")), swearing=[shipped, str(tmp_path / "my_swearing.yaml")])
    neutral = np.array([[0.2, 0.6, 0.2]], dtype=np.float32)
    assert step.labels == ["negative", "neutral", "positive"]
    for text, lang in (("This frakking order form, can you help?", "en"), ("Ce formulaire, putain", "fr"),
                       ("Frak, ce formulaire", "fr")):
        assert step._words_decide(neutral, [text], [lang])[0].argmax() == 0, text
    assert step._words_decide(neutral, ["Ce formulaire, s'il vous plaît"], ["fr"])[0].argmax() == 1


def test_units_also_read_the_words_in_english_and_french(pipeline):
    step = next(s for s in pipeline.steps if s.name == "sentiment")
    assert step.lexical.applies_to("en") and step.lexical.applies_to("fr") and not step.lexical.applies_to("de")
    texts = ["@user the app keeps logging me out", "L'application me déconnecte sans arrêt.",
             "Die App meldet mich ständig ab und der Kundendienst antwortet nicht."]
    english, french, german = pipeline.enrich_texts(texts)
    assert english.lang == "en" and french.lang == "fr" and german.lang not in ("en", "fr")
    assert english.sentiment == "negative" and french.sentiment == "negative"
    lexical, step.lexical = step.lexical, None
    try:
        heads_alone = pipeline.enrich_texts(texts)
    finally:
        step.lexical = lexical
    # Both languages' units are fused (the head is trained on the EN + FR mix; the exact formula is in
    # test_unit_probabilities_are_the_mean_of_the_heads); a language it does not know is left to the heads.
    assert heads_alone[0].sentiment_probs != english.sentiment_probs
    assert heads_alone[1].sentiment_probs != french.sentiment_probs
    assert heads_alone[2].sentiment_probs == german.sentiment_probs
