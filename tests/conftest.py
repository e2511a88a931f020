"""Shared fixtures: the real pipeline (real encoder, real trained heads), built once."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def pipeline():
    from voc_nlp.pipeline import Pipeline

    return Pipeline.from_config()


@pytest.fixture(scope="session")
def accurate():
    """The default config's `accurate` profile (a second encoder, e5, beside the first)."""
    from voc_nlp.pipeline import Pipeline

    return Pipeline.from_config(overrides={"profile": "accurate"})


@pytest.fixture
def rule_file(tmp_path):
    """Writes a rule (voc_nlp.rules) as tmp_path/rules/<lang>/<name>.yaml, from
    {lang: {list name: phrases}}; returns its `{lang}` path for a setting."""
    import yaml

    def write(name: str, lists_by_lang: dict) -> str:
        for lang, lists in lists_by_lang.items():
            path = tmp_path / "rules" / lang / f"{name}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(lists, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return str(tmp_path / "rules" / "{lang}" / f"{name}.yaml")

    return write


@pytest.fixture(scope="session")
def default_config_anywhere():
    """The default config's text with its relative paths (models, taxonomy, rule files) made
    absolute: a copy of it works from any folder."""
    from voc_nlp.paths import default_config, default_pipeline_dir

    root = default_pipeline_dir()
    return (default_config().read_text().replace("../models/", f"{root.parent}/models/")
            .replace("taxonomy: taxonomy.yaml", f"taxonomy: {root}/taxonomy.yaml")
            .replace(": rules/", f": {root}/rules/"))
