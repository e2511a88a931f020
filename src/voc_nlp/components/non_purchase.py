"""Non-purchase: the customer says they did not, or could not, buy.

A rule component. Its phrases are data, a rule file per language (`phrases`,
`voc_nlp.rules`; `configs/rules/<lang>/non_purchase.yaml`): "didn't buy", "abandoned my cart",
"out of stock", "je n'ai pas acheté", "trop cher", "plus en stock"… A phrase
with a negation among the two words before it ("not too expensive", "pas
trop cher") does not count.

Read only in the journey phases it is set for (`phases`, default config:
consideration and purchase): "too expensive for what it is" in a retention
review is a verdict on a product bought, not a purchase that did not happen.
Only customer units are read. Record field `non_purchase`: true when a
customer unit states one, false otherwise, null for error rows.
"""

from __future__ import annotations

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.registry import components
from voc_nlp.rules import ANY_LANGUAGE, read_phrase_lists
from voc_nlp.taxonomy import Taxonomy
from voc_nlp.text.cues import LanguageCues, fold, negated_before


@components.register("non_purchase")
class NonPurchaseDetector(Component):
    name = "non_purchase"
    requires = ("record.units", "record.lang", "record.phase")
    assigns = ("record.non_purchase",)

    def __init__(self, phrases: str | list[str] | None = None, phases: list[str] | tuple[str, ...] = ("consideration", "purchase"),
                 taxonomy: Taxonomy | None = None):
        known = (taxonomy or Taxonomy.load()).phase_ids
        unknown = [p for p in phases if p not in known]
        if unknown:
            raise ValueError(f"non_purchase: phase(s) {', '.join(unknown)} are not in the taxonomy ({', '.join(known)})")
        # `phrases`: rule files (voc_nlp.rules), read here once; null: off (nothing is flagged).
        lists = read_phrase_lists(phrases, "phrases", "rules/{lang}/non_purchase.yaml",
                                  names=["phrases", "negations"]) if phrases else {}
        self.phrases = LanguageCues(lists.get("phrases", {}))
        anywhere = {fold(w) for w in lists.get("negations", {}).get(ANY_LANGUAGE, [])}
        self.negations = {lang: {fold(w) for w in words} | anywhere
                          for lang, words in lists.get("negations", {}).items()}
        self.all_negations = set().union(*self.negations.values())
        self.phases = frozenset(phases)

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        for doc in docs:
            if doc.ok:
                doc.record.non_purchase = doc.record.phase in self.phases and any(
                    self.states(unit.text, doc.record.lang) for unit in doc.scored_units)

    def states(self, text: str, lang: str | None) -> bool:
        """Whether `text` says the customer did not or could not buy (phase aside)."""
        folded = fold(text)
        negations = self.negations.get(lang or "", self.all_negations)
        return any(not negated_before(folded, start, negations) for start, _ in self.phrases.find(folded, lang))
