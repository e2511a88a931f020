"""`IntentSpace`: the space pain-point topics are clustered in.

    space = IntentSpace().fit(embeddings, intents)     # labelled customer requests
    z = space.transform(unit_embeddings)               # what PainPointTopics clusters
    space.save("models/topic_space"); IntentSpace.load("models/topic_space")

A general sentence encoder places two texts close when they *read* alike
(tone, length, wording), while analysts want them together when they *ask
about* the same thing: "my card payment was declined" and "why was the
transaction refused?" are one pain point. Linear discriminant analysis over
labelled customer intents learns the directions that separate intents and
shrinks those that only vary within one (paraphrase, tone, typos). The intent
data is English; the language shift of phrases written in both languages is
counted as within-intent variation (`nuisance`), so an English and a French
complaint about the same thing stay together.

`transform` keeps the encoder's own (normalised) embedding and appends the
normalised discriminant coordinates scaled by `weight`: themes no training
intent covers (flight delays, lost luggage) keep the encoder's geometry,
while those it covers get separated more sharply. The map is a small matrix
over the shared unit embeddings: no second encoder pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from voc_nlp.topics.model import _normalize

SPACE_FILES = ("space.safetensors", "space.json")


def _shrunk_cov(x: np.ndarray, shrinkage: float) -> np.ndarray:
    """Covariance shrunk toward its diagonal in standardised units (as sklearn's LDA does)."""
    from sklearn.covariance import shrunk_covariance

    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    cov = np.cov(((x - x.mean(axis=0)) / scale).T, bias=True)
    return scale[:, None] * shrunk_covariance(cov, shrinkage) * scale[None, :]


class IntentSpace:
    """Shrinkage LDA over shared embeddings, made blind to language; sklearn-style.

    - shrinkage: covariance shrinkage toward the diagonal (0: none, 1: diagonal only).
    - weight: scale of the discriminant part against the encoder's embedding
      (0: the encoder's space unchanged).
    - nuisance_weight: how much the `nuisance` shifts given to `fit` count as
      within-intent variation, relative to the intents' own (0: ignored).
    """

    def __init__(self, shrinkage: float = 0.05, weight: float = 1.5, nuisance_weight: float = 1.0):
        self.shrinkage = shrinkage
        self.weight = weight
        self.nuisance_weight = nuisance_weight

    def fit(self, embeddings: np.ndarray, intents, nuisance: np.ndarray | None = None,
            encoder: str = "", info: dict | None = None) -> "IntentSpace":
        """Learn the directions that separate `intents` (one label per embedding).

        `nuisance`: (m, dim) shifts that must not tell texts apart, such as the
        French-minus-English mean of phrases saying the same thing. The intent
        data is English only; without this, directions along which English
        requests hardly vary but a French text moves would be stretched, and
        one complaint would split into an English and a French topic.

        Sets `scalings_` (dim, n_intents - 1; each direction whitened to unit
        within-intent variance), `encoder_`, `info_` (training facts for the card).
        """
        from scipy.linalg import eigh

        x = _normalize(embeddings).astype(np.float64)
        intents = np.asarray(intents)
        if len(intents) != len(x):
            raise ValueError(f"{len(x)} embeddings but {len(intents)} intents")
        classes, codes = np.unique(intents, return_inverse=True)
        if len(classes) < 2:
            raise ValueError("IntentSpace needs at least two intents")
        priors = np.bincount(codes) / len(codes)
        within = sum(p * _shrunk_cov(x[codes == k], self.shrinkage) for k, p in enumerate(priors))
        between = _shrunk_cov(x, self.shrinkage) - within
        if nuisance is not None and len(nuisance) and self.nuisance_weight:
            shifts = np.asarray(nuisance, dtype=np.float64)
            noise = shifts.T @ shifts / len(shifts)
            within = within + self.nuisance_weight * noise * (np.trace(within) / np.trace(noise))
        values, vectors = eigh(between, within)
        k = min(len(classes) - 1, x.shape[1])
        self.scalings_ = np.ascontiguousarray(vectors[:, np.argsort(values)[::-1][:k]], dtype=np.float32)
        self.encoder_ = encoder
        self.info_ = dict(info or {})
        return self

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        """Normalised embedding followed by `weight` x the normalised discriminant coordinates."""
        self._check_fitted()
        x = _normalize(embeddings)
        if x.shape[1] != self.scalings_.shape[0]:
            raise ValueError(f"embeddings have {x.shape[1]} dimensions, the intent space expects "
                             f"{self.scalings_.shape[0]} (trained on {self.encoder_ or 'another encoder'})")
        z = _normalize(x @ self.scalings_)
        return np.hstack([x, np.float32(self.weight) * z])

    @property
    def spec(self) -> dict:
        self._check_fitted()
        return {"shrinkage": self.shrinkage, "weight": self.weight, "nuisance_weight": self.nuisance_weight,
                "encoder": self.encoder_,
                "dimensions": list(self.scalings_.shape), "info": self.info_}

    def _check_fitted(self) -> None:
        if not hasattr(self, "scalings_"):
            raise RuntimeError("IntentSpace is not fitted; call fit() or load()")

    # -- persistence ---------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write `space.safetensors` (the matrix) and `space.json` into folder `path`."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_file({"scalings": self.scalings_}, str(path / "space.safetensors"))
        (path / "space.json").write_text(json.dumps(self.spec, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "IntentSpace":
        path = Path(path)
        if not (path / "space.json").exists():
            raise FileNotFoundError(f"no intent space at {path} (expected {' and '.join(SPACE_FILES)})")
        spec = json.loads((path / "space.json").read_text())
        return cls.from_arrays(spec, load_file(str(path / "space.safetensors"))["scalings"])

    @classmethod
    def from_arrays(cls, spec: dict, scalings: np.ndarray) -> "IntentSpace":
        space = cls(shrinkage=spec["shrinkage"], weight=spec["weight"],
                    nuisance_weight=spec.get("nuisance_weight", 0.0))
        space.scalings_ = np.ascontiguousarray(scalings, dtype=np.float32)
        space.encoder_ = spec.get("encoder", "")
        space.info_ = spec.get("info", {})
        return space


def topic_params(config: dict, base_dir: str | Path, encoder: str = "") -> dict:
    """`PainPointTopics` keyword arguments from a config's `topics` section.

    `space` (a folder, relative to `base_dir`, the config's folder) is loaded
    as an `IntentSpace`, refused when trained on another encoder than
    `encoder` (a fingerprint); null or absent: the encoder's own space.
    """
    params = dict(config.get("topics") or {})
    if params.get("space"):
        path = Path(base_dir) / params["space"]
        try:
            space = IntentSpace.load(path)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"topics.space in the config: {exc}; a relative path is read from the "
                                    "config's folder, null clusters in the encoder's own space") from None
        if encoder and space.encoder_ and space.encoder_ != encoder:
            raise ValueError(f"topic space {path} was trained on {space.encoder_}, this pipeline encodes "
                             f"with {encoder}: set topics.space to null in the config, or retrain it with "
                             "scripts/train_topic_space.py")
        params["space"] = space
    else:
        params.pop("space", None)
    return params
