"""Rule data per language: `<rules folder>/<lang>/<name>.yaml`.

Hand rules are data, not code: a component names its rule file (`contacts`,
`non_purchase`, ...) and reads, once, the file of that name in every language
folder of its `rules` setting (default config: `configs/rules`, relative to the
config file like model folders). A language without the file has no rules.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from voc_nlp.paths import default_pipeline_dir


def read_rules(name: str, folder: str | Path | None = None) -> dict[str, dict]:
    """{lang: the data of `<folder>/<lang>/<name>.yaml`} for every language folder that has it."""
    root = Path(folder) if folder is not None else default_pipeline_dir() / "rules"
    if not root.is_dir():
        raise FileNotFoundError(f"rules folder not found: {root}")
    out = {}
    for path in sorted(root.glob(f"*/{name}.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of rule lists, found {type(data).__name__}")
        out[path.parent.name] = data
    if not out:
        raise FileNotFoundError(f"no {name}.yaml in any language folder of {root}")
    return out
