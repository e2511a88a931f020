"""Shared fixtures: the real pipeline (real encoder, real trained heads), built once."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def pipeline():
    from voc_nlp.pipeline import Pipeline

    return Pipeline.from_config()
