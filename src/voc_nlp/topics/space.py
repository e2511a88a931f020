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
normalised discriminant coordinates scaled by a weight, so the themes the
training intents cover get separated more sharply. Only where they are
covered: projected onto banking directions, a flight complaint picks up
noise, and at full weight that noise would decide its topic. So the weight a
batch is clustered with is `weight` x the batch's mean `familiarity` (how near
its units lie to the taught intents): a banking batch gets the full weight,
a batch of flight complaints little and keeps the encoder's geometry. One
weight per batch, not per unit: per unit, familiarity itself would become a
theme, and a French unit (a little less familiar) would drift away from the
English ones saying the same. The map is a small matrix over the shared unit
embeddings: no second encoder pass.
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
      for a batch whose units all lie near taught intents (0: the encoder's
      space unchanged); see `batch_weight`.
    - nuisance_weight: how much the `nuisance` shifts given to `fit` count as
      within-intent variation, relative to the intents' own (0: ignored).
    - reach: where familiarity ends, in units of `radius_` (the distance to
      the nearest intent mean within which 99 % of the training rows lie): a
      unit is fully familiar up to the radius, not at all from `reach` x the
      radius on, linearly in between. None: every unit fully familiar.
    """

    def __init__(self, shrinkage: float = 0.01, weight: float = 2.5, nuisance_weight: float = 1.0,
                 reach: float | None = 1.5):
        self.shrinkage = shrinkage
        self.weight = weight
        self.nuisance_weight = nuisance_weight
        self.reach = reach

    def fit(self, embeddings: np.ndarray, intents, nuisance: np.ndarray | None = None,
            encoder: str = "", info: dict | None = None) -> "IntentSpace":
        """Learn the directions that separate `intents` (one label per embedding).

        `nuisance`: (m, dim) shifts that must not tell texts apart, such as the
        French-minus-English mean of phrases saying the same thing. The intent
        data is English only; without this, directions along which English
        requests hardly vary but a French text moves would be stretched, and
        one complaint would split into an English and a French topic.

        Sets `scalings_` (dim, n_intents - 1; each direction whitened to unit
        within-intent variance), `intent_means_` (n_intents, n_intents - 1: each
        intent's mean in those coordinates), `radius_`, `encoder_`, `info_`
        (training facts for the card).
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
        z = (x @ self.scalings_).astype(np.float32)
        self.intent_means_ = np.stack([z[codes == c].mean(axis=0) for c in range(len(classes))])
        self.radius_ = float(np.quantile(self._intent_distance(z), 0.99))
        self.encoder_ = encoder
        self.info_ = dict(info or {})
        return self

    def transform(self, embeddings: np.ndarray, weight: float | None = None) -> np.ndarray:
        """Normalised embedding followed by `weight` (default: the full `self.weight`)
        x the normalised discriminant coordinates."""
        x = self._check_dimensions(embeddings)
        scale = self.weight if weight is None else weight
        return np.hstack([x, np.float32(scale) * _normalize(x @ self.scalings_)])

    def familiarity(self, embeddings: np.ndarray) -> np.ndarray:
        """Per embedding, 1 near a taught intent, falling to 0 at `reach` x `radius_`."""
        return self._familiarity(self._check_dimensions(embeddings) @ self.scalings_)

    def batch_weight(self, embeddings: np.ndarray) -> float:
        """The weight to cluster this batch with: `weight` x its mean familiarity."""
        if not len(embeddings):
            return float(self.weight)
        return float(self.weight * self.familiarity(embeddings).mean())

    def _check_dimensions(self, embeddings: np.ndarray) -> np.ndarray:
        """The normalised embeddings, once their width is checked against the map's."""
        self._check_fitted()
        x = _normalize(embeddings)
        if x.shape[1] != self.scalings_.shape[0]:
            raise ValueError(f"embeddings have {x.shape[1]} dimensions, the intent space expects "
                             f"{self.scalings_.shape[0]} (trained on {self.encoder_ or 'another encoder'})")
        return x

    def _familiarity(self, z: np.ndarray) -> np.ndarray:
        if self.reach is None or self.intent_means_ is None:
            return np.ones(len(z), dtype=np.float32)
        distance = self._intent_distance(z)
        span = max(self.reach - 1.0, 1e-6) * self.radius_
        return np.clip((self.reach * self.radius_ - distance) / span, 0.0, 1.0).astype(np.float32)

    def _intent_distance(self, z: np.ndarray) -> np.ndarray:
        """Euclidean distance of each row of `z` to the nearest intent mean (chunked)."""
        means = self.intent_means_.astype(np.float64)
        out = np.empty(len(z))
        for start in range(0, len(z), 4096):
            block = z[start : start + 4096].astype(np.float64)
            d2 = (block**2).sum(axis=1)[:, None] - 2 * block @ means.T + (means**2).sum(axis=1)[None, :]
            out[start : start + 4096] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
        return out

    @property
    def spec(self) -> dict:
        self._check_fitted()
        return {"shrinkage": self.shrinkage, "weight": self.weight, "nuisance_weight": self.nuisance_weight,
                "reach": self.reach, "radius": self.radius_, "encoder": self.encoder_,
                "dimensions": list(self.scalings_.shape), "info": self.info_}

    def _check_fitted(self) -> None:
        if not hasattr(self, "scalings_"):
            raise RuntimeError("IntentSpace is not fitted; call fit() or load()")

    # -- persistence ---------------------------------------------------------

    @property
    def tensors(self) -> dict[str, np.ndarray]:
        """The fitted arrays, by name (what `from_arrays` takes back)."""
        self._check_fitted()
        out = {"scalings": self.scalings_}
        if self.intent_means_ is not None:
            out["intent_means"] = np.ascontiguousarray(self.intent_means_, dtype=np.float32)
        return out

    def save(self, path: str | Path) -> None:
        """Write `space.safetensors` (the matrices) and `space.json` into folder `path`."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_file(self.tensors, str(path / "space.safetensors"))
        (path / "space.json").write_text(json.dumps(self.spec, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "IntentSpace":
        path = Path(path)
        if not (path / "space.json").exists():
            raise FileNotFoundError(f"no intent space at {path} (expected {' and '.join(SPACE_FILES)})")
        spec = json.loads((path / "space.json").read_text())
        tensors = load_file(str(path / "space.safetensors"))
        return cls.from_arrays(spec, tensors["scalings"], tensors.get("intent_means"))

    @classmethod
    def from_arrays(cls, spec: dict, scalings: np.ndarray, intent_means: np.ndarray | None = None) -> "IntentSpace":
        """A fitted space from `spec` and its arrays; without `intent_means` (a space saved
        before they were kept) every unit counts as familiar."""
        space = cls(shrinkage=spec["shrinkage"], weight=spec["weight"],
                    nuisance_weight=spec.get("nuisance_weight", 0.0), reach=spec.get("reach"))
        space.scalings_ = np.ascontiguousarray(scalings, dtype=np.float32)
        space.intent_means_ = None if intent_means is None else np.asarray(intent_means, dtype=np.float32)
        space.radius_ = float(spec.get("radius") or 0.0)
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
