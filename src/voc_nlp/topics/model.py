"""`PainPointTopics`: pain-point themes discovered once, then reused.

    model = PainPointTopics().fit(texts, embeddings)     # shared unit embeddings
    model.topics_                                         # labels, keywords, sizes, quotes
    ids = model.transform(texts, embeddings)              # -1: fits no topic
    model.save("topics/2026-03"); PainPointTopics.load("topics/2026-03")

How topics are found (`fit`):

1. **BERTopic as the engine**, fed the precomputed unit embeddings
   (`embedding_model=None`, `embeddings=`): seeded UMAP (`random_state`), then
   HDBSCAN (or KMeans / agglomerative, `clustering=`). Above `max_fit_units`,
   a seeded sample is clustered and the other units are assigned (step 2),
   which keeps time and memory bounded on large inputs.
2. **Centroids, then nearest-centroid assignment.** Each cluster's centroid
   is the normalised mean of its members' embeddings in the original space.
   *Every* unit (HDBSCAN outliers included, BERTopic's
   `reduce_outliers(strategy="embeddings")` idea) goes to its most similar
   centroid when the cosine similarity reaches `similarity_floor`; below it,
   the unit is -1 ("fits no topic": a candidate for a new topic). Topics left
   smaller than `min_topic_size` are dropped and their units reassigned.
   Assignment in `fit` and in `transform` is therefore the same rule, so a
   month assigned later compares with the month the model was fitted on.
3. **Stable ids**: topics are numbered by size (0 = largest), ties broken by
   their first unit, so the same input and config give the same topics.
4. **Descriptions** (`labels.py`): c-TF-IDF keywords, key phrases and a short
   label, plus the 3 units closest to the centroid as quotes.

Persistence is safetensors (centroids) + JSON (everything else); no pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from voc_nlp.topics.engine import clustering_stack
from voc_nlp.topics.labels import SOCIAL_NOISE, make_label, stop_words, top_terms

FORMAT_VERSION = 1


@dataclass
class Topic:
    id: int
    label: str
    keywords: list[str]
    phrases: list[str]
    size: int
    quotes: list[str] = field(default_factory=list)


def _normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class PainPointTopics:
    """Topic model over shared unit embeddings; sklearn-style (fitted attributes end in `_`).

    Parameters (all saved with the model):

    - n_neighbors, n_components, min_dist: UMAP; `random_state` seeds it.
    - clustering: "hdbscan" (default; the number of topics is found), "kmeans"
      or "agglomerative" (both need `n_clusters`).
    - min_cluster_size: HDBSCAN's; "auto" = clip(n / 250, 3, 100) for n units
      clustered. min_samples: HDBSCAN's (None: = min_cluster_size; default 5,
      fewer outliers).
    - min_topic_size: topics smaller than this after assignment are dropped.
    - similarity_floor: cosine similarity to the nearest centroid below which
      a unit fits no topic (-1).
    - max_fit_units: units clustered at most (seeded sample above that).
    - languages / extra_stop_words: stop words for keywords and phrases.
    - space: an `IntentSpace` the embeddings are mapped into before
      clustering and assignment (None: the encoder's space). Saved with the
      model, so a saved model assigns new batches in the space it was fitted in.
    """

    def __init__(
        self,
        n_neighbors: int = 15,
        n_components: int = 5,
        min_dist: float = 0.0,
        clustering: str = "hdbscan",
        n_clusters: int | None = None,
        min_cluster_size: int | str = "auto",
        min_samples: int | None = 5,
        min_topic_size: int = 3,
        similarity_floor: float = 0.25,
        max_fit_units: int = 15_000,
        n_keywords: int = 10,
        n_quotes: int = 3,
        languages: tuple[str, ...] = ("en", "fr"),
        extra_stop_words: tuple[str, ...] = tuple(sorted(SOCIAL_NOISE)),
        random_state: int = 13,
        space=None,
    ):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.min_dist = min_dist
        self.clustering = clustering
        self.n_clusters = n_clusters
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.min_topic_size = min_topic_size
        self.similarity_floor = similarity_floor
        self.max_fit_units = max_fit_units
        self.n_keywords = n_keywords
        self.n_quotes = n_quotes
        self.languages = tuple(languages)
        self.extra_stop_words = tuple(extra_stop_words)
        self.random_state = random_state
        self.space = space

    def get_params(self) -> dict:
        names = ("n_neighbors", "n_components", "min_dist", "clustering", "n_clusters",
                 "min_cluster_size", "min_samples", "min_topic_size", "similarity_floor",
                 "max_fit_units", "n_keywords", "n_quotes", "languages", "extra_stop_words",
                 "random_state", "space")
        return {n: getattr(self, n) for n in names}

    # -- fitting -------------------------------------------------------------

    def fit(self, texts: list[str], embeddings: np.ndarray, encoder: str = "") -> "PainPointTopics":
        """Discover topics in `texts` (units) from their shared `embeddings`.

        Sets `topics_` (list of Topic), `centroids_` (n_topics, dim),
        `labels_` (topic per input unit, -1 = fits none), `similarities_`,
        `space_weight_` (the intent space's weight for this batch; None without a space).
        """
        texts = list(texts)
        # The batch decides how much the intent space's own directions count.
        self.space_weight_ = None if self.space is None else self.space.batch_weight(embeddings)
        x = self._embed(embeddings)
        if len(texts) != len(x):
            raise ValueError(f"{len(texts)} texts but {len(x)} embeddings")
        self.encoder_ = encoder
        self.n_fit_units_ = len(x)
        if len(x) < max(2 * self.min_topic_size, 4):
            raise ValueError(f"too few units to find topics ({len(x)})")

        rng = np.random.RandomState(self.random_state)
        if len(x) > self.max_fit_units:
            sample = np.sort(rng.choice(len(x), self.max_fit_units, replace=False))
        else:
            sample = np.arange(len(x))
        clusters = self._cluster([texts[i] for i in sample], x[sample])

        ids = sorted(set(int(c) for c in clusters) - {-1})
        if not ids:  # no structure found: one topic for everything
            ids, clusters = [0], np.zeros(len(sample), dtype=int)
        centroids = _normalize(np.stack([x[sample][clusters == i].mean(axis=0) for i in ids]))

        # Nearest-centroid assignment of every unit; drop topics that end up
        # too small and assign again, until all topics are big enough.
        for _ in range(10):
            labels, sims = self._nearest(x, centroids)
            sizes = np.bincount(labels[labels >= 0], minlength=len(centroids))
            keep = sizes >= self.min_topic_size
            if keep.all() or not keep.any():
                break
            centroids = centroids[keep]
        # Centroids from the final members (a Lloyd step), then the final assignment.
        labels, sims = self._nearest(x, centroids)
        present = [k for k in range(len(centroids)) if (labels == k).any()]
        centroids = _normalize(np.stack([x[labels == k].mean(axis=0) for k in present]))
        labels, sims = self._nearest(x, centroids)

        # Stable numbering: by size, then by first member.
        sizes = np.bincount(labels[labels >= 0], minlength=len(centroids))
        first = [int(np.flatnonzero(labels == k)[0]) if sizes[k] else len(x) for k in range(len(centroids))]
        order = sorted(range(len(centroids)), key=lambda k: (-sizes[k], first[k]))
        order = [k for k in order if sizes[k] > 0]
        remap = np.full(len(centroids) + 1, -1)
        for new, old in enumerate(order):
            remap[old] = new
        labels = np.where(labels >= 0, remap[labels], -1)
        self.centroids_ = centroids[order].astype(np.float32)
        self.labels_ = labels.astype(np.int32)
        self.similarities_ = sims.astype(np.float32)
        self.topics_ = self._describe(texts, x, self.labels_, sample)
        return self

    def _embed(self, embeddings: np.ndarray) -> np.ndarray:
        """Unit embeddings in the clustering space, rows normalised."""
        if self.space is not None:
            embeddings = self.space.transform(embeddings, weight=self.space_weight_)
        return _normalize(embeddings)

    def _cluster(self, texts: list[str], x: np.ndarray) -> np.ndarray:
        """BERTopic over precomputed embeddings -> cluster per unit (-1: outlier)."""
        from sklearn.feature_extraction.text import CountVectorizer

        BERTopic, UMAP, _ = clustering_stack()

        n = len(x)
        umap_model = UMAP(
            n_neighbors=min(self.n_neighbors, n - 1), n_components=min(self.n_components, n - 2),
            min_dist=self.min_dist, metric="cosine", random_state=self.random_state,
            init="spectral" if n > self.n_components + 2 else "random",
        )
        cluster_model = self._cluster_model(n)
        stops = sorted(stop_words(self.languages, self.extra_stop_words))
        topic_model = BERTopic(
            embedding_model=None,
            umap_model=umap_model,
            hdbscan_model=cluster_model,
            vectorizer_model=CountVectorizer(stop_words=stops, min_df=1),
            calculate_probabilities=False,
            min_topic_size=self.min_topic_size,
        )
        topics, _ = topic_model.fit_transform(texts, embeddings=x)
        return np.asarray(topics, dtype=int)

    def _cluster_model(self, n: int):
        if self.clustering == "hdbscan":
            HDBSCAN = clustering_stack()[2]
            mcs = self.min_cluster_size
            if mcs == "auto":
                mcs = int(np.clip(round(n / 250), 3, 100))
            return HDBSCAN(min_cluster_size=int(mcs), min_samples=self.min_samples,
                           metric="euclidean", cluster_selection_method="eom", prediction_data=False)
        if self.n_clusters is None:
            raise ValueError(f"clustering={self.clustering!r} needs n_clusters")
        k = min(int(self.n_clusters), n)
        if self.clustering == "kmeans":
            from sklearn.cluster import KMeans

            return KMeans(n_clusters=k, n_init=3, random_state=self.random_state)
        if self.clustering == "agglomerative":
            from sklearn.cluster import AgglomerativeClustering

            return AgglomerativeClustering(n_clusters=k, linkage="ward")
        raise ValueError(f"unknown clustering {self.clustering!r} (hdbscan, kmeans, agglomerative)")

    def _nearest(self, x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        labels = np.empty(len(x), dtype=np.int64)
        sims = np.empty(len(x), dtype=np.float32)
        for start in range(0, len(x), 8192):
            s = x[start : start + 8192] @ centroids.T
            labels[start : start + 8192] = s.argmax(axis=1)
            sims[start : start + 8192] = s.max(axis=1)
        labels[sims < self.similarity_floor] = -1
        return labels, sims

    def _describe(self, texts: list[str], x: np.ndarray, labels: np.ndarray, sample: np.ndarray) -> list[Topic]:
        """Terms from the clustered sample (bounded memory); sizes and quotes from all units."""
        topic_ids = list(range(len(self.centroids_)))
        stops = stop_words(self.languages, self.extra_stop_words)
        keywords, phrases = top_terms([texts[i] for i in sample], labels[sample], topic_ids, stops,
                                      n_keywords=self.n_keywords)
        topics = []
        for k in topic_ids:
            members = np.flatnonzero(labels == k)
            sims = x[members] @ self.centroids_[k]
            quotes, seen = [], set()
            for i in members[np.argsort(-sims, kind="stable")]:
                key = " ".join(texts[i].lower().split())
                if key in seen or not key:
                    continue
                seen.add(key)
                quotes.append(texts[i])
                if len(quotes) == self.n_quotes:
                    break
            topics.append(Topic(id=k, label=make_label(phrases[k], keywords[k], quotes),
                                keywords=keywords[k], phrases=phrases[k], size=int(len(members)),
                                quotes=quotes))
        return topics

    # -- assigning -----------------------------------------------------------

    def assign(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(topic id per unit, -1 below the floor; cosine similarity to that centroid)."""
        self._check_fitted()
        expected = self.space.scalings_.shape[0] if self.space is not None else self.centroids_.shape[1]
        if np.shape(embeddings)[1] != expected:
            raise ValueError(
                f"embeddings have {np.shape(embeddings)[1]} dimensions, the topic model {expected} "
                f"(fitted on {self.encoder_ or 'another encoder'})"
            )
        x = self._embed(embeddings)
        labels, sims = self._nearest(x, self.centroids_)
        return labels.astype(np.int32), sims

    def transform(self, texts: list[str] | None, embeddings: np.ndarray) -> np.ndarray:
        """Topic id per unit (-1: fits no topic). `texts` are not needed (kept for symmetry)."""
        return self.assign(embeddings)[0]

    def fit_transform(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        return self.fit(texts, embeddings).labels_

    @property
    def topic_by_id(self) -> dict[int, Topic]:
        self._check_fitted()
        return {t.id: t for t in self.topics_}

    def _check_fitted(self) -> None:
        if not hasattr(self, "centroids_"):
            raise RuntimeError("PainPointTopics is not fitted; call fit() or load()")

    # -- persistence ---------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write `topics.safetensors` (centroids) and `topics.json` into folder `path`."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {"centroids": np.ascontiguousarray(self.centroids_, dtype=np.float32)}
        params = self.get_params()
        if self.space is not None:  # the model carries its space: it assigns in it later
            tensors.update({f"space_{name}": array for name, array in self.space.tensors.items()})
            params["space"] = self.space.spec
        save_file(tensors, str(path / "topics.safetensors"))
        params["languages"] = list(params["languages"])
        params["extra_stop_words"] = list(params["extra_stop_words"])
        spec = {
            "format_version": FORMAT_VERSION,
            "encoder": self.encoder_,
            "n_fit_units": self.n_fit_units_,
            "space_weight": self.space_weight_,
            "params": params,
            "topics": [asdict(t) for t in self.topics_],
        }
        (path / "topics.json").write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "PainPointTopics":
        path = Path(path)
        spec_path = path / "topics.json"
        if not spec_path.exists():
            raise FileNotFoundError(f"no topic model at {path} (expected topics.json and topics.safetensors)")
        spec = json.loads(spec_path.read_text())
        if spec.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: topic model format {spec.get('format_version')}, expected {FORMAT_VERSION}")
        params = spec["params"]
        params["languages"] = tuple(params["languages"])
        params["extra_stop_words"] = tuple(params["extra_stop_words"])
        tensors = load_file(str(path / "topics.safetensors"))
        if params.get("space"):
            from voc_nlp.topics.space import IntentSpace

            params["space"] = IntentSpace.from_arrays(params["space"], tensors["space_scalings"],
                                                      tensors.get("space_intent_means"))
        model = cls(**params)
        model.centroids_ = tensors["centroids"]
        model.encoder_ = spec.get("encoder", "")
        model.n_fit_units_ = spec.get("n_fit_units", 0)
        model.space_weight_ = spec.get("space_weight")
        model.topics_ = [Topic(**t) for t in spec["topics"]]
        return model
