"""The sentiment training mix: shippable sources only, domains and classes weighed as documented."""

import numpy as np
import pandas as pd
import pytest

from voc_nlp.training.data import DEFAULT_DATA_DIR, SENTIMENT_DOMAINS, SHIPPABLE, mix_weights, sentiment_mix

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
