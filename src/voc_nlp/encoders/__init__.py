"""Encoder backends, registered by name for `configs/*.yaml`."""

from voc_nlp.encoders.base import Encoder
from voc_nlp.encoders.e5_small import E5SmallEncoder
from voc_nlp.encoders.minilm import MiniLMEncoder
from voc_nlp.encoders.use_m3 import USEMultilingualEncoder
from voc_nlp.registry import encoders

encoders.register("minilm")(MiniLMEncoder)
encoders.register("use_m3")(USEMultilingualEncoder)
encoders.register("e5_small")(E5SmallEncoder)

__all__ = ["E5SmallEncoder", "Encoder", "MiniLMEncoder", "USEMultilingualEncoder"]
