"""`voc-nlp train journey LABELS.jsonl -o MY_MODEL/`: retrain the journey tagger on your own labels.

The labels are JSONL in the `journey_dev` format (`text` or `turns`, `lang`,
and any of `phase`, `touchpoints`, `touchpoint_sentiment`, `intent`, `effort`,
`churn_risk`), with the ids of the config's taxonomy. The taxonomy's example
phrases join the training items, so every touchpoint, even one with no label
yet, is learned. A decision your file has no labels for (say, no `phase`) is
copied from the config's model. Writes MY_MODEL/journey, MY_MODEL/cx_signals,
MY_MODEL/MODEL_CARD.md and MY_MODEL/config.yaml: pass it on with
`--config MY_MODEL/config.yaml` to `enrich`, `evaluate` and `report`. Minutes on a CPU; nothing is written when
the labels have an error (reported as file:line).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="retrain the journey tagger and CX signals on your labelled JSONL",
                       description=__doc__.split("\n")[0])
    p.add_argument("what", choices=["journey"], help="what to train (journey: phase, touchpoints, signals)")
    p.add_argument("labels", metavar="LABELS.jsonl", help="labelled items, journey_dev format")
    p.add_argument("-o", "--output", required=True, help="folder to write the model and its config.yaml into")
    p.add_argument("--config", default=None, help="pipeline config YAML to start from (default: the shipped one)")
    p.add_argument("--taxonomy", default=None, help="taxonomy YAML replacing the config's")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import yaml

    from voc_nlp.components.journey import PARTS
    from voc_nlp.pipeline import ConfigError, Pipeline, read_config
    from voc_nlp.pipeline import config_path as pipeline_config_path
    from voc_nlp.taxonomy import TaxonomyError
    from voc_nlp.text import normalize_social
    from voc_nlp.training.journey import JourneyTrainer, LabelFileError, embed_items, example_texts, read_labels

    out = Path(args.output)
    try:
        _check_output(out)
        config_path = pipeline_config_path(args.config)  # a file, or a pipeline folder holding one
        config = read_config(config_path)
        if args.taxonomy:
            config["taxonomy"] = str(Path(args.taxonomy).resolve())
        base = {name: (config_path.parent / ((config.get("components") or {}).get(name) or {}).get("model", ""))
                for name in ("journey", "signals")}
        overrides = {"pipeline": ["units", "language", "embed"]}
        if args.taxonomy:
            overrides["taxonomy"] = config["taxonomy"]
        pipe = Pipeline.from_config(config_path, overrides=overrides)
        items = read_labels(args.labels, pipe.taxonomy)
    except (ConfigError, TaxonomyError, LabelFileError, FileNotFoundError, ValueError) as exc:
        print(f"voc-nlp train: error: {exc}", file=sys.stderr)
        return 2

    settings = _shipped_settings(base["journey"])
    encoder = next(s for s in pipe.steps if s.name == "embed").encoder
    docs = embed_items(pipe, items)
    ex_texts, _ = example_texts(pipe.taxonomy)
    views = encoder.encode_views([normalize_social(t) for t in ex_texts])
    trainer = JourneyTrainer(**{**settings, "views": tuple(settings["views"])})
    trainer.fit(docs, items, pipe.taxonomy, example_vectors=np.hstack([views[v] for v in trainer.views]))

    # Written beside the target, then moved in place: a failed run leaves nothing behind.
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        staged = Path(tmp) / "model"
        trained, copied = [], []
        for folder, names, origin in (("journey", PARTS, base["journey"]),
                                      ("cx_signals", ("intent", "effort", "churn_risk"), base["signals"])):
            for name in names:
                if name in trainer.parts_:
                    trainer.parts_[name].save(staged / folder / name)
                    trained.append(name)
                elif (origin / name / "head.json").exists():
                    shutil.copytree(origin / name, staged / folder / name)
                    copied.append(name)
        config = _absolute(config, config_path.parent)
        config.setdefault("components", {}).setdefault("journey", {})["model"] = str((out / "journey").resolve())
        config["components"].setdefault("signals", {})["model"] = str((out / "cx_signals").resolve())
        (staged / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
        (staged / "MODEL_CARD.md").write_text(_model_card(args, items, pipe, trained, copied, base, settings))
        if out.exists():
            shutil.rmtree(out)
        staged.rename(out)
    print(f"trained {', '.join(trained)} on {len(items)} items; kept the rest from {base['journey'].parent.resolve()}. "
          f"Use it with: voc-nlp enrich INPUT --config {out / 'config.yaml'}")
    return 0


# What `train` writes into its output folder; a folder holding only these is replaced.
MODEL_ENTRIES = {"config.yaml", "MODEL_CARD.md", "journey", "cx_signals"}


def _model_card(args, items: list[dict], pipe, trained: list[str], copied: list[str], base: dict,
                settings: dict) -> str:
    """What the folder holds and how it was made (every model artefact carries a card)."""
    import collections
    import hashlib

    labels = Path(args.labels)
    langs = collections.Counter(str(item.get("lang") or "?") for item in items)
    shipped = base["journey"].parent.resolve()
    return "\n".join([
        "# journey and CX signals, retrained on your labels",
        "",
        f"Made by `voc-nlp train journey {labels.name} -o {Path(args.output).name}"
        + (f" --taxonomy {Path(args.taxonomy).name}" if args.taxonomy else "") + "`.",
        f"- Labels: `{labels.resolve()}`, {len(items)} items ("
        + ", ".join(f"{lang} {n}" for lang, n in sorted(langs.items()))
        + f"), SHA-256 {hashlib.sha256(labels.read_bytes()).hexdigest()}; with them, the taxonomy's "
        "example phrases of every touchpoint.",
        f"- Taxonomy: `{pipe.taxonomy_path}`.",
        f"- Trained here: {', '.join(trained) or 'none'}. Copied from `{shipped}` (no labels for them "
        f"in the file): {', '.join(copied) or 'none'}.",
        "- Settings: those cross-validation chose for the shipped model, read from its heads: "
        + ", ".join(f"{k} {v}" for k, v in sorted(settings.items()) if not isinstance(v, dict))
        + "".join(f"; {part}: " + ", ".join(f"{k} {v}" for k, v in sorted(own.items()))
                  for part, own in sorted((settings.get("per_part") or {}).items())) + ".",
        "- Not measured here: measure it on labelled items it was not trained on, "
        "`voc-nlp evaluate HOLDOUT.jsonl --config config.yaml`.",
        "",
    ])


def _check_output(out: Path) -> None:
    """Refuses an output that is not a new or empty folder or a model `train` wrote: the
    folder is replaced as a whole, so `-o .` would otherwise delete everything in it."""
    if out.exists() and (not out.is_dir() or {p.name for p in out.iterdir()} - MODEL_ENTRIES):
        raise ValueError(f"{out}: exists and holds other files than a model `voc-nlp train` wrote "
                         "(it would be replaced as a whole); give a new or empty folder")


def _shipped_settings(journey_model: Path) -> dict:
    """The settings cross-validation chose for the model the config names (its head metadata)."""
    import json

    from voc_nlp.training.journey import JourneyTrainer

    defaults = dict(JourneyTrainer().get_params())
    spec = journey_model / "touchpoints" / "head.json"
    if spec.exists():
        defaults.update(json.loads(spec.read_text()).get("metadata", {}).get("settings", {}))
    return defaults


def _absolute(config: dict, base_dir: Path) -> dict:
    """The config with its relative file paths made absolute, so it works from the model folder."""
    def fix(value):
        if isinstance(value, str) and value.endswith((".yaml", ".yml")):  # taxonomy, rule files (`{lang}` kept)
            return str((base_dir / value).resolve())
        if isinstance(value, str) and value.startswith(".."):
            candidate = (base_dir / value).resolve()
            return str(candidate) if candidate.exists() else value
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value
    return {k: fix(v) for k, v in config.items()}
