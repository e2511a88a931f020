"""The non-purchase component on written sentences: phrases, negations, phases."""

import pytest

from voc_nlp.components.non_purchase import NonPurchaseDetector
from voc_nlp.components.units import UnitSplitter
from voc_nlp.doc import FeedbackDoc
from voc_nlp.paths import default_pipeline_dir
from voc_nlp.schema import EnrichedRecord

SHIPPED = str(default_pipeline_dir() / "rules" / "{lang}" / "non_purchase.yaml")
DETECTOR = NonPurchaseDetector(SHIPPED)


def flagged(text, lang="en", phase="purchase"):
    doc = FeedbackDoc(EnrichedRecord(id="1", text=text, lang=lang, phase=phase))
    UnitSplitter()([doc])
    DETECTOR([doc])
    return doc.record.non_purchase


@pytest.mark.parametrize("text, lang", [
    ("I abandoned my cart when I saw the delivery fee.", "en"),
    ("Wanted the blue sofa but it's out of stock, so I didn't buy.", "en"),
    ("My card was declined three times at checkout.", "en"),
    ("Je n'ai pas acheté, trop cher pour ce que c'est.", "fr"),
    ("J'ai abandonné mon panier, la livraison coûte 15 euros.", "fr"),
    ("La taille M est plus en stock depuis un mois.", "fr"),
])
def test_did_not_or_could_not_buy(text, lang):
    assert flagged(text, lang) is True


@pytest.mark.parametrize("text, lang", [
    ("Not too expensive and it arrived fast.", "en"),
    ("Checkout was smooth, paid by card in seconds.", "en"),
    ("Pas trop cher et livré vite.", "fr"),
])
def test_bought(text, lang):
    assert flagged(text, lang) is False


def test_only_in_the_phases_set():
    # "Too expensive" after buying is a verdict on the product, not a lost sale.
    assert flagged("Too expensive for what it is.", phase="retention") is False
    assert flagged("Too expensive for what it is.", phase="consideration") is True
    with pytest.raises(ValueError, match="not in the taxonomy"):
        NonPurchaseDetector(SHIPPED, phases=["browsing"])


def test_null_phrases_flag_nothing():
    doc = FeedbackDoc(EnrichedRecord(id="1", text="I abandoned my cart.", lang="en", phase="purchase"))
    UnitSplitter()([doc])
    NonPurchaseDetector(None)([doc])
    assert doc.record.non_purchase is False
