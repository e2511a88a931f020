"""e5-small with a LoRA adapter merged in (`E5AdaptedEncoder`), as the `accurate` profile's extra view.

The adapter is written here by the training module itself, so these tests pin
that what training computes (LoRA beside frozen weights, full-precision word
embeddings) is what the pipeline computes (LoRA merged, 4-bit word rows).
"""

import json

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file

from voc_nlp.encoders import E5AdaptedEncoder, EncoderWithExtraViews, USEMultilingualEncoder
from voc_nlp.registry import encoders
from voc_nlp.training.e5_sentiment import PREFIX, E5SentimentModel, load_base

TEXTS = ["Refund still not received after 3 weeks", "Merci pour votre aide, très bon service !",
         "ok", "Le livre est sombre mais magnifique, je le recommande"]


def write_adapter(folder, model: E5SentimentModel) -> str:
    folder.mkdir()
    save_file(model.lora_tensors(), str(folder / "adapter.safetensors"))
    (folder / "adapter.json").write_text(json.dumps(
        {"rank": model.rank, "alpha": model.alpha, "max_seq_length": 128, "prefix": PREFIX}))
    return str(folder)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """A training model whose adapters are random (B is 0 after init: nothing would change)."""
    encoder, tokenizer = load_base()
    model = E5SentimentModel(encoder, 3, rank=4, layers=(10, 11), seed=1)
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for lora in model.adapters.values():
            lora.b.copy_(torch.randn(lora.b.shape, generator=generator) * 0.05)
    model.eval()
    return model, tokenizer, write_adapter(tmp_path_factory.mktemp("e5") / "adapter", model)


def test_the_merged_adapter_computes_what_training_computed(tuned):
    model, tokenizer, folder = tuned
    view = E5AdaptedEncoder(folder, batch_size=3)
    ids = tokenizer([PREFIX + t for t in TEXTS], max_length=128)
    with torch.inference_mode():
        trained = np.vstack([model.pooled(*_single(i, tokenizer.pad)).numpy() for i in ids])
    ours = view.encode(TEXTS)
    assert ours.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(ours, trained, atol=2e-4)
    base = encoders.create("e5_small").encode(TEXTS)
    assert ((ours * base).sum(axis=1) < 0.99).all()  # the adapter changed every vector


def test_the_fingerprint_names_the_adapter(tuned, tmp_path):
    model, _, folder = tuned
    with torch.no_grad():
        model.adapters["l11.q"].b.add_(1.0)
    other = write_adapter(tmp_path / "other", model)
    with torch.no_grad():
        model.adapters["l11.q"].b.sub_(1.0)
    a, b = E5AdaptedEncoder(folder), E5AdaptedEncoder(other)
    assert a.fingerprint.startswith("multilingual-e5-small/384/") and a.fingerprint != b.fingerprint
    assert a.name != b.name  # embedding caches (folders by encoder name) keep them apart


def test_missing_adapter_folder_says_how_to_rebuild(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_e5_sentiment.py"):
        E5AdaptedEncoder(str(tmp_path / "nowhere"))


def test_extra_views_come_from_their_own_encoder(tuned):
    _, _, folder = tuned
    main, view = USEMultilingualEncoder(threads=1), E5AdaptedEncoder(folder)
    both = EncoderWithExtraViews(main, {"e5": view})
    assert both.views == ("e5",) and both.fingerprint == main.fingerprint
    out = both.encode_views(TEXTS)
    assert set(out) == {"base", "e5"} and out["e5"].shape == (len(TEXTS), 384)
    np.testing.assert_allclose(out["base"], main.encode(TEXTS), atol=1e-6)
    np.testing.assert_allclose(out["e5"], view.encode(TEXTS), atol=1e-6)
    assert view.fingerprint in both.views_fingerprint
    assert both.view("e5") is view
    with pytest.raises(ValueError, match="has no view 'affect'"):
        both.encode_views(TEXTS, ("affect",))
    with pytest.raises(ValueError, match="already views"):
        EncoderWithExtraViews(main, {"base": view})


def _single(ids, pad):
    from voc_nlp.encoders.e5_small import collate

    return collate([ids], pad)
