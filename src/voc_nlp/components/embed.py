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


def stack_vectors(docs: list[FeedbackDoc], dim: int,
                  view: str | tuple[str, ...] | None = None) -> tuple[np.ndarray, list[int]]:
    """All scored-unit vectors of `docs` as one matrix, with each doc's row count. `view`: None or "base"
    for the base vectors, an adapter or extra view's name, or several views, whose vectors are put side
    by side in that order (a head trained over their concatenation)."""
    views = (view,) if view is None or isinstance(view, str) else tuple(view)
    per_doc = [unit_views(d, views) for d in docs]
    counts = [0 if v is None else len(v) for v in per_doc]
    parts = [v for v in per_doc if v is not None and len(v)]
    matrix = np.vstack(parts) if parts else np.zeros((0, dim), dtype=np.float32)
    return matrix, counts


def unit_views(doc: FeedbackDoc, views: tuple[str | None, ...]) -> np.ndarray | None:
    """A doc's unit vectors in `views`, side by side; None when it has none."""
    parts = [doc.vectors if v in (None, "base") else doc.views.get(v) for v in views]
    if any(p is None for p in parts):
        return None
    return parts[0] if len(parts) == 1 else np.hstack(parts)


def views_fingerprint(encoder: Encoder, views: tuple[str, ...]) -> str:
    """The embedding space of `views` side by side, as a head over them records it (one view: its own)."""
    return " & ".join(encoder.view_fingerprint(v) for v in views)
