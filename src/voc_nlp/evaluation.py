"""Metrics for labelled feedback, shared by the training scripts and `voc-nlp evaluate`."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, recall_score


def sentiment_metrics(gold: list[str], predicted: list[str]) -> dict[str, float]:
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_recall": float(recall_score(gold, predicted, average="macro", zero_division=0)),
        "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
        "n": len(gold),
    }


def multilabel_metrics(gold: list[list[str]], predicted: list[list[str]], labels: list[str],
                       exclude: tuple[str, ...] = ()) -> dict:
    """Per-label F1, macro-F1 over `labels` minus `exclude`, and micro-F1."""
    y = np.array([[int(label in g) for label in labels] for g in gold])
    p = np.array([[int(label in q) for label in labels] for q in predicted])
    per_label = {
        label: float(f1_score(y[:, j], p[:, j], zero_division=0)) for j, label in enumerate(labels)
    }
    kept = [label for label in labels if label not in exclude]
    return {
        "macro_f1": float(np.mean([per_label[label] for label in kept])),
        "micro_f1": float(f1_score(y, p, average="micro", zero_division=0)),
        "per_label_f1": per_label,
        "n": len(gold),
    }
