"""The sentence encoder: one swappable step, run once per text unit.

Every component reads the embeddings the encoder produced for a unit; none
encodes text itself. A backend only has to turn a list of strings into an
L2-normalised float32 matrix.
"""

from __future__ import annotations

import numpy as np


class Encoder:
    """Base class for encoder backends.

    Subclasses set `name` and `dim` and implement `_embed`. `encode` batches
    and normalises, so every backend yields comparable unit vectors.
    """

    name: str = "base"
    dim: int = 0

    def __init__(self, batch_size: int = 64, threads: int = 2):
        self.batch_size = batch_size
        self.threads = threads

    def _embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed `texts` -> (len(texts), dim) float32, rows L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._embed(texts[i : i + self.batch_size])
            for i in range(0, len(texts), self.batch_size)
        ]
        vectors = np.vstack(parts).astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    @property
    def fingerprint(self) -> str:
        """Identifies the embedding space; heads record it to refuse a mismatch."""
        return f"{self.name}/{self.dim}"
