"""Fit the small MLP heads shipped in models/ over frozen unit embeddings.

Two steps, both torch on CPU with fixed seeds (the same data give the same
weights):

1. `fit_mlp_head`: a seed ensemble of one-hidden-layer MLPs, stored as one
   two-layer MLP (hidden units concatenated, output weights averaged). It is
   the teacher: better than any single member, but several MB.
2. `distil_head`: one MLP of the same shape as a member, trained to give the
   teacher's probabilities on the training embeddings. It keeps nearly all of
   the ensemble's dev quality at a fraction of the size, and is what ships.
"""

from __future__ import annotations

import numpy as np

from voc_nlp.heads import ClassifierHead


def fit_mlp_head(
    x: np.ndarray,
    y: np.ndarray,
    labels: list[str],
    *,
    multilabel: bool = False,
    hidden: int = 512,
    epochs: int = 15,
    seeds: tuple[int, ...] = (13, 14, 15),
    balanced: bool = True,
    encoder: str = "",
    metadata: dict | None = None,
    sample_weight: np.ndarray | None = None,
    label_weight: np.ndarray | None = None,
) -> ClassifierHead:
    """Softmax head when `y` holds class indices, sigmoid head when `multilabel` (y multi-hot).

    `balanced` weights classes inversely to their frequency (softmax), which is
    what macro-averaged metrics reward and what keeps the minority class
    (usually `negative`) from being swallowed by `neutral`. `sample_weight`
    (softmax heads): one weight per row instead (e.g. `mix_weights`: classes
    balanced within each domain, domains weighed against each other).
    `label_weight` (multilabel heads with `sample_weight`): one weight per label's
    binary loss (default 1 each), or one per row and label (0: the row says
    nothing about that label).
    """
    if label_weight is not None and not (multilabel and sample_weight is not None):
        raise ValueError("label_weight applies to a multilabel head trained with sample_weight")
    if sample_weight is not None:
        class_weight = np.ones(len(labels), dtype=np.float32)
    elif multilabel or not balanced:
        class_weight = np.ones(len(labels), dtype=np.float32)
    else:
        counts = np.bincount(np.asarray(y), minlength=len(labels)).clip(min=1)
        class_weight = (len(y) / (len(labels) * counts)).astype(np.float32)
    targets = np.asarray(y, dtype=np.float32) if multilabel else np.eye(len(labels), dtype=np.float32)[y]
    members = [_fit_one(x, targets, multilabel, hidden, epochs, seed, class_weight, sample_weight, label_weight)
               for seed in seeds]
    w1 = np.vstack([m[0] for m in members])
    b1 = np.concatenate([m[1] for m in members])
    w2 = np.hstack([m[2] for m in members]) / len(members)
    b2 = sum(m[3] for m in members) / len(members)
    return ClassifierHead(
        labels=list(labels),
        layers=[(w1, b1), (w2.astype(np.float32), np.asarray(b2, dtype=np.float32))],
        activation="sigmoid" if multilabel else "softmax",
        encoder=encoder,
        metadata={**(metadata or {}), "ensemble": len(members)},
    )


def distil_head(teacher: ClassifierHead, x: np.ndarray, *, hidden: int = 512, epochs: int = 15,
                seed: int = 13, sample_weight: np.ndarray | None = None) -> ClassifierHead:
    """One MLP trained on `teacher`'s probabilities for `x` (soft targets), rows weighed by `sample_weight`."""
    multilabel = teacher.activation == "sigmoid"
    targets = teacher.predict_proba(x).astype(np.float32)
    w1, b1, w2, b2 = _fit_one(x, targets, multilabel, hidden, epochs, seed,
                              np.ones(len(teacher.labels), dtype=np.float32), sample_weight)
    return ClassifierHead(
        labels=list(teacher.labels),
        layers=[(w1, b1), (w2, b2)],
        activation=teacher.activation,
        encoder=teacher.encoder,
        metadata={**teacher.metadata, "distilled_from_ensemble": teacher.metadata.get("ensemble", 1)},
    )


def _fit_one(x, targets, multilabel, hidden, epochs, seed, class_weight, sample_weight=None, label_weight=None):
    """One MLP on (soft or one-hot) `targets`; returns numpy (w1, b1, w2, b2).

    `sample_weight`: each row's weight in the loss, instead of its class weight; `label_weight`
    (multilabel): each label's weight in a row's loss."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    xt = torch.tensor(np.asarray(x, dtype=np.float32))
    yt = torch.tensor(targets)
    cw = torch.tensor(class_weight)
    sw = None if sample_weight is None else torch.tensor(np.asarray(sample_weight, dtype=np.float32))
    lw = None if label_weight is None else torch.tensor(np.asarray(label_weight, dtype=np.float32))
    first, last = nn.Linear(xt.shape[1], hidden), nn.Linear(hidden, yt.shape[1])
    model = nn.Sequential(nn.Dropout(0.1), first, nn.ReLU(), nn.Dropout(0.3), last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(yt), generator=order).split(256):
            optimizer.zero_grad()
            out = model(xt[idx])
            if multilabel and sw is not None:
                per_label = nn.functional.binary_cross_entropy_with_logits(out, yt[idx], reduction="none")
                if lw is None:
                    per_row = per_label.mean(1)
                elif lw.dim() == 1:
                    per_row = (per_label * lw).sum(1) / lw.sum()
                else:  # per row and label: a masked cell adds nothing to its row's loss
                    per_row = (per_label * lw[idx]).sum(1) / lw.shape[1]
                loss = (per_row * sw[idx]).sum() / sw[idx].sum()
            elif multilabel:
                loss = nn.functional.binary_cross_entropy_with_logits(out, yt[idx])
            elif sw is not None:
                per_row = -(yt[idx] * torch.log_softmax(out, dim=1)).sum(1) * sw[idx]
                loss = per_row.sum() / sw[idx].sum()
            else:
                # Class-weighted cross-entropy, normalised by the batch's weight.
                row_weight = yt[idx] @ cw
                per_row = -(yt[idx] * cw * torch.log_softmax(out, dim=1)).sum(1)
                loss = per_row.sum() / row_weight.sum()
            loss.backward()
            optimizer.step()
    model.eval()

    def numpy(t):
        return t.detach().numpy().astype(np.float32)

    return numpy(first.weight), numpy(first.bias), numpy(last.weight), numpy(last.bias)


def fit_temperature(head: ClassifierHead, x: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the dev negative log-likelihood (softmax heads).

    Scaling logits by one scalar keeps every argmax and makes the reported
    probabilities match observed frequencies (Guo et al., 2017).
    """
    head.temperature = 1.0
    head.temperature = best_temperature(head.logits(x), y)
    return head.temperature


def best_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature (0.5-3.0, step 0.05) minimising the negative log-likelihood of softmax(logits / t)."""
    z = np.asarray(logits, dtype=np.float64)
    best, best_nll = 1.0, np.inf
    for t in np.round(np.arange(0.5, 3.01, 0.05), 2):
        s = z / t
        s -= s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        nll = -logp[np.arange(len(y)), y].mean()
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-class probability, equal-width bins."""
    from voc_nlp.evaluation import binned_calibration_error

    return binned_calibration_error(probs.max(axis=1), probs.argmax(axis=1) == y, bins)


def fit_linear_head(x: np.ndarray, y: np.ndarray, labels: list[str], *, multilabel: bool = False,
                    l2: float = 1e-2, balanced: bool = True, iterations: int = 200, encoder: str = "",
                    metadata: dict | None = None, sample_weight: np.ndarray | None = None) -> ClassifierHead:
    """A linear softmax head (`y` class indices) or sigmoid head (`multilabel`, `y` multi-hot).

    Fitted full-batch with L-BFGS on standardised inputs (so `l2` means the same
    whatever the scale of the embeddings); the standardisation is folded into
    the stored weights, so the head reads raw embeddings. `balanced` weighs
    classes inversely to their frequency (softmax) or each label's positives by
    sqrt(negatives / positives) (sigmoid). `sample_weight`: one weight per row in
    the loss, on top of the class weights. Deterministic: one thread, no sampling.
    """
    import torch

    torch.manual_seed(13)
    xt = torch.tensor(np.asarray(x), dtype=torch.float32)
    mean, scale = xt.mean(0), xt.std(0) + 1e-6
    xt = (xt - mean) / scale
    n, k = len(xt), len(labels)
    if multilabel:
        yt = torch.tensor(np.asarray(y), dtype=torch.float32)
        positives = yt.sum(0).clamp(min=1)
        weight = ((n - positives) / positives).sqrt() if balanced else torch.ones(k)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=weight)
    else:
        yt = torch.tensor(np.asarray(y), dtype=torch.long)
        counts = torch.bincount(yt, minlength=k).clamp(min=1).float()
        loss_fn = torch.nn.CrossEntropyLoss(weight=n / (k * counts) if balanced else None)
    if sample_weight is not None:
        loss_fn = _row_weighted(loss_fn, torch.tensor(np.asarray(sample_weight), dtype=torch.float32), multilabel)
    layer = torch.nn.Linear(xt.shape[1], k)
    optimiser = torch.optim.LBFGS(layer.parameters(), max_iter=iterations, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        loss = loss_fn(layer(xt), yt) + l2 * (layer.weight ** 2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    w = (layer.weight.detach() / scale).numpy().astype(np.float32)
    b = (layer.bias.detach() - (layer.weight.detach() * mean / scale).sum(1)).numpy().astype(np.float32)
    return ClassifierHead(labels=list(labels), layers=[(w, b)],
                          activation="sigmoid" if multilabel else "softmax",
                          encoder=encoder, metadata=dict(metadata or {}))


def _row_weighted(loss_fn, sw, multilabel: bool):
    """`loss_fn` (mean reduction, class weights kept) with each row's loss also multiplied by
    its weight in `sw`, normalised as PyTorch normalises class weights (by the total weight)."""
    import torch

    def loss(logits, target):
        if multilabel:
            per_row = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target, pos_weight=loss_fn.pos_weight, reduction="none").mean(1)
            return (per_row * sw).sum() / sw.sum()
        per_row = torch.nn.functional.cross_entropy(logits, target, weight=loss_fn.weight, reduction="none")
        class_weight = loss_fn.weight[target] if loss_fn.weight is not None else torch.ones_like(sw)
        return (per_row * sw).sum() / (class_weight * sw).sum()
    return loss
