"""LexicalHead: the same scores as scikit-learn, persistence, and its place in the emotions component."""

import numpy as np
import pytest

from voc_nlp.components.emotions import EmotionClassifier
from voc_nlp.lexical import LexicalHead, Vocabulary
from voc_nlp.paths import default_model
from voc_nlp.pipeline import Pipeline

MODEL = default_model("emotions")

TEXTS = [
    "this is so annoying, the app crashed again", "ugh, annoying delay again", "so disappointed with the order",
    "really disappointed, it broke after a day", "thank you so much for the help", "thanks, great service",
    "thank you, the parcel arrived early", "the parcel arrived on Tuesday", "I ordered a blue one",
    "the store opens at nine", "annoying and disappointing support", "many thanks to the team",
]
LABELS = ["frustration", "gratitude"]
TARGETS = np.array([[1, 0], [1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [0, 0], [0, 0], [0, 0], [1, 0], [0, 1]])


@pytest.fixture(scope="module")
def fitted():
    return LexicalHead(min_df=1).fit(TEXTS, TARGETS, LABELS)


def test_scores_match_scikit_learn(fitted):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    x = vectorizer.fit_transform(TEXTS)
    new = ["Annoying!! the app, the app crashed", "thank you thank you", "nothing known here", ""]
    expected = np.stack([LogisticRegression(max_iter=2000, C=2.0).fit(x, TARGETS[:, j])
                         .predict_proba(vectorizer.transform(new))[:, 1] for j in range(2)], axis=1)
    assert np.allclose(fitted.predict_proba(new), expected, atol=1e-5)


def test_words_carry_the_label(fitted):
    annoyed, thankful = fitted.predict_proba(["ugh so annoying", "thank you team"])
    assert annoyed[0] > 0.5 > annoyed[1]
    assert thankful[1] > 0.5 > thankful[0]


def test_round_trip(tmp_path, fitted):
    fitted.thresholds_ = {"frustration": 0.3, "gratitude": 0.4}
    fitted.save(tmp_path)
    loaded = LexicalHead.load(tmp_path)
    assert loaded.thresholds_ == {"frustration": 0.3, "gratitude": 0.4}
    assert loaded.labels_ == LABELS and loaded.languages == ("en",)
    texts = ["so annoying", "thanks a lot", "plain words"]
    # Weights are float16 on disk.
    assert np.allclose(loaded.predict_proba(texts), fitted.predict_proba(texts), atol=2e-3)


def test_shipped_head_is_fused_for_english_units_only():
    fused, alone = EmotionClassifier(str(MODEL)), EmotionClassifier(str(MODEL), lexical=False)
    assert fused.lexical is not None and fused.lexical.languages == ("en",) and alone.lexical is None
    assert "doc.unit_inputs" in fused.requires and "doc.unit_inputs" not in alone.requires
    assert not np.array_equal(fused.fused_thresholds, fused.thresholds)


def test_logit_fusion_lets_a_sure_head_outweigh_one_near_even_and_survives_saving(tmp_path, fitted):
    from voc_nlp.lexical import fuse

    head, words = np.array([[0.99, 0.5, 0.2]]), np.array([[0.5, 0.5, 0.8]])
    # The mean halves a sure head's score when the words say nothing; the log-odds keep it.
    np.testing.assert_allclose(fuse(head, words, 0.5, "mean"), [[0.745, 0.5, 0.5]])
    logit = fuse(head, words, 0.5, "logit")
    assert logit[0, 0] > 0.9 and logit[0, 1] == pytest.approx(0.5) and logit[0, 2] == pytest.approx(0.5)
    np.testing.assert_allclose(fuse(head, words, 0.0, "logit"), head, rtol=1e-6)
    np.testing.assert_allclose(fuse(head, words, 1.0, "logit"), words, rtol=1e-6)
    with pytest.raises(ValueError, match="fusion 'max'"):
        LexicalHead(fusion="max")
    fitted.fusion = "logit"
    fitted.save(tmp_path)
    loaded = LexicalHead.load(tmp_path)
    assert loaded.fusion == "logit"
    np.testing.assert_allclose(loaded.fuse(head, words), logit)
    fitted.fusion = "mean"
    fitted.save(tmp_path)
    assert LexicalHead.load(tmp_path).fusion == "mean"


def test_the_emotion_component_fuses_english_units_as_the_shipped_lexical_head_says(pipeline):
    from voc_nlp.text import normalize_social

    text = "Ugh, this is so annoying, the app logged me out again."
    emotions = next(s for s in pipeline.steps if s.name == "emotions")
    assert emotions.lexical.fusion == "logit"  # chosen by scripts/cv_emotions.py
    head_alone = Pipeline.from_config(overrides={"components": {**pipeline.config["components"],
                                                               "emotions": {**pipeline.config["components"]["emotions"],
                                                                            "lexical": False}}})
    alone = np.array(list(head_alone.enrich_texts([text])[0].emotion_scores.values()))
    words = emotions.lexical.predict_proba([normalize_social(text)])[0]
    fused = np.array(list(pipeline.enrich_texts([text])[0].emotion_scores.values()))
    np.testing.assert_allclose(fused, emotions.lexical.fuse(alone, words), atol=2e-3)
    assert not np.allclose(fused, (alone + words) / 2, atol=2e-3)


@pytest.mark.parametrize("text, lang, differs", [
    ("Ugh, this is so annoying, the app logged me out again.", "en", True),
    ("Franchement agaçant, l'application me déconnecte encore.", "fr", False),
])
def test_the_pipeline_reads_words_in_english_and_the_embedding_alone_elsewhere(pipeline, text, lang, differs):
    alone = Pipeline.from_config(overrides={"components": {**pipeline.config["components"],
                                                          "emotions": {**pipeline.config["components"]["emotions"],
                                                                       "lexical": False}}})
    with_words = pipeline.enrich_texts([text])[0]
    without = alone.enrich_texts([text])[0]
    assert with_words.lang == lang
    assert (with_words.emotion_scores != without.emotion_scores) == differs


def test_mention_placeholders_carry_no_evidence():
    # "@user" only in the frustrated texts: a head that read it would call any tweet frustrated.
    texts = [f"@user {t}" if y[0] else t for t, y in zip(TEXTS, TARGETS)]
    head = LexicalHead(min_df=1).fit(texts, TARGETS, LABELS)
    assert not any("user" in term for term in head.vocabulary_)
    assert np.allclose(head.predict_proba(["@user", "@USER @user"]), head.predict_proba([""] * 2))
    assert np.allclose(head.predict_proba(["@user so annoying"]), head.predict_proba(["so annoying"]))


def test_class_weight_balances_each_regression_and_survives_saving(tmp_path):
    texts = ["great", "great stuff", "love it", "awful", "meh", "ok", "fine", "so so", "whatever", "nothing"]
    targets = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1]],
                       dtype=np.float32)
    plain = LexicalHead(min_df=1).fit(texts, targets, ["praise", "other"])
    balanced = LexicalHead(min_df=1, class_weight="balanced").fit(texts, targets, ["praise", "other"])
    # 3 of 10 texts are praise: unweighted, an unknown text leans to "other"; balanced, much less so.
    assert balanced.predict_proba(["unseen"])[0, 0] > plain.predict_proba(["unseen"])[0, 0]
    balanced.save(tmp_path)
    loaded = LexicalHead.load(tmp_path)
    assert loaded.class_weight == "balanced"
    np.testing.assert_allclose(loaded.predict_proba(["great", "meh"]), balanced.predict_proba(["great", "meh"]),
                               atol=1e-3)


def test_label_shares_are_a_distribution_sharpened_by_the_fitted_temperature(tmp_path):
    texts = ["great", "great stuff", "love it", "awful", "awful stuff", "hate it", "ok", "fine", "so so"]
    targets = np.repeat(np.eye(3, dtype=np.float32), 3, axis=0)
    head = LexicalHead(min_df=1, class_weight="balanced").fit(texts, targets, ["positive", "negative", "neutral"])
    plain = head.label_shares(["great stuff", "awful"])
    np.testing.assert_allclose(plain.sum(axis=1), 1.0, rtol=1e-6)
    head.temperature_ = 0.5
    sharp = head.label_shares(["great stuff", "awful"])
    assert (sharp.argmax(axis=1) == plain.argmax(axis=1)).all() and (sharp.max(axis=1) > plain.max(axis=1)).all()
    head.save(tmp_path)
    np.testing.assert_allclose(LexicalHead.load(tmp_path).label_shares(["great stuff"]), sharp[:1], atol=1e-3)


def test_sharpen_keeps_the_decision_and_only_changes_the_confidence():
    from voc_nlp.lexical import sharpen

    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], dtype=np.float32)
    np.testing.assert_allclose(sharpen(probs, 1.0), probs, rtol=1e-6)
    sharp, flat = sharpen(probs, 0.5), sharpen(probs, 2.0)
    assert (sharp.argmax(axis=1) == probs.argmax(axis=1)).all() and (flat.argmax(axis=1) == probs.argmax(axis=1)).all()
    assert (sharp.max(axis=1) > probs.max(axis=1)).all() and (flat.max(axis=1) < probs.max(axis=1)).all()
    np.testing.assert_allclose(sharp[0], np.array([0.25, 0.09, 0.04]) / 0.38, rtol=1e-5)


def test_a_loaded_vocabulary_finds_each_term_as_the_dict_does_before_and_after_building_it():
    head = LexicalHead.load(default_model("sentiment_lexical"))
    vocabulary = head.vocabulary_
    assert isinstance(vocabulary, Vocabulary) and vocabulary._columns is None  # no dict built at load
    columns = dict(zip(vocabulary.terms, range(len(vocabulary))))
    probes = vocabulary.terms[::997] + ["not a term at all", "", "zzzz", "the parcel", "the"]
    by_bisection = [vocabulary.get(term) for term in probes]
    assert vocabulary._columns is None
    assert by_bisection == [columns.get(term) for term in probes]
    for term in vocabulary.terms[: len(vocabulary) // 10]:  # enough lookups to build the dict
        vocabulary.get(term)
    assert vocabulary._columns is not None
    assert [vocabulary.get(term) for term in probes] == by_bisection


def test_unsorted_terms_are_looked_up_in_a_dict():
    vocabulary = Vocabulary(["parcel", "late", "refund"])
    assert vocabulary._columns is not None
    assert [vocabulary.get(t) for t in ("parcel", "late", "refund", "card")] == [0, 1, 2, None]
    assert dict(vocabulary.items()) == {"parcel": 0, "late": 1, "refund": 2}


# Character n-grams: French inflections and typos that no training text spelt.
REFUND_TEXTS = ["je veux être remboursé", "remboursement demandé", "rembourser ma commande svp", "refund my order",
                "I want a refund", "refunds are slow", "merci pour la livraison", "livraison rapide, merci",
                "thanks for the quick delivery", "the delivery was quick", "super produit", "great product"]
REFUND = np.array([[1], [1], [1], [1], [1], [1], [0], [0], [0], [0], [0], [0]])


def test_character_ngrams_match_scikit_learns_char_wb():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from voc_nlp.lexical import CHAR_PREFIX, _char_terms, _preprocess

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), preprocessor=_preprocess).build_analyzer()
    for text in ["Remboursé ?!", "#fail @user a  b", "où est mon colis", "", "I"]:
        ours = _char_terms(text, 2, 5)
        assert all(term.startswith(CHAR_PREFIX) for term in ours)
        assert sorted(term[len(CHAR_PREFIX):] for term in ours) == sorted(analyzer(text))


def test_character_ngrams_score_as_scikit_learn_and_read_unseen_spellings(tmp_path):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from voc_nlp.lexical import _preprocess

    head = LexicalHead(min_df=1, char_ngrams=(2, 5), char_max_features=400).fit(REFUND_TEXTS, REFUND, ["refund"])
    # Two TF-IDF blocks side by side, each normalised on its own (scikit-learn's FeatureUnion).
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, preprocessor=_preprocess)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), max_features=400, sublinear_tf=True,
                            preprocessor=_preprocess)
    x = hstack([words.fit_transform(REFUND_TEXTS), chars.fit_transform(REFUND_TEXTS)]).tocsr()
    new = ["remboursez-moi", "refunded ??", "livré hier", ""]
    x_new = hstack([words.transform(new), chars.transform(new)]).tocsr()
    expected = LogisticRegression(max_iter=2000, C=2.0).fit(x, REFUND[:, 0]).predict_proba(x_new)[:, 1]
    assert np.allclose(head.predict_proba(new)[:, 0], expected, atol=1e-5)
    assert sum(term.startswith("~") for term in head.vocabulary_) == 400

    # Words alone know none of these spellings; the character n-grams do.
    unseen = ["remboursez-moi", "refundd please", "livré hier"]
    plain = LexicalHead(min_df=1).fit(REFUND_TEXTS, REFUND, ["refund"]).predict_proba(unseen)[:, 0]
    with_chars = head.predict_proba(unseen)[:, 0]
    assert np.allclose(plain, plain[0])  # no known word: the intercept alone
    assert with_chars[0] > plain[0] and with_chars[1] > plain[1] and with_chars[2] < plain[2]
    assert with_chars[0] > 0.5 > with_chars[2]

    head.save(tmp_path)
    loaded = LexicalHead.load(tmp_path)
    assert loaded.char_ngrams == (2, 5)
    np.testing.assert_allclose(loaded.predict_proba(unseen), head.predict_proba(unseen), atol=2e-3)


def test_kept_word_columns_change_no_score(monkeypatch):
    import voc_nlp.lexical as lexical

    head = LexicalHead(min_df=1, char_ngrams=(2, 5)).fit(REFUND_TEXTS, REFUND, ["refund"])
    texts = ["remboursez-moi vite", "refundd please", "livré hier, merci", "vite vite"]
    first = head.predict_proba(texts)
    assert len(head._word_columns_kept) == 7
    np.testing.assert_array_equal(head.predict_proba(texts), first)
    monkeypatch.setattr(lexical, "CHAR_CACHE_WORDS", 2)  # kept words dropped as it goes
    fresh = LexicalHead(min_df=1, char_ngrams=(2, 5)).fit(REFUND_TEXTS, REFUND, ["refund"])
    np.testing.assert_allclose(fresh.predict_proba(texts), first, atol=1e-6)
    assert len(fresh._word_columns_kept) <= 2


@pytest.mark.parametrize("char_ngrams", [None, (2, 5)])
def test_batched_scores_equal_tfidf_times_weights(monkeypatch, char_ngrams):
    """`predict_proba` (character n-grams counted per batch, weights read term by term, shared text
    and word caches) equals the plain formula: scikit-learn's TF-IDF rows of each block, times coef_,
    plus intercept_, sigmoid."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    import voc_nlp.lexical as lexical

    targets = np.hstack([REFUND, [[0]] * 6 + [[1]] * 4 + [[0]] * 2])  # refund, delivery
    head = LexicalHead(min_df=1, char_ngrams=char_ngrams, char_max_features=300).fit(
        REFUND_TEXTS, targets, ["refund", "delivery"])
    blocks = [TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, preprocessor=lexical._preprocess)]
    prefixes = [""]
    if char_ngrams:
        blocks.append(TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngrams, max_features=300,
                                      sublinear_tf=True, preprocessor=lexical._preprocess))
        prefixes.append(lexical.CHAR_PREFIX)
    for block in blocks:
        block.fit(REFUND_TEXTS)
    columns = [head.vocabulary_[prefix + term]
               for block, prefix in zip(blocks, prefixes) for term in block.get_feature_names_out()]

    texts = ["Refund refund REFUND please", "", "zzqx", "merci merci, livraison rapide", "@user refunds?",
             "the delivery " * 40 + "was late, I want a refund",  # longer than a kept text
             "remboursez-moi", "thanks for the quick delivery", "livré", "a b c"]
    x = hstack([block.transform(texts) for block in blocks]).toarray()
    expected = 1.0 / (1.0 + np.exp(-(x @ head.coef_[:, columns].T.astype(np.float64) + head.intercept_)))
    assert len(texts[5]) > lexical.SHARED_TEXT_CHARS
    monkeypatch.setattr(lexical, "TEXTS_PER_BATCH", 3)  # batches that end inside the list
    np.testing.assert_allclose(head.predict_proba(texts), expected, atol=1e-6, rtol=0)
    np.testing.assert_allclose(np.vstack([head.predict_proba([t]) for t in texts]), expected, atol=1e-6, rtol=0)
    assert head.predict_proba([]).shape == (0, 2)


def test_scores_of_many_lists_at_once_are_each_lists_own_to_the_bit():
    """The journey tagger scores many docs' few texts in one call (`predict_proba_each`):
    each text's row must be the one a call for its own doc gives, not merely close."""
    from voc_nlp.heads import ClassifierHead
    from voc_nlp.text_classifier import TextClassifier

    head = LexicalHead(min_df=1, char_ngrams=(2, 5)).fit(REFUND_TEXTS, REFUND, ["refund"])
    lists = [["remboursez-moi vite", "livré"], [], ["refundd please"], ["vite vite", "a b c", "merci"]]
    for each, texts in zip(head.predict_proba_each(lists), lists):
        np.testing.assert_array_equal(each, head.predict_proba(texts))
    assert head.predict_proba_each([]) == []

    rng = np.random.default_rng(0)
    embedding = ClassifierHead(labels=["refund"], layers=[(rng.normal(size=(1, 4)).astype(np.float32),
                                                           np.zeros(1, dtype=np.float32))], activation="sigmoid")
    clf = TextClassifier(embedding, head)
    inputs = [(rng.normal(size=(len(texts), 4)).astype(np.float32), texts) for texts in lists]
    for each, (vectors, texts) in zip(clf.predict_proba_each(inputs), inputs):
        np.testing.assert_array_equal(each, clf.predict_proba(vectors, texts))
