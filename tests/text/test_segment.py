import pytest

from voc_nlp.text import split_sentences


def sentences(text, lang=None):
    """The sentence texts, after checking the span invariants."""
    spans = split_sentences(text, lang)
    assert_spans_are_sound(text, spans)
    return [text[start:end] for start, end in spans]


def assert_spans_are_sound(text, spans):
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        assert not text[previous_end:start].strip(), "text lost between spans"
        previous_end = end
    assert not text[previous_end:].strip(), "text lost after the last span"


# --- English ---------------------------------------------------------------------


def test_english_tricky_punctuation():
    text = "Dr. Smith was late. I waited 3.5 hours... Nobody came!!! Really?! 😡 Never again"
    assert sentences(text, "en") == [
        "Dr. Smith was late.",
        "I waited 3.5 hours...",
        "Nobody came!!!",
        "Really?! 😡",
        "Never again",
    ]


def test_english_abbreviations():
    text = "I bought shoes, socks, etc. and a hat, e.g. Nike. The delivery was late, i.e. two days. Call me at 5 p.m. tomorrow"
    assert sentences(text, "en") == [
        "I bought shoes, socks, etc. and a hat, e.g. Nike.",
        "The delivery was late, i.e. two days.",
        "Call me at 5 p.m. tomorrow",
    ]


def test_etc_before_a_capital_ends_the_sentence():
    assert sentences("Shoes, socks, etc. The rest was fine.") == ["Shoes, socks, etc.", "The rest was fine."]


def test_ellipsis_followed_by_lower_case_is_a_pause():
    assert sentences("I waited... and waited... Then they called.") == [
        "I waited... and waited...",
        "Then they called.",
    ]


def test_decimals_prices_and_quotes():
    text = 'It cost $3.50 for 2.5 kg. He said "no." Then he left.'
    assert sentences(text) == ["It cost $3.50 for 2.5 kg.", 'He said "no."', "Then he left."]


def test_emoji_after_the_punctuation_stays_with_its_sentence():
    assert sentences("Love it! 😍😍 Will buy again. Thanks :) Bye now") == [
        "Love it! 😍😍",
        "Will buy again.",
        "Thanks :) Bye now",
    ]


def test_initials_do_not_end_a_sentence():
    assert sentences("Ask J. K. Smith about it. She knows.") == ["Ask J. K. Smith about it.", "She knows."]


# --- French ----------------------------------------------------------------------


def test_french_spacing_before_punctuation():
    text = "M. Dupont m'a répondu. Service nul ! Je ne recommande pas ; vraiment : décevant. Et vous ?"
    assert sentences(text, "fr") == [
        "M. Dupont m'a répondu.",
        "Service nul !",
        "Je ne recommande pas ; vraiment : décevant.",
        "Et vous ?",
    ]


def test_french_no_break_spaces_and_abbreviations():
    text = "Mme Martin, cf. la facture, etc. Livraison rapide\u00a0!! Colis abîmé\u202f?! Bof…"
    assert sentences(text, "fr") == [
        "Mme Martin, cf. la facture, etc.",
        "Livraison rapide\u00a0!!",
        "Colis abîmé\u202f?!",
        "Bof…",
    ]


def test_english_abbreviation_in_a_french_review():
    text = "Marques connues, e.g. Nike ou Adidas. Livraison rapide."
    assert sentences(text, "fr") == ["Marques connues, e.g. Nike ou Adidas.", "Livraison rapide."]


def test_french_title_me_only_with_french():
    text = "Me Durand a signé. Ils m'ont appelé."
    assert sentences(text, "fr") == ["Me Durand a signé.", "Ils m'ont appelé."]
    assert sentences("They called me. Nobody came.", "en") == ["They called me.", "Nobody came."]


# --- units, fragments, edge cases ------------------------------------------------


def test_text_without_terminal_punctuation_is_one_span():
    assert sentences("  flight delayed again thanks united  ") == ["flight delayed again thanks united"]


def test_newlines_separate_sentences():
    assert sentences("Great product\nFast delivery\n\nWould buy again") == [
        "Great product",
        "Fast delivery",
        "Would buy again",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_empty_text_has_no_sentences(text):
    assert split_sentences(text) == []


def test_short_fragments_merge_into_the_previous_sentence():
    assert sentences("Terrible service. :)") == ["Terrible service. :)"]
    assert sentences("Worst flight ever!! !! Never again.") == ["Worst flight ever!! !!", "Never again."]
    assert sentences("Great product\n:)\nWill order again") == ["Great product\n:)", "Will order again"]


def test_leading_short_fragment_merges_into_the_next_sentence():
    assert sentences(":) Great service. Thanks!") == [":) Great service.", "Thanks!"]


def test_text_of_fragments_only_is_one_span():
    assert sentences("!! :)") == ["!! :)"]


@pytest.mark.parametrize(
    "text",
    [
        "@united lost my bag... AGAIN!!! 3rd time. #NeverAgain https://t.co/abc.def",
        "Produit reçu cassé . Remboursement ? Toujours rien…\n\nNul !",
        "a. b. c. d.",
        "??? ... !!! ...",
        "Version 2.0.1 is out. v3.5... soon?",
    ],
)
def test_nothing_is_lost(text):
    sentences(text)  # the invariants are asserted inside
