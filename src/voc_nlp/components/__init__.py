"""Pipeline components, one module each; importing registers them."""

from voc_nlp.components import embed, emotions, language, sentiment, units  # noqa: F401
from voc_nlp.components.base import Component

__all__ = ["Component"]
