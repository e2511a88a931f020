"""Encoder backends, registered by name for `configs/*.yaml`."""

from voc_nlp.encoders.base import Encoder
from voc_nlp.encoders.e5_small import E5SmallEncoder
from voc_nlp.encoders.minilm import MiniLMEncoder
from voc_nlp.encoders.use_m3 import USEMultilingualEncoder
from voc_nlp.registry import encoders

encoders.register("minilm")(MiniLMEncoder)
encoders.register("use_m3")(USEMultilingualEncoder)
encoders.register("e5_small")(E5SmallEncoder)


def encoder_from_config(config: dict) -> Encoder:
    """The encoder described by a pipeline config's `encoder:` section."""
    settings = dict(config.get("encoder") or {})
    backend = settings.pop("backend", None)
    if backend is None:
        raise ValueError("config has no encoder.backend")
    return encoders.create(backend, **settings)


__all__ = ["E5SmallEncoder", "Encoder", "encoder_from_config", "MiniLMEncoder", "USEMultilingualEncoder"]
