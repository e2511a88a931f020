"""e5-small tuned with a sentiment head and, beside it, a multi-label emotion head over the same vector."""

import numpy as np
import pytest
import torch

from voc_nlp.training.e5_sentiment import (PREFIX, E5SentimentModel, Task, fine_tune_tasks, head_probabilities,
                                           load_base, pooled_vectors, predict_proba)

TEXTS = ["Refund still not received after 3 weeks, this is ridiculous", "Merci pour votre aide, très bon service !",
         "Where do I change my delivery address?", "I'm worried my card was charged twice"]
SENTIMENT = np.array([0, 2, 1, 0])
# anger, frustration, worry, confusion, sadness, delight, gratitude (the CX emotions, neutral left out)
EMOTIONS = np.array([[1, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0]])


@pytest.fixture(scope="module")
def base():
    return load_base()


def small(base, seed=1, n_emotions=7) -> E5SentimentModel:
    import copy

    encoder, _ = base
    return E5SentimentModel(copy.deepcopy(encoder), 3, rank=4, layers=(10, 11), seed=seed, n_emotions=n_emotions)


def test_both_heads_learn_their_labels_through_shared_adapters(base):
    model, tokenizer = small(base), base[1]
    ids = tokenizer([PREFIX + t for t in TEXTS], max_length=64)
    before = head_probabilities(model, pooled_vectors(model, ids, tokenizer.pad))
    adapters = {k: v.b.detach().clone() for k, v in model.adapters.items()}
    tasks = [Task("sentiment", ids, SENTIMENT, np.ones(4, np.float32)),
             Task("emotions", ids, EMOTIONS, np.ones(4, np.float32))]
    run = fine_tune_tasks(model, tasks, tokenizer.pad, epochs=15, lr=5e-3, batch_size=4, seed=3, log_every=1000)
    after = head_probabilities(model, pooled_vectors(model, ids, tokenizer.pad))

    assert run["steps"] == 30  # one batch of each task per pass
    assert after["emotions"].shape == (4, 7) and ((after["emotions"] > 0) & (after["emotions"] < 1)).all()
    # Each head moved towards its own targets: emotions per label (sigmoids, several per text), sentiment per text.
    gained = np.where(EMOTIONS == 1, after["emotions"] - before["emotions"], before["emotions"] - after["emotions"])
    assert (gained > 0).mean() > 0.9
    assert (after["sentiment"].argmax(1) == SENTIMENT).all()
    assert any(not torch.equal(adapters[k], v.b) for k, v in model.adapters.items())


def test_pooled_vectors_are_the_models_own_one_text_at_a_time(base):
    model, tokenizer = small(base), base[1]
    ids = tokenizer([PREFIX + t for t in TEXTS], max_length=64)
    batched = pooled_vectors(model, ids, tokenizer.pad, batch_size=3)  # padded beside longer texts
    from voc_nlp.encoders.e5_small import collate

    with torch.inference_mode():
        alone = np.vstack([model.pooled(*collate([i], tokenizer.pad)).numpy() for i in ids])
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(predict_proba(model, ids, tokenizer.pad),
                               head_probabilities(model, batched)["sentiment"], atol=1e-5)


def test_a_sentiment_only_model_has_no_emotion_output_and_starts_as_before(base):
    plain, joint = small(base, n_emotions=0), small(base)
    assert plain.emotion_head is None
    assert "emotions" not in head_probabilities(plain, np.ones((1, 384), np.float32) / np.sqrt(384))
    # The emotion head is drawn after the sentiment head and the adapters: the shipped recipe's start is unchanged.
    assert torch.equal(plain.head.weight, joint.head.weight)
    assert all(torch.equal(plain.adapters[k].a, joint.adapters[k].a) for k in plain.adapters)


def test_an_unknown_head_is_a_clear_error(base):
    model, tokenizer = small(base), base[1]
    ids = tokenizer([PREFIX + t for t in TEXTS[:2]], max_length=64)
    with pytest.raises(ValueError, match="unknown head 'topics'"):
        fine_tune_tasks(model, [Task("topics", ids, SENTIMENT[:2], np.ones(2, np.float32))], tokenizer.pad,
                        epochs=1, batch_size=2, log_every=1000)
