"""Language per item: kept from the input when given, detected otherwise.

Items in a language the models were not built for are still processed, with a
warning in the record: never dropped.
"""

from __future__ import annotations

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.registry import components
from voc_nlp.text import detect_language


@components.register("language")
class LanguageDetector(Component):
    name = "language"
    requires = ("record.units",)
    assigns = ("record.lang",)

    def __init__(self, supported: list[str] | tuple[str, ...] = ("en", "fr")):
        self.supported = tuple(supported)

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        for doc in docs:
            if not doc.ok:
                continue
            record = doc.record
            if not record.lang:
                # Chats: the customer's words decide, not the agent's.
                customer_text = " ".join(u.text for u in doc.scored_units) or record.text
                record.lang, _ = detect_language(customer_text)
            record.lang = record.lang.lower()
            if record.lang == "und":
                record.warnings.append("no language could be detected (no words); scored as-is")
            elif record.lang not in self.supported:
                record.warnings.append(
                    f"language '{record.lang}' is not one the models were built for "
                    f"({', '.join(self.supported)}); scored as-is"
                )
