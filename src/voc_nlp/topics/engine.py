"""The clustering stack (BERTopic, UMAP, HDBSCAN), imported so a fresh process pays little.

    BERTopic, UMAP, HDBSCAN = clustering_stack()

Two costs used to be paid by every `voc-nlp enrich --topics` before a unit
was clustered (22 s of 300 tweets' 31 s):

1. **numba compiling UMAP** at its first call, about 10 s: UMAP does not ask
   numba to keep the machine code. Caching is switched on for its functions
   (and pynndescent's that lack it) and the code kept under voc-nlp's cache
   folder (`voc_nlp.cache`, `numba/`; `NUMBA_CACHE_DIR` when set), filled at
   install by `python -m voc_nlp.warm`. numba checks each entry against its
   source file, so an upgraded UMAP recompiles instead of running stale code.
   Two UMAP functions are compiled at import, for the signature they declare
   (0.1-0.3 s of CPU, up to 0.8 s on a busy machine): `numba.njit` caches by
   default while UMAP is imported, so theirs is kept too.
2. **BERTopic importing its optional backends**: every one it finds installed
   (transformers and torch for LLM labels, spaCy for part-of-speech labels,
   plotly for charts), about 5 s. Topics here use none of them, so they are
   hidden while BERTopic is imported (it then notes them as not installed)
   and visible again right after; one that is already imported stays as it is.
"""

from __future__ import annotations

import functools
import os
import sys

from voc_nlp.cache import writable_cache_dir

# BERTopic's optional backends: imported by `import bertopic` when installed, never used here.
OPTIONAL_BACKENDS = ("torch", "transformers", "sentence_transformers", "spacy", "plotly")

# Packages whose numba functions are compiled for a fit.
JIT_PACKAGES = ("umap", "pynndescent")


@functools.cache
def clustering_stack():
    """(BERTopic, UMAP, HDBSCAN) classes, with UMAP's compiled code cached on disk."""
    use_numba_cache()
    import hdbscan

    with jit_cached_by_default():
        import umap
    cache_compiled_code(JIT_PACKAGES)
    # scipy and scikit-learn must be imported before torch is hidden: scipy's
    # array-API checks look torch up in sys.modules (done by umap above).
    with hidden(OPTIONAL_BACKENDS):
        import bertopic
    return bertopic.BERTopic, umap.UMAP, hdbscan.HDBSCAN


def use_numba_cache() -> None:
    """Point numba's cache at voc-nlp's cache folder (unless NUMBA_CACHE_DIR says where)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    root = writable_cache_dir()
    if root is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(root / "numba")
    if "numba" in sys.modules:  # read at numba's import; set it there too
        sys.modules["numba"].config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]


def cache_compiled_code(packages: tuple[str, ...]) -> int:
    """Switch on numba's disk cache for the jitted functions of the imported `packages`' modules
    that were declared without it; returns how many."""
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    count = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in packages:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, Dispatcher) and isinstance(value._cache, NullCache):
                value.enable_caching()
                count += 1
    return count


class jit_cached_by_default:
    """Within the block, `numba.njit` keeps compiled code on disk unless told not to
    (`cache=False`): a function compiled at import, for a signature given to the
    decorator, is compiled before `cache_compiled_code` could switch its cache on."""

    def __enter__(self):
        import numba

        self.njit = numba.njit
        numba.njit = functools.partial(self.njit, cache=True)
        return self

    def __exit__(self, *exc):
        import numba

        numba.njit = self.njit
        return False


class hidden:
    """Within the block, `import NAME` raises ImportError for each NAME not already imported."""

    def __init__(self, names: tuple[str, ...]):
        self.names = [name for name in names if name not in sys.modules]

    def __enter__(self):
        for name in self.names:
            sys.modules[name] = None  # the import system's "not installed" marker
        return self

    def __exit__(self, *exc):
        for name in self.names:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
        return False
