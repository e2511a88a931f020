"""Pipeline components, one module each; importing registers them."""

from voc_nlp.components import embed, emotions, journey, language, pain_points, problems, sentiment, signals, units  # noqa: F401
from voc_nlp.components.base import Component

__all__ = ["Component"]
