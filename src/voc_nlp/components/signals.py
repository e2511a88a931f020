"""CX signals per item: intent, effort and churn risk, learned from labelled feedback.

Read from the same pooled unit embeddings and words as the journey tagger
(customer units only, so a chat's agent turns never count), by the
classifiers in the model folder (`models/cx_signals`, rebuilt by
`scripts/train_journey.py`):

- `intent/`: complaint / question / praise / suggestion / other (softmax);
- `effort/`: the customer describes effort the company made them spend
  (repeated contacts, transfers, waits, chasing);
- `churn_risk/`: the customer states or implies leaving, cancelling or
  switching, a calm cancellation request included.

Each yes/no signal is true when its probability passes the threshold chosen by
cross-validation on the training set (stored with the model).
"""

from __future__ import annotations

from pathlib import Path

from voc_nlp.components.base import Component
from voc_nlp.components.journey import SIGNALS, journey_features, load_parts, parts_digest
from voc_nlp.doc import FeedbackDoc
from voc_nlp.registry import components


@components.register("signals")
class CXSignals(Component):
    name = "signals"
    requires = ("doc.vectors", "doc.unit_inputs")
    assigns = ("record.intent", "record.intent_scores", "record.effort", "record.effort_score",
               "record.churn_risk", "record.churn_risk_score")

    def __init__(self, model: str):
        self.model = model
        self.parts = load_parts(model, ("intent",) + SIGNALS)
        self.digest = parts_digest(model, self.parts)
        self.views = tuple(next(iter(self.parts.values())).head.metadata.get("views", ["base"]))
        self.requires = self.requires + tuple(f"doc.views.{v}" for v in self.views if v != "base")

    @property
    def version(self) -> str:
        return f"signals-{Path(self.model).name}-{self.digest}"

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        live = [d for d in docs if d.ok and d.scored_units]
        if not live:
            return
        x, texts = journey_features(live, self.views)
        if "intent" in self.parts:
            clf = self.parts["intent"]
            probs = clf.predict_proba(x, texts)
            for doc, p in zip(live, probs):
                doc.record.intent = clf.labels[int(p.argmax())]
                doc.record.intent_scores = dict(zip(clf.labels, p.round(4).tolist()))
        for signal in SIGNALS:
            if signal not in self.parts:
                continue
            clf = self.parts[signal]
            probs = clf.predict_proba(x, texts)[:, 0]
            threshold = float(clf.thresholds()[0])
            for doc, p in zip(live, probs):
                setattr(doc.record, signal, bool(p >= threshold))
                setattr(doc.record, f"{signal}_score", round(float(p), 4))
