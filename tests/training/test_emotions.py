"""The emotion recipe's pieces: weighted multi-label heads, thresholds chosen on out-of-fold rows."""

import numpy as np
import pytest

from voc_nlp.lexical import LexicalHead
from voc_nlp.training.emotions import decide, f1_best_thresholds, out_of_fold
from voc_nlp.training.heads import fit_mlp_head

LABELS = ["anger", "delight", "neutral"]


def _contradicting_rows(n=200, seed=0):
    """Two blobs; the first half labels blob A anger, the second half (same blob) delight."""
    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(1.0, 0.1, (n, 8)), rng.normal(1.0, 0.1, (n, 8))]).astype(np.float32)
    y = np.zeros((2 * n, 3), dtype=np.int8)
    y[:n, 0] = 1
    y[n:, 1] = 1
    return x, y


def test_row_weights_decide_which_label_a_multilabel_head_learns():
    x, y = _contradicting_rows()
    first = np.r_[np.ones(200), np.full(200, 0.05)].astype(np.float32)
    head = fit_mlp_head(x, y, LABELS, multilabel=True, hidden=16, seeds=(1,), epochs=60, sample_weight=first)
    anger, delight = head.predict_proba(x[:1])[0][:2]
    assert anger > delight + 0.3
    head = fit_mlp_head(x, y, LABELS, multilabel=True, hidden=16, seeds=(1,), epochs=60,
                        sample_weight=first[::-1].copy())
    anger, delight = head.predict_proba(x[:1])[0][:2]
    assert delight > anger + 0.3


def test_a_label_weighed_zero_is_not_learnt_and_the_others_are():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (200, 8)).astype(np.float32)
    y = np.zeros((200, 3), dtype=np.int8)
    y[:, 1] = 1  # every row delight
    rows = np.ones(200, dtype=np.float32)
    learnt = fit_mlp_head(x, y, LABELS, multilabel=True, hidden=16, seeds=(1,), epochs=200, sample_weight=rows,
                          label_weight=np.array([1, 1, 1], dtype=np.float32)).predict_proba(x[:20])
    ignored = fit_mlp_head(x, y, LABELS, multilabel=True, hidden=16, seeds=(1,), epochs=200, sample_weight=rows,
                           label_weight=np.array([1, 0, 1], dtype=np.float32)).predict_proba(x[:20])
    assert learnt[:, 1].mean() > 0.75 and ignored[:, 1].mean() < learnt[:, 1].mean() - 0.2
    # anger and neutral (never on) are learnt alike with or without delight's loss
    assert ignored[:, [0, 2]].mean() < 0.3 and learnt[:, [0, 2]].mean() < 0.3


def test_a_row_masked_for_a_label_is_no_negative_of_it():
    # Half the rows delight, half (same blob) not: masked, the second half says nothing about delight.
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (200, 8)).astype(np.float32)
    y = np.zeros((200, 3), dtype=np.int8)
    y[:100, 1] = 1
    y[100:, 2] = 1
    rows = np.ones(200, dtype=np.float32)
    mask = np.ones((200, 3), dtype=np.float32)
    mask[100:, 1] = 0
    fit = dict(multilabel=True, hidden=16, seeds=(1,), epochs=200, sample_weight=rows)
    plain = fit_mlp_head(x, y, LABELS, **fit).predict_proba(x)[:, 1].mean()
    masked = fit_mlp_head(x, y, LABELS, label_weight=mask, **fit).predict_proba(x)[:, 1].mean()
    assert masked > plain + 0.2
    with pytest.raises(ValueError, match="sample_weight"):  # a weight that would be silently ignored
        fit_mlp_head(x, y, LABELS, multilabel=True, hidden=16, seeds=(1,), epochs=1, label_weight=mask)


def test_row_weights_reach_the_lexical_head():
    texts = ["so angry today"] * 20 + ["so angry today"] * 20 + ["lovely day"] * 20
    y = np.zeros((60, 3), dtype=np.int8)
    y[:20, 0] = 1
    y[20:40, 1] = 1
    y[40:, 2] = 1
    anger_first = np.r_[np.ones(20), np.full(20, 0.01), np.ones(20)]
    p = LexicalHead(min_df=1).fit(texts, y, LABELS, sample_weight=anger_first).predict_proba(["so angry"])[0]
    assert p[0] > p[1] + 0.2
    delight_first = np.r_[np.full(20, 0.01), np.ones(20), np.ones(20)]
    p = LexicalHead(min_df=1).fit(texts, y, LABELS, sample_weight=delight_first).predict_proba(["so angry"])[0]
    assert p[1] > p[0] + 0.2


def test_f1_best_thresholds_find_the_cut_that_separates_a_label():
    probs = np.array([[0.9, 0.1, 0.0], [0.6, 0.2, 0.0], [0.4, 0.7, 0.0], [0.3, 0.8, 0.0]])
    y = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]])
    cuts = f1_best_thresholds(probs, y, LABELS)
    assert 0.4 < cuts["anger"] <= 0.6 and 0.2 < cuts["delight"] <= 0.7
    assert decide(probs, cuts, LABELS, "neutral") == [["anger"], ["anger"], ["delight"], ["delight"]]
    assert decide(np.zeros((1, 3)), cuts, LABELS, "neutral") == [["neutral"]]


def test_out_of_fold_never_scores_a_row_with_a_head_trained_on_it():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (90, 8)).astype(np.float32)
    y = np.zeros((90, 3), dtype=np.int8)
    y[np.arange(90), rng.integers(0, 3, 90)] = 1
    folds = np.arange(90) % 3
    heads = []
    probs, lexical = out_of_fold(x, y, ["w"] * 90, np.ones(90, bool), LABELS, np.ones(90, np.float32), folds,
                                 heads=heads, seeds=(1,), hidden=8, student_hidden=8, seed=1, lexical=False)
    assert lexical is None and len(heads) == 3
    for k, (head, _) in enumerate(heads):
        assert np.allclose(probs[folds == k], head.predict_proba(x[folds == k]))


def test_fused_scores_fuse_english_rows_only_as_the_lexical_head_is_told():
    from voc_nlp.training.emotions import fused_scores

    head = np.array([[0.99, 0.5, 0.1], [0.99, 0.5, 0.1]], dtype=np.float32)
    words = np.array([[0.5, 0.9, 0.1], [np.nan, np.nan, np.nan]], dtype=np.float32)  # no lexical score for French
    english = np.array([True, False])
    mean, logit = (fused_scores(head, words, english, fusion=f) for f in ("mean", "logit"))
    np.testing.assert_allclose(mean[0], [0.745, 0.7, 0.1], rtol=1e-5)
    assert logit[0, 0] > 0.9 and logit[0, 1] == np.float32(0.75) and logit[0, 2] == np.float32(0.1)
    np.testing.assert_array_equal(mean[1], head[1])
    np.testing.assert_array_equal(logit[1], head[1])
    assert fused_scores(head, None, english) is head


def test_the_recipe_trains_the_lexical_head_with_its_fusion():
    from voc_nlp.training.emotions import fit_emotion_heads

    x, y = _contradicting_rows(n=30)
    y[::10] = [0, 0, 1]  # every label needs both classes
    units = ["so angry"] * 30 + ["lovely day"] * 30
    _, lexical = fit_emotion_heads(x, y, units, np.ones(60, bool), LABELS, np.ones(60, np.float32), seeds=(1,),
                                   hidden=8, student_hidden=8, seed=1, epochs=2, fusion="logit")
    assert lexical.fusion == "logit"
