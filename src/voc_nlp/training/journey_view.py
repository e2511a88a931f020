"""Tune a `journey` encoder view: a USE-m3 LoRA adapter trained on labelled journey items.

    adapter = train_journey_view(docs, items, taxonomy)   # docs: `embed_items` output
    adapter.save(folder)                                  # an `encoder.adapters` folder

The journey and signal models read the mean of an item's unit vectors. Over
the base and affect views those vectors carry little of what they decide
(the TF-IDF word head takes 0.6-0.8 of each decision), so this view is tuned
on the decisions themselves: one step takes a batch of items, each item's
vector is the mean of its units' vectors (as `journey_features` pools them),
and one training head per label set reads it -- phase, item sentiment and
intent (class-balanced cross-entropy), touchpoints, effort and churn risk
(binary cross-entropy). The training heads are discarded; the journey models
(`JourneyTrainer`) are fitted over the view afterwards, like every head.

Measured by `python scripts/train_journey.py --journey-view` (each fold's
adapter tuned on the other folds): the view did not improve the cross-validated
journey figures enough to pay for a third tower pass, so no shipped model
reads it (docs/measuring/journey.md).
"""

from __future__ import annotations

import time

import numpy as np

from voc_nlp.doc import FeedbackDoc
from voc_nlp.encoders.use_m3 import UseAdapter, load_backend, tower_weights
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.training.journey import INTENTS, SENTIMENTS

VIEW = "journey"
# The recipe: the affect adapter's rank and learning rate, 4 passes over the few thousand
# items (a fold: ~110 steps per pass, ~50 s on one thread). On fold 0 (a linear head over the
# view alone, held-out phase / intent macro-F1, touchpoint micro-F1): 0.585 / 0.715 / 0.591;
# 2 passes 0.588 / 0.701 / 0.592, 8 passes 0.570 / 0.730 / 0.586, lr 3e-3 0.617 / 0.691 / 0.583;
# the base and affect_emotions vectors together 0.604 / 0.705 (phase, intent).
RECIPE = {"rank": 16, "epochs": 4, "lr": 1e-3, "warmup": 50, "seed": 13}


def journey_view_task(docs: list[FeedbackDoc], items: list[dict], taxonomy: Taxonomy, tokenize):
    """The label sets of `items` on their docs' units (`tokenize`: text -> token ids).
    Items without units (empty text) are left out."""
    from voc_nlp.training.use_tower import AffectTask, LabelSetsTask

    rows = [k for k, doc in enumerate(docs) if doc.ok and doc.unit_inputs]
    tokens = [[np.array(tokenize(t), dtype=np.int64) for t in docs[k].unit_inputs] for k in rows]
    picked = [items[k] for k in rows]
    phases, touchpoints = taxonomy.phase_ids, taxonomy.touchpoint_ids
    sets = {
        "phase": AffectTask(tokens, np.array([phases.index(i["phase"]) for i in picked])),
        "touchpoints": AffectTask(tokens, np.array([[int(tp in i["touchpoints"]) for tp in touchpoints]
                                                    for i in picked]), multilabel=True),
        "intent": AffectTask(tokens, np.array([INTENTS.index(i["intent"]) for i in picked])),
        "sentiment": AffectTask(tokens, np.array([SENTIMENTS.index(i["sentiment"]) for i in picked])),
        "signals": AffectTask(tokens, np.array([[int(i["effort"]), int(i["churn_risk"])] for i in picked]),
                              multilabel=True),
    }
    # The multi-label sets keep labels with positives (a touchpoint absent from a fold cannot be learned).
    for name in ("touchpoints", "signals"):
        task = sets[name]
        task.targets = task.targets[:, task.targets.sum(0) > 0]
    return LabelSetsTask(tokens, sets)


def train_journey_view(docs: list[FeedbackDoc], items: list[dict], taxonomy: Taxonomy, recipe: dict | None = None,
                       log=print) -> UseAdapter:
    """A journey adapter trained on `items` (every item needs phase, touchpoints, intent, sentiment,
    effort and churn_risk, as journey_train has); its metadata records the recipe and the time."""
    import torch

    from voc_nlp.training.use_tower import UseTower, fine_tune

    recipe = {**RECIPE, **(recipe or {})}
    torch.manual_seed(recipe["seed"])
    backend = load_backend(threads=torch.get_num_threads())
    task = journey_view_task(docs, items, taxonomy,
                             lambda t: backend.sp.encode(t, out_type=int, add_bos=True, add_eos=True))
    started = time.perf_counter()
    tower = UseTower(backend, tower_weights(backend), rank=recipe["rank"], seed=recipe["seed"])
    fine_tune(tower, {VIEW: task}, epochs=recipe["epochs"], lr=recipe["lr"], warmup=recipe["warmup"],
              seed=recipe["seed"], log=log)
    seconds = time.perf_counter() - started
    return tower.adapter(metadata={
        "task": "journey: phase, touchpoints, intent, item sentiment, effort, churn risk (one head each, "
                "discarded)", "trained_on": len(task.tokens), "layers": "upper", **recipe,
        "trainable_parameters": sum(p.numel() for p in tower.parameters()), "training_seconds": round(seconds)})


def with_view(docs: list[FeedbackDoc], vectors: np.ndarray) -> list[FeedbackDoc]:
    """Shallow copies of `docs` whose `journey` view is `vectors` (rows: every live doc's units, in order)."""
    import copy

    out, offset = [], 0
    for doc in docs:
        doc = copy.copy(doc)
        if doc.ok and doc.vectors is not None:
            n = len(doc.unit_inputs)
            doc.views = {**doc.views, VIEW: vectors[offset: offset + n]}
            offset += n
        out.append(doc)
    return out


__all__ = ["RECIPE", "VIEW", "journey_view_task", "train_journey_view", "with_view"]
