"""The `journey` encoder view: an adapter tuned on labelled items, attached to docs as the pipeline would."""

import numpy as np
import torch

from voc_nlp.pipeline import Pipeline
from voc_nlp.training.journey import embed_items
from voc_nlp.training.journey_view import VIEW, journey_view_task, train_journey_view, with_view

ITEMS = [
    {"text": "My parcel never arrived. I called support three times.", "phase": "retention",
     "touchpoints": ["delivery", "customer_support"], "intent": "complaint", "sentiment": "negative",
     "effort": True, "churn_risk": False},
    {"text": "Is the blue jacket available in size M?", "phase": "consideration", "touchpoints": ["product_info"],
     "intent": "question", "sentiment": "neutral", "effort": False, "churn_risk": False},
    {"text": "Je résilie mon abonnement, je pars chez un concurrent.", "phase": "retention",
     "touchpoints": ["cancellation_renewal"], "intent": "complaint", "sentiment": "negative", "effort": False,
     "churn_risk": True},
    {"text": "Great staff at the store, I will recommend you to my friends!", "phase": "advocacy",
     "touchpoints": ["staff", "store"], "intent": "praise", "sentiment": "positive", "effort": False,
     "churn_risk": False},
]


def _docs(items):
    pipe = Pipeline.from_config(overrides={"pipeline": ["units", "language", "embed"]})
    return pipe.taxonomy, embed_items(pipe, [{**item, "id": f"i{k}"} for k, item in enumerate(items)])


def test_every_label_set_is_a_head_over_the_items_units():
    taxonomy, docs = _docs(ITEMS)
    task = journey_view_task(docs, ITEMS, taxonomy, lambda t: [1, 2, 3])
    assert [len(units) for units in task.tokens] == [len(d.unit_inputs) for d in docs]
    assert list(task.sets) == ["phase", "touchpoints", "intent", "sentiment", "signals"]
    # Touchpoints no item carries are left out (6 named above); effort and churn risk both occur.
    assert task.sets["touchpoints"].targets.shape == (4, 6)
    assert task.sets["signals"].targets.tolist() == [[1, 0], [0, 0], [0, 1], [0, 0]]


def test_a_tuned_view_moves_from_the_base_and_attaches_to_each_doc_by_its_units(tmp_path):
    from voc_nlp.encoders.use_m3 import USEMultilingualEncoder

    torch.set_num_threads(1)
    items = ITEMS * 8  # one batch of 32
    taxonomy, docs = _docs(items)
    adapter = train_journey_view(docs, items, taxonomy, recipe={"epochs": 3, "lr": 2e-2, "warmup": 1},
                                 log=lambda _: None)
    assert adapter.shares_lower and adapter.metadata["trained_on"] == 32
    adapter.save(tmp_path)
    texts = [t for d in docs[:4] for t in d.unit_inputs]
    views = USEMultilingualEncoder(threads=1, adapters={VIEW: str(tmp_path)}).encode_views(texts)
    assert (views[VIEW] * views["base"]).sum(1).min() < 0.999
    copies = with_view(docs[:4], views[VIEW])
    assert [len(d.views[VIEW]) for d in copies] == [len(d.unit_inputs) for d in docs[:4]]
    np.testing.assert_array_equal(copies[-1].views[VIEW], views[VIEW][-len(docs[3].unit_inputs):])
    assert VIEW not in docs[0].views  # the docs themselves are left as they were
