"""Loaders for the labelled sets in `../shared/data`, labels mapped to the taxonomy.

Only goemotions, tweeteval_*, banking77 and bitext_customer_support may train
a shipped model; the others are for measuring (see `SHIPPABLE`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from voc_nlp.encoders.base import Encoder
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text import normalize_social

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"
SHIPPABLE = {"goemotions", "tweeteval_sentiment", "tweeteval_emotion", "banking77", "bitext_customer_support"}


def read_split(data_dir: Path, name: str, split: str) -> pd.DataFrame:
    path = Path(data_dir) / name / f"{split}.csv.gz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; pass --data-dir pointing at shared/data")
    return pd.read_csv(path, keep_default_na=False)


def sentiment_set(data_dir: Path, name: str, split: str) -> tuple[list[str], list[str]]:
    """Texts and negative/neutral/positive labels of a sentiment-bearing set."""
    df = read_split(data_dir, name, split)
    column = {"tweeteval_sentiment": "label", "airline_tweets": "airline_sentiment",
              "amazon_reviews_fr": "sentiment"}[name]
    return df["text"].tolist(), df[column].tolist()


def emotion_set(data_dir: Path, split: str, taxonomy: Taxonomy, with_tweeteval: bool = True,
                neutral_tweets: int = 0, seed: int = 13) -> tuple[list[str], np.ndarray]:
    """GoEmotions (+ TweetEval emotion) texts with a multi-hot CX-emotion matrix.

    `neutral_tweets`: that many tweets labelled neutral in TweetEval sentiment
    (a fixed-seed sample) join as `neutral`. Every TweetEval emotion tweet
    carries an emotion, so without them a model learns that a tweet's form is
    itself emotional ("@JetBlue will do." read as anger).
    """
    ids = taxonomy.emotion_ids
    texts, rows = [], []
    goe = read_split(data_dir, "goemotions", split)
    for text, labels in zip(goe["text"], goe["labels"]):
        mapped = taxonomy.emotions_from_goemotions(labels.split(";"))
        if mapped:  # rows with only out-of-set emotions say nothing about the CX set
            texts.append(text)
            rows.append([int(e in mapped) for e in ids])
    if with_tweeteval:
        tee = read_split(data_dir, "tweeteval_emotion", split)
        for text, label in zip(tee["text"], tee["label"]):
            mapped = taxonomy.emotions_from_tweeteval(label)
            if mapped:
                texts.append(text)
                rows.append([int(e in mapped) for e in ids])
    if neutral_tweets:
        tse = read_split(data_dir, "tweeteval_sentiment", split)
        calm = tse[tse["label"] == "neutral"]
        calm = calm.sample(n=min(neutral_tweets, len(calm)), random_state=seed)["text"].tolist()
        texts += calm
        rows += [[int(e == taxonomy.neutral_emotion) for e in ids]] * len(calm)
    return texts, np.array(rows, dtype=np.int8)


def journey_dev(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / "journey_dev" / "journey_dev.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def embed_cached(encoder: Encoder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """Encode normalised texts, caching by encoder and content hash.

    Training sees texts exactly as the pipeline's units do (normalize_social).
    """
    inputs = [normalize_social(t) for t in texts]
    if cache_dir is None:
        return encoder.encode(inputs)
    digest = hashlib.sha1("\n".join(inputs).encode()).hexdigest()[:16]
    path = Path(cache_dir) / encoder.name / f"{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = encoder.encode(inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors
