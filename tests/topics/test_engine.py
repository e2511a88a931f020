"""The clustering stack's fast import: optional backends hidden only while BERTopic loads."""

import os
import subprocess
import sys

import pytest

from voc_nlp.topics.engine import hidden
from voc_nlp.topics.labels import STOP_WORDS_DIR, stop_words


def test_hidden_modules_cannot_be_imported_inside_the_block_only():
    name = "json.tool"  # a real module, not imported by the test run
    sys.modules.pop(name, None)
    with hidden((name,)):
        with pytest.raises(ImportError):
            __import__(name)
    assert __import__(name) and sys.modules[name] is not None


def test_an_already_imported_module_is_left_alone():
    import json

    with hidden(("json",)):
        assert sys.modules["json"] is json


def test_a_fresh_process_gets_bertopic_without_torch_or_spacy():
    code = ("import sys; from voc_nlp.topics.engine import clustering_stack; b, u, h = clustering_stack(); "
            "print(b.__name__, u.__name__, h.__name__, [m for m in ('torch', 'spacy', 'transformers', 'plotly') "
            "if sys.modules.get(m) is not None]); import torch; print(torch.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "BERTopic UMAP HDBSCAN []"
    assert out[1] == "torch"  # importable again afterwards


def test_umap_functions_compiled_at_import_keep_their_code_on_disk(tmp_path):
    code = ("import numba; njit = numba.njit; from numba.core.caching import NullCache; "
            "from voc_nlp.topics.engine import clustering_stack; clustering_stack(); import umap.utils as u; "
            "print([isinstance(f._cache, NullCache) for f in (u.tau_rand_int, u.tau_rand)], numba.njit is njit)")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split("\n")[0] == "[False, False] True"  # cached; numba.njit as it was
    assert any(p.name.startswith("utils.tau_rand") for p in tmp_path.rglob("*.nbi"))


def test_the_shipped_stop_words_are_spacys():
    spacy_en = pytest.importorskip("spacy.lang.en.stop_words").STOP_WORDS
    spacy_fr = pytest.importorskip("spacy.lang.fr.stop_words").STOP_WORDS
    for lang, words in (("en", spacy_en), ("fr", spacy_fr)):
        lines = (STOP_WORDS_DIR / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
        assert {w for w in lines if not w.startswith("#")} == set(words), lang
    assert {w.lower() for w in spacy_en | spacy_fr} <= stop_words(("en", "fr"))
