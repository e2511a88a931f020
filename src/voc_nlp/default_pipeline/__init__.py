"""The default pipeline as package data: `configs/` and `models/`.

In the project they stay at the top level (`configs/`, `models/`);
pyproject.toml maps them to `voc_nlp.default_pipeline.configs` and
`voc_nlp.default_pipeline.models`, so a wheel (or `pip install .`) installs
them side by side here and the config's `../models/...` paths still resolve.
Read them through `voc_nlp.paths.default_pipeline_dir()`, never by path.
"""

from pathlib import Path

# Run from a source checkout (PYTHONPATH=src, or an editable install), the
# folders are the project's own top-level ones: let `configs` be found there.
_checkout = Path(__file__).resolve().parents[3]
if (_checkout / "configs" / "default.yaml").is_file() and not (Path(__file__).parent / "configs").is_dir():
    __path__.append(str(_checkout))  # noqa: F821 (a package's __path__)
