"""Readable topic descriptions: keywords, key phrases and a short label.

Terms are ranked with BERTopic's class-based TF-IDF (c-TF-IDF: every topic's
units concatenated into one document). Keywords are single words without stop
words; key phrases are 2–4 word n-grams that may hold stop words inside but
not at either end ("parcel never arrived", "declined my card"), so they read
like the customers' own words. The label joins the best one or two phrases
that do not repeat each other; with no phrase, a shortened representative
quote. No language model is involved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

# Social-media and export noise, on top of spaCy's EN and FR stop words (stop_words/).
SOCIAL_NOISE = frozenset(
    """user http https www com rt amp via dm pls plz thx thanks thank merci url html
    lol omg im ive dont cant didnt doesnt isnt wont youre hey hi hello bonjour salut
    oui non ok okay please svp stp""".split()
)

STOP_WORDS_DIR = Path(__file__).parent / "stop_words"

_TOKEN = re.compile(r"(?u)\b[^\W\d_][\w'’-]*[^\W_]|\b[^\W\d_]\b")


def stop_words(languages: Iterable[str] = ("en", "fr"), extra: Iterable[str] = SOCIAL_NOISE) -> frozenset[str]:
    """spaCy's stop-word lists for `languages` plus `extra` (lower-case).

    The lists are copied into `stop_words/<lang>.txt`: importing them from
    spaCy imported spaCy itself (torch, and 8 s of French tokenizer regexes).
    """
    words: set[str] = set()
    for lang in languages:
        path = STOP_WORDS_DIR / f"{lang}.txt"
        if not path.is_file():
            raise ValueError(f"no stop-word list for language {lang!r} (en, fr)")
        lines = path.read_text(encoding="utf-8").splitlines()
        words |= {w.lower() for w in lines if w and not w.startswith("#")}
    words |= {w.lower() for w in extra}
    if "en" in languages:  # contractions spaCy lists only in part
        words |= {f"{w}n't" for w in "do does did is are was were have has had can could would should wo ca ai must need".split()}
        words |= {f"{w}'{e}" for w in "i you we they he she it that there what who let".split() for e in ("m", "s", "re", "ve", "ll", "d")}
    # Apostrophe variants: "don't" and "don’t", "l'" and "l’".
    words |= {w.replace("'", "’") for w in words}
    return frozenset(words)


_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'(?=\w)")


_NOISE = re.compile(r"@\w+|https?://\S+|www\.\S+|\S+@\S+")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens; @mentions, URLs and e-mail addresses dropped."""
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(_NOISE.sub(" ", text))]


def base(token: str) -> str:
    """French elision removed: "l'application" -> "application", "n'est" -> "est"."""
    return _ELISION.sub("", token)


class _PhraseAnalyzer:
    """2–4-grams that neither start nor end with a stop word (picklable)."""

    def __init__(self, stops: frozenset[str], sizes=(2, 3, 4)):
        self.stops = stops
        self.sizes = sizes

    def __call__(self, text: str) -> list[str]:
        tokens = tokenize(text)
        out = []
        for n in self.sizes:
            for i in range(len(tokens) - n + 1):
                gram = tokens[i : i + n]
                bases = [base(t) for t in gram]
                if bases[0] in self.stops or bases[-1] in self.stops or len(bases[0]) < 2 or len(bases[-1]) < 2:
                    continue
                if sum(t not in self.stops for t in bases) < 2 and n > 2:
                    continue
                out.append(" ".join(gram))
        return out


class _WordAnalyzer:
    def __init__(self, stops: frozenset[str]):
        self.stops = stops

    def __call__(self, text: str) -> list[str]:
        words = (base(t) for t in tokenize(text))
        return [t for t in words if t not in self.stops and len(t) > 1]


def class_tfidf(texts: list[str], topics: np.ndarray, topic_ids: list[int], analyzer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(terms, c-TF-IDF matrix (n_topics, n_terms), doc frequency per topic and term)."""
    from bertopic.vectorizers import ClassTfidfTransformer

    vectorizer = CountVectorizer(analyzer=analyzer, min_df=1)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # no term at all
        empty = np.zeros((len(topic_ids), 0))
        return np.array([], dtype=object), empty, empty
    rows = {t: i for i, t in enumerate(topic_ids)}
    index = np.array([rows.get(int(t), -1) for t in topics])
    keep = index >= 0
    onehot = sparse.csr_matrix(
        (np.ones(int(keep.sum())), (index[keep], np.flatnonzero(keep))), shape=(len(topic_ids), len(texts))
    )
    per_topic = onehot @ counts
    binary = counts.copy()
    binary.data[:] = 1
    docfreq = (onehot @ binary).toarray()
    with np.errstate(divide="ignore", invalid="ignore"):  # terms seen only in unassigned units
        ctfidf = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(per_topic).toarray()
    return vectorizer.get_feature_names_out(), np.nan_to_num(ctfidf, nan=0.0, posinf=0.0, neginf=0.0), docfreq


def top_terms(texts: list[str], topics: np.ndarray, topic_ids: list[int], stops: frozenset[str],
              n_keywords: int = 10, n_phrases: int = 5, min_share: float = 0.04) -> tuple[list[list[str]], list[list[str]]]:
    """Keywords and key phrases of each topic in `topic_ids`, best first.

    A term must occur in at least 2 of the topic's units and in `min_share`
    of them, so one odd sentence cannot name a topic.
    """
    sizes = np.array([(topics == t).sum() for t in topic_ids])
    floor = np.maximum(2, np.ceil(min_share * sizes))
    results = []
    for analyzer, n in ((_WordAnalyzer(stops), n_keywords), (_PhraseAnalyzer(stops), n_phrases)):
        terms, scores, docfreq = class_tfidf(texts, topics, topic_ids, analyzer)
        per_topic = []
        for i in range(len(topic_ids)):
            if not len(terms):
                per_topic.append([])
                continue
            ok = docfreq[i] >= floor[i]
            rank = scores[i]
            if analyzer.__class__ is _PhraseAnalyzer:
                # A label should name what many of the units say: weight by coverage.
                rank = scores[i] * np.sqrt(docfreq[i] / max(sizes[i], 1))
            order = np.lexsort((terms, -rank))  # ties: alphabetical, deterministic
            per_topic.append([str(terms[j]) for j in order if ok[j] and rank[j] > 0][:n])
        results.append(per_topic)
    return results[0], results[1]


def _shorten(text: str, max_words: int = 8) -> str:
    words = text.strip().split()
    short = " ".join(words[:max_words]).rstrip(".,;:!?")
    return short + ("…" if len(words) > max_words else "")


def make_label(phrases: list[str], keywords: list[str], quotes: list[str], max_phrases: int = 2) -> str:
    """A short readable label: the best non-overlapping key phrases.

    e.g. ["late delivery", "parcel never arrived", "delivery late"] -> "late delivery,
    parcel never arrived". Falls back to a shortened representative quote,
    then to keywords.
    """
    chosen: list[str] = []
    used: set[str] = set()
    for phrase in phrases:
        words = set(phrase.split())
        if words & used:
            continue
        chosen.append(phrase)
        used |= words
        if len(chosen) == max_phrases:
            break
    if chosen:
        if len(chosen) == 1 and keywords:
            extra = next((k for k in keywords if k not in used), None)
            if extra:
                chosen.append(extra)
        return ", ".join(chosen)
    if quotes:
        short = [q for q in quotes if len(q.split()) <= 8]
        return _shorten(short[0] if short else quotes[0])
    return ", ".join(keywords[:3]) or "(no words)"
