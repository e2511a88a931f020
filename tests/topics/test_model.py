"""PainPointTopics on written EN+FR themes, with the real encoder."""

from collections import Counter

import numpy as np
import pytest

from voc_nlp.text import normalize_social
from voc_nlp.topics import PainPointTopics

from .clustering import assert_new_texts_join_their_themes, assert_themes_separated, topic_themes
from .fixtures import FRENCH, NEW_BATCH, THEMES, UNRELATED

PARAMS = {"n_neighbors": 10, "min_cluster_size": 4, "min_samples": 2, "random_state": 13}


def _encode(pipeline, texts):
    embed = next(s for s in pipeline.steps if s.name == "embed")
    return embed.encoder.encode([normalize_social(t) for t in texts])


@pytest.fixture(scope="module")
def corpus(pipeline):
    texts = [t for items in THEMES.values() for t in items]
    gold = [name for name, items in THEMES.items() for _ in items]
    return texts, gold, _encode(pipeline, texts)


@pytest.fixture(scope="module")
def fitted(corpus):
    texts, _, x = corpus
    return PainPointTopics(**PARAMS).fit(texts, x, encoder="test")


def _theme_topic(model_labels, gold, theme):
    votes = Counter(int(t) for t, g in zip(model_labels, gold) if g == theme)
    return votes.most_common(1)[0]


def test_finds_the_three_written_themes_across_languages(fitted, corpus):
    texts, gold, _ = corpus
    assert_themes_separated(fitted.labels_, gold)
    # EN and FR items of a theme are not split by language: some topic of
    # each theme holds both.
    owner = topic_themes(fitted.labels_, gold)
    for theme in THEMES:
        mixed = [topic for topic, owned in owner.items() if owned == theme
                 and {text in FRENCH for text, t in zip(texts, fitted.labels_) if t == topic} == {True, False}]
        assert mixed, (theme, fitted.labels_)


def test_topics_are_described_readably(fitted, corpus):
    _, gold, _ = corpus
    topic, _ = _theme_topic(fitted.labels_, gold, "late_delivery")
    t = fitted.topic_by_id[topic]
    assert t.label and len(t.label) < 80
    assert any(w in " ".join(t.keywords + [t.label]) for w in ("parcel", "colis", "delivery", "livraison"))
    assert len(t.quotes) == 3 and all(q in THEMES["late_delivery"] for q in t.quotes)
    assert not set(t.keywords) & {"the", "le", "la", "is", "est", "user", "http"}
    assert t.size == int((fitted.labels_ == topic).sum())


def test_same_input_same_topics(corpus, fitted):
    texts, _, x = corpus
    again = PainPointTopics(**PARAMS).fit(texts, x, encoder="test")
    assert np.array_equal(again.labels_, fitted.labels_)
    assert [t.label for t in again.topics_] == [t.label for t in fitted.topics_]
    assert np.allclose(again.centroids_, fitted.centroids_)


def test_saved_model_round_trip_assigns_the_same(tmp_path, fitted, corpus):
    texts, _, x = corpus
    fitted.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["topics.json", "topics.safetensors"]
    loaded = PainPointTopics.load(tmp_path / "model")
    assert np.array_equal(loaded.transform(texts, x), fitted.labels_)
    assert [t.label for t in loaded.topics_] == [t.label for t in fitted.topics_]
    assert loaded.get_params() == fitted.get_params()


def test_new_batch_goes_to_existing_topics_and_unrelated_fits_none(pipeline, fitted, corpus):
    _, gold, _ = corpus
    texts = [t for items in NEW_BATCH.values() for t in items]
    new_gold = [theme for theme, items in NEW_BATCH.items() for _ in items]
    ids = fitted.transform(texts + [UNRELATED], _encode(pipeline, texts + [UNRELATED]))
    assert_new_texts_join_their_themes(ids[:-1], new_gold, fitted.labels_, gold, max_wrong=1)
    assert ids[-1] == -1


def test_embeddings_of_another_encoder_are_refused(fitted):
    with pytest.raises(ValueError, match="dimensions"):
        fitted.transform(None, np.ones((2, 7), dtype=np.float32))


def test_large_inputs_are_clustered_on_a_sample_and_assigned(corpus):
    texts, gold, x = corpus
    model = PainPointTopics(**{**PARAMS, "max_fit_units": 30}).fit(texts, x)
    assert len(model.labels_) == len(texts) and model.n_fit_units_ == len(texts)
    assert (model.labels_ >= 0).mean() >= 0.9
