"""`LexicalHead`: word and word-pair evidence, fused with an embedding head.

    lexical = LexicalHead().fit(texts, Y, labels)     # Y: (n, labels) 0/1
    p = lexical.predict_proba(unit_texts)              # (n, labels)
    lexical.save("models/emotions"); LexicalHead.load("models/emotions")

Why: a sentence embedding blurs the very words that carry an emotion
("annoying", "ugh", "so disappointed"), and the emotion head over it misses
them. A TF-IDF logistic regression over the same training texts reads
those words directly; averaging the two (`weight`) beats either alone on
GoEmotions dev. It reads the unit texts already in memory: no encoder pass.

It is fused only for units in its `languages`; elsewhere the embedding
head decides alone with its own thresholds. `features` says what it reads:
`words` (word 1-2-grams), `chars` (character 2-5-grams inside word
boundaries, scikit-learn's `char_wb`: they read inflections and spellings
a word vocabulary splits, "déçue" / "déçu", "loooove"), or `words+chars`
(both blocks side by side, each normalised as its own vectoriser does).
Inference is plain Python + numpy (the same tokens and weighting as
scikit-learn's `TfidfVectorizer(sublinear_tf=True)`): vocabulary in JSON,
weights in safetensors.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
# "@user", what every @mention becomes (`normalize_social`), as in TweetEval:
# it says a text is a tweet, not what it feels (TweetEval emotion tweets are
# 43 % anger, so a head that read it took "@united Phone" for anger).
_PLACEHOLDERS = re.compile(r"@user\b")
FILES = ("lexical.json", "lexical.safetensors")
FUSIONS = ("mean", "logit")
FEATURES = ("words", "chars", "words+chars")
CHAR_NGRAMS = (2, 5)  # character n-gram lengths of the `chars` block


def sharpen(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Rows of `probs` (any positive scores) as distributions ∝ probs ** (1 / temperature); argmax kept."""
    logits = np.log(np.maximum(probs, 1e-12)) / temperature
    out = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (out / out.sum(axis=1, keepdims=True)).astype(np.asarray(probs).dtype, copy=False)


def fuse(head_probs: np.ndarray, lexical_probs: np.ndarray, weight: float, fusion: str = "mean") -> np.ndarray:
    """Two heads' probabilities of the same labels as one score: the lexical head weighs `weight`, the
    embedding head 1 - weight; "mean" averages the probabilities, "logit" their log-odds."""
    if fusion == "mean":
        return (1 - weight) * head_probs + weight * lexical_probs
    if fusion != "logit":
        raise ValueError(f"fusion {fusion!r}: one of {', '.join(FUSIONS)}")
    head, words = (np.clip(p, 1e-6, 1 - 1e-6) for p in (head_probs, lexical_probs))
    log_odds = (1 - weight) * np.log(head / (1 - head)) + weight * np.log(words / (1 - words))
    return (1.0 / (1.0 + np.exp(-log_odds))).astype(np.asarray(head_probs).dtype, copy=False)


def _preprocess(text: str) -> str:
    return _PLACEHOLDERS.sub(" ", text.lower())


def _terms(text: str) -> list[str]:
    tokens = _TOKEN.findall(_preprocess(text))
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def _char_terms(text: str, lengths: tuple[int, int] = CHAR_NGRAMS) -> list[str]:
    """Character n-grams of each word padded with one space, as scikit-learn's `char_wb` analyser cuts them
    (a word shorter than n counts once, whole)."""
    shortest, longest = lengths
    grams = []
    for word in _preprocess(text).split():
        word = f" {word} "
        for n in range(shortest, longest + 1):
            if len(word) <= n:
                grams.append(word)
                break
            grams += [word[i : i + n] for i in range(len(word) - n + 1)]
    return grams


def _block_values(terms: list[str], vocabulary, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns and sublinear TF-IDF values (unit length) of one text's `terms` found in `vocabulary`."""
    counts: dict[int, int] = {}
    for term in terms:
        column = vocabulary.get(term)
        if column is not None:
            counts[column] = counts.get(column, 0) + 1
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
    values = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
    values *= idf[columns]
    return columns, values / np.linalg.norm(values)


class Vocabulary(Mapping):
    """term -> column, for terms saved in column order, which is sorted order
    (scikit-learn sorts its vocabulary, and `LexicalHead.save` keeps it).

    The sentiment head has 220k terms: a dict of them took 0.1-0.2 s to build
    at every start, more than enriching a one-row file. So a term is found by
    bisection of the sorted list (a few µs) until the lookups add up to a
    tenth of the vocabulary; the dict is built then, for the lookups of a
    large batch (0.1 µs each). Unsorted terms get the dict at once.
    """

    def __init__(self, terms: list[str]):
        self.terms = terms
        self._columns: dict[str, int] | None = None
        self._bisections_left = len(terms) // 10
        if terms != sorted(terms):  # ~10 ms, once
            self._build()

    def _build(self) -> dict[str, int]:
        self._columns = dict(zip(self.terms, range(len(self.terms))))
        self.get = self._columns.get  # from now on a lookup is the dict's own, no Python call
        return self._columns

    def get(self, term: str, default: int | None = None) -> int | None:
        self._bisections_left -= 1
        if self._bisections_left < 0:
            return self._build().get(term, default)
        i = bisect.bisect_left(self.terms, term)
        return i if i < len(self.terms) and self.terms[i] == term else default

    def __getitem__(self, term: str) -> int:
        column = self.get(term)
        if column is None:
            raise KeyError(term)
        return column

    def __iter__(self):
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)


class LexicalHead:
    """One logistic regression per label over TF-IDF word 1-2-grams and/or character n-grams; sklearn-style.

    - features: "words", "chars" or "words+chars" (the module's docstring).
    - max_char_terms: the character block keeps its most frequent n-grams, at most this many
      (the artefact stays small; None: all).
    - min_df: a term must occur in this many training texts.
    - C: inverse regularisation strength of each regression.
    - weight: share of this head in the fused score (the embedding head has 1 - weight).
    - fusion: how `fuse` combines the two heads' probabilities: "mean" (weighted mean) or
      "logit" (weighted mean of the log-odds: a head that is sure outweighs one near 0.5,
      which the mean halves; the emotion head's choice, by cross-validation on train).
    - languages: unit languages it is fused for.
    - class_weight: "balanced" weighs each regression's two classes equally, as
      the embedding heads are trained (sentiment); None: as they occur.
    - solver: scikit-learn's; "liblinear" is several times faster on small sets.
    """

    def __init__(self, min_df: int = 2, C: float = 2.0, weight: float = 0.5,
                 languages: tuple[str, ...] = ("en",), class_weight: str | None = None, solver: str = "lbfgs",
                 fusion: str = "mean", features: str = "words", max_char_terms: int | None = 100_000):
        if fusion not in FUSIONS:
            raise ValueError(f"fusion {fusion!r}: one of {', '.join(FUSIONS)}")
        if features not in FEATURES:
            raise ValueError(f"features {features!r}: one of {', '.join(FEATURES)}")
        self.features = features
        self.max_char_terms = max_char_terms
        self.min_df = min_df
        self.C = C
        self.weight = weight
        self.fusion = fusion
        self.languages = tuple(languages)
        self.class_weight = class_weight
        self.solver = solver

    def fit(self, texts: list[str], targets: np.ndarray, labels: list[str],
            sample_weight: np.ndarray | None = None) -> "LexicalHead":
        """Sets `labels_`, `vocabulary_` (word term -> column), `idf_`, `char_vocabulary_` and `char_idf_` (the
        character block, empty for `words`), `coef_` (labels, word columns then character columns), `intercept_`.
        `sample_weight`: one weight per text in the regressions' loss (None: all 1)."""
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        targets = np.asarray(targets)
        if targets.shape != (len(texts), len(labels)):
            raise ValueError(f"targets {targets.shape}, expected ({len(texts)}, {len(labels)})")
        blocks = {}
        if self.features != "chars":
            blocks["words"] = TfidfVectorizer(ngram_range=(1, 2), min_df=self.min_df, sublinear_tf=True,
                                              preprocessor=_preprocess)
        if self.features != "words":
            blocks["chars"] = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, min_df=self.min_df,
                                              max_features=self.max_char_terms, sublinear_tf=True,
                                              preprocessor=_preprocess)
        x = hstack([v.fit_transform(texts) for v in blocks.values()]).tocsr()
        models = [LogisticRegression(max_iter=2000, C=self.C, class_weight=self.class_weight,
                                     solver=self.solver).fit(x, targets[:, j], sample_weight=sample_weight)
                  for j in range(len(labels))]
        self.labels_ = list(labels)
        empty = np.zeros(0, dtype=np.float32)
        words, chars = blocks.get("words"), blocks.get("chars")
        self.vocabulary_ = {term: int(i) for term, i in words.vocabulary_.items()} if words else {}
        self.idf_ = words.idf_.astype(np.float32) if words else empty
        self.char_vocabulary_ = {term: int(i) for term, i in chars.vocabulary_.items()} if chars else {}
        self.char_idf_ = chars.idf_.astype(np.float32) if chars else empty
        self.coef_ = np.stack([m.coef_[0] for m in models]).astype(np.float32)
        self.intercept_ = np.array([m.intercept_[0] for m in models], dtype=np.float32)
        return self

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """(n, labels) probabilities, one independent sigmoid per label."""
        self._check_fitted()
        logits = np.tile(self.intercept_, (len(texts), 1))
        words = len(self.idf_)  # the character block's columns follow the words'
        chars = getattr(self, "char_idf_", np.zeros(0, dtype=np.float32))
        for row, text in enumerate(texts):
            if words:
                columns, values = _block_values(_terms(text), self.vocabulary_, self.idf_)
                logits[row] += self.coef_[:, columns] @ values
            if len(chars):
                columns, values = _block_values(_char_terms(text), self.char_vocabulary_, chars)
                logits[row] += self.coef_[:, words + columns] @ values
        return 1.0 / (1.0 + np.exp(-logits))

    def fuse(self, head_probs: np.ndarray, lexical_probs: np.ndarray) -> np.ndarray:
        """An embedding head's probabilities combined with this head's (`lexical_probs`, same shape)."""
        return fuse(head_probs, lexical_probs, self.weight, self.fusion)

    def label_shares(self, texts: list[str]) -> np.ndarray:
        """(n, labels) one distribution per text, for single-label use (sentiment): each label's
        sigmoid over their sum, sharpened or flattened by `temperature_` (fitted on dev; 1 if unset)."""
        return sharpen(self.predict_proba(texts), getattr(self, "temperature_", 1.0))

    def applies_to(self, lang: str | None) -> bool:
        return lang in self.languages

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("LexicalHead is not fitted; call fit() or load()")

    # -- persistence ---------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """`lexical.json` (vocabulary in column order, settings, `thresholds_` on the
        fused score and `metadata_` when set) and `lexical.safetensors` (idf,
        weights as float16, intercepts)."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {"idf": self.idf_, "coef": self.coef_.astype(np.float16), "intercept": self.intercept_}
        spec = {"labels": self.labels_, "min_df": self.min_df, "C": self.C, "weight": self.weight,
                "languages": list(self.languages), "thresholds": dict(getattr(self, "thresholds_", {})),
                "metadata": dict(getattr(self, "metadata_", {})), "terms": _in_column_order(self.vocabulary_)}
        # Written only when set: heads saved before these options read the same.
        if self.features != "words":
            spec["features"] = self.features
            spec["max_char_terms"] = self.max_char_terms
            spec["char_terms"] = _in_column_order(self.char_vocabulary_)
            tensors["char_idf"] = self.char_idf_
        save_file(tensors, str(directory / "lexical.safetensors"))
        if self.class_weight is not None:
            spec["class_weight"] = self.class_weight
        if self.fusion != "mean":
            spec["fusion"] = self.fusion
        if hasattr(self, "temperature_"):
            spec["temperature"] = self.temperature_
        if hasattr(self, "fused_temperature_"):
            spec["fused_temperature"] = self.fused_temperature_
        (directory / "lexical.json").write_text(json.dumps(spec, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> "LexicalHead":
        directory = Path(directory)
        spec = json.loads((directory / "lexical.json").read_text())
        tensors = load_file(str(directory / "lexical.safetensors"))
        head = cls(min_df=spec["min_df"], C=spec["C"], weight=spec["weight"], languages=tuple(spec["languages"]),
                   class_weight=spec.get("class_weight"), fusion=spec.get("fusion", "mean"),
                   features=spec.get("features", "words"), max_char_terms=spec.get("max_char_terms"))
        head.labels_ = spec["labels"]
        head.vocabulary_ = Vocabulary(spec["terms"])
        head.idf_ = tensors["idf"].astype(np.float32)
        head.char_vocabulary_ = Vocabulary(spec.get("char_terms", []))
        head.char_idf_ = tensors.get("char_idf", np.zeros(0, dtype=np.float32)).astype(np.float32)
        head.coef_ = tensors["coef"].astype(np.float32)
        head.intercept_ = tensors["intercept"].astype(np.float32)
        head.thresholds_ = spec.get("thresholds", {})
        if "temperature" in spec:
            head.temperature_ = float(spec["temperature"])
        if "fused_temperature" in spec:  # for a consumer that averages its probabilities with this head's
            head.fused_temperature_ = float(spec["fused_temperature"])
        head.metadata_ = spec.get("metadata", {})
        return head

    @staticmethod
    def present(directory: str | Path) -> bool:
        return all((Path(directory) / name).exists() for name in FILES)


def _in_column_order(vocabulary: Mapping) -> list[str]:
    terms = [""] * len(vocabulary)
    for term, i in vocabulary.items():
        terms[i] = term
    return terms
