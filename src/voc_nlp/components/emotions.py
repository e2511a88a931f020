"""CX emotions per unit and per item: multi-label, per-label thresholds.

An emotion is expressed by the item when any customer unit expresses it, so
the item score is the maximum over units. `neutral` is given only when no
other emotion passes its threshold.
"""

from __future__ import annotations

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.components.embed import stack_vectors
from voc_nlp.doc import FeedbackDoc
from voc_nlp.heads import ClassifierHead
from voc_nlp.registry import components


@components.register("emotions")
class EmotionClassifier(Component):
    name = "emotions"
    requires = ("doc.vectors",)
    assigns = ("unit.emotions", "record.emotions", "record.emotion_scores")

    def __init__(self, model: str, neutral: str = "neutral"):
        self.head = ClassifierHead.load(model)
        self.labels = self.head.labels
        self.neutral = neutral
        self.thresholds = self.head.threshold_vector()
        self._emotion_mask = np.array([label != neutral for label in self.labels])

    @property
    def version(self) -> str:
        return f"emotions-{self.head.metadata.get('version', 'dev')}"

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok]
        matrix, counts = stack_vectors(live, self.head.layers[0][0].shape[1])
        probs = self.head.predict_proba(matrix) if len(matrix) else matrix
        offset = 0
        for doc, n in zip(live, counts):
            self._assign(doc, probs[offset : offset + n])
            offset += n

    def _decide(self, scores: np.ndarray) -> list[str]:
        passed = (scores >= self.thresholds) & self._emotion_mask
        order = np.argsort(-scores, kind="stable")
        chosen = [self.labels[i] for i in order if passed[i]]
        return chosen or [self.neutral]

    def _scores(self, scores: np.ndarray) -> dict[str, float]:
        return {label: round(float(v), 4) for label, v in zip(self.labels, scores)}

    def _assign(self, doc: FeedbackDoc, probs: np.ndarray) -> None:
        units = doc.scored_units
        for unit, p in zip(units, probs):
            unit.emotions = self._decide(p)
            unit.emotion_scores = self._scores(p)
        if not units:
            return
        item = probs.max(axis=0)
        if self.neutral in self.labels:
            # Neutral for the item only as far as every unit is neutral.
            k = self.labels.index(self.neutral)
            item[k] = probs[:, k].min()
        doc.record.emotions = self._decide(item)
        doc.record.emotion_scores = self._scores(item)
