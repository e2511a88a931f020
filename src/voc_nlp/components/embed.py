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
        # Adapter views (encoder.adapters in the config) and other encoders' views (encoder.extra_views)
        # are written alongside the base vectors.
        self.assigns = ("doc.vectors",) + tuple(f"doc.views.{v}" for v in encoder.views)

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok]
        # One encoder call for the whole chunk: batching across items is what
        # makes the encoder fast, and each unit is encoded exactly once (every
        # view reads the same tokenisation).
        texts = [t for d in live for t in d.unit_inputs]
        views = self.encoder.encode_views(texts)
        offset = 0
        for doc in live:
            n = len(doc.unit_inputs)
            doc.vectors = views["base"][offset : offset + n]
            doc.views = {v: m[offset : offset + n] for v, m in views.items() if v != "base"}
            offset += n

    @property
    def version(self) -> str:
        return self.encoder.views_fingerprint


def stack_vectors(docs: list[FeedbackDoc], dim: int, view: str | None = None) -> tuple[np.ndarray, list[int]]:
    """All scored-unit vectors of `docs` (base: `view` None or "base"; else an adapter view) as one matrix,
    with each doc's row count."""
    per_doc = [d.vectors if view in (None, "base") else d.views.get(view) for d in docs]
    counts = [0 if v is None else len(v) for v in per_doc]
    parts = [v for v in per_doc if v is not None and len(v)]
    matrix = np.vstack(parts) if parts else np.zeros((0, dim), dtype=np.float32)
    return matrix, counts
