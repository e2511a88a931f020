"""The one root every default path resolves from: the default pipeline's folder.

    default_pipeline_dir()   # holds default.yaml and taxonomy.yaml; its config
                             # reaches the model folders as ../models/...

Installed from a wheel it is package data (site-packages/voc_nlp/default_pipeline/configs,
models beside it); in a source checkout it is the project's `configs/`. A
pipeline folder given to `voc_nlp.load(path)` is the other root: paths in its
config (model folders, rule files) resolve against that folder.

    training_data_dir()      # the labelled sets the scripts train and measure on
"""

from __future__ import annotations

import os
from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def default_pipeline_dir() -> Path:
    """The folder of the default pipeline's config (default.yaml, taxonomy.yaml)."""
    return Path(str(files("voc_nlp.default_pipeline.configs"))).resolve()


def default_config() -> Path:
    return default_pipeline_dir() / "default.yaml"


def default_taxonomy() -> Path:
    return default_pipeline_dir() / "taxonomy.yaml"


def default_model(name: str) -> Path:
    """A model folder of the default pipeline, e.g. `default_model("emotions")`."""
    return (default_pipeline_dir() / ".." / "models" / name).resolve()


def training_data_dir() -> Path:
    """The labelled data sets of `voc_nlp.training.data` (scripts' `--data-dir` default):
    `$VOC_NLP_DATA`, else `shared/data` beside the source checkout."""
    if os.environ.get("VOC_NLP_DATA"):
        return Path(os.environ["VOC_NLP_DATA"])
    return default_pipeline_dir().parent.parent / "shared" / "data"
