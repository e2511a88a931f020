"""The torch port of the USE-m3 tower, trained with LoRA, exports what the numpy pipeline computes."""

import numpy as np
import torch

from voc_nlp.encoders.use_m3 import USEMultilingualEncoder, load_backend, tower_weights
from voc_nlp.training.use_tower import AffectTask, UseTower, fine_tune

TEXTS = ["I love this phone", "Le colis n'est jamais arrivé, service client nul", "@user worst airline ever!!!", "ok"]


def tokens(backend, texts):
    return [np.array(backend.sp.encode(t, out_type=int, add_bos=True, add_eos=True)) for t in texts]


def test_untrained_tower_is_the_base_encoder():
    backend = load_backend(threads=1)
    tower = UseTower(backend, tower_weights(backend), rank=4)
    with torch.no_grad():
        z = tower(tokens(backend, TEXTS)).numpy()
    np.testing.assert_allclose((z * backend.encode(TEXTS)).sum(1), 1.0, atol=1e-5)


def test_training_moves_the_tower_and_the_export_matches_numpy(tmp_path):
    backend = load_backend(threads=1)
    tower = UseTower(backend, tower_weights(backend), rank=4)
    texts = TEXTS * 16
    y = np.array([2, 0, 0, 1] * 16)
    fine_tune(tower, {"sentiment": AffectTask(tokens(backend, texts), y)}, epochs=3, lr=5e-2, batch_size=16,
              log=lambda _: None)
    assert float(tower.lora_b["d3"].detach().abs().sum()) > 0  # LoRA B starts at zero: it was trained
    tower.adapter(metadata={"version": "test"}).save(tmp_path)
    views = USEMultilingualEncoder(threads=1, adapters={"affect": str(tmp_path)}).encode_views(TEXTS)
    with torch.no_grad():
        z = tower(tokens(backend, TEXTS)).numpy()
    np.testing.assert_allclose((z * views["affect"]).sum(1), 1.0, atol=1e-4)
    assert (views["affect"] * views["base"]).sum(1).min() < 0.999


def test_multi_task_training_fits_each_task_through_its_own_head():
    backend = load_backend(threads=1)
    tower = UseTower(backend, tower_weights(backend), rank=4)
    toks = tokens(backend, TEXTS)
    sentiment = AffectTask(toks * 8, np.array([2, 0, 0, 1] * 8))
    # Multi-label targets: the second text is two labels at once, the last none.
    emotions = AffectTask(toks[:3] * 8, np.array([[1, 0, 0], [0, 1, 1], [0, 1, 0]] * 8), multilabel=True)
    heads = fine_tune(tower, {"sentiment": sentiment, "emotions": emotions}, epochs=15, lr=2e-2, batch_size=8,
                      log=lambda _: None)
    with torch.no_grad():
        z = tower(toks)
        assert heads["sentiment"](z).argmax(1).tolist() == [2, 0, 0, 1]
        assert (torch.sigmoid(heads["emotions"](z[:3])) > 0.5).int().tolist() == [[1, 0, 0], [0, 1, 1], [0, 1, 0]]


def test_label_sets_on_items_of_several_units_train_through_one_head():
    """An item is the mean of its units' vectors; its label sets (one single-label, one
    multi-label) are learned side by side through one head."""
    from voc_nlp.training.use_tower import LabelSetsTask, encode_samples

    backend = load_backend(threads=1)
    tower = UseTower(backend, tower_weights(backend), rank=4)
    toks = tokens(backend, TEXTS)
    items = [[toks[0], toks[3]], [toks[1]], [toks[2], toks[1], toks[3]]]
    with torch.no_grad():
        pooled = encode_samples(tower, items)
        np.testing.assert_allclose(pooled[0].numpy(), tower([toks[0], toks[3]]).mean(0).numpy(), atol=1e-6)
    phase = AffectTask(items * 8, np.array([2, 0, 1] * 8))
    touchpoints = AffectTask(items * 8, np.array([[1, 0], [0, 1], [1, 1]] * 8), multilabel=True)
    task = LabelSetsTask(items * 8, {"phase": phase, "touchpoints": touchpoints})
    assert task.n_outputs == 3 + 2
    heads = fine_tune(tower, {"journey": task}, epochs=15, lr=2e-2, batch_size=8, warmup=10, log=lambda _: None)
    with torch.no_grad():
        logits = heads["journey"](encode_samples(tower, items))
    assert logits[:, :3].argmax(1).tolist() == [2, 0, 1]
    assert (torch.sigmoid(logits[:, 3:]) > 0.5).int().tolist() == [[1, 0], [0, 1], [1, 1]]
