"""The clustering properties the topic tests rely on accept noise, not failures."""

import pytest

from .clustering import assert_new_texts_join_their_themes, assert_themes_separated

GOLD = ["a"] * 15 + ["b"] * 15 + ["c"] * 15


@pytest.mark.parametrize("labels", [
    [0] * 15 + [1] * 15 + [2] * 15,                  # exact
    [0] * 15 + [1] * 6 + [3] * 9 + [2] * 15,         # one theme split into two pure topics
    [-1] * 2 + [0] * 13 + [1] * 15 + [2] * 14 + [-1],  # a few texts left as noise
])
def test_noise_across_machines_passes(labels):
    assert_themes_separated(labels, GOLD)


@pytest.mark.parametrize("labels", [
    [0] * 30 + [2] * 15,                                      # two themes merged
    [-1] * 3 + [0] * 12 + [-1] * 3 + [1] * 12 + [-1] * 3 + [2] * 12,  # 20 % noise
    [1, 2] + [0] * 13 + [0, 2] + [1] * 13 + [0, 1] + [2] * 13,      # topics mix themes
    [i % 3 for i in range(45)],                               # no structure
])
def test_real_failures_fail(labels):
    with pytest.raises(AssertionError):
        assert_themes_separated(labels, GOLD)


def test_a_new_text_must_join_a_topic_of_its_theme():
    labels = [0] * 15 + [1] * 6 + [3] * 9 + [2] * 15
    assert_new_texts_join_their_themes([0, 3, 1, 2], ["a", "b", "b", "c"], labels, GOLD)
    with pytest.raises(AssertionError):
        assert_new_texts_join_their_themes([0, 0, 1, 2], ["a", "b", "b", "c"], labels, GOLD)
