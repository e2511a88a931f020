"""Trained classification heads over the shared unit embeddings.

A head is a small MLP (or a linear layer) stored as `head.safetensors`
(weights) plus `head.json` (labels, activation, thresholds, the encoder it was
trained on). Inference is plain numpy: no torch needed to apply a head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file


@dataclass
class ClassifierHead:
    """`layers` is a list of (weight (out, in), bias (out,)) pairs; ReLU between them.

    `activation` is "softmax" (one label per unit) or "sigmoid" (multi-label,
    with a per-label decision threshold in `thresholds`).
    """

    labels: list[str]
    layers: list[tuple[np.ndarray, np.ndarray]]
    activation: str = "softmax"
    encoder: str = ""
    thresholds: dict[str, float] = field(default_factory=dict)
    temperature: float = 1.0
    metadata: dict = field(default_factory=dict)

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = x.astype(np.float32, copy=False)
        for i, (w, b) in enumerate(self.layers):
            h = h @ w.T + b
            if i < len(self.layers) - 1:
                np.maximum(h, 0.0, out=h)
        return h / self.temperature

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, dim) embeddings -> (n, len(labels)) probabilities."""
        z = self.logits(x)
        if self.activation == "sigmoid":
            return 1.0 / (1.0 + np.exp(-z))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def threshold_vector(self) -> np.ndarray:
        return np.array([self.thresholds.get(label, 0.5) for label in self.labels], dtype=np.float32)

    # -- persistence ---------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {}
        for i, (w, b) in enumerate(self.layers):
            # float16 on disk halves the file; inference runs in float32.
            tensors[f"layer{i}.weight"] = np.ascontiguousarray(w, dtype=np.float16)
            tensors[f"layer{i}.bias"] = np.ascontiguousarray(b, dtype=np.float16)
        save_file(tensors, str(directory / "head.safetensors"))
        spec = {
            "labels": self.labels,
            "n_layers": len(self.layers),
            "activation": self.activation,
            "encoder": self.encoder,
            "thresholds": self.thresholds,
            "temperature": self.temperature,
            "metadata": self.metadata,
        }
        (directory / "head.json").write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> "ClassifierHead":
        directory = Path(directory)
        spec_path = directory / "head.json"
        if not spec_path.exists():
            raise FileNotFoundError(
                f"no trained head at {directory} (expected head.json and head.safetensors); "
                "rebuild it with `python scripts/train_heads.py`"
            )
        spec = json.loads(spec_path.read_text())
        tensors = load_file(str(directory / "head.safetensors"))
        layers = [
            (tensors[f"layer{i}.weight"].astype(np.float32), tensors[f"layer{i}.bias"].astype(np.float32))
            for i in range(spec["n_layers"])
        ]
        return cls(
            labels=spec["labels"],
            layers=layers,
            activation=spec["activation"],
            encoder=spec.get("encoder", ""),
            thresholds=spec.get("thresholds", {}),
            temperature=spec.get("temperature", 1.0),
            metadata=spec.get("metadata", {}),
        )
