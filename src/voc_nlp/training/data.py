"""Loaders for the labelled sets in `../shared/data`, labels mapped to the taxonomy.

Only goemotions, tweeteval_*, banking77, bitext_customer_support,
french_book_reviews, womens_clothing_reviews and journey_train may train a
shipped model; the others (airline_tweets, amazon_reviews_fr,
tweetsumm_cs_dialogs, journey_dev) are for measuring (see `SHIPPABLE`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from voc_nlp.encoders.base import Encoder
from voc_nlp.paths import training_data_dir
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text import normalize_social

DEFAULT_DATA_DIR = training_data_dir()
SHIPPABLE = {"goemotions", "tweeteval_sentiment", "tweeteval_emotion", "banking77", "bitext_customer_support",
             "french_book_reviews", "womens_clothing_reviews", "journey_train"}
# The sentiment training mix (`sentiment_mix`): domain -> where its items come from.
SENTIMENT_DOMAINS = {"tweets": "tweeteval_sentiment", "clothing": "womens_clothing_reviews",
                     "books": "french_book_reviews", "journey": "journey_train"}


def read_split(data_dir: Path, name: str, split: str) -> pd.DataFrame:
    path = Path(data_dir) / name / f"{split}.csv.gz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; pass --data-dir pointing at shared/data")
    return pd.read_csv(path, keep_default_na=False)


def sentiment_set(data_dir: Path, name: str, split: str) -> tuple[list[str], list[str]]:
    """Texts and negative/neutral/positive labels of a sentiment-bearing set."""
    df = read_split(data_dir, name, split)
    column = {"tweeteval_sentiment": "label", "airline_tweets": "airline_sentiment",
              "amazon_reviews_fr": "sentiment", "french_book_reviews": "sentiment",
              "womens_clothing_reviews": "sentiment"}[name]
    return df["text"].tolist(), df[column].tolist()


def neutral_tweets_sample(data_dir: Path, split: str, n: int, seed: int = 13) -> list[str]:
    """A fixed-seed sample of n TweetEval sentiment tweets labelled neutral (the emotion head's neutral rows)."""
    tse = read_split(data_dir, "tweeteval_sentiment", split)
    calm = tse[tse["label"] == "neutral"]
    return calm.sample(n=min(n, len(calm)), random_state=seed)["text"].tolist()


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
        calm = neutral_tweets_sample(data_dir, split, neutral_tweets, seed)
        texts += calm
        rows += [[int(e == taxonomy.neutral_emotion) for e in ids]] * len(calm)
    return texts, np.array(rows, dtype=np.int8)


def journey_train(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / "journey_train" / "journey_train.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def customer_text(item: dict) -> str:
    """What the sentiment heads learn from for a journey item: a chat's customer turns (the units the
    pipeline scores), joined; any other item's text."""
    turns = item.get("turns")
    if turns:
        return "\n".join(t["text"] for t in turns if str(t.get("speaker", "")).lower() == "customer")
    return item["text"]


def sentiment_mix(data_dir: Path, folds: int = 3, team: list[dict] | None = None) -> pd.DataFrame:
    """The sentiment training mix: one row per item, columns text, label, domain, lang, fold, chat, team.

    Domains (`SENTIMENT_DOMAINS`): TweetEval sentiment train (tweets, en), women's clothing reviews
    train (en, 1-2 stars negative, 3 neutral, 4-5 positive), French book reviews train (fr, the source's
    3-way label) and journey_train (CX items en + fr, the taxonomy's convention: a calm problem report is
    neutral). Items journey_train relabelled from the other sets' train splits keep only their journey
    label (the same text is never in two rows). `team`: the team's labels of shared train rows
    (`voc_nlp.training.journey.read_labels`), last, in the journey domain with `team` true; they sit beside
    the rows they relabel (same text, same fold), so they are trained on and never scored. `fold`: a
    stable hash of the text, so cross-validation folds never split duplicates.
    """
    journey = journey_train(data_dir)
    rows = [{"text": customer_text(i), "label": i["sentiment"], "domain": "journey", "lang": i["lang"],
             "chat": bool(i.get("turns"))} for i in journey]
    taken = {normalize_social(i["text"]).lower() for i in journey}
    for domain, name, lang in (("tweets", "tweeteval_sentiment", "en"), ("clothing", "womens_clothing_reviews", "en"),
                               ("books", "french_book_reviews", "fr")):
        texts, labels = sentiment_set(data_dir, name, "train")
        rows += [{"text": t, "label": l, "domain": domain, "lang": lang, "chat": False}
                 for t, l in zip(texts, labels) if normalize_social(t).lower() not in taken and t.strip()]
    originals = len(rows)
    rows += [{"text": customer_text(i), "label": i["sentiment"], "domain": "journey", "lang": i["lang"],
              "chat": bool(i.get("turns"))} for i in team or []
             if i.get("sentiment") and normalize_social(customer_text(i)).lower() not in taken]
    frame = pd.DataFrame(rows)
    frame["team"] = np.arange(len(frame)) >= originals
    frame["fold"] = text_folds(frame["text"].tolist(), folds)
    return frame


def mix_weights(frame: pd.DataFrame, labels: list[str], domain_weights: dict[str, float]) -> np.ndarray:
    """One training weight per row of a `sentiment_mix` frame: classes balanced within each domain
    (each label of a domain weighs the same in total), and each domain's total weight
    `domain_weights[domain]` (relative; a domain left out or at 0 is not trained on), normalised so
    that the mean row weight is 1."""
    weights = np.zeros(len(frame), dtype=np.float64)
    for domain, share in domain_weights.items():
        inside = (frame["domain"] == domain).to_numpy()
        present = [l for l in labels if ((frame["label"] == l).to_numpy() & inside).any()]
        for label in present:
            rows = inside & (frame["label"] == label).to_numpy()
            weights[rows] = share / (len(present) * rows.sum())
    return (weights * len(frame) / weights.sum()).astype(np.float32)


def per_domain_sample(frame: pd.DataFrame, rows: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of up to n rows of each domain of a `sentiment_mix` frame among `rows` (a boolean mask),
    drawn without replacement, sorted."""
    picked = []
    for domain in sorted(set(frame["domain"])):
        inside = np.flatnonzero(rows & (frame["domain"] == domain).to_numpy())
        picked.append(rng.choice(inside, min(n, len(inside)), replace=False))
    return np.sort(np.concatenate(picked))


def text_folds(texts: list[str], folds: int) -> np.ndarray:
    """A cross-validation fold per text: a stable hash of the normalised text, so duplicates share a fold."""
    return np.array([int(hashlib.sha1(normalize_social(t).lower().encode()).hexdigest()[:8], 16) % folds
                     for t in texts])


def emotion_mix(data_dir: Path, taxonomy: Taxonomy, folds: int = 3, neutral_tweets: int = 0,
                seed: int = 13, team: list[dict] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The emotion training mix: a frame (text, domain, lang, fold, duplicate) and its multi-hot CX-emotion matrix.

    Rows: `emotion_set`'s train rows first (domain `goemotions`, `tweeteval_emotion` or `neutral_tweets`,
    in its order), then journey_train's items (domain `journey`; chats by their customer turns,
    `customer_text`), then `team`'s items (the team's labels of shared train rows, domain `team`). A
    GoEmotions/TweetEval row whose text journey_train or the team also holds (relabelled the CX way) is
    `duplicate`: it keeps only its CX label (`emotion_weights` gives it no weight). `fold`: `text_folds`.
    """
    texts, y = emotion_set(data_dir, "train", taxonomy, neutral_tweets=neutral_tweets, seed=seed)
    domains = _emotion_domains(data_dir, taxonomy, len(texts), neutral_tweets)
    journey, team = journey_train(data_dir), list(team or [])
    ids = taxonomy.emotion_ids
    taken = {normalize_social(i["text"]).lower() for i in journey + team}
    frame = pd.DataFrame({
        "text": texts + [customer_text(i) for i in journey + team],
        "domain": domains + ["journey"] * len(journey) + ["team"] * len(team),
        "lang": ["en"] * len(texts) + [i["lang"] for i in journey + team],
        "duplicate": [normalize_social(t).lower() in taken for t in texts] + [False] * (len(journey) + len(team)),
    })
    frame["fold"] = text_folds(frame["text"].tolist(), folds)
    cx_y = np.array([[int(e in i["emotions"]) for e in ids] for i in journey + team], dtype=np.int8)
    return frame, np.vstack([y, cx_y])


def _emotion_domains(data_dir: Path, taxonomy: Taxonomy, n: int, neutral_tweets: int) -> list[str]:
    """The source of each `emotion_set` train row, in its order."""
    goemotions = len(emotion_set(data_dir, "train", taxonomy, with_tweeteval=False)[0])
    calm = min(neutral_tweets, n - goemotions)
    return ["goemotions"] * goemotions + ["tweeteval_emotion"] * (n - goemotions - calm) + ["neutral_tweets"] * calm


def emotion_weights(frame: pd.DataFrame, journey_weight: float, tweeteval_weight: float = 1.0) -> np.ndarray:
    """One training weight per row of an `emotion_mix` frame: each GoEmotions row and neutral tweet 1,
    each TweetEval emotion row `tweeteval_weight`, each journey_train or team row `journey_weight` (0: not
    trained on), duplicates 0; normalised to a mean of 1 over the rows trained on."""
    weights = np.where(frame["domain"].isin(["journey", "team"]), journey_weight, 1.0)
    weights[(frame["domain"] == "tweeteval_emotion").to_numpy()] = tweeteval_weight
    weights[frame["duplicate"].to_numpy()] = 0.0
    return (weights * (weights > 0).sum() / weights.sum()).astype(np.float32)


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


def embed_views_cached(encoder: Encoder, texts: list[str], cache_dir: Path | None,
                       views: tuple[str, ...]) -> dict[str, np.ndarray]:
    """`embed_cached` for several views of one encoder in one pass (the views share the tokenisation and
    the lower layers), each cached where `embed_cached(encoder.view(v), ...)` looks for it."""
    inputs = [normalize_social(t) for t in texts]
    digest = hashlib.sha1("\n".join(inputs).encode()).hexdigest()[:16]
    paths = {v: None if cache_dir is None else Path(cache_dir) / encoder.view(v).name / f"{digest}.npy"
             for v in views}
    out = {v: np.load(p) for v, p in paths.items() if p is not None and p.exists()}
    missing = tuple(v for v in views if v not in out)
    if missing:
        fresh = encoder.encode_views(inputs, missing)
        for v in missing:
            out[v] = fresh[v]
            if paths[v] is not None:
                paths[v].parent.mkdir(parents=True, exist_ok=True)
                np.save(paths[v], fresh[v])
    return out


def embed_side_by_side(encoder: Encoder, texts: list[str], cache_dir: Path | None,
                       views: tuple[str, ...]) -> np.ndarray:
    """The `views`' vectors of `texts` side by side, in that order, as a head over several views reads them
    (`voc_nlp.components.embed.stack_vectors`); each view cached as `embed_views_cached` caches it."""
    out = embed_views_cached(encoder, texts, cache_dir, views)
    return np.hstack([out[v] for v in views])
