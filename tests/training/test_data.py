"""The training mixes (sentiment, emotions): shippable sources only, domains and classes weighed as documented."""

import numpy as np
import pandas as pd
import pytest

from voc_nlp.taxonomy import Taxonomy
from voc_nlp.training.data import (
    DEFAULT_DATA_DIR,
    SENTIMENT_DOMAINS,
    SHIPPABLE,
    emotion_mix,
    emotion_set,
    emotion_weights,
    mix_weights,
    sentiment_mix,
    text_folds,
)

LABELS = ["negative", "neutral", "positive"]


def test_mix_weights_balance_classes_within_each_domain_and_weigh_domains():
    frame = pd.DataFrame({"domain": ["a"] * 6 + ["b"] * 3,
                          "label": ["positive"] * 4 + ["negative"] * 2 + ["neutral", "positive", "positive"]})
    w = mix_weights(frame, LABELS, {"a": 1.0, "b": 2.0})
    assert w.mean() == pytest.approx(1.0)
    a, b = frame["domain"] == "a", frame["domain"] == "b"
    assert w[b].sum() == pytest.approx(2 * w[a].sum())
    for domain in (a, b):
        totals = [w[domain & (frame["label"] == l)].sum() for l in LABELS if (domain & (frame["label"] == l)).any()]
        assert totals == pytest.approx([totals[0]] * len(totals))
    assert (mix_weights(frame, LABELS, {"a": 1.0})[b] == 0).all()  # a domain left out is not trained on


@pytest.mark.skipif(not (DEFAULT_DATA_DIR / "journey_train").exists(), reason="shared data not present")
def test_the_mix_uses_shippable_sets_only_and_never_holds_a_text_twice():
    mix = sentiment_mix(DEFAULT_DATA_DIR)
    assert set(SENTIMENT_DOMAINS.values()) <= SHIPPABLE
    assert set(mix["domain"]) == set(SENTIMENT_DOMAINS)
    assert set(mix["label"]) == set(LABELS)
    assert set(mix.loc[mix["domain"] == "books", "lang"]) == {"fr"}
    assert set(mix.loc[mix["domain"] == "journey", "lang"]) == {"en", "fr"}
    # journey_train relabels items of the review and tweet train splits: each text appears once.
    assert not mix["text"].str.strip().str.lower().duplicated().any() or \
        mix.groupby(mix["text"].str.strip().str.lower())["domain"].nunique().max() == 1
    # Folds are a function of the text: the same call gives the same folds.
    assert np.array_equal(mix["fold"].to_numpy(), sentiment_mix(DEFAULT_DATA_DIR)["fold"].to_numpy())


@pytest.mark.skipif(not (DEFAULT_DATA_DIR / "journey_train").exists(), reason="shared data not present")
def test_the_teams_labels_join_the_journey_domain_beside_the_rows_they_relabel():
    from voc_nlp.training.journey import TEAM_LABELS, read_labels

    team = read_labels(TEAM_LABELS, Taxonomy.load(), data_dir=DEFAULT_DATA_DIR)
    mix, with_team = sentiment_mix(DEFAULT_DATA_DIR), sentiment_mix(DEFAULT_DATA_DIR, team=team)
    originals = with_team[~with_team["team"]]
    # The original rows are unchanged (same order, so their cached embeddings still apply); the team's come last.
    assert not mix["team"].any() and originals.index.equals(mix.index)
    assert originals["text"].equals(mix["text"]) and originals["label"].equals(mix["label"])
    added = with_team[with_team["team"]]
    assert len(added) > 4000 and set(added["domain"]) == {"journey"} and added.index.min() == len(mix)
    # A relabelled text sits in its original row's fold: never trained on in a fold that scores it.
    fold_of = dict(zip(mix["text"], mix["fold"]))
    shared = [t for t in added["text"] if t in fold_of]
    assert len(shared) > 3000
    assert all(fold_of[t] == f for t, f in zip(added["text"], added["fold"]) if t in fold_of)


def test_emotion_weights_weigh_journey_rows_and_drop_duplicates():
    frame = pd.DataFrame({"domain": ["goemotions"] * 4 + ["neutral_tweets", "journey", "journey"],
                          "duplicate": [False] * 4 + [True, False, False]})
    w = emotion_weights(frame, 3.0)
    assert w[4] == 0  # the text journey_train also holds keeps only its journey label
    assert w[5] == pytest.approx(3 * w[0])
    assert w[w > 0].mean() == pytest.approx(1.0)
    assert (emotion_weights(frame, 0.0)[5:] == 0).all()  # weight 0: journey_train not trained on


def test_emotion_weights_weigh_tweeteval_rows_on_their_own():
    frame = pd.DataFrame({"domain": ["goemotions", "tweeteval_emotion", "tweeteval_emotion", "neutral_tweets",
                                     "journey"], "duplicate": [False] * 5})
    w = emotion_weights(frame, 5.0, tweeteval_weight=0.5)
    assert w[1] == pytest.approx(0.5 * w[0]) and w[2] == w[1]
    assert w[3] == pytest.approx(w[0])  # the neutral tweets are not TweetEval emotion rows
    assert w[4] == pytest.approx(5 * w[0]) and w.mean() == pytest.approx(1.0)
    assert emotion_weights(frame, 5.0).tolist() == emotion_weights(frame, 5.0, tweeteval_weight=1.0).tolist()


@pytest.mark.skipif(not (DEFAULT_DATA_DIR / "journey_train").exists(), reason="shared data not present")
def test_the_emotion_mix_adds_journey_train_after_the_emotion_sets():
    taxonomy = Taxonomy.load()
    frame, y = emotion_mix(DEFAULT_DATA_DIR, taxonomy, neutral_tweets=50)
    texts, _ = emotion_set(DEFAULT_DATA_DIR, "train", taxonomy, neutral_tweets=50)
    assert frame["text"].tolist()[: len(texts)] == texts
    assert y.shape == (len(frame), len(taxonomy.emotion_ids)) and (y.sum(1) > 0).all()
    journey = frame[frame["domain"] == "journey"]
    assert set(journey["lang"]) == {"en", "fr"} and len(journey) == len(frame) - len(texts)
    assert (frame["domain"] == "neutral_tweets").sum() == 50
    assert np.array_equal(frame["fold"].to_numpy(), text_folds(frame["text"].tolist(), 3))
