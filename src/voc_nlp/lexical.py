"""`LexicalHead`: word and word-pair evidence, fused with an embedding head.

    lexical = LexicalHead().fit(texts, Y, labels)     # Y: (n, labels) 0/1
    p = lexical.predict_proba(unit_texts)              # (n, labels)
    lexical.save("models/emotions"); LexicalHead.load("models/emotions")

Why: a sentence embedding blurs the very words that carry an emotion
("annoying", "ugh", "so disappointed"), and the emotion head over it misses
them. A TF-IDF logistic regression over the same training texts reads
those words directly; averaging the two (`weight`) beats either alone on
GoEmotions dev. It reads the unit texts already in memory: no encoder pass.

It is trained on English only, so it is fused only for units in its
`languages`; elsewhere the embedding head decides alone with its own
thresholds. Inference is plain Python + numpy (the same tokens and
weighting as scikit-learn's `TfidfVectorizer(ngram_range=(1, 2),
sublinear_tf=True)`): vocabulary in JSON, weights in safetensors.

With `char_ngrams=(lo, hi)` the head also reads character n-grams inside each
word (scikit-learn's "char_wb": the word padded with a space each side), the
`char_max_features` most frequent: a second TF-IDF block, normalised on its
own, its terms saved with a "~" prefix (no word term can start with "~").

At run time the journey and signal components run five such heads over the
same texts, so: a batch's character n-grams are counted at once (numpy per
batch, not per text), the weights are kept term by term (a gather reads whole
columns), and a short text's terms and a word's n-grams are made once for all
the heads (bounded module-level caches; each head still looks them up in its
own vocabulary). The sums themselves are made as before, so the scores are the
released ones to the bit, and the plain formula's (tests/test_lexical.py).
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
# "@user", what every @mention becomes (`normalize_social`), as in TweetEval:
# it says a text is a tweet, not what it feels (TweetEval emotion tweets are
# 43 % anger, so a head that read it took "@united Phone" for anger).
_PLACEHOLDERS = re.compile(r"@user\b")
FILES = ("lexical.json", "lexical.safetensors")
# Words whose character n-grams' columns a head keeps (then it starts afresh; ~0.2 kB a word).
CHAR_CACHE_WORDS = 20000
# Words whose character n-grams are kept for all heads (least recently used go; ~0.35 kB a word):
# the journey and signal heads read the same texts one after another, and a chunk of 1,000 tweets
# brings ~5,000 words new to them, each split into n-grams once instead of once per head.
SHARED_CHAR_WORDS = 20000
# Texts (up to SHARED_TEXT_CHARS characters: tweets, sentences; ~10 MB at most) whose word terms
# are kept for all heads: the journey and signal heads read each chunk's texts one after another.
# Kept term strings also keep their hash, which every head's vocabulary lookup needs.
SHARED_TEXTS = 1024
SHARED_TEXT_CHARS = 300
# Texts whose character n-grams `LexicalHead.predict_proba` counts at once: numpy's cost per call
# is paid once per batch, and the batch's arrays stay small (~1 MB).
TEXTS_PER_BATCH = 256
FUSIONS = ("mean", "logit")


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


def _analysis(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A text's word 1-2-grams and its whitespace-separated words (what the character n-grams are
    read from); a short text's kept for the next head that reads it (`SHARED_TEXTS`)."""
    return _kept_analysis(text) if len(text) <= SHARED_TEXT_CHARS else _analyse(text)


def _analyse(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    lowered = _preprocess(text)
    tokens = _TOKEN.findall(lowered)
    return tuple(tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]), tuple(lowered.split())


_kept_analysis = lru_cache(maxsize=SHARED_TEXTS)(_analyse)


def _run_bounds(ids: np.ndarray) -> np.ndarray:
    """Where each run of equal values in `ids` starts, then len(ids): run i is bounds[i]:bounds[i + 1]."""
    edges = np.ones(len(ids) + 1, dtype=bool)
    np.not_equal(ids[1:], ids[:-1], out=edges[1:-1])
    return np.flatnonzero(edges)


CHAR_PREFIX = "~"


def _char_terms(text: str, lo: int, hi: int) -> list[str]:
    """Character `lo`-`hi`-grams inside each whitespace-separated word padded with spaces, as
    scikit-learn's analyzer="char_wb" makes them (a word shorter than n counted once), prefixed."""
    out: list[str] = []
    for word in _preprocess(text).split():
        out += _word_char_terms(word, lo, hi)
    return out


def _word_char_terms(word: str, lo: int, hi: int) -> list[str]:
    """One word's character n-grams (`_char_terms`)."""
    return _joined_char_terms(word, lo, hi).split("\n")


@lru_cache(maxsize=SHARED_CHAR_WORDS)
def _joined_char_terms(word: str, lo: int, hi: int) -> str:
    """`_word_char_terms` joined by newlines (a word has none): made once for all the heads that
    read the word, and one string kept takes a tenth of the memory of its ~30 n-grams."""
    padded = f" {word} "
    out = []
    for n in range(lo, hi + 1):
        if len(padded) <= n:  # the whole padded word, once, then no longer n-grams
            out.append(CHAR_PREFIX + padded)
            break
        out += [CHAR_PREFIX + padded[i:i + n] for i in range(len(padded) - n + 1)]
    return "\n".join(out)


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
        if self._columns is None:  # once (a caller may still hold the bisecting `get`)
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
    """One logistic regression per label over TF-IDF word 1-2-grams; sklearn-style.

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
    - char_ngrams: (lo, hi) to also read character n-grams inside words (None: words only);
      char_max_features: how many of them, the most frequent (with at least min_df texts).
    """

    def __init__(self, min_df: int = 2, C: float = 2.0, weight: float = 0.5,
                 languages: tuple[str, ...] = ("en",), class_weight: str | None = None, solver: str = "lbfgs",
                 fusion: str = "mean", char_ngrams: tuple[int, int] | None = None, char_max_features: int = 50000):
        if fusion not in FUSIONS:
            raise ValueError(f"fusion {fusion!r}: one of {', '.join(FUSIONS)}")
        self.min_df = min_df
        self.C = C
        self.weight = weight
        self.fusion = fusion
        self.languages = tuple(languages)
        self.class_weight = class_weight
        self.solver = solver
        self.char_ngrams = tuple(char_ngrams) if char_ngrams else None
        self.char_max_features = char_max_features

    def fit(self, texts: list[str], targets: np.ndarray, labels: list[str],
            sample_weight: np.ndarray | None = None) -> "LexicalHead":
        """Sets `labels_`, `vocabulary_` (term -> column), `idf_`, `coef_` (labels, terms; Fortran order,
        so each term's weights are side by side), `intercept_`.
        `sample_weight`: one weight per text in the regressions' loss (None: all 1)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        targets = np.asarray(targets)
        if targets.shape != (len(texts), len(labels)):
            raise ValueError(f"targets {targets.shape}, expected ({len(texts)}, {len(labels)})")
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=self.min_df, sublinear_tf=True,
                                     preprocessor=_preprocess)
        x = vectorizer.fit_transform(texts)
        vocabulary, idf = dict(vectorizer.vocabulary_), vectorizer.idf_
        if self.char_ngrams:
            x, vocabulary, idf = self._with_chars(texts, x, vocabulary, idf)
        models = [LogisticRegression(max_iter=2000, C=self.C, class_weight=self.class_weight,
                                     solver=self.solver).fit(x, targets[:, j], sample_weight=sample_weight)
                  for j in range(len(labels))]
        self.labels_ = list(labels)
        self.vocabulary_ = {term: int(i) for term, i in vocabulary.items()}
        self.idf_ = np.asarray(idf, dtype=np.float32)
        self.coef_ = np.asfortranarray(np.stack([m.coef_[0] for m in models]), dtype=np.float32)
        self.intercept_ = np.array([m.intercept_[0] for m in models], dtype=np.float32)
        return self

    def _with_chars(self, texts, x, vocabulary, idf):
        """The word block `x` (vocabulary, idf) joined by the character n-gram block, columns in the
        sorted order of all terms (what `Vocabulary` bisects)."""
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        lo, hi = self.char_ngrams
        chars = TfidfVectorizer(analyzer=lambda text: _char_terms(text, lo, hi), min_df=self.min_df,
                                max_features=self.char_max_features, sublinear_tf=True)
        xc = chars.fit_transform(texts)
        terms = list(vocabulary) + [t for t in chars.vocabulary_]
        old = np.array(list(vocabulary.values()) + [len(vocabulary) + i for i in chars.vocabulary_.values()])
        order = sorted(range(len(terms)), key=terms.__getitem__)
        columns = old[order]  # new column i is old column columns[i]
        x = hstack([x, xc]).tocsc()[:, columns].tocsr()
        return x, {terms[k]: i for i, k in enumerate(order)}, np.concatenate([idf, chars.idf_])[columns]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """(n, labels) probabilities, one independent sigmoid per label.

        Each block's sums are made text by text in float32, as the released scores were: summed
        in another order (a batch at once, or float64), they move in the last digit, and a
        4-decimal score now and then. What runs per batch is the counting of character n-grams."""
        self._check_fitted()
        logits = np.tile(self.intercept_, (len(texts), 1))
        for row, text in enumerate(texts):
            # Counted in C, in the order the terms come (the order of the sums); unknown terms dropped.
            counts = Counter(map(self.vocabulary_.get, _analysis(text)[0]))
            counts.pop(None, None)
            if counts:
                columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
                logits[row] += self._block_logits(columns, np.fromiter(counts.values(), dtype=np.float32))
        if self.char_ngrams:
            for start in range(0, len(texts), TEXTS_PER_BATCH):
                rows, columns, counts = self._char_counts(texts[start:start + TEXTS_PER_BATCH])
                bounds = np.searchsorted(rows, np.arange(TEXTS_PER_BATCH + 1)).tolist()
                for row, (a, b) in enumerate(zip(bounds, bounds[1:]), start):
                    if b > a:
                        logits[row] += self._block_logits(columns[a:b], counts[a:b])
        return 1.0 / (1.0 + np.exp(-logits))

    def predict_proba_each(self, text_lists: list[list[str]]) -> list[np.ndarray]:
        """`predict_proba` of each list of texts, from one call over all of them: the cost per call
        (numpy per batch) outweighed the work on the one or few texts a doc brings. Each text's
        row is computed alone, so the rows are those of a call per list, to the bit."""
        if not text_lists:
            return []
        probs = self.predict_proba([text for texts in text_lists for text in texts])
        return np.split(probs, np.cumsum([len(texts) for texts in text_lists])[:-1])

    def _block_logits(self, columns: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """One text's TF-IDF block (sublinear tf times idf, l2-normalised) times the weights: (labels,).
        coef_ is kept term by term (Fortran order, `fit` and `load`), so the gather reads whole columns."""
        values = 1.0 + np.log(counts)
        values *= self.idf_[columns]
        values /= np.sqrt(values.dot(values))  # np.linalg.norm's own sum, without its checks (one per text)
        return self.coef_[:, columns] @ values

    def _char_counts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The texts' known character n-grams as (row, column, float32 count), sorted by row then
        column. Counted for the whole batch at once (one sort of row * n_terms + column keys): numpy's
        cost per call, paid per text, outweighed the work on a tweet's few hundred n-grams."""
        kept = self.__dict__.setdefault("_word_columns_kept", {})
        pieces, piece_rows = [], []  # each word's columns, and the text it is in
        for row, text in enumerate(texts):
            words = _analysis(text)[1]
            pieces += [kept[w] if w in kept else self._keep_word_columns(w) for w in words]
            piece_rows += [row] * len(words)
        n_terms = len(self.idf_)
        sizes = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        keys = np.repeat(np.array(piece_rows, dtype=np.int64) * n_terms, sizes)
        if pieces:  # not an empty batch
            keys += np.concatenate(pieces)
        # Stable (timsort) runs faster here: each word's columns are already a sorted run.
        keys = np.sort(keys, kind="stable")
        bounds = _run_bounds(keys)
        rows, columns = np.divmod(keys[bounds[:-1]], n_terms)
        return rows, columns, np.diff(bounds).astype(np.float32)

    def _keep_word_columns(self, word: str) -> np.ndarray:
        """The sorted columns of one word's known character n-grams, kept (`_char_counts` reads them)
        for `CHAR_CACHE_WORDS` words per head: feedback repeats its words, and a kept word costs
        one lookup instead of ~30 (the journey and signal heads each read every text)."""
        kept = self._word_columns_kept
        if len(kept) >= CHAR_CACHE_WORDS:
            kept.clear()
        get = self.vocabulary_.get
        found = [c for c in map(get, _word_char_terms(word, *self.char_ngrams)) if c is not None]
        kept[word] = np.array(sorted(found), dtype=np.int32)
        return kept[word]

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
        terms = [""] * len(self.vocabulary_)
        for term, i in self.vocabulary_.items():
            terms[i] = term
        # C order on disk, as before: safetensors writes the buffer as it lies in memory.
        coef = np.ascontiguousarray(self.coef_, dtype=np.float16)
        save_file({"idf": self.idf_, "coef": coef, "intercept": self.intercept_}, str(directory / "lexical.safetensors"))
        spec = {"labels": self.labels_, "min_df": self.min_df, "C": self.C, "weight": self.weight,
                "languages": list(self.languages), "thresholds": dict(getattr(self, "thresholds_", {})),
                "metadata": dict(getattr(self, "metadata_", {})), "terms": terms}
        # Written only when set: heads saved before these options read the same.
        if self.class_weight is not None:
            spec["class_weight"] = self.class_weight
        if self.fusion != "mean":
            spec["fusion"] = self.fusion
        if self.char_ngrams:
            spec["char_ngrams"], spec["char_max_features"] = list(self.char_ngrams), self.char_max_features
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
                   char_ngrams=spec.get("char_ngrams"), char_max_features=spec.get("char_max_features", 50000))
        head.labels_ = spec["labels"]
        head.vocabulary_ = Vocabulary(spec["terms"])
        head.idf_ = tensors["idf"].astype(np.float32)
        head.coef_ = tensors["coef"].astype(np.float32, order="F")  # term by term: `predict_proba`
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
