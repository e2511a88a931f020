"""Train the lexical sentiment head fused with the embedding heads (models/sentiment_lexical/).

    python scripts/train_sentiment_lexical.py [--data-dir ../shared/data] [--weight 0.4] [--languages en,fr]

A TF-IDF word 1-2-gram logistic regression per label (`voc_nlp.lexical`,
each trained class-balanced) on the sentiment mix the embedding heads learn
from (`voc_nlp.training.data.sentiment_mix`: TweetEval, clothing reviews,
French book reviews, journey_train; the domains weighed as
scripts/train_heads.py weighs them, by keeping the rows it trains on). The
sentiment component averages its label shares with the heads' mean (`weight`
is its share) for units in `languages`. Its two temperatures (its own shares,
and the fused probabilities) are fitted on fold 0 of the mix, with the same
head trained on the other two folds and the heads' fold-0 probabilities that
scripts/train_heads.py leaves in .cache/ (run it first: `make models` does).
`weight` and `languages` were chosen by scripts/cv_sentiment.py (3 folds of the
train splits, round 2). No dev split is read. Deterministic; no encoder pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from voc_nlp.evaluation import sentiment_metrics  # noqa: E402
from voc_nlp.lexical import LexicalHead, sharpen  # noqa: E402
from voc_nlp.text import normalize_social  # noqa: E402
from voc_nlp.training.data import DEFAULT_DATA_DIR, sentiment_mix  # noqa: E402
from voc_nlp.training.heads import best_temperature, expected_calibration_error  # noqa: E402

VERSION = dt.date.today().isoformat()
LABELS = ["negative", "neutral", "positive"]  # the sentiment heads' order
FOLD0_PROBS = ROOT / ".cache" / "sentiment_fold0_heads_mean.npy"  # written by scripts/train_heads.py


WEIGHT, LANGUAGES = 0.4, ("en", "fr")  # chosen by scripts/cv_sentiment.py (round 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "sentiment_lexical")
    parser.add_argument("--weight", type=float, default=WEIGHT,
                        help="share of the lexical head in the fused probabilities (chosen by cross-validation)")
    parser.add_argument("--languages", default=",".join(LANGUAGES), help="unit languages it is fused for")
    args = parser.parse_args()
    build(args.data_dir, args.out, args.weight, tuple(args.languages.split(",")))


def build(data_dir: Path, out: Path, weight: float = WEIGHT, languages: tuple[str, ...] = LANGUAGES,
          domain_weights: dict | None = None) -> LexicalHead:
    """Train, calibrate and save the lexical head; `domain_weights`: the embedding heads' mix
    (default: scripts/train_heads.py's SENTIMENT_MIX)."""
    from types import SimpleNamespace

    if domain_weights is None:
        sys.path.insert(0, str(ROOT / "scripts"))
        from train_heads import SENTIMENT_MIX as domain_weights  # noqa: N811
    SENTIMENT_MIX = domain_weights
    args = SimpleNamespace(data_dir=data_dir, out=out, weight=weight)
    started = time.time()
    mix = sentiment_mix(args.data_dir)
    mix = mix[mix["domain"].isin([d for d, w in SENTIMENT_MIX.items() if w > 0])
              & mix["lang"].isin(languages)].reset_index(drop=True)
    texts = [normalize_social(t) for t in mix["text"]]
    targets = np.eye(3, dtype=np.float32)[[LABELS.index(l) for l in mix["label"]]]
    held_out = (mix["fold"] == 0).to_numpy()

    def fit(rows):
        return LexicalHead(weight=args.weight, languages=languages, class_weight="balanced").fit(
            [t for t, r in zip(texts, rows) if r], targets[rows], LABELS)

    probe = fit(~held_out)
    y = targets[held_out].argmax(1)
    before = probe.label_shares([t for t, r in zip(texts, held_out) if r])
    temperature = best_temperature(np.log(before), y)
    shares = sharpen(before, temperature)
    dev = {"fold 0 of the mix, lexical head alone (trained on folds 1-2)": {
        domain: {k: round(v, 4) for k, v in sentiment_metrics(
            list(mix["label"][held_out & (mix["domain"] == domain).to_numpy()]),
            [LABELS[i] for i in shares[(mix["domain"][held_out] == domain).to_numpy()].argmax(1)]).items()}
        for domain in sorted(set(mix["domain"]))},
        "calibration": {"temperature": temperature, "fitted_on": "fold 0 of the mix",
                        "ece_before": round(expected_calibration_error(before, y), 4),
                        "ece_after": round(expected_calibration_error(shares, y), 4)}}
    lexical = fit(np.ones(len(mix), dtype=bool))
    lexical.temperature_ = temperature
    # The heads' mean averaged with these shares is less sure than either when they disagree:
    # a second temperature, for the fused probabilities, fitted on the same fold.
    fused_temperature = 1.0
    if FOLD0_PROBS.exists():
        full = sentiment_mix(args.data_dir)
        heads = np.load(FOLD0_PROBS)  # rows: fold 0 of the full mix, in order
        keep = (full["fold"] == 0).to_numpy()
        picked = (full["domain"].isin([d for d, w in SENTIMENT_MIX.items() if w > 0])
                  & full["lang"].isin(languages)).to_numpy()[keep]
        heads = heads[picked]
        mixed = (1 - args.weight) * heads + args.weight * shares
        fused_temperature = best_temperature(np.log(mixed), y)
        dev["fused with the sentiment heads' mean (priors and rules off)"] = {
            "accuracy": round(float((mixed.argmax(1) == y).mean()), 4),
            "heads alone accuracy": round(float((heads.argmax(1) == y).mean()), 4),
            "temperature": fused_temperature,
            "ece_before": round(expected_calibration_error(mixed, y), 4),
            "ece_after": round(expected_calibration_error(sharpen(mixed, fused_temperature), y), 4)}
    lexical.fused_temperature_ = fused_temperature
    seconds = time.time() - started
    trained_on = {f"{d}": int((mix["domain"] == d).sum()) for d in sorted(set(mix["domain"]))}
    lexical.metadata_ = {"version": VERSION, "trained_on": trained_on, "dev": dev}
    lexical.save(args.out)
    write_card(args.out, lexical, dev, seconds)
    print(json.dumps({"out": str(args.out), "terms": len(lexical.vocabulary_), "seconds": round(seconds, 1), **dev}))
    return lexical


def write_card(directory: Path, lexical: LexicalHead, dev: dict, seconds: float) -> None:
    lines = [
        "# Lexical sentiment head",
        "",
        f"- version: {VERSION}",
        f"- model: TF-IDF word 1-2-grams ({len(lexical.vocabulary_)} terms, min_df {lexical.min_df}), one "
        f"logistic regression per label (C {lexical.C}, class-balanced); `lexical.json` (terms, settings) + "
        "`lexical.safetensors` (idf, float16 weights); `voc_nlp.lexical.LexicalHead`",
        f"- fused for units in {list(lexical.languages)}: the sentiment heads' mean times {1 - lexical.weight:g} "
        f"plus this head's label shares times {lexical.weight:g} (shares sharpened by temperature "
        f"{lexical.temperature_:g}), then the priors, then temperature {lexical.fused_temperature_:g} on the result "
        "(both temperatures minimise the log-loss on fold 0 of the training mix, with this head trained on the "
        "other folds; the second against the sentiment heads' fold-0 probabilities that scripts/train_heads.py "
        "leaves in .cache/, so `make models` rebuilds this head after them)",
        f"- training data: {json.dumps(lexical.metadata_['trained_on'])}",
        "- licenses: TweetEval (released without restrictions, Twitter terms apply), women's clothing reviews "
        "and French book reviews (CC0-1.0 as stated), journey_train (written for this project). No "
        "non-commercial set was used for training.",
        f"- training time on this machine (2 cores): {seconds:.0f} s",
        "- rebuild: `make models` (runs `python scripts/train_sentiment_lexical.py`)",
        "",
        "## Held-out figures (fold 0 of the training mix; no dev split was read)",
        "",
        "```json",
        json.dumps(dev, indent=2),
        "```",
        "",
        "Through the default pipeline (see configs/default.yaml, sentiment `lexical`): the cross-validated "
        "figures with and without it are in docs/measuring/sentiment.md, the dev figures in the sentiment heads' "
        "model cards.",
        "",
    ]
    (directory / "MODEL_CARD.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
