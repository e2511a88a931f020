"""Encoder backends, registered by name for `configs/*.yaml`."""

import inspect
from pathlib import Path

from voc_nlp.encoders.base import Encoder, EncoderWithExtraViews
from voc_nlp.encoders.e5_small import E5AdaptedEncoder, E5SmallEncoder
from voc_nlp.encoders.minilm import MiniLMEncoder
from voc_nlp.encoders.use_m3 import USEMultilingualEncoder
from voc_nlp.paths import default_pipeline_dir
from voc_nlp.registry import encoders

encoders.register("minilm")(MiniLMEncoder)
encoders.register("use_m3")(USEMultilingualEncoder)
encoders.register("e5_small")(E5SmallEncoder)


def encoder_from_config(config: dict, base_dir: Path | None = None) -> Encoder:
    """The encoder described by a pipeline config's `encoder:` section.

    Relative `adapters` and `extra_views` paths resolve against `base_dir` (the
    config file's folder; default: the default pipeline's, `voc_nlp.paths.default_pipeline_dir()`).
    `extra_views`: view name -> an e5-small adapter folder (`E5AdaptedEncoder`), views computed by
    a second encoder next to the main one's (`EncoderWithExtraViews`).
    """
    settings = dict(config.get("encoder") or {})
    backend = settings.pop("backend", None)
    extra = settings.pop("extra_views", None) or {}
    root = Path(base_dir) if base_dir is not None else default_pipeline_dir()
    if backend is None:
        raise ValueError("config has no encoder.backend")
    if settings.get("adapters"):
        if "adapters" not in inspect.signature(encoders.get(backend)).parameters:
            raise ValueError(
                f"encoder backend '{backend}' takes no adapters (they fine-tune use_m3); remove encoder.adapters, "
                "components.sentiment.models (use `model:`) and components.emotions.view from the config, "
                "then retrain the heads (make models)"
            )
        settings["adapters"] = {name: str((root / path).resolve()) for name, path in settings["adapters"].items()}
    main = encoders.create(backend, **settings)
    if not extra:
        return main
    return EncoderWithExtraViews(main, {name: E5AdaptedEncoder(str((root / path).resolve()),
                                                               threads=settings.get("threads", 2))
                                        for name, path in extra.items()})


__all__ = ["E5AdaptedEncoder", "E5SmallEncoder", "Encoder", "EncoderWithExtraViews", "encoder_from_config",
           "MiniLMEncoder", "USEMultilingualEncoder"]
