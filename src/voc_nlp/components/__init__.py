"""Pipeline components, one module each; importing registers them."""

from voc_nlp.components import (  # noqa: F401
    contacts, embed, emotions, journey, language, non_purchase, pain_points, problems, sentiment, signals, units,
)
from voc_nlp.components.base import Component

__all__ = ["Component"]
