"""Encoder backends, registered by name for `configs/*.yaml`."""

import inspect
from pathlib import Path

from voc_nlp.encoders.base import Encoder
from voc_nlp.encoders.e5_small import E5SmallEncoder
from voc_nlp.encoders.minilm import MiniLMEncoder
from voc_nlp.encoders.use_m3 import USEMultilingualEncoder
from voc_nlp.paths import default_pipeline_dir
from voc_nlp.registry import encoders

encoders.register("minilm")(MiniLMEncoder)
encoders.register("use_m3")(USEMultilingualEncoder)
encoders.register("e5_small")(E5SmallEncoder)


def encoder_from_config(config: dict, base_dir: Path | None = None) -> Encoder:
    """The encoder described by a pipeline config's `encoder:` section.

    Relative `adapters` paths resolve against `base_dir` (the config file's
    folder; default: the default pipeline's, `voc_nlp.paths.default_pipeline_dir()`).
    """
    settings = dict(config.get("encoder") or {})
    backend = settings.pop("backend", None)
    if backend is None:
        raise ValueError("config has no encoder.backend")
    if settings.get("adapters"):
        if "adapters" not in inspect.signature(encoders.get(backend)).parameters:
            raise ValueError(
                f"encoder backend '{backend}' takes no adapters (they fine-tune use_m3); remove encoder.adapters, "
                "components.sentiment.models (use `model:`) and components.emotions.view from the config, "
                "then retrain the heads (make models)"
            )
        root = Path(base_dir) if base_dir is not None else default_pipeline_dir()
        settings["adapters"] = {name: str((root / path).resolve()) for name, path in settings["adapters"].items()}
    return encoders.create(backend, **settings)


__all__ = ["E5SmallEncoder", "Encoder", "encoder_from_config", "MiniLMEncoder", "USEMultilingualEncoder"]
