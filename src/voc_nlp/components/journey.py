"""Customer-journey phase, touchpoints, evidence spans and touchpoint sentiment, learned.

The model folder (`models/journey`, rebuilt by `scripts/train_journey.py`, or
an analyst's own from `voc-nlp train journey`) holds one `TextClassifier` per
decision, each trained on labelled feedback (`journey_train`):

- `touchpoints/`: one sigmoid per touchpoint over the item's pooled unit
  embeddings, fused with a word head; a touchpoint is kept when its probability
  passes its own threshold (chosen by cross-validation), ordered by probability.
  An item given a phase other than the unknown one names at least its most
  probable touchpoint.
- `phase/`: one phase per item (softmax); `stage` follows from the taxonomy.
- `touchpoint_sentiment/`: the customer's sentiment about one touchpoint, read
  from its evidence: the unit the touchpoint classifier scores highest for it,
  narrowed to the clause whose words score it highest when that unit carries
  several touchpoints ("delivery was fast but support never answered"); a model
  trained with `sentiment_reads_touchpoint` is also told which touchpoint it
  judges (a word naming it before the evidence's words).

The taxonomy stays data: a touchpoint of the taxonomy the model was not
trained on (an analyst's new one) is tagged from its description and example
phrases, encoded once at construction, by cosine similarity of the units to
its closest examples (`prototype_threshold`). No item text is encoded here: the
component reads the unit embeddings written by `embed`.
"""

from __future__ import annotations

import hashlib

import re
from pathlib import Path

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.encoders.base import Encoder
from voc_nlp.registry import components
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text_classifier import TextClassifier

SIGNALS = ("effort", "churn_risk")  # the two yes/no CX signals (components.signals)
PARTS = ("phase", "touchpoints", "touchpoint_sentiment")


def journey_features(docs: list[FeedbackDoc], views) -> tuple[np.ndarray, list[str]]:
    """Per doc: the mean of its scored units' vectors in each view (concatenated), and
    the scored units' normalised texts joined (what the word heads read)."""
    rows, texts = [], []
    for doc in docs:
        parts = []
        for view in views:
            m = doc.vectors if view == "base" else doc.views.get(view)
            if m is None:
                raise ValueError(f"the journey model reads the encoder view '{view}', which the pipeline "
                                 "does not compute: add it under encoder.adapters in the config")
            parts.append(m.mean(axis=0) if len(m) else np.zeros(m.shape[1], dtype=np.float32))
        rows.append(np.concatenate(parts))
        texts.append(" \n ".join(doc.scored_texts))
    dim = rows[0].shape[0] if rows else 0
    return (np.vstack(rows) if rows else np.zeros((0, dim), dtype=np.float32)), texts


def unit_matrix(doc: FeedbackDoc, views) -> np.ndarray:
    return np.hstack([doc.vectors if v == "base" else doc.views[v] for v in views])


# Clause boundaries inside a unit: punctuation, a dash between spaces, and the
# contrastive words that join two judgements in one sentence.
_CLAUSE_BREAK = re.compile(r"[,;:!?.]+\s|\s[-–]\s|\n|\s(?=(?:but|however|although|though|whereas|mais|"
                           r"par contre|cependant|sauf que|alors que|en revanche)\b)", re.IGNORECASE)


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the clauses of `text`, surrounding space trimmed."""
    cuts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    out = []
    for a, b in zip(cuts, cuts[1:]):
        piece = text[a:b]
        lead, trail = len(piece) - len(piece.lstrip()), len(piece.rstrip())
        if trail > lead:
            out.append((a + lead, a + trail))
    return out


def sentiment_inputs(doc: FeedbackDoc, views, evidence: list[tuple[str, int, tuple[int, int]]],
                     reads_touchpoint: bool = False) -> tuple[np.ndarray, list[str]]:
    """What the touchpoint-sentiment model reads for each (touchpoint, unit index, (start, end)) of
    `evidence`: the unit's vector and the evidence's words, after a word naming the touchpoint when
    `reads_touchpoint` (a refund is mostly asked for calmly, a bill mostly disputed)."""
    vectors = unit_matrix(doc, views)[[i for _, i, _ in evidence]]
    texts = [doc.scored_units[i].text[a:b] for _, i, (a, b) in evidence]
    if reads_touchpoint:
        texts = [f"touchpoint_{tp} {text}" for (tp, _, _), text in zip(evidence, texts)]
    return vectors, texts


def unit_scores_each(docs: list[FeedbackDoc], touchpoints: TextClassifier, views) -> list[np.ndarray]:
    """Per doc, (n_units, touchpoint labels): the touchpoint classifier on each scored unit alone,
    the word head run once for all the docs (`TextClassifier.predict_proba_each`)."""
    return touchpoints.predict_proba_each([(unit_matrix(doc, views), doc.scored_texts) for doc in docs])


def evidence_units(doc: FeedbackDoc, touchpoints: TextClassifier, wanted: list[str], views,
                   scores: np.ndarray | None = None) -> dict[str, tuple[int, tuple[int, int]]]:
    """For each touchpoint in `wanted` (labels of `touchpoints`): the index of the scored unit
    that carries it, and the (start, end) of its evidence in that unit's raw text: the whole
    unit, or its clause whose words score the touchpoint highest when the unit carries
    several of `wanted` and splits into clauses. `scores`: its `unit_scores_each` row when already computed."""
    return evidence_units_each([doc], touchpoints, [wanted], views, [scores])[0]


def evidence_units_each(docs: list[FeedbackDoc], touchpoints: TextClassifier, wanted_each: list[list[str]], views,
                        scores_each: list[np.ndarray | None]) -> list[dict[str, tuple[int, tuple[int, int]]]]:
    """`evidence_units` of each doc (its touchpoints `wanted_each[k]`, its `scores_each[k]` or None),
    the clauses of all the docs scored by the word head in one call (`LexicalHead.predict_proba_each`)."""
    missing = [k for k, scores in enumerate(scores_each) if scores is None]
    scores_each = list(scores_each)
    for k, scores in zip(missing, unit_scores_each([docs[k] for k in missing], touchpoints, views)):
        scores_each[k] = scores
    plans, split = [], []  # per doc: its columns and best units; every (doc, unit) to read clause by clause
    for k, (doc, wanted, scores) in enumerate(zip(docs, wanted_each, scores_each)):
        columns = {tp: touchpoints.labels.index(tp) for tp in wanted}
        best = {tp: int(scores[:, j].argmax()) for tp, j in columns.items()}
        plans.append((columns, best))
        if touchpoints.lexical is None:
            continue
        for i in dict.fromkeys(best.values()):
            if sum(1 for t in wanted if best[t] == i) > 1:
                text = doc.scored_units[i].text
                pieces = clauses(text)
                if len(pieces) > 1:
                    split.append((k, i, pieces, [text[a:b] for a, b in pieces]))
    words = touchpoints.lexical.predict_proba_each([texts for *_, texts in split]) if split else []
    clause_words = {(k, i): (pieces, w) for (k, i, pieces, _), w in zip(split, words)}
    out = []
    for k, (doc, (columns, best)) in enumerate(zip(docs, plans)):
        found = {}
        for tp, i in best.items():
            span = (0, len(doc.scored_units[i].text))
            if (k, i) in clause_words:
                pieces, w = clause_words[k, i]
                span = pieces[int(w[:, columns[tp]].argmax())]
            found[tp] = (i, span)
        out.append(found)
    return out


def load_parts(model: str | Path, parts=PARTS) -> dict[str, TextClassifier]:
    folder = Path(model)
    found = {p: TextClassifier.load(folder / p) for p in parts if (folder / p / "head.json").exists()}
    if not found:
        raise FileNotFoundError(f"no trained model in {folder} (expected {', '.join(parts)} sub-folders); "
                                "rebuild it with `python scripts/train_journey.py` or `voc-nlp train journey`")
    return found


def parts_digest(model: str | Path, parts) -> str:
    """8 hex digits of the SHA-256 of the parts' files: names a model by what it is, since
    `voc-nlp train journey` writes the same folder names as the shipped model."""
    digest = hashlib.sha256()
    for part in sorted(parts):
        for file in sorted((Path(model) / part).iterdir()):
            if file.is_file():
                digest.update(f"{part}/{file.name}".encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:8]


@components.register("journey")
class JourneyTagger(Component):
    name = "journey"
    requires = ("doc.vectors", "doc.unit_inputs", "unit.sentiment")
    assigns = ("record.phase", "record.phase_score", "record.stage", "record.touchpoints",
               "record.touchpoint_scores", "record.touchpoint_evidence", "record.touchpoint_sentiment")

    def __init__(self, taxonomy: Taxonomy, encoder: Encoder, model: str, max_touchpoints: int = 4,
                 prototype_threshold: float = 0.3, top_k: int = 3, unit_max: bool = False):
        if not taxonomy.touchpoints:
            raise ValueError(f"the taxonomy ({taxonomy.source or 'default'}) has no touchpoints; the journey "
                             "component needs `phases` and `touchpoints` sections")
        self.taxonomy = taxonomy
        self.model = model
        self.max_touchpoints = max_touchpoints
        self.prototype_threshold = prototype_threshold
        self.top_k = top_k
        self.unit_max = unit_max
        self.parts = load_parts(model)
        self.digest = parts_digest(model, self.parts)
        first = next(iter(self.parts.values()))
        self.views = tuple(first.head.metadata.get("views", ["base"]))
        self.requires = self.requires + tuple(f"doc.views.{v}" for v in self.views if v != "base")
        self.ids = taxonomy.touchpoint_ids
        learned = self.parts["touchpoints"].labels if "touchpoints" in self.parts else []
        self.learned = [tp for tp in learned if tp in self.ids]
        self.learned_columns = [learned.index(tp) for tp in self.learned]
        self.learned_thresholds = self.parts["touchpoints"].thresholds()[self.learned_columns] if learned else None
        if self.learned_thresholds is not None:
            # A `threshold:` in the taxonomy is the analyst's bar for that touchpoint, learned or not
            # (e.g. a higher one where precision matters more than recall).
            own = [taxonomy.touchpoint(tp).threshold for tp in self.learned]
            self.learned_thresholds = np.array([t if t is not None else m for t, m in zip(own, self.learned_thresholds)],
                                               dtype=np.float32)
        # Touchpoints the model does not know: prototypes from the taxonomy text, encoded once.
        self.new = [tp for tp in self.ids if tp not in self.learned]
        texts, owners = [], []
        for j, tp_id in enumerate(self.new):
            tp = taxonomy.touchpoint(tp_id)
            for text in tp.all_examples() + ([tp.description] if tp.description else []):
                texts.append(text)
                owners.append(j)
        self.prototypes = encoder.encode(texts) if texts else None
        self.owners = np.array(owners)
        self.new_thresholds = np.array([taxonomy.touchpoint(tp).threshold or prototype_threshold for tp in self.new],
                                       dtype=np.float32)
        self.unknown_phase = taxonomy.journey.unknown_phase

    @property
    def version(self) -> str:
        return f"journey-{Path(self.model).name}-{self.digest}-{len(self.learned)}+{len(self.new)}tp"

    # -- scoring ---------------------------------------------------------------

    def prototype_similarity(self, units: np.ndarray) -> np.ndarray:
        """(n_new,) for one item: the best unit's mean cosine to each new touchpoint's top_k examples."""
        sims = units @ self.prototypes.T
        out = np.zeros(len(self.new), dtype=np.float32)
        for j in range(len(self.new)):
            cols = np.sort(sims[:, self.owners == j], axis=1)[:, ::-1][:, : self.top_k]
            out[j] = float(cols.mean(axis=1).max()) if cols.size else 0.0
        return out

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok and d.scored_units]
        for doc in docs:
            if doc.ok and not doc.scored_units:
                doc.record.phase, doc.record.phase_score = self.unknown_phase, 0.0
                doc.record.stage = self.taxonomy.stage_of(self.unknown_phase)
        if not live:
            return
        x, texts = journey_features(live, self.views)
        phase = self.parts["phase"].predict_proba(x, texts) if "phase" in self.parts else None
        tps = self.parts["touchpoints"].predict_proba(x, texts) if self.learned else None
        # Per unit touchpoint scores of the items of several units (one unit's are the item's row).
        per_unit = [None if tps is None else tps[k][None, :] for k in range(len(live))]
        several = [k for k, doc in enumerate(live) if tps is not None and len(doc.scored_units) > 1]
        if several:
            for k, unit_probs in zip(several, unit_scores_each([live[k] for k in several], self.parts["touchpoints"],
                                                               self.views)):
                per_unit[k] = unit_probs
        chosen = [self.tag(doc, None if phase is None else phase[k], None if tps is None else tps[k], per_unit[k])
                  for k, doc in enumerate(live)]
        self.evidence(live, chosen, per_unit)

    def tag(self, doc: FeedbackDoc, phase_probs: np.ndarray | None, item_probs: np.ndarray | None,
            per_unit: np.ndarray | None) -> list[str]:
        """Sets the phase, stage, touchpoints and their scores; returns the touchpoints.
        `item_probs`: the touchpoint classifier's row for the item (every label it knows);
        `per_unit`: its rows for the item's units."""
        record = doc.record
        if phase_probs is not None:
            p = int(phase_probs.argmax())
            record.phase, record.phase_score = self.parts["phase"].labels[p], round(float(phase_probs[p]), 4)
        else:
            record.phase, record.phase_score = self.unknown_phase, 0.0
        record.stage = self.taxonomy.stage_of(record.phase)

        scores, passed = {}, []
        learned_probs = None
        if item_probs is not None:
            learned_probs = item_probs[self.learned_columns]
            if self.unit_max and len(doc.scored_units) > 1:
                # A touchpoint one sentence or turn is clearly about counts, even when the
                # item's mean vector dilutes it among the others.
                learned_probs = np.maximum(learned_probs, per_unit[:, self.learned_columns].max(axis=0))
        if learned_probs is not None:
            for tp, prob, threshold in zip(self.learned, learned_probs, self.learned_thresholds):
                scores[tp] = float(prob)
                if prob >= threshold:
                    passed.append(tp)
        if self.new:
            for tp, sim, threshold in zip(self.new, self.prototype_similarity(doc.vectors), self.new_thresholds):
                scores[tp] = float(np.clip(sim, 0.0, 1.0))
                if sim >= threshold:
                    passed.append(tp)
        chosen = sorted(passed, key=lambda tp: -scores[tp])[: self.max_touchpoints]
        if not chosen and record.phase != self.unknown_phase and scores:
            # An item in a known phase is about something: its most probable touchpoint.
            chosen = [max(scores, key=scores.get)]
        record.touchpoints = chosen
        record.touchpoint_scores = {tp: round(scores.get(tp, 0.0), 4) for tp in self.ids}
        return chosen

    # -- evidence and touchpoint sentiment -------------------------------------------

    def evidence(self, docs: list[FeedbackDoc], chosen_each: list[list[str]], per_unit: list[np.ndarray | None]) -> None:
        """Sets each doc's touchpoint evidence and sentiment, for its `chosen_each[k]` touchpoints.
        The word heads read all the docs' clauses, then all their evidence, in one call each."""
        learned_each = [[tp for tp in chosen if tp in self.learned] for chosen in chosen_each]
        with_learned = [k for k, learned in enumerate(learned_each) if learned]
        found_each = [{} for _ in docs]
        found = evidence_units_each([docs[k] for k in with_learned], self.parts.get("touchpoints"),
                                    [learned_each[k] for k in with_learned], self.views,
                                    [per_unit[k] for k in with_learned]) if with_learned else []
        for k, doc_found in zip(with_learned, found):
            found_each[k] = doc_found
        for doc, chosen, doc_found in zip(docs, chosen_each, found_each):
            for tp in chosen:
                if tp not in doc_found:  # a prototype touchpoint: its most similar unit, whole
                    j = self.new.index(tp)
                    sims = doc.vectors @ self.prototypes[self.owners == j].T
                    i = int(sims.max(axis=1).argmax())
                    doc_found[tp] = (i, (0, len(doc.scored_units[i].text)))
        sentiment_model = self.parts.get("touchpoint_sentiment")
        labels_each = [{} for _ in docs]
        with_chosen = [k for k, chosen in enumerate(chosen_each) if chosen]
        if sentiment_model is not None and with_chosen:
            reads_touchpoint = sentiment_model.head.metadata.get("reads_touchpoint", False)
            inputs = [sentiment_inputs(docs[k], self.views, [(tp, *found_each[k][tp]) for tp in chosen_each[k]],
                                       reads_touchpoint) for k in with_chosen]
            for k, probs in zip(with_chosen, sentiment_model.predict_proba_each(inputs)):
                labels_each[k] = {tp: sentiment_model.labels[int(p.argmax())] for tp, p in zip(chosen_each[k], probs)}
        for doc, chosen, doc_found, labels in zip(docs, chosen_each, found_each, labels_each):
            evidence, sentiment = [], {}
            for tp in chosen:
                i, (a, b) = doc_found[tp]
                unit = doc.scored_units[i]
                start, end = unit.start + a, unit.start + b
                label = labels.get(tp) or unit.sentiment or self.taxonomy.neutral
                sentiment[tp] = label
                evidence.append({"touchpoint": tp, "unit_index": unit.index, "start": start, "end": end,
                                 "text": doc.record.text[start:end], "sentiment": label})
            doc.record.touchpoint_evidence, doc.record.touchpoint_sentiment = evidence, sentiment
