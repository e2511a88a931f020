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
    # Extra embedding spaces computed in the same pass (encoder adapters), besides "base".
    views: tuple[str, ...] = ()

    def __init__(self, batch_size: int = 64, threads: int = 2):
        self.batch_size = batch_size
        self.threads = threads

    def _embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed `texts` -> (len(texts), dim) float32, rows L2-normalised."""
        return self.encode_views(texts, ("base",))["base"]

    def encode_views(self, texts: list[str], views: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
        """{"base": vectors, view: vectors, ...} for `texts` in one pass (default: every view)."""
        views = ("base",) + self.views if views is None else tuple(views)
        if not texts:
            return {v: np.zeros((0, self.dim), dtype=np.float32) for v in views}
        parts = [
            self._embed_views(texts[i : i + self.batch_size], views)
            for i in range(0, len(texts), self.batch_size)
        ]
        result = {}
        for view in views:
            vectors = np.vstack([p[view] for p in parts]).astype(np.float32, copy=False)
            result[view] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return result

    def _embed_views(self, texts: list[str], views: tuple[str, ...]) -> dict[str, np.ndarray]:
        for view in views:
            self._check_view(view)
        return {"base": self._embed(texts)}

    def _check_view(self, view: str) -> None:
        if view != "base" and view not in self.views:
            raise ValueError(
                f"encoder {self.name} has no view '{view}' (it has: {', '.join(('base',) + self.views)}); "
                f"add it under encoder.adapters in the config"
            )

    def view(self, name: str) -> "Encoder":
        """This encoder seen through one view: an Encoder whose `encode` gives that view's vectors."""
        self._check_view(name)
        return self if name == "base" else EncoderView(self, name)

    def view_fingerprint(self, view: str) -> str:
        self._check_view(view)
        return self.fingerprint

    @property
    def fingerprint(self) -> str:
        """Identifies the embedding space; heads record it to refuse a mismatch."""
        return f"{self.name}/{self.dim}"

    @property
    def views_fingerprint(self) -> str:
        """The base fingerprint and each view's own part: every space the encoder writes."""
        own = [self.view_fingerprint(v).removeprefix(self.fingerprint + "+") for v in self.views]
        return "+".join([self.fingerprint] + own)


class EncoderView(Encoder):
    """One adapter view of an encoder, for code that takes an Encoder (training, caches)."""

    def __init__(self, parent: Encoder, view: str):
        super().__init__(batch_size=parent.batch_size, threads=parent.threads)
        self.parent, self.view_name = parent, view
        self.dim = parent.dim
        # The cache key (training.data.embed_cached) and the fingerprint both name the adapter's version.
        self.name = parent.view_fingerprint(view).replace("/", "-")

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self.parent._embed_views(texts, (self.view_name,))[self.view_name]

    @property
    def fingerprint(self) -> str:
        return self.parent.view_fingerprint(self.view_name)


class EncoderWithExtraViews(Encoder):
    """An encoder plus views that other encoders compute (config `encoder.extra_views`).

    `base` and the encoder's own views come from `main` in one pass, as before;
    each extra view is its own encoder's vectors of the same texts (e.g. a
    fine-tuned e5-small whose sentiment head reads them). Everything else
    (name, dim, fingerprint, `encode`) is `main`'s: components that encode
    their own reference texts keep reading the main space.
    """

    def __init__(self, main: Encoder, extra: dict[str, Encoder]):
        super().__init__(batch_size=main.batch_size, threads=main.threads)
        clash = sorted(set(extra) & ({"base"} | set(main.views)))
        if clash:
            raise ValueError(f"encoder.extra_views {clash} are already views of encoder {main.name}")
        self.main, self.extra = main, dict(extra)
        self.name, self.dim = main.name, main.dim

    @property
    def views(self) -> tuple[str, ...]:
        return self.main.views + tuple(self.extra)

    @property
    def fingerprint(self) -> str:
        return self.main.fingerprint

    def view_fingerprint(self, view: str) -> str:
        return self.extra[view].fingerprint if view in self.extra else self.main.view_fingerprint(view)

    def view(self, name: str) -> Encoder:
        return self.extra[name] if name in self.extra else self.main.view(name)

    def encode_views(self, texts: list[str], views: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
        views = ("base",) + self.views if views is None else tuple(views)
        for view in views:
            self._check_view(view)
        own = tuple(v for v in views if v not in self.extra)
        result = self.main.encode_views(texts, own) if own else {}
        result.update({v: self.extra[v].encode(texts) for v in views if v in self.extra})
        return {v: result[v] for v in views}

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self.main._embed(texts)
