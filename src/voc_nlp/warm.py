"""Fill voc-nlp's disk cache now, so the first run starts as fast as the next.

    python -m voc_nlp.warm            # `make install` runs it

Loads the default pipeline and enriches two texts (builds the encoder,
language-identification and hashtag word-count entries of `voc_nlp.cache`), then fits topics on a
small synthetic batch, which has numba compile UMAP's code for small batches
into the cache (`voc_nlp.topics.engine`). Takes about a minute; safe to run
again (entries already there are kept).
"""

from __future__ import annotations

import sys
import time
import warnings


def main() -> int:
    import numpy as np

    import voc_nlp
    from voc_nlp.cache import cache_dir
    from voc_nlp.topics.model import PainPointTopics

    started = time.perf_counter()
    voc_nlp.load().enrich_texts(["The parcel arrived two days late. #neveragain", "Le colis est arrivé en retard."])
    # Three well-separated groups of unit vectors: enough for UMAP's spectral
    # start, its layout and HDBSCAN, as a small `--topics` batch runs them.
    rng = np.random.RandomState(0)
    centres = rng.normal(size=(3, 64)).astype(np.float32)
    vectors = np.repeat(centres, 30, axis=0) + 0.05 * rng.normal(size=(90, 64)).astype(np.float32)
    themes = (["parcel", "delivery", "late", "courier"], ["card", "payment", "declined", "bank"],
              ["refund", "money", "return", "waiting"])
    texts = [" ".join(themes[i // 30][(i + k) % 4] for k in range(3)) for i in range(len(vectors))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        PainPointTopics().fit(texts, vectors)
    print(f"voc-nlp cache ready in {time.perf_counter() - started:.0f} s: {cache_dir()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
