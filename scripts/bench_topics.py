"""Time and memory of fitting pain-point topics on 100,000 units.

    python scripts/bench_topics.py [--units 100000] [--max-fit-units 15000]

The units are real texts (banking77, bitext, GoEmotions + TweetEval emotion,
TweetEval sentiment train splits), encoded once by the configured encoder and
cached in .cache/embeddings (the training script already caches most of
them). Prints fit seconds, number of topics, unassigned share, seconds to
assign all units again (what `--topic-model` does on a new batch), and the
peak RSS of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.encoders import encoder_from_config  # noqa: E402
from voc_nlp.taxonomy import Taxonomy  # noqa: E402
from voc_nlp.topics import PainPointTopics  # noqa: E402
from voc_nlp.topics.space import topic_params  # noqa: E402
from voc_nlp.training.data import (  # noqa: E402
    DEFAULT_DATA_DIR,
    embed_cached,
    emotion_set,
    read_split,
    sentiment_set,
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus(encoder, data_dir: Path, cache: Path) -> tuple[list[str], np.ndarray]:
    texts, parts = [], []
    sources = [
        read_split(data_dir, "banking77", "train")["text"].tolist(),
        read_split(data_dir, "banking77", "dev")["text"].tolist(),
        read_split(data_dir, "bitext_customer_support", "train")["text"].tolist(),
        read_split(data_dir, "bitext_customer_support", "dev")["text"].tolist(),
        emotion_set(data_dir, "train", Taxonomy.load())[0],
        sentiment_set(data_dir, "tweeteval_sentiment", "train")[0],
    ]
    for items in sources:
        texts += items
        parts.append(embed_cached(encoder, items, cache).astype(np.float16))  # as the CLI keeps them
    return texts, np.vstack(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--max-fit-units", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "default.yaml")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "embeddings")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    config = yaml.safe_load(args.config.read_text())
    encoder = encoder_from_config(config, args.config.parent)
    params = topic_params(config, args.config.parent, encoder.fingerprint)
    if args.max_fit_units:
        params["max_fit_units"] = args.max_fit_units

    started = time.perf_counter()
    texts, x = corpus(encoder, args.data_dir, args.cache)
    pick = np.sort(np.random.RandomState(13).choice(len(texts), min(args.units, len(texts)), replace=False))
    texts = [texts[i] for i in pick]
    x = x[pick]
    print(f"{len(texts)} units, {x.shape[1]} dims (float16 {x.nbytes / 2**20:.0f} MB), loaded in "
          f"{time.perf_counter() - started:.0f} s; peak RSS so far {peak_rss_mb():.0f} MB", flush=True)

    started = time.perf_counter()
    model = PainPointTopics(**params).fit(texts, x, encoder=encoder.fingerprint)
    fit_s = time.perf_counter() - started
    unassigned = float((model.labels_ < 0).mean())
    started = time.perf_counter()
    for s in range(0, len(x), 65536):
        model.assign(x[s : s + 65536])
    assign_s = time.perf_counter() - started
    print(f"fit: {fit_s:.0f} s on {len(texts)} units (UMAP/HDBSCAN on a seeded sample of "
          f"{min(len(texts), model.max_fit_units)}), {len(model.topics_)} topics, "
          f"unassigned {unassigned:.1%}; assigning all again: {assign_s:.1f} s; "
          f"peak RSS {peak_rss_mb():.0f} MB")
    for t in model.topics_[:10]:
        print(f"  {t.id:3d} {t.size:6d}  {t.label}")


if __name__ == "__main__":
    main()
