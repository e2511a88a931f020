"""Pain points per unit and per item: problems, not only moods.

Which items are pain points (`model`, default config: models/pain_decision):
a logistic regression (`PainDecision`) over what the earlier steps read in
the item's customer units (`item_signals`): its sentiment probabilities, its
most negative unit, its strongest problem report (`doc.problem_scores`) and
pain emotion, and its intent probabilities. scripts/train_pain_decision.py
fits and thresholds it by cross-validation on train splits (TweetEval
sentiment tweets, journey_train), with every model that learned from an item
retrained without it. `pain_point_score` is its P(pain point) rescaled so that
the threshold is 0.5: `pain_point` is exactly `pain_point_score >= 0.5`. With
`problem_reports`, an item not read as positive with a unit that reports a
problem (problem score >= 0.5) is a pain point whatever the decision (its
score at least that problem score): the taxonomy's calm problem report,
neutral and a pain point all the same.

Which units carry it (topics quote them), and the whole decision when `model`
is null: a unit is a pain point when any of these holds:

- its sentiment is the taxonomy's negative label;
- it expresses one of the configured pain emotions (default config: anger,
  frustration, worry, confusion, sadness — ids from the taxonomy, listed in
  `configs/default.yaml`, never in code). Emotions listed in
  `needs_corroboration` (default config: confusion, which the emotion model
  also gives to plain questions such as "how do I order a card?") count only
  when the unit's problem score is at least `corroboration`;
  and an emotion counts only from `emotion_min_score` up;
- it *reports a problem*, even calmly ("the ATM declined my card"): the
  `problems` component's score is >= 0.5.

A unit's score starts from its problem score and, when the mood (sentiment or
emotion) flags it, is at least 0.5 + 0.5 * strength, strength = max(P(neg) -
P(pos) clipped to [0, 1], strongest pain-emotion score). Without `model`, the
item's score is the maximum over its customer units. With it, units follow the
item: an item that is a pain point has at least one pain-point unit (its
strongest, when the rule flagged none), one that is not has none (unit scores
capped at the item's).

Intent and pain point agree (`intents`, default: complaint; `agree_by`):
with `agree_by: intent` an item read as a complaint is a pain point (its score
raised to 0.5 + 0.5 * P(complaint)); with `agree_by: pain_point` (default
config, chosen by cross-validation) an item the decision does not call a pain
point does not keep the complaint intent: it takes its next most likely one
(`intent_scores` stay the intent model's, so the change is visible).

Complaints read as negative: with `complaint_score` set, an item whose
sentiment is neutral but whose pain-point score reaches it gets the negative
label, unless the sentiment step read it as mixed (`doc.mixed`: praise and
complaint). `sentiment_probs` and `sentiment_score` stay the sentiment
model's, so the change is visible.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.components.problems import threshold_at_half
from voc_nlp.doc import FeedbackDoc
from voc_nlp.registry import components
from voc_nlp.taxonomy import Taxonomy


# The intents (components.signals) whose probabilities `item_signals` reads, and every signal it returns.
INTENT_SIGNALS = ("complaint", "praise", "question")
SIGNALS = ("negative", "positive", "worst_unit", "problem", "pain_emotion", "pleased_emotion",
           *(f"intent_{label}" for label in INTENT_SIGNALS))


@dataclass
class PainDecision:
    """A logistic regression over an item's signals (`PainPointDetector.item_signals`, by name):
    P(pain point) = sigmoid(weights . signals + bias); a pain point from `threshold` up.
    Stored as decision.json (scripts/train_pain_decision.py fits it)."""

    signals: list[str]
    weights: list[float]
    bias: float
    threshold: float
    metadata: dict | None = None

    def proba(self, x: np.ndarray) -> np.ndarray:
        """P(pain point) for rows of signal values, in `signals` order."""
        z = np.asarray(x, dtype=np.float64) @ np.asarray(self.weights, dtype=np.float64) + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "decision.json").write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> "PainDecision":
        path = Path(directory) / "decision.json"
        if not path.exists():
            raise FileNotFoundError(f"pain_points: no decision at {path} (rebuild: python scripts/train_pain_decision.py)")
        return cls(**json.loads(path.read_text()))


@components.register("pain_points")
class PainPointDetector(Component):
    name = "pain_points"
    requires = ("doc.problem_scores", "doc.mixed", "unit.sentiment", "unit.emotions")
    assigns = ("unit.pain_point", "record.pain_point", "record.pain_point_score", "record.sentiment", "record.intent")

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        emotions: list[str] | tuple[str, ...] = (),
        negative_sentiment: bool = True,
        needs_corroboration: list[str] | tuple[str, ...] = (),
        corroboration: float = 0.15,
        emotion_min_score: float = 0.0,
        complaint_score: float | None = None,
        intents: list[str] | tuple[str, ...] = (),
        model: str | None = None,
        agree_by: str = "intent",
        problem_reports: bool = False,
    ):
        taxonomy = taxonomy or Taxonomy.load()
        unknown = [e for e in (*emotions, *needs_corroboration) if e not in taxonomy.emotion_ids]
        if unknown:
            raise ValueError(
                f"pain_points: emotion(s) {', '.join(unknown)} are not in the taxonomy "
                f"({', '.join(taxonomy.emotion_ids)})"
            )
        self.emotions = tuple(emotions)
        self.needs_corroboration = frozenset(needs_corroboration)
        self.corroboration = float(corroboration)
        self.emotion_min_score = float(emotion_min_score)
        self.negative = taxonomy.negative if negative_sentiment else None
        self.complaint_score = complaint_score
        self.intents = tuple(intents)
        if agree_by not in ("intent", "pain_point"):
            raise ValueError(f"pain_points: agree_by is `intent` or `pain_point`, got {agree_by!r}")
        self.agree_by = agree_by
        self.problem_reports = bool(problem_reports)
        self.decision = PainDecision.load(model) if model else None
        unknown = sorted(set(self.decision.signals) - set(SIGNALS)) if self.decision else []
        if unknown:
            raise ValueError(f"pain_points: the decision at {model} reads unknown signals {unknown} "
                             f"(known: {', '.join(SIGNALS)})")
        if self.decision is not None:
            self.requires = (*self.requires, "record.sentiment_probs")
        if self.decision and any(n.startswith("intent_") for n in self.decision.signals):
            self.requires = (*self.requires, "record.intent_scores")
        self._negative, self._neutral = taxonomy.negative, taxonomy.neutral
        self._positive = taxonomy.positive
        # The taxonomy's other emotions (delight, gratitude): a thankful item is rarely a pain point.
        self._pleased = tuple(e for e in taxonomy.emotion_ids if e not in self.emotions and e != taxonomy.neutral_emotion)

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        for doc in docs:
            if doc.ok:
                self._assign(doc, doc.problem_scores)

    def unit_score(self, unit, problem_score: float) -> tuple[bool, float]:
        score = float(problem_score)
        strength = None
        if self.negative is not None and unit.sentiment == self.negative:
            strength = max(0.0, min(1.0, -(unit.sentiment_score or 0.0)))
        scores = unit.emotion_scores or {}
        felt = [e for e in (unit.emotions or []) if e in self.emotions
                and float(scores.get(e, 0.0)) >= self.emotion_min_score
                and (e not in self.needs_corroboration or problem_score >= self.corroboration)]
        if felt:
            emo = max(float(scores.get(e, 0.0)) for e in felt)
            strength = max(strength or 0.0, emo)
        if strength is not None:
            score = max(score, 0.5 + 0.5 * strength)
        score = round(min(max(score, 0.0), 1.0), 4)
        return score >= 0.5, score

    def item_signals(self, doc: FeedbackDoc) -> dict[str, float]:
        """What the earlier components read in an item that bears on a pain point (`SIGNALS`), over its
        customer units: the item's sentiment probabilities, its most negative unit, its strongest
        problem report, pain emotion and other (pleased) emotion, and its intent probabilities."""
        units = doc.scored_units
        probs = doc.record.sentiment_probs or {}
        problems = np.asarray(doc.problem_scores if doc.problem_scores is not None else np.zeros(len(units)))
        emotion = pleased = 0.0
        for unit, problem_score in zip(units, problems):
            scores = unit.emotion_scores or {}
            emotion = max([emotion] + [float(scores.get(e, 0.0)) for e in self.emotions
                                       if e not in self.needs_corroboration or problem_score >= self.corroboration])
            pleased = max([pleased] + [float(scores.get(e, 0.0)) for e in self._pleased])
        intents = doc.record.intent_scores or {}
        return {
            "negative": float(probs.get(self._negative, 0.0)),
            "positive": float(probs.get(self._positive, 0.0)),
            "worst_unit": max((-(u.sentiment_score or 0.0) for u in units), default=0.0),
            "problem": float(problems.max(initial=0.0)),
            "pain_emotion": emotion,
            "pleased_emotion": pleased,
            **{f"intent_{label}": float(intents.get(label, 0.0)) for label in INTENT_SIGNALS},
        }

    def _assign(self, doc: FeedbackDoc, problem_scores: np.ndarray) -> None:
        units = doc.scored_units
        if not units:
            return
        best = 0.0
        for unit, p in zip(units, problem_scores):
            unit.pain_point, unit.pain_point_score = self.unit_score(unit, p)
            best = max(best, unit.pain_point_score)
        intent = doc.record.intent
        if self.decision is not None:
            best = self._decide(doc)
            problem = float(np.max(problem_scores))
            if self.problem_reports and problem >= 0.5 and doc.record.sentiment != self._positive:
                best = max(best, round(problem, 4))
        if intent in self.intents:
            if self.agree_by == "intent":
                # An item whose intent (components.signals) is a complaint reports a problem.
                best = max(best, round(0.5 + 0.5 * float(doc.record.intent_scores.get(intent, 0.0)), 4))
            elif best < 0.5:
                # The pain-point decision has the last word: the item takes its next most likely intent.
                others = {k: v for k, v in doc.record.intent_scores.items() if k not in self.intents}
                if others:
                    doc.record.intent = max(others, key=others.get)
        doc.record.pain_point = best >= 0.5
        doc.record.pain_point_score = best
        if self.decision is not None:
            self._units_agree(units, best)
        # A mixed item (praise and complaint, `doc.mixed`) is neutral on purpose, not a calm complaint.
        if (self.complaint_score is not None and doc.record.sentiment == self._neutral and not doc.mixed
                and best >= self.complaint_score):
            doc.record.sentiment = self._negative

    def _decide(self, doc: FeedbackDoc) -> float:
        """The learned decision's P(pain point), rescaled so that its threshold is 0.5."""
        signals = self.item_signals(doc)
        p = self.decision.proba(np.array([signals[name] for name in self.decision.signals]))
        return round(float(threshold_at_half(p, self.decision.threshold)), 4)

    @staticmethod
    def _units_agree(units, item_score: float) -> None:
        """Units follow the item's verdict: a pain point has at least one pain-point unit (its strongest,
        when the unit rule flagged none) and an item that is none has none."""
        if item_score >= 0.5:
            if not any(u.pain_point for u in units):
                strongest = max(units, key=lambda u: u.pain_point_score)
                strongest.pain_point, strongest.pain_point_score = True, item_score
            return
        for unit in units:
            unit.pain_point_score = min(unit.pain_point_score, item_score)
            unit.pain_point = False
