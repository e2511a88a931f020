"""The contacts component on written sentences: counts the text states, negations, the item itself."""

import pytest

from voc_nlp.components.contacts import ContactCounter, PhrasePattern, phrase_regex
from voc_nlp.components.units import UnitSplitter
from voc_nlp.doc import FeedbackDoc
from voc_nlp.paths import default_pipeline_dir
from voc_nlp.schema import EnrichedRecord

CHANNELS = {"chat": "chat", "phone": "phone", "twitter": "social"}
SHIPPED = str(default_pipeline_dir() / "rules" / "{lang}" / "contacts.yaml")


def contacts(text, lang="en", channel=None, counter=ContactCounter(SHIPPED, channels=CHANNELS)):
    doc = FeedbackDoc(EnrichedRecord(id="1", text=text, lang=lang, channel=channel))
    UnitSplitter(split_above_chars=0)([doc])
    counter([doc])
    return {c["channel"]: c["count"] for c in doc.record.contacts}


@pytest.mark.parametrize("text, lang, expected", [
    ("I called three times and nobody answered.", "en", {"phone": 3}),
    ("I called your support line about it twice.", "en", {"phone": 2}),
    ("After 4 chats it is still not fixed.", "en", {"chat": 4}),
    ("I emailed, then called 3x, then went to the store.", "en", {"email": 1, "phone": 3, "face_to_face": 1}),
    ("I was on hold for an hour.", "en", {"phone": 1}),
    ("I have called several times.", "en", {"phone": 2}),  # "several": the least it can mean
    ("I've called 100 times!", "en", {"phone": 10}),  # capped at max_count
    ("J'ai appelé 2 fois, toujours rien.", "fr", {"phone": 2}),
    ("Trois appels et deux mails plus tard, rien.", "fr", {"phone": 3, "email": 2}),
    ("Après 4 chats avec vos conseillers, rien.", "fr", {"chat": 4}),
    ("Je vous ai appelé à plusieurs reprises.", "fr", {"phone": 2}),
])
def test_counts_what_the_text_says(text, lang, expected):
    assert contacts(text, lang) == expected


@pytest.mark.parametrize("text, lang", [
    ("I never called them, I just want a refund.", "en"),
    ("Bought it at a shop called Northwind.", "en"),  # "called" as "named"
    ("Please call me back.", "en"),
    ("Je n'ai jamais appelé, j'ai tout fait en ligne.", "fr"),
    ("Un produit appelé Zéphyr, très bien.", "fr"),
])
def test_no_contact(text, lang):
    assert contacts(text, lang) == {}


def test_largest_count_per_channel_not_the_sum():
    assert contacts("I called three times. When I called again they hung up on me.") == {"phone": 3}


def test_the_item_itself_is_a_contact():
    # A transcript is one chat contact; a larger count stated in it wins.
    assert contacts("[customer] my parcel is late\n[agent] sorry about that", channel="chat") == {"chat": 1}
    assert contacts("[customer] where is my parcel\n[agent] sorry", channel="web") == {"chat": 1}  # transcript
    assert contacts("[customer] after 4 chats still nothing\n[agent] sorry", channel="chat") == {"chat": 4}
    assert contacts("@shop my parcel is late", channel="twitter") == {"social": 1}
    assert contacts("Parcel late.", channel="app_review") == {}
    # The agent's words are not the customer's contacts.
    assert contacts("[customer] where is my order\n[agent] I called the warehouse twice", channel="chat") == {"chat": 1}


def test_records_the_phrase_that_gave_the_count():
    doc = FeedbackDoc(EnrichedRecord(id="1", text="Honestly, I called them 5 times.", lang="en", channel="chat"))
    UnitSplitter()([doc])
    ContactCounter(SHIPPED, channels=CHANNELS)([doc])
    assert doc.record.contacts == [{"channel": "chat", "count": 1, "text": None},
                                   {"channel": "phone", "count": 5, "text": "I called them 5 times"}]


def test_an_analysts_own_file_adds_a_channel_and_without_phrases_only_the_item_counts(rule_file):
    own = rule_file("contacts", {"en": {"numbers": {"two": 2}, "times": ["{n} times"],
                                        "pigeon": ["sent a pigeon", "{n} pigeons"]}})
    counter = ContactCounter([SHIPPED, own], channels=CHANNELS)
    assert contacts("I sent a pigeon two times, then called 3 times.", counter=counter) == {"pigeon": 2, "phone": 3}
    assert contacts("Je vous ai appelé 2 fois.", lang="fr", counter=counter) == {"phone": 2}
    counter = ContactCounter(None, channels=CHANNELS)
    assert contacts("I called three times.", channel="chat", counter=counter) == {"chat": 1}


def test_a_count_that_is_not_a_number_names_the_file_and_line(tmp_path):
    own = tmp_path / "contacts.yaml"
    own.write_text("# ours\nnumbers:\n  two: 2\n  a few: some\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{own}:4: `numbers`: 'a few' must map to a whole number"):
        ContactCounter(str(own))


def test_a_phrase_pattern_finds_what_its_regex_finds_and_compiles_only_for_a_text_holding_its_words():
    number = r"(\d{1,3}|three|trois)"
    texts = ["after 4 chats nothing", "after three   chats!", "after chats", "4 chats after", "the parcel is late",
             "après trois appels", "aftermath of 4 chats"]
    for phrase in ("after {n} chats", "{n} appels", "called {n}x"):
        pattern, regex = PhrasePattern(phrase, number), phrase_regex(phrase, number)
        for text in texts:
            assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in regex.finditer(text)]
    unused = PhrasePattern("after {n} chats", number)
    assert list(unused.finditer("the parcel is late")) == [] and unused._regex is None
