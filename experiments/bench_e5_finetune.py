"""Time one fine-tuning step of multilingual-e5-small (sentiment head, batch 32).

Modes: full fine-tuning (word embeddings frozen, and everything trainable) and
LoRA (rank-r adapters on the attention query/value projections + head, the
rest frozen; minimal hand-written LoRA, no peft). Two input shapes: every
sequence padded to 64 tokens (upper bound) and real TweetEval texts with
dynamic padding (max 64):

    python experiments/bench_e5_finetune.py --steps 5
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from voc_nlp.encoders.e5_small import E5File, E5Tokenizer, build_model, bundled_model_path, collate, mean_pool
from voc_nlp.training.data import DEFAULT_DATA_DIR


class LoRALinear(nn.Module):
    """y = W x + b + (alpha / r) * B A x, with W, b frozen and B initialised to 0."""

    def __init__(self, base: nn.Linear, r: int = 8, alpha: int = 16):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.a = nn.Parameter(torch.randn(r, base.in_features) / r)
        self.b = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale


def add_lora(model, r: int = 8):
    for p in model.parameters():
        p.requires_grad_(False)
    for layer in model.encoder.layer:
        att = layer.attention.self
        att.query = LoRALinear(att.query, r)
        att.value = LoRALinear(att.value, r)
    return model


class Classifier(nn.Module):
    def __init__(self, encoder, n_classes: int = 3):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.hidden_size, n_classes)

    def forward(self, input_ids, mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        return self.head(mean_pool(hidden, mask))


def time_steps(model, batches, steps: int) -> float:
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=2e-5)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    times = []
    for i in range(steps + 1):  # first step is warm-up
        input_ids, mask, y = batches[i % len(batches)]
        t0 = time.perf_counter()
        loss = loss_fn(model(input_ids, mask), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i:
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--modes", default="lora,frozen-emb,full",
                    help="comma list of: inference, lora, frozen-emb, full")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    f = E5File(bundled_model_path())
    tok = E5Tokenizer(f)
    df = pd.read_csv(DEFAULT_DATA_DIR / "tweeteval_sentiment" / "train.csv.gz", keep_default_na=False)
    rng = np.random.default_rng(0)
    rows = rng.permutation(len(df))[: 32 * (args.steps + 1)]
    ids = tok(["query: " + t for t in df["text"].iloc[rows]], max_length=64)
    y = torch.tensor(df["label_id"].iloc[rows].to_numpy())
    dynamic = []
    for i in range(0, len(ids), 32):
        input_ids, mask = collate(ids[i : i + 32], tok.pad)
        dynamic.append((input_ids, mask, y[i : i + 32]))
    fixed = [(torch.randint(5, 250000, (32, 64)), torch.ones(32, 64, dtype=torch.long), b[2]) for b in dynamic]
    mean_len = float(np.mean([len(x) for x in ids]))

    print(f"threads={args.threads}, load average {os.getloadavg()[0]:.1f}, "
          f"tweets: mean {mean_len:.1f} tokens, dynamic-padded batch width "
          f"{np.mean([b[0].shape[1] for b in dynamic]):.1f}", flush=True)
    labels = {"inference": "inference only (no grad)", "lora": f"LoRA r={args.rank} q,v + head",
              "frozen-emb": "full, word embeddings frozen", "full": "full, all parameters"}
    for key in args.modes.split(","):
        mode = labels[key]
        for shape, batches in (("len 64", fixed), ("tweets", dynamic)):
            enc = build_model(f)
            if key == "lora":
                add_lora(enc, args.rank)
            elif key == "frozen-emb":
                enc.embeddings.word_embeddings.weight.requires_grad_(False)
            model = Classifier(enc)
            n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
            if key == "inference":
                model.eval()
                n_train = 0
                with torch.inference_mode():
                    model(*batches[0][:2])
                    t0 = time.perf_counter()
                    for b in batches[1 : args.steps + 1]:
                        model(*b[:2])
                    dt = (time.perf_counter() - t0) / args.steps
            else:
                dt = time_steps(model, batches, args.steps)
            print(f"{mode:32s} {shape:7s} trainable {n_train / 1e6:7.2f}M  step {dt:.2f}s  "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
            del model, enc


if __name__ == "__main__":
    main()
