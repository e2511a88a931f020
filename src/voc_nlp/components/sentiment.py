"""Sentiment per unit and per item, from trained heads over unit embeddings.

The heads are listed by the encoder view each reads (`models`) and their
probabilities averaged, each weighing `weights[view]` (default 1). The
default (`fast`) profile averages two: over the base vectors and over the
`affect_emotions` adapter view. `accurate` adds the `e5_sentiment` view's
head (multilingual-e5-small LoRA-tuned on the sentiment mix, a second
encoder), weighing as much as the two others together: no head is best
everywhere, and e5 errs where the USE heads do not (figures in
configs/default.yaml and docs/measuring/sentiment.md).

`lexical` (a folder with `lexical.json`, scripts/train_sentiment_lexical.py):
for units in its languages (English), the heads' mean is averaged with a
TF-IDF word 1-2-gram regression trained on the same tweets, as the emotion
component does: the sentence embedding blurs the words that carry a
verdict, the regression reads them (no encoder pass). A temperature fitted
for the fusion (it is stored with the lexical head) is applied after the
priors: the mean of two readings that disagree is less sure than either.

Score in [-1, 1] = P(positive) - P(negative), so items can be ranked. An
item of several units (a review split into sentences, a chat's customer
turns) is read by `item` (chats: `chat_item`):
- `units`: the mean of its units' probabilities, each unit weighing
  `unit_weights`: `length` (a long complaint outweighs a closing "thanks")
  or `equal` (a short verdict, "Runs small.", counts as much as a long
  description);
- `vector`: the item read as one unit: the heads over the mean of its unit
  vectors (per view, weighed the same way, back to unit length; it
  approximates the whole-text embedding the heads are trained on), the
  lexical head and the word rules over its text. A chat averaged turn by
  turn is a greeting, a question and a thanks; the heads learnt it whole;
- `blend`: the mean of the two.
An item of one unit reads the same either way. Units keep their own reading.

`priors` re-weights the head's probabilities for the feedback at hand (Bayes
prior shift: p(c) times weight(c), renormalised). The head is trained
class-balanced, as if every label were equally likely; feedback written to a
brand is more often negative than that, and the default config says so.

`swearing` names a rule file per language (`voc_nlp.rules`;
`configs/rules/<lang>/swearing.yaml`): a unit the heads read as neutral
that swears is negative (its neutral probability moves to negative).
Customers do not swear at a brand about nothing ("I would like to make a
fucking order"), while the heads, trained on tweets, read the polite request
around the word. A unit read as positive keeps its reading ("fucking
brilliant app").

`verdicts` names a rule file per language (`sentiment_verdicts.yaml`) with a
phrase list per label, the phrases by which a customer states a verdict
("rien à redire", "je recommande", "à éviter", "would not recommend"): a
unit that states one verdict takes it (the probability of the label it was
read as moves to the verdict's). The heads learnt English tweets; French
litotes ("aucun souci", "pas déçu", "je ne regrette pas") carry the words of
a complaint and read negative. When phrases of two verdicts overlap, the one
that ends later wins: it extends the other with a negation ("je le
recommande pas").

`mixed_above` reads a mixed item as neutral: when one of its units scores
above +mixed_above and another below -mixed_above, the item praises and
complains at once, which is what a 3-star review does ("joli portefeuille,
pratique, mais il sent horriblement le plastique"). The mean of its units
would side with the longer sentences. Its probabilities and score stay that
mean; `doc.mixed` tells the pain-point step not to read it as a complaint.
Chats are left out: a customer who starts angry and ends thankful has a
mood trajectory instead.

Chats (units with speakers) also get the customer's mood trajectory: the
score of the first and of the last customer turn, and `improved` /
`worsened` / `steady` by `mood_threshold` (null with a single customer turn).
"""

from __future__ import annotations

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.components.embed import stack_vectors
from voc_nlp.doc import FeedbackDoc
from voc_nlp.heads import ClassifierHead
from voc_nlp.lexical import LexicalHead, sharpen
from voc_nlp.registry import components
from voc_nlp.rules import read_phrase_lists
from voc_nlp.text.cues import LanguageCues, fold


ITEM_READINGS = ("units", "vector", "blend")
UNIT_WEIGHTS = ("length", "equal")


@components.register("sentiment")
class SentimentClassifier(Component):
    name = "sentiment"
    requires = ("doc.vectors",)
    assigns = ("unit.sentiment", "record.sentiment", "record.sentiment_score", "record.sentiment_probs",
               "record.mood_start", "record.mood_end", "record.mood_change", "doc.mixed")

    def __init__(self, model: str | None = None, positive: str = "positive", negative: str = "negative",
                 mood_threshold: float = 0.2, priors: dict[str, float] | None = None,
                 models: dict[str, str] | None = None, swearing: str | list[str] | None = None,
                 neutral: str = "neutral", mixed_above: float | None = None,
                 verdicts: str | list[str] | None = None, lexical: str | None = None,
                 weights: dict[str, float] | None = None, item: str = "units",
                 chat_item: str = "units", unit_weights: str = "length"):
        # `swearing`, `verdicts`: rule files (voc_nlp.rules), read here once.
        # `models`: encoder view -> head trained on it; their probabilities are averaged, each head
        # weighing `weights[view]` (views left out weigh 1).
        # `model` alone is one head over the base vectors.
        if bool(model) == bool(models):
            raise ValueError("sentiment needs either `model` (one head over the base vectors) or `models` "
                             "(encoder view -> head trained on that view)")
        self.heads = {view: ClassifierHead.load(path) for view, path in (models or {"base": model}).items()}
        self.head = next(iter(self.heads.values()))
        self.requires = tuple("doc.vectors" if v == "base" else f"doc.views.{v}" for v in self.heads)
        unknown = sorted(set(weights or {}) - set(self.heads))
        if unknown or any(not float(w) > 0 for w in (weights or {}).values()):
            raise ValueError(f"sentiment weights must be positive numbers for views in `models` "
                             f"({', '.join(self.heads)}), got {weights}")
        self.weights = {view: float((weights or {}).get(view, 1.0)) for view in self.heads}
        self.mood_threshold = mood_threshold
        self.labels = self.head.labels
        if any(h.labels != self.labels for h in self.heads.values()):
            raise ValueError(f"sentiment heads disagree on their labels: { {v: h.labels for v, h in self.heads.items()} }")
        self._pos = self.labels.index(positive)
        self._neg = self.labels.index(negative)
        unknown = sorted(set(priors or {}) - set(self.labels))
        if unknown:
            raise ValueError(f"sentiment priors name unknown labels {unknown}; the head's labels are {self.labels}")
        if any(not float(w) > 0 for w in (priors or {}).values()):
            raise ValueError(f"sentiment priors must be positive weights, got {priors}")
        self.priors = priors
        self._neu = self.labels.index(neutral)
        self.swearing = None
        if swearing:
            words = read_phrase_lists(swearing, "swearing", "rules/{lang}/swearing.yaml", names=["phrases"])
            self.swearing = LanguageCues(words.get("phrases", {}))
        phrases = read_phrase_lists(verdicts, "verdicts", "rules/{lang}/sentiment_verdicts.yaml",
                                    names=self.labels) if verdicts else {}
        self.verdicts = {self.labels.index(label): LanguageCues(cues) for label, cues in phrases.items()}
        self.lexical = LexicalHead.load(lexical) if lexical else None
        if self.lexical is not None and self.lexical.labels_ != self.labels:
            raise ValueError(f"{lexical}: the lexical head's labels {self.lexical.labels_} differ from the "
                             f"sentiment heads' {self.labels}")
        if mixed_above is not None and not 0.0 <= float(mixed_above) < 1.0:
            raise ValueError(f"sentiment mixed_above is a unit score in [0, 1), got {mixed_above}")
        self.mixed_above = mixed_above
        for key, value, allowed in (("item", item, ITEM_READINGS), ("chat_item", chat_item, ITEM_READINGS),
                                    ("unit_weights", unit_weights, UNIT_WEIGHTS)):
            if value not in allowed:
                raise ValueError(f"sentiment {key} {value!r}: one of {', '.join(allowed)}")
        self.item, self.chat_item, self.unit_weights = item, chat_item, unit_weights

    @property
    def version(self) -> str:
        return f"sentiment-{self.head.metadata.get('version', 'dev')}"

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok]
        units = {view: stack_vectors(live, head.layers[0][0].shape[1], view) for view, head in self.heads.items()}
        counts = next(iter(units.values()))[1]
        texts = [t for d, n in zip(live, counts) if n for t in d.scored_texts]
        langs = [d.record.lang for d, n in zip(live, counts) for _ in range(n)]
        probs = self._read({view: matrix for view, (matrix, _) in units.items()}, texts, langs)
        # Items of several units read as one unit too, when their reading asks for it.
        several = [k for k, n in enumerate(counts) if n > 1 and self._reading(live[k]) != "units"]
        weights = [self._weights(live[k].scored_units) for k in several]
        vectors = {view: _item_vectors(matrix, counts, several, weights) for view, (matrix, _) in units.items()}
        whole = self._read(vectors, [" ".join(live[k].scored_texts) for k in several],
                           [live[k].record.lang for k in several])
        items = dict(zip(several, whole))
        offset = 0
        for k, (doc, n) in enumerate(zip(live, counts)):
            self._assign(doc, probs[offset : offset + n], items.get(k))
            offset += n

    def _read(self, vectors: dict[str, np.ndarray], texts: list[str], langs: list[str | None]) -> np.ndarray:
        """Probabilities of rows of vectors (one matrix per view) whose texts and languages are given:
        the heads' weighted mean, fused with the lexical head, the priors, the fusion's temperature,
        then the word rules (swearing, verdicts)."""
        probs = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not len(texts):
            return probs
        for view, head in self.heads.items():
            probs += head.predict_proba(vectors[view]) * self.weights[view]
        probs /= sum(self.weights.values())
        fused = np.zeros(len(probs), dtype=bool)
        if self.lexical is not None:
            fused = np.array([self.lexical.applies_to(lang) for lang in langs], dtype=bool)
            if fused.any():
                words = self.lexical.label_shares([t for t, f in zip(texts, fused) if f])
                probs[fused] = self.lexical.fuse(probs[fused], words)
        if self.priors:
            probs = probs * np.array([float(self.priors.get(label, 1.0)) for label in self.labels], dtype=np.float32)
            probs /= probs.sum(axis=1, keepdims=True)
        if fused.any():
            # The mean of two calibrated readings that disagree is less sure than
            # either; the temperature fitted for the fusion restores it. Applied
            # last, it keeps every decision the priors made.
            probs[fused] = sharpen(probs[fused], getattr(self.lexical, "fused_temperature_", 1.0))
        if self.swearing is not None or self.verdicts:
            probs = self._words_decide(probs, texts, langs)
        return probs

    def _reading(self, doc: FeedbackDoc) -> str:
        return self.chat_item if any(u.speaker for u in doc.scored_units) else self.item

    def _weights(self, units: list) -> np.ndarray:
        """How much each unit counts in its item (`unit_weights`)."""
        if self.unit_weights == "equal":
            return np.ones(len(units), dtype=np.float32)
        return np.array([max(len(u.text), 1) for u in units], dtype=np.float32)

    def _assign(self, doc: FeedbackDoc, probs: np.ndarray, whole: np.ndarray | None) -> None:
        """A doc's units take their rows of `probs`; the item their weighted mean, or `whole` (the item read
        as one unit, when its reading asks for it), or the mean of the two."""
        units = doc.scored_units
        for unit, p in zip(units, probs):
            unit.sentiment = self.labels[int(p.argmax())]
            unit.sentiment_score = float(p[self._pos] - p[self._neg])
        if not units:
            return
        weights = self._weights(units)
        item = (probs * weights[:, None]).sum(axis=0) / weights.sum()
        if whole is not None:
            item = whole if self._reading(doc) == "vector" else (item + whole) / 2
        record = doc.record
        record.sentiment = self.labels[int(item.argmax())]
        record.sentiment_score = float(item[self._pos] - item[self._neg])
        record.sentiment_probs = {label: float(v) for label, v in zip(self.labels, item)}
        chat = any(u.speaker for u in units)
        scores = [u.sentiment_score for u in units]
        doc.mixed = (self.mixed_above is not None and not chat
                     and max(scores) > self.mixed_above and min(scores) < -self.mixed_above)
        if doc.mixed:
            record.sentiment = self.labels[self._neu]
        if chat:
            record.mood_start = units[0].sentiment_score
            record.mood_end = units[-1].sentiment_score
            if len(units) >= 2:  # one customer turn has no trajectory
                change = record.mood_end - record.mood_start
                record.mood_change = ("improved" if change >= self.mood_threshold
                                      else "worsened" if change <= -self.mood_threshold else "steady")

    def _words_decide(self, probs: np.ndarray, texts: list[str], langs: list[str | None]) -> np.ndarray:
        """Units whose words settle their label, in this order: one read as neutral that swears is negative;
        one that states a verdict takes it. The probability of the label read moves to the label decided."""
        probs = probs.copy()
        for p, text, lang in zip(probs, texts, langs):
            folded = fold(text)
            if self.swearing is not None and int(p.argmax()) == self._neu and self.swearing.occurs(folded, lang):
                _move(p, self._neu, self._neg)
            verdict = self._verdict(folded, lang) if self.verdicts else None
            if verdict is not None:
                _move(p, int(p.argmax()), verdict)
        return probs

    def stated_verdict(self, text: str, lang: str | None) -> int | None:
        """Index of the label whose verdict phrases `text` states; None for none, or for two that stand apart."""
        return self._verdict(fold(text), lang)

    def _verdict(self, folded: str, lang: str | None) -> int | None:
        found = [(end, start, label) for label, cues in self.verdicts.items() for start, end in cues.find(folded, lang)]
        # Of two overlapping phrases the later-ending wins: "je le recommande pas" is not "je le recommande".
        stands = {label for end, start, label in found
                  if not any(e > end and s < end and start < e for e, s, _ in found)}
        return stands.pop() if len(stands) == 1 else None


def _item_vectors(matrix: np.ndarray, counts: list[int], docs: list[int], weights: list[np.ndarray]) -> np.ndarray:
    """One row per doc index of `docs`: the `weights`-weighted mean of its rows of `matrix` (every doc's unit
    rows in order, `counts` rows per doc), back to unit length as the encoder's vectors are."""
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    rows = [w @ matrix[starts[k] : starts[k + 1]] / w.sum() for k, w in zip(docs, weights)]
    rows = [r / max(float(np.linalg.norm(r)), 1e-12) for r in rows]
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, matrix.shape[1]), dtype=np.float32)


def _move(p: np.ndarray, read: int, to: int) -> None:
    """Label `read`'s probability counts for label `to` (in place)."""
    if read != to:
        p[to] += p[read]
        p[read] = 0.0
