"""IntentSpace: the shipped map, topics fitted in it, persistence, refusals."""

import json

import numpy as np
import pytest
import yaml

from voc_nlp.paths import default_config, default_model, default_pipeline_dir
from voc_nlp.text import normalize_social
from voc_nlp.topics import IntentSpace, PainPointTopics
from voc_nlp.topics.space import topic_params

from .clustering import assert_new_texts_join_their_themes, assert_themes_separated
from .fixtures import NEW_BATCH, THEMES, UNRELATED
from .test_model import PARAMS

SHIPPED = default_model("topic_space")


def _encode(pipeline, texts):
    embed = next(s for s in pipeline.steps if s.name == "embed")
    return embed.encoder.encode([normalize_social(t) for t in texts])


@pytest.fixture(scope="module")
def space(pipeline):
    params = topic_params(yaml.safe_load(default_config().read_text()), default_pipeline_dir(),
                          next(s for s in pipeline.steps if s.name == "embed").encoder.fingerprint)
    return params["space"]


@pytest.fixture(scope="module")
def corpus(pipeline):
    texts = [t for items in THEMES.values() for t in items]
    gold = [name for name, items in THEMES.items() for _ in items]
    return texts, gold, _encode(pipeline, texts)


def test_default_config_clusters_in_the_shipped_space(space):
    assert isinstance(space, IntentSpace)
    assert space.encoder_.startswith("use-multilingual-v3")
    assert space.scalings_.shape[0] == 512 and space.scalings_.shape[1] >= 77
    assert (SHIPPED / "MODEL_CARD.md").exists()


def _margin(vectors):
    """Similarity of two phrasings of one request minus that of two requests phrased alike."""
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return float(v[0] @ v[1] - v[0] @ v[2])


@pytest.mark.parametrize("texts", [
    # same request, other words  |  other request, same words
    ["My card payment was declined at the shop.", "Why did the store refuse my transaction?",
     "My card payment was charged twice at the shop."],
    ["I still have not received my new card.", "When will the card you sent me arrive?",
     "I still have not received my refund."],
    ["Ma carte a été refusée au magasin.", "Pourquoi mon paiement par carte n'est pas passé ?",
     "Ma carte a été débitée deux fois au magasin."],
])
def test_space_brings_one_request_together_across_wordings(pipeline, space, texts):
    x = _encode(pipeline, texts)
    assert _margin(space.transform(x)) > _margin(x) + 0.05


BANK_REQUESTS = ["My card payment was declined at the shop.", "How do I top up my account by bank transfer?",
                 "Ma carte a été refusée au distributeur."]
FLIGHT_COMPLAINTS = ["Three hours on the tarmac and not a word from the pilot.",
                     "The flight attendants were rude and the seats were filthy."]


def test_requests_like_the_taught_intents_are_familiar_and_flight_complaints_are_not(pipeline, space):
    familiar = space.familiarity(_encode(pipeline, BANK_REQUESTS))
    strange = space.familiarity(_encode(pipeline, FLIGHT_COMPLAINTS))
    assert familiar.min() > 0.9 and strange.max() < 0.1, (familiar, strange)


def test_a_batch_far_from_the_taught_intents_is_clustered_in_the_encoders_geometry(pipeline, space):
    bank, flights = _encode(pipeline, BANK_REQUESTS * 3), _encode(pipeline, FLIGHT_COMPLAINTS * 3)
    assert space.batch_weight(bank) > 0.9 * space.weight
    assert space.batch_weight(flights) < 0.1 * space.weight
    model = PainPointTopics(**PARAMS, space=space).fit(FLIGHT_COMPLAINTS * 3, flights, encoder="test")
    assert model.space_weight_ == pytest.approx(space.batch_weight(flights))
    # At that weight the discriminant part hardly moves the encoder's similarities.
    z = model._embed(flights[:2])
    v = flights[:2] / np.linalg.norm(flights[:2], axis=1, keepdims=True)
    assert abs(float(z[0] @ z[1]) - float(v[0] @ v[1])) < 0.05


def test_topics_in_the_space_still_find_the_written_themes(pipeline, space, corpus):
    # Properties with a margin, not one exact clustering: on some machines the
    # space splits wrong_charge into two pure topics, which is fine.
    texts, gold, x = corpus
    model = PainPointTopics(**PARAMS, space=space).fit(texts, x, encoder="test")
    assert_themes_separated(model.labels_, gold)
    later = [t for items in NEW_BATCH.values() for t in items]
    later_gold = [theme for theme, items in NEW_BATCH.items() for _ in items]
    ids = model.transform(later + [UNRELATED], _encode(pipeline, later + [UNRELATED]))
    assert_new_texts_join_their_themes(ids[:-1], later_gold, model.labels_, gold, max_wrong=1)
    assert ids[-1] == -1


def test_saved_topic_model_carries_its_space(tmp_path, space, corpus):
    texts, _, x = corpus
    model = PainPointTopics(**PARAMS, space=space).fit(texts, x, encoder="test")
    model.save(tmp_path / "m")
    assert model.centroids_.shape[1] == 512 + space.scalings_.shape[1]
    loaded = PainPointTopics.load(tmp_path / "m")
    assert np.array_equal(loaded.space.scalings_, space.scalings_)
    assert loaded.space.weight == space.weight
    assert np.array_equal(loaded.space.intent_means_, space.intent_means_)
    assert loaded.space.reach == space.reach and loaded.space.radius_ == space.radius_
    assert loaded.space_weight_ == model.space_weight_ > 0.5 * space.weight
    assert np.array_equal(loaded.transform(texts, x), model.labels_)
    spec = json.loads((tmp_path / "m" / "topics.json").read_text())
    assert spec["params"]["space"]["encoder"] == space.encoder_


def test_fit_transform_and_round_trip(tmp_path, pipeline):
    texts = ["where is my parcel", "my parcel is late", "parcel not delivered yet",
             "the app crashes", "app keeps crashing", "the app will not open"]
    intents = ["delivery"] * 3 + ["app"] * 3
    x = _encode(pipeline, texts)
    fitted = IntentSpace(shrinkage=0.5, weight=1.0).fit(x, intents, encoder="enc/512")
    assert fitted.scalings_.shape == (512, 1)
    z = fitted.transform(x)
    assert z.shape == (6, 513)
    assert np.allclose(np.linalg.norm(z[:, 512:], axis=1), 1.0, atol=1e-5)
    # One discriminant direction: the two intents land on opposite sides.
    assert len({float(np.sign(v)) for v in z[:3, 512]}) == 1 and np.sign(z[0, 512]) != np.sign(z[3, 512])
    fitted.save(tmp_path / "s")
    loaded = IntentSpace.load(tmp_path / "s")
    assert np.allclose(loaded.transform(x), z)


def test_a_space_of_another_encoder_is_refused(tmp_path, space):
    other = IntentSpace.from_arrays({**space.spec, "encoder": "minilm/384"}, space.scalings_)
    other.save(tmp_path / "s")
    config = {"topics": {"space": "s"}}
    with pytest.raises(ValueError, match="trained on minilm/384.*topics.space to null"):
        topic_params(config, tmp_path, "use-multilingual-v3/512")
    with pytest.raises(FileNotFoundError, match="no intent space"):
        topic_params({"topics": {"space": "missing"}}, tmp_path, "")
    assert "space" not in topic_params({"topics": {"space": None, "min_samples": 5}}, tmp_path)


def test_language_shift_is_not_taken_for_an_intent_difference():
    # Intents differ along axis 0 (noisy) and slightly along axis 1, where
    # English texts hardly vary: plain LDA leans on axis 1. A French text
    # moves along axis 1; given that shift as nuisance, the space leans on axis 0.
    rng = np.random.RandomState(0)
    x = rng.normal(0, [1.0, 0.01, 1.0, 1.0], size=(400, 4)) + np.array([5.0, 1.0, 0.0, 0.0])
    intents = np.repeat(["a", "b"], 200)
    x[200:, 0] += 2.0
    x[200:, 1] += 0.02
    plain = IntentSpace(shrinkage=0.0).fit(x, intents).scalings_[:, 0]
    shifts = np.array([[0.0, 0.3, 0.0, 0.0], [0.0, -0.25, 0.0, 0.0]])
    blind = IntentSpace(shrinkage=0.0).fit(x, intents, nuisance=shifts).scalings_[:, 0]
    assert abs(plain[1]) > abs(plain[0])
    assert abs(blind[1]) < 0.2 * abs(blind[0])
