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

Experiment (scripts/train_journey.py --knn-shares): a `NeighbourVote` over the
training items' pooled vectors, blended in with share `knn.share`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc_nlp.heads import ClassifierHead
from voc_nlp.lexical import LexicalHead


KNN_K = 20  # neighbours a NeighbourVote counts


@dataclass
class NeighbourVote:
    """The training items' labels near a vector: the `KNN_K` most cosine-similar training vectors,
    each voting its label row (one-hot, or its 0/1 labels) weighted by similarity times its item weight."""
    vectors: np.ndarray  # (n, dim), unit length
    targets: np.ndarray  # (n, labels), float32
    weights: np.ndarray  # (n,)
    share: float = 0.0

    @classmethod
    def of(cls, x: np.ndarray, targets: np.ndarray, weights: np.ndarray | None) -> "NeighbourVote":
        norms = np.linalg.norm(x, axis=1, keepdims=True).clip(min=1e-8)
        return cls((x / norms).astype(np.float32), np.asarray(targets, dtype=np.float32),
                   np.ones(len(x), dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32))

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        if len(vectors) > 512:  # bounded memory: the similarity matrix is (rows, training items)
            return np.vstack([self.predict_proba(vectors[a: a + 512]) for a in range(0, len(vectors), 512)])
        q = vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-8)
        sims = q.astype(np.float32) @ self.vectors.T
        k = min(KNN_K, sims.shape[1])
        near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        votes = np.take_along_axis(sims, near, axis=1).clip(min=1e-6) * self.weights[near]
        return np.einsum("nk,nkl->nl", votes, self.targets[near]) / votes.sum(axis=1, keepdims=True)


@dataclass
class TextClassifier:
    head: ClassifierHead
    lexical: LexicalHead | None = None
    knn: NeighbourVote | None = None

    @property
    def labels(self) -> list[str]:
        return self.head.labels

    @property
    def multilabel(self) -> bool:
        return self.head.activation == "sigmoid"

    def predict_proba(self, vectors: np.ndarray, texts: list[str], words: np.ndarray | None = None,
                      near: np.ndarray | None = None) -> np.ndarray:
        """`words`: the word head's probabilities of `texts`, and `near` the neighbour vote's of `vectors`,
        when already computed (`predict_proba_each`)."""
        probs = self.head.predict_proba(vectors)
        if self.reads_words and len(texts):
            if words is None:
                words = self.lexical.predict_proba(texts)
            if not self.multilabel:
                words = words / words.sum(axis=1, keepdims=True)
            w = self.lexical.weight
            probs = ((1.0 - w) * probs + w * words).astype(np.float32)
        if self.knn is not None and self.knn.share > 0 and len(vectors):
            s = self.knn.share
            near = self.knn.predict_proba(vectors) if near is None else near
            probs = ((1.0 - s) * probs + s * near).astype(np.float32)
        return probs

    def predict_proba_each(self, inputs: list[tuple[np.ndarray, list[str]]]) -> list[np.ndarray]:
        """`predict_proba` of each (vectors, texts), to the bit, with the word head run once over all
        the texts (`LexicalHead.predict_proba_each`): many docs' few texts each, at once. The
        embedding head still runs per input: a matrix product's last bits may depend on its rows."""
        words = [None] * len(inputs)
        if self.reads_words:
            words = self.lexical.predict_proba_each([texts for _, texts in inputs])
        near = [None] * len(inputs)
        if self.knn is not None and self.knn.share > 0 and inputs:  # one pass over the training vectors
            votes = self.knn.predict_proba(np.vstack([vectors for vectors, _ in inputs]))
            near = np.split(votes, np.cumsum([len(vectors) for vectors, _ in inputs])[:-1])
        return [self.predict_proba(vectors, texts, w, n) for (vectors, texts), w, n in zip(inputs, words, near)]

    @property
    def reads_words(self) -> bool:
        return self.lexical is not None and self.lexical.weight > 0

    def thresholds(self) -> np.ndarray:
        return self.head.threshold_vector()

    def save(self, directory: str | Path) -> None:
        self.head.save(directory)
        if self.lexical is not None:
            self.lexical.save(directory)
        (Path(directory) / "knn.npz").unlink(missing_ok=True)  # a folder saved again at another share
        if self.knn is not None and self.knn.share > 0:
            np.savez(Path(directory) / "knn.npz", vectors=self.knn.vectors.astype(np.float16),
                     targets=self.knn.targets.astype(np.float16), weights=self.knn.weights, share=self.knn.share)

    @classmethod
    def load(cls, directory: str | Path) -> "TextClassifier":
        head = ClassifierHead.load(directory)
        lexical = LexicalHead.load(directory) if LexicalHead.present(directory) else None
        knn = None
        if (Path(directory) / "knn.npz").exists():
            saved = np.load(Path(directory) / "knn.npz", allow_pickle=False)
            knn = NeighbourVote(saved["vectors"].astype(np.float32), saved["targets"].astype(np.float32),
                                saved["weights"], float(saved["share"]))
        return cls(head, lexical, knn)
