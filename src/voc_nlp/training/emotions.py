"""The CX emotion recipe shared by scripts/train_heads.py (what ships) and scripts/cv_emotions.py (how it was chosen).

An MLP head over whole-text embeddings (a seed ensemble distilled into one MLP when several seeds are
given) and a lexical head (`voc_nlp.lexical`) fused with it for English units (`fused_scores`), both
trained on the `emotion_mix` rows weighed by `emotion_weights`. Thresholds come from out-of-fold
probabilities on the train rows (`out_of_fold`, `f1_best_thresholds`), never from a dev split.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from voc_nlp.heads import ClassifierHead
from voc_nlp.lexical import LexicalHead, fuse
from voc_nlp.training.heads import distil_head, fit_mlp_head

THRESHOLD_GRID = np.round(np.arange(0.05, 0.91, 0.025), 3)


def fit_emotion_heads(x: np.ndarray, y: np.ndarray, units: list[str], english: np.ndarray, labels: list[str],
                      weights: np.ndarray, *, seeds: tuple[int, ...], hidden: int, student_hidden: int,
                      seed: int, epochs: int = 15, lexical: bool = True, fusion: str = "mean", encoder: str = "",
                      metadata: dict | None = None, label_weight: np.ndarray | None = None,
                      ) -> tuple[ClassifierHead, LexicalHead | None]:
    """The embedding head on the rows with weight > 0, and (`lexical`) the lexical head on the English ones,
    to be fused with the embedding head by `fusion` (`voc_nlp.lexical.fuse`). `label_weight`: each
    label's weight in the head's loss (default 1 each), or one per row and label."""
    rows = weights > 0
    head = fit_mlp_head(x[rows], y[rows], labels, multilabel=True, hidden=hidden, seeds=seeds, epochs=epochs,
                        sample_weight=weights[rows], encoder=encoder, metadata=metadata,
                        label_weight=label_weight[rows] if label_weight is not None and label_weight.ndim == 2
                        else label_weight)
    if len(seeds) > 1:
        head = distil_head(head, x[rows], hidden=student_hidden, epochs=epochs, seed=seed,
                           sample_weight=weights[rows])
    if not lexical:
        return head, None
    words = rows & english
    # liblinear: several times faster than the default solver on these ~40k texts.
    lexical_head = LexicalHead(solver="liblinear", fusion=fusion).fit(
        [units[i] for i in np.flatnonzero(words)], y[words], labels, sample_weight=weights[words])
    return head, lexical_head


def out_of_fold(x: np.ndarray, y: np.ndarray, units: list[str], english: np.ndarray, labels: list[str],
                weights: np.ndarray, folds: np.ndarray, heads: list | None = None, log=None,
                **recipe) -> tuple[np.ndarray, np.ndarray | None]:
    """Head and lexical probabilities of every row from the recipe trained on the other folds
    (the lexical ones only for English rows; NaN elsewhere). `heads`: a list that receives each
    fold's (head, lexical head)."""
    head_probs = np.zeros(y.shape, dtype=np.float32)
    lexical_probs = np.full(y.shape, np.nan, dtype=np.float32) if recipe.get("lexical", True) else None
    for k in np.unique(folds):
        inside = folds == k
        head, lexical = fit_emotion_heads(x, y, units, english, labels, np.where(inside, 0, weights), **recipe)
        head_probs[inside] = head.predict_proba(x[inside])
        if heads is not None:
            heads.append((head, lexical))
        if lexical is not None:
            rows = np.flatnonzero(inside & english)
            lexical_probs[rows] = lexical.predict_proba([units[i] for i in rows])
        if log:
            log(f"  fold {k} done", flush=True)
    return head_probs, lexical_probs


def fused_scores(head_probs: np.ndarray, lexical_probs: np.ndarray | None, english: np.ndarray,
                 weight: float = 0.5, fusion: str = "mean") -> np.ndarray:
    """The emotion component's scores: English rows fuse the two heads (`voc_nlp.lexical.fuse`), the
    others keep the embedding head's."""
    if lexical_probs is None:
        return head_probs
    out = head_probs.copy()
    out[english] = fuse(head_probs[english], lexical_probs[english], weight, fusion)
    return out


def f1_best_thresholds(probs: np.ndarray, y: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Per label, the cut on `THRESHOLD_GRID` with the best F1 (the lowest such cut on ties)."""
    out = {}
    for j, label in enumerate(labels):
        scores = [f1_score(y[:, j], probs[:, j] >= t, zero_division=0) for t in THRESHOLD_GRID]
        out[label] = float(THRESHOLD_GRID[int(np.argmax(scores))])
    return out


def decide(probs: np.ndarray, thresholds: dict[str, float], labels: list[str], neutral: str) -> list[list[str]]:
    """Emotions per row: every non-neutral label at or above its threshold, else neutral."""
    out = []
    for p in probs:
        chosen = [l for l, s in zip(labels, p) if l != neutral and s >= thresholds[l]]
        out.append(chosen or [neutral])
    return out
