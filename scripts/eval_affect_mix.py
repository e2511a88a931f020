"""Would an `affect` adapter fine-tuned on the sentiment mix beat the shipped one (tuned on TweetEval)?

    python scripts/eval_affect_mix.py [--per-domain 6000] [--epochs 2] [--threads 1]

Held-out comparison on the train splits only: a LoRA adapter (the recipe of
scripts/train_affect_encoder.py: rank 16, upper layers, 2 epochs) is tuned on
folds 1-2 of `sentiment_mix`, each domain sampled to the same number of texts
(`--per-domain`, with replacement for the smaller ones: the equal domain
weights the heads use); then one sentiment head per view is trained on folds
1-2 as scripts/train_heads.py trains it, and both are scored on fold 0
(whole texts, head alone, and the mean of the three views with either
`affect`). No dev split is read. Writes .cache/eval_affect_mix.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from voc_nlp.encoders.use_m3 import USEMultilingualEncoder, load_backend, tower_weights  # noqa: E402
from voc_nlp.evaluation import sentiment_metrics  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.training.data import (DEFAULT_DATA_DIR, embed_views_cached, mix_weights,  # noqa: E402
                                   sentiment_mix)
from voc_nlp.training.heads import fit_mlp_head  # noqa: E402
from voc_nlp.training.use_tower import AffectTask, UseTower, fine_tune  # noqa: E402

LABELS = ["negative", "neutral", "positive"]
SEED = 13


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--per-domain", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch
    import yaml

    from train_heads import SENTIMENT_MIX

    torch.set_num_threads(args.threads)
    started = time.time()
    mix = sentiment_mix(args.data_dir)
    y = np.array([LABELS.index(l) for l in mix["label"]])
    train = (mix["fold"] != 0).to_numpy()
    rng = np.random.default_rng(SEED)
    picked = np.concatenate([rng.choice(np.flatnonzero(train & (mix["domain"] == d).to_numpy()), args.per_domain,
                                        replace=bool((train & (mix["domain"] == d).to_numpy()).sum() < args.per_domain))
                             for d in sorted(set(mix["domain"]))])
    backend = load_backend(threads=args.threads)
    tokens = [np.array(backend.sp.encode(normalize_social(t), out_type=int, add_bos=True, add_eos=True),
                       dtype=np.int64) for t in mix["text"].to_numpy()[picked]]
    tower = UseTower(backend, tower_weights(backend), rank=16, seed=SEED, layers="upper")
    fine_tune(tower, {"sentiment": AffectTask(tokens, y[picked])}, epochs=args.epochs, lr=1e-3, seed=SEED)
    tuned = time.time() - started
    out_dir = ROOT / ".cache" / "affect_mix_adapter"
    tower.adapter(metadata={"trained_on": "sentiment_mix folds 1-2", "per_domain": args.per_domain}).save(out_dir)
    print(f"adapter tuned on {len(tokens)} texts x {args.epochs} epochs: {tuned:.0f} s", flush=True)

    config = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())
    shipped = USEMultilingualEncoder(threads=args.threads, adapters={
        v: str((ROOT / "configs" / p).resolve()) for v, p in config["encoder"]["adapters"].items()})
    views = tuple(config["components"]["sentiment"]["models"])
    x = embed_views_cached(shipped, mix["text"].tolist(), ROOT / ".cache" / "embeddings", views)
    mixed = USEMultilingualEncoder(threads=args.threads, adapters={"affect": str(out_dir)})
    x["affect (mix)"] = embed_views_cached(mixed, mix["text"].tolist(), None, ("affect",))["affect"]
    print(f"encoded: {time.time() - started:.0f} s", flush=True)

    weights = np.zeros(len(mix), dtype=np.float32)
    weights[train] = mix_weights(mix[train], LABELS, SENTIMENT_MIX)
    keep = weights > 0
    held = (mix["fold"] == 0).to_numpy()
    probs = {}
    for view, vectors in x.items():
        head = fit_mlp_head(vectors[keep], y[keep], LABELS, hidden=512, seeds=(SEED,), sample_weight=weights[keep])
        probs[view] = head.predict_proba(vectors[held])

    def figures(p):
        out = {}
        for d, metric in (("tweets", "macro_recall"), ("clothing", "macro_f1"), ("books", "macro_f1"),
                          ("journey", "accuracy")):
            sel = (mix["domain"][held] == d).to_numpy()
            out[d] = round(sentiment_metrics(list(mix["label"][held][sel]),
                                             [LABELS[i] for i in p[sel].argmax(1)])[metric], 4)
        out["mean"] = round(float(np.mean(list(out.values()))), 4)
        return out

    result = {view: figures(p) for view, p in probs.items()}
    result["mean of base, affect, affect_emotions (shipped)"] = figures(
        np.mean([probs["base"], probs["affect"], probs["affect_emotions"]], axis=0))
    result["mean of base, affect (mix), affect_emotions"] = figures(
        np.mean([probs["base"], probs["affect (mix)"], probs["affect_emotions"]], axis=0))
    result["seconds"] = round(time.time() - started)
    result["adapter_tuning_seconds"] = round(tuned)
    (ROOT / ".cache" / "eval_affect_mix.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
