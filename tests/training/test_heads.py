"""Softmax MLP heads learn from class indices or from soft targets (a distribution per row)."""

import numpy as np
import pytest

from voc_nlp.training.heads import fit_mlp_head

LABELS = ["negative", "neutral", "positive"]


def _blobs(n=150, seed=0):
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(c, 0.2, (n, 6)) for c in (-3.0, 0.0, 3.0)]).astype(np.float32)
    return x, np.repeat(np.arange(3), n)


@pytest.mark.parametrize("weighted", [False, True])
def test_one_hot_soft_targets_train_the_same_head_as_class_indices(weighted):
    x, y = _blobs()
    fit = dict(hidden=8, seeds=(1,), epochs=5, sample_weight=np.ones(len(y), np.float32) if weighted else None)
    hard = fit_mlp_head(x, y, LABELS, **fit)
    soft = fit_mlp_head(x, np.eye(3)[y], LABELS, **fit)
    for (w_hard, b_hard), (w_soft, b_soft) in zip(hard.layers, soft.layers):
        assert np.array_equal(w_hard, w_soft) and np.array_equal(b_hard, b_soft)


def test_a_head_learns_the_share_its_soft_targets_give():
    x, y = _blobs()
    targets = np.eye(3)[y]
    targets[y == 0] = [0.7, 0.3, 0.0]  # the first blob: 30 % neutral
    head = fit_mlp_head(x, targets, LABELS, hidden=16, seeds=(1,), epochs=60, balanced=False)
    negative, neutral, _ = head.predict_proba(x[y == 0]).mean(0)
    assert 0.2 < neutral < 0.4 and negative > 0.6
    hard = fit_mlp_head(x, y, LABELS, hidden=16, seeds=(1,), epochs=60, balanced=False)
    assert hard.predict_proba(x[y == 0]).mean(0)[1] < 0.1
