"""Sentiment per unit and per item, from a trained head over unit embeddings.

Score in [-1, 1] = P(positive) - P(negative), so items can be ranked. The item
takes the length-weighted mean of its customer units' probabilities: a long
complaint outweighs a closing "thanks".
"""

from __future__ import annotations

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.components.embed import stack_vectors
from voc_nlp.doc import FeedbackDoc
from voc_nlp.heads import ClassifierHead
from voc_nlp.registry import components


@components.register("sentiment")
class SentimentClassifier(Component):
    name = "sentiment"
    requires = ("doc.vectors",)
    assigns = ("unit.sentiment", "record.sentiment", "record.sentiment_score", "record.sentiment_probs")

    def __init__(self, model: str, positive: str = "positive", negative: str = "negative"):
        self.head = ClassifierHead.load(model)
        self.labels = self.head.labels
        self._pos = self.labels.index(positive)
        self._neg = self.labels.index(negative)

    @property
    def version(self) -> str:
        return f"sentiment-{self.head.metadata.get('version', 'dev')}"

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok]
        matrix, counts = stack_vectors(live, self.head.layers[0][0].shape[1])
        probs = self.head.predict_proba(matrix) if len(matrix) else matrix
        offset = 0
        for doc, n in zip(live, counts):
            self._assign(doc, probs[offset : offset + n])
            offset += n

    def _assign(self, doc: FeedbackDoc, probs: np.ndarray) -> None:
        units = doc.scored_units
        for unit, p in zip(units, probs):
            unit.sentiment = self.labels[int(p.argmax())]
            unit.sentiment_score = float(p[self._pos] - p[self._neg])
        if not units:
            return
        weights = np.array([max(len(u.text), 1) for u in units], dtype=np.float32)
        item = (probs * weights[:, None]).sum(axis=0) / weights.sum()
        record = doc.record
        record.sentiment = self.labels[int(item.argmax())]
        record.sentiment_score = float(item[self._pos] - item[self._neg])
        record.sentiment_probs = {label: float(v) for label, v in zip(self.labels, item)}
