"""Clustering quality of `PainPointTopics` against labelled intents / complaint reasons.

    python scripts/eval_topics.py                          # banking77 dev + airline dev (negative)
    python scripts/eval_topics.py --banking-split train+dev --min-cluster-size 40
    python scripts/eval_topics.py --clustering agglomerative --n-clusters 77 --sets banking77
    python scripts/eval_topics.py --no-space                 # in the encoder's own space

Each text is one unit, embedded once by the configured encoder (cached in
.cache/embeddings), as `voc-nlp enrich --topics-on all` would see it. Prints
NMI and ARI over *all* texts (unassigned texts count as one extra cluster,
which is the strict reading), NMI/ARI over the assigned texts only, the
unassigned share, the number of topics, fit seconds, and a few labels.

- banking77 (intent, 77 classes): all units (`--topics-on all`).
- airline_tweets (measure-only): negative tweets vs `negativereason`.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.encoders import encoder_from_config  # noqa: E402
from voc_nlp.topics import PainPointTopics  # noqa: E402
from voc_nlp.topics.space import topic_params  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, embed_cached, read_split  # noqa: E402


def load_set(name: str, split: str, data_dir: Path) -> tuple[list[str], np.ndarray]:
    frames = [read_split(data_dir, name if name != "airline" else "airline_tweets", s) for s in split.split("+")]
    df = pd.concat(frames, ignore_index=True)
    if name == "banking77":
        return df["text"].tolist(), df["intent"].to_numpy()
    neg = df[df["airline_sentiment"] == "negative"]
    return neg["text"].tolist(), neg["negativereason"].to_numpy()


def evaluate(texts, gold, x, params: dict, encoder_name: str) -> dict:
    started = time.perf_counter()
    model = PainPointTopics(**params).fit(texts, x, encoder=encoder_name)
    seconds = time.perf_counter() - started
    pred = model.labels_
    assigned = pred >= 0
    return {
        "n": len(texts),
        "classes": int(len(set(gold))),
        "topics": len(model.topics_),
        "nmi": round(float(normalized_mutual_info_score(gold, pred)), 3),
        "ari": round(float(adjusted_rand_score(gold, pred)), 3),
        "nmi_assigned": round(float(normalized_mutual_info_score(gold[assigned], pred[assigned])), 3),
        "ari_assigned": round(float(adjusted_rand_score(gold[assigned], pred[assigned])), 3),
        "unassigned": round(float(1 - assigned.mean()), 3),
        "fit_seconds": round(seconds, 1),
        "examples": [f"{t.label} ({t.size})" for t in model.topics_[:8]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "default.yaml")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "embeddings")
    parser.add_argument("--sets", default="banking77,airline")
    parser.add_argument("--banking-split", default="dev")
    parser.add_argument("--airline-split", default="dev")
    parser.add_argument("--n-neighbors", type=int)
    parser.add_argument("--n-components", type=int)
    parser.add_argument("--clustering")
    parser.add_argument("--n-clusters", type=int)
    parser.add_argument("--min-cluster-size")
    parser.add_argument("--min-samples", type=int)
    parser.add_argument("--floor", type=float, dest="similarity_floor")
    parser.add_argument("--seed", type=int, default=13, dest="random_state")
    parser.add_argument("--no-space", action="store_true", help="cluster in the encoder's own space")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    config = yaml.safe_load(args.config.read_text())
    encoder = encoder_from_config(config, args.config.parent)
    if args.no_space:
        config.setdefault("topics", {})["space"] = None
    params = topic_params(config, args.config.parent, encoder.fingerprint)
    for key in ("n_neighbors", "n_components", "clustering", "n_clusters", "min_cluster_size",
                "min_samples", "similarity_floor", "random_state"):
        value = getattr(args, key)
        if value is not None:
            params[key] = int(value) if key == "min_cluster_size" and str(value).isdigit() else value
    print("params:", json.dumps({k: v if k != "space" else v.spec["info"] for k, v in params.items()}))
    for name in args.sets.split(","):
        split = args.banking_split if name == "banking77" else args.airline_split
        texts, gold = load_set(name, split, args.data_dir)
        x = embed_cached(encoder, texts, args.cache)
        result = evaluate(texts, gold, x, params, encoder.fingerprint)
        print(f"{name} {split}:", json.dumps(result, ensure_ascii=False), flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
