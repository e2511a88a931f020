"""The contacts component on written sentences: counts the text states, negations, the item itself."""

import pytest

from voc_nlp.components.contacts import ContactCounter
from voc_nlp.components.units import UnitSplitter
from voc_nlp.doc import FeedbackDoc
from voc_nlp.schema import EnrichedRecord

CHANNELS = {"chat": "chat", "phone": "phone", "twitter": "social"}


def contacts(text, lang="en", channel=None, counter=ContactCounter(channels=CHANNELS)):
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
    ContactCounter(channels=CHANNELS)([doc])
    assert doc.record.contacts == [{"channel": "chat", "count": 1, "text": None},
                                   {"channel": "phone", "count": 5, "text": "I called them 5 times"}]


def test_rules_are_read_from_the_folder_given(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "contacts.yaml").write_text(
        "numbers: {two: 2}\ntimes: ['{n} times']\nchannels:\n  pigeon:\n    mentions: [sent a pigeon]\n"
        "    counted: ['{n} pigeons']\n", encoding="utf-8")
    counter = ContactCounter(rules=str(tmp_path))
    assert contacts("I sent a pigeon two times, then 3 pigeons.", counter=counter) == {"pigeon": 3}
    with pytest.raises(FileNotFoundError, match="no contacts.yaml"):
        ContactCounter(rules=str(tmp_path / "en"))
