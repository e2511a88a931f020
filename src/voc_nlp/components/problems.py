"""Problem reports per unit: does the unit report a problem, even calmly?

"The ATM declined my card" reports a problem with no negative word in it. A
trained head over the shared unit embeddings (`models/pain_point`, problem
report vs plain question / request / praise, trained on banking77 and bitext
intents) gives P(problem) per scored unit.

The component writes `doc.problem_scores`: one value per scored unit, P(problem)
rescaled piecewise-linearly so that the model's decision threshold maps to 0.5
(>= 0.5: the unit reports a problem). Later components read it: the emotion
component (a moderate anger in a problem report is frustration) and the
pain-point component. It reads the shared embeddings and never encodes text.
"""

from __future__ import annotations

import numpy as np

from voc_nlp.components.base import Component
from voc_nlp.components.embed import stack_vectors
from voc_nlp.doc import FeedbackDoc
from voc_nlp.heads import ClassifierHead
from voc_nlp.registry import components


def threshold_at_half(p: np.ndarray, threshold: float) -> np.ndarray:
    """Probabilities rescaled piecewise-linearly so that `threshold` maps to 0.5 (0 and 1 stay)."""
    t = min(max(float(threshold), 1e-6), 1 - 1e-6)
    p = np.asarray(p, dtype=np.float64)
    return np.where(p < t, 0.5 * p / t, 0.5 + 0.5 * (p - t) / (1 - t))


@components.register("problems")
class ProblemReportDetector(Component):
    name = "problems"
    requires = ("doc.vectors",)
    assigns = ("doc.problem_scores",)

    def __init__(self, model: str, problem_label: str = "problem", threshold: float | None = None):
        self.head = ClassifierHead.load(model)
        if problem_label not in self.head.labels:
            raise ValueError(f"problems: the head at {model} has no label {problem_label!r}")
        self._k = self.head.labels.index(problem_label)
        self.threshold = float(
            threshold if threshold is not None else self.head.thresholds.get(problem_label, 0.5)
        )

    @property
    def version(self) -> str:
        return f"pain_point-{self.head.metadata.get('version', 'dev')}"

    def problem_proba(self, vectors: np.ndarray) -> np.ndarray:
        """P(the unit reports a problem) for (n, dim) unit embeddings."""
        if not len(vectors):
            return np.zeros(0, dtype=np.float32)
        return self.head.predict_proba(vectors)[:, self._k]

    def score(self, p: np.ndarray) -> np.ndarray:
        """P(problem) rescaled so that the threshold maps to 0.5."""
        return threshold_at_half(p, self.threshold)

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok]
        matrix, counts = stack_vectors(live, self.head.layers[0][0].shape[1])
        scores = self.score(self.problem_proba(matrix))
        offset = 0
        for doc, n in zip(live, counts):
            doc.problem_scores = scores[offset : offset + n]
            offset += n
