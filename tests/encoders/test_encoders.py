import numpy as np
import pytest

from voc_nlp.registry import encoders


@pytest.mark.parametrize("backend", ["use_m3", "minilm"])
def test_encoder_gives_normalised_vectors_that_separate_meaning(backend):
    encoder = encoders.create(backend, batch_size=2, threads=1)
    texts = [
        "My parcel never arrived.",
        "The delivery did not come, the package is lost.",
        "I love the new colours of the app.",
    ]
    vectors = encoder.encode(texts)
    assert vectors.shape == (3, encoder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Two ways of saying "lost parcel" sit closer than an unrelated sentence.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_multilingual_encoder_puts_french_near_english():
    encoder = encoders.create("use_m3")
    en, fr, other = encoder.encode(
        ["My parcel arrived damaged.", "Mon colis est arrivé abîmé.", "I would like to open a savings account."]
    )
    assert en @ fr > en @ other


def test_encoding_is_deterministic_and_batch_independent():
    encoder = encoders.create("use_m3", batch_size=1)
    texts = ["Refund still not received after 3 weeks", "Merci pour votre aide !"]
    a = encoder.encode(texts)
    b = encoders.create("use_m3", batch_size=64).encode(texts)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_unknown_backend_names_the_registered_ones():
    with pytest.raises(KeyError, match="use_m3"):
        encoders.create("no-such-encoder")


def test_empty_input_gives_empty_matrix():
    encoder = encoders.create("use_m3")
    assert encoder.encode([]).shape == (0, 512)
