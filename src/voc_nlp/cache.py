"""A disk cache for what every process would otherwise rebuild from shipped files.

Start-up used to spend most of its time undoing compression and parsing:
the USE tokenizer's protobuf (0.55 s of pure Python), its xz-compressed
weights (0.3 s), py3langid's xz-compressed model (0.45 s), wordsegment's
word counts for splitting hashtags (0.45 s; 0.15 s from the entry), and, with
`--topics`, numba compiling UMAP (10+ s). Each is built once from its source
file and kept here; `python -m voc_nlp.warm` (run by `make install`) builds
them all, so the first run is as fast as the next. Large tables (the USE
token table, the language-id model) are kept as .npy files and memory-mapped:
a process reads only the pages its texts touch.

    folder = cached("langid", [model_file], build)   # build(folder) fills it; None: no cache

Where: `$VOC_NLP_CACHE` if set, else `<venv>/var/cache/voc-nlp` inside a
virtualenv (removed with it), else `~/.cache/voc-nlp`. An entry is named
after its sources' paths, sizes and modification times and voc-nlp's
version, so an upgraded package gets a new entry, never a stale one. Entries
are written to a temporary folder and renamed into place, so two processes
starting at once never read a half-written entry. When the folder cannot be
written, callers load from the source as before.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable

# Bump when what a builder writes changes shape.
CACHE_FORMAT = 4


def cache_dir() -> Path:
    if os.environ.get("VOC_NLP_CACHE"):
        return Path(os.environ["VOC_NLP_CACHE"])
    if sys.prefix != sys.base_prefix:  # a virtualenv: the cache belongs to the install
        return Path(sys.prefix) / "var" / "cache" / "voc-nlp"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "voc-nlp"


def writable_cache_dir() -> Path | None:
    """The cache folder, created; None when it cannot be written."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def cached(name: str, sources: list[Path], build: Callable[[Path], None]) -> Path | None:
    """The folder `build` filled from `sources`, built now if missing; None without a cache."""
    from voc_nlp import __version__

    root = writable_cache_dir()
    if root is None:
        return None
    stamp = hashlib.sha256(repr((CACHE_FORMAT, __version__, [
        (str(Path(s).resolve()), os.stat(s).st_size, os.stat(s).st_mtime_ns) for s in sources
    ])).encode()).hexdigest()[:16]
    folder = root / f"{name}-{stamp}"
    if folder.is_dir():
        return folder
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        build(work)
        work.chmod(0o755)  # mkdtemp made it private; the entry is for every user of the install
        os.replace(work, folder)
    except OSError:
        # Another process renamed its copy in first (or the disk is full): use
        # theirs when it is there, the source otherwise.
        shutil.rmtree(work, ignore_errors=True)
        return folder if folder.is_dir() else None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder
