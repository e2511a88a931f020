"""Pain points per unit and per item: problems, not only moods.

A unit is a pain point when any of these holds:

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

`pain_point_score` is in [0, 1] and ranks units; it is built so that
`pain_point` is exactly `pain_point_score >= 0.5`:

- it starts from the unit's problem score (`doc.problem_scores`, P(problem)
  rescaled so that the problem model's threshold is 0.5);
- when the mood (sentiment or emotion) flags the unit, the score is at least
  0.5 + 0.5 * strength, strength = max(P(neg) - P(pos) clipped to [0, 1],
  strongest pain-emotion score).

The item is a pain point when any customer unit is, or when its intent
(`components.signals`) is one of `intents` (default config: complaint); its
score is the maximum over its customer units, raised to 0.5 + 0.5 * P(intent)
in the second case.

Complaints read as negative: with `complaint_score` set, an item whose
sentiment is neutral but whose pain-point score reaches it (a clear problem
report, or a strong pain emotion, stated without negative words) gets the
negative label, unless the sentiment step read it as mixed (`doc.mixed`:
praise and complaint). `sentiment_probs` and `sentiment_score` stay the sentiment
model's, so the change is visible. This component reads the problem scores
and the unit labels written by the sentiment and emotion components.
"""

from __future__ import annotations

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.registry import components
from voc_nlp.taxonomy import Taxonomy


@components.register("pain_points")
class PainPointDetector(Component):
    name = "pain_points"
    requires = ("doc.problem_scores", "doc.mixed", "unit.sentiment", "unit.emotions")
    assigns = ("unit.pain_point", "record.pain_point", "record.pain_point_score", "record.sentiment")

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
        self._negative, self._neutral = taxonomy.negative, taxonomy.neutral

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

    def _assign(self, doc: FeedbackDoc, problem_scores: np.ndarray) -> None:
        units = doc.scored_units
        if not units:
            return
        best = 0.0
        for unit, p in zip(units, problem_scores):
            unit.pain_point, unit.pain_point_score = self.unit_score(unit, p)
            best = max(best, unit.pain_point_score)
        # An item whose intent (components.signals) is a complaint reports a problem.
        intent = doc.record.intent
        if intent in self.intents:
            best = max(best, round(0.5 + 0.5 * float(doc.record.intent_scores.get(intent, 0.0)), 4))
        doc.record.pain_point = best >= 0.5
        doc.record.pain_point_score = best
        # A mixed item (praise and complaint, `doc.mixed`) is neutral on purpose, not a calm complaint.
        if (self.complaint_score is not None and doc.record.sentiment == self._neutral and not doc.mixed
                and best >= self.complaint_score):
            doc.record.sentiment = self._negative
