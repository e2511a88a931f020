"""Runs the encoder once over every scored unit of a batch of items."""

from __future__ import annotations

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.encoders.base import Encoder
from voc_nlp.registry import components


@components.register("embed")
class UnitEmbedder(Component):
    name = "embed"
    requires = ("doc.unit_inputs",)
    assigns = ("doc.vectors",)

    def __init__(self, encoder: Encoder):
        self.encoder = encoder

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok]
        # One encoder call for the whole chunk: batching across items is what
        # makes the encoder fast, and each unit is encoded exactly once.
        texts = [t for d in live for t in d.unit_inputs]
        vectors = self.encoder.encode(texts)
        offset = 0
        for doc in live:
            n = len(doc.unit_inputs)
            doc.vectors = vectors[offset : offset + n]
            offset += n

    @property
    def version(self) -> str:
        return self.encoder.fingerprint


def stack_vectors(docs: list[FeedbackDoc], dim: int) -> tuple[np.ndarray, list[int]]:
    """All scored-unit vectors of `docs` as one matrix, with each doc's row count."""
    counts = [0 if d.vectors is None else len(d.vectors) for d in docs]
    parts = [d.vectors for d in docs if d.vectors is not None and len(d.vectors)]
    matrix = np.vstack(parts) if parts else np.zeros((0, dim), dtype=np.float32)
    return matrix, counts
