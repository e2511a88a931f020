"""`TextClassifier`: a label head over pooled unit embeddings, fused with a word head.

    clf = TextClassifier.load("models/journey/phase")
    probs = clf.predict_proba(vectors, texts)     # (n, labels)

The embedding head (`ClassifierHead`, linear) reads what a text means; the
word head (`LexicalHead`, TF-IDF word 1-2-grams and, when trained so, character
n-grams inside words; one regression per label) reads the words an embedding
blurs ("refund", "on hold", "je résilie", "remboursez-moi"). Their
probabilities are averaged with the word head's share `lexical.weight`,
chosen by cross-validation when the model is trained. A softmax head's
word-head scores are normalised to a distribution first, so the fused row
still sums to 1. Inference is numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc_nlp.heads import ClassifierHead
from voc_nlp.lexical import LexicalHead


@dataclass
class TextClassifier:
    head: ClassifierHead
    lexical: LexicalHead | None = None

    @property
    def labels(self) -> list[str]:
        return self.head.labels

    @property
    def multilabel(self) -> bool:
        return self.head.activation == "sigmoid"

    def predict_proba(self, vectors: np.ndarray, texts: list[str], words: np.ndarray | None = None) -> np.ndarray:
        """`words`: the word head's probabilities of `texts`, when already computed (`predict_proba_each`)."""
        probs = self.head.predict_proba(vectors)
        if not self.reads_words or len(texts) == 0:
            return probs
        if words is None:
            words = self.lexical.predict_proba(texts)
        if not self.multilabel:
            words = words / words.sum(axis=1, keepdims=True)
        w = self.lexical.weight
        return ((1.0 - w) * probs + w * words).astype(np.float32)

    def predict_proba_each(self, inputs: list[tuple[np.ndarray, list[str]]]) -> list[np.ndarray]:
        """`predict_proba` of each (vectors, texts), to the bit, with the word head run once over all
        the texts (`LexicalHead.predict_proba_each`): many docs' few texts each, at once. The
        embedding head still runs per input: a matrix product's last bits may depend on its rows."""
        words = [None] * len(inputs)
        if self.reads_words:
            words = self.lexical.predict_proba_each([texts for _, texts in inputs])
        return [self.predict_proba(vectors, texts, w) for (vectors, texts), w in zip(inputs, words)]

    @property
    def reads_words(self) -> bool:
        return self.lexical is not None and self.lexical.weight > 0

    def thresholds(self) -> np.ndarray:
        return self.head.threshold_vector()

    def save(self, directory: str | Path) -> None:
        self.head.save(directory)
        if self.lexical is not None:
            self.lexical.save(directory)

    @classmethod
    def load(cls, directory: str | Path) -> "TextClassifier":
        head = ClassifierHead.load(directory)
        lexical = LexicalHead.load(directory) if LexicalHead.present(directory) else None
        return cls(head, lexical)
