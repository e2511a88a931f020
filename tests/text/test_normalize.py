import socket

import pytest

from voc_nlp.text import clean_text, normalize_social
from voc_nlp.text import normalize as normalize_module


# --- hashtags ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("#SoDisappointed", "so disappointed"),
        ("#NeverAgain", "never again"),
        ("#WorstAirlineEVER", "worst airline ever"),
        ("#SNCFRetard", "sncf retard"),
        ("#neveragain", "never again"),
        ("#worstairline", "worst airline"),
        ("#WORSTAIRLINE", "worst airline"),
        ("#fail", "fail"),
        ("#customer_service", "customer service"),
    ],
)
def test_english_hashtags_become_lowercase_words(post, expected):
    assert normalize_social(post) == expected


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("#ServiceClientNul", "service client nul"),
        ("#TrèsDéçu", "très déçu"),
        ("#ColisPerdu encore", "colis perdu encore"),
    ],
)
def test_french_camel_case_hashtags_split_on_case(post, expected):
    assert normalize_social(post) == expected


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("#trèsdéçu", "trèsdéçu"),  # not ASCII: English statistics do not apply
        ("#arnaque", "arnaque"),  # wordsegment alone says "arna que"
        ("#honteux", "honteux"),  # ... "hon teu x"
        ("#colisperdu", "colisperdu"),  # ... "col is perdu"
    ],
)
def test_non_english_one_case_hashtag_is_kept_whole_not_mangled(post, expected):
    assert normalize_social(post) == expected


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("#commandeperdue", "commande perdue"),  # long pieces: any known word
        ("#tropcher", "trop cher"),
        ("#colis", "colis"),  # "col is": a 3-letter piece outside the 1,000 most frequent words
        ("#stillnojobthough", "still no job though"),
    ],
)
def test_one_case_hashtag_split_only_when_short_pieces_are_very_common(post, expected):
    assert normalize_social(post) == expected


def test_hashtag_in_a_sentence_and_numeric_hashtag():
    assert normalize_social("Flight late again #NeverAgain, we're #1 they say") == (
        "Flight late again never again, we're #1 they say"
    )


# --- mentions, URLs, entities --------------------------------------------------


def test_mentions_become_user_but_emails_do_not():
    assert normalize_social("@united @AmericanAir mail me at jane.doe@gmail.com") == (
        "@user @user mail me at jane.doe@gmail.com"
    )


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("see https://t.co/abc123 now", "see now"),
        ("pics: http://example.com/a?b=1 lol", "pics: lol"),
        ("check www.example.com/page.", "check ."),
        ("bag lost HTTPS://T.CO/XyZ", "bag lost"),
    ],
)
def test_urls_are_removed(post, expected):
    assert normalize_social(post) == expected


def test_html_entities_are_unescaped():
    assert normalize_social("delays &amp; no info &lt;3 &quot;great&quot;") == 'delays & no info <3 "great"'


def test_link_only_post_is_not_emptied():
    assert normalize_social("https://t.co/xYz123") == "https://t.co/xYz123"


def test_mention_only_post_keeps_the_placeholder():
    assert normalize_social("@united") == "@user"


# --- emoji ---------------------------------------------------------------------


def test_emoji_is_kept_and_named_in_english():
    result = normalize_social("So late😡 again")
    assert "😡" in result
    assert result == "So late 😡 enraged face again"


def test_a_run_of_the_same_emoji_is_named_once():
    result = normalize_social("lost my bag 😡😡😡")
    assert result == "lost my bag 😡😡😡 enraged face"


def test_skin_tone_is_dropped_from_the_name():
    result = normalize_social("Livraison rapide 👍🏽")
    assert "👍🏽" in result
    assert result.endswith("thumbs up")
    assert "skin" not in result


def test_different_emoji_each_get_a_name():
    assert normalize_social("ok 👍 ❤️") == "ok 👍 thumbs up ❤️ red heart"


def test_text_without_emoji_is_unchanged_apart_from_whitespace():
    assert normalize_social("  Bonjour,\n  colis   reçu ! ") == "Bonjour, colis reçu !"


def test_full_tweet():
    tweet = "@united lost my bag AGAIN &amp; no reply 😡 #NeverAgain https://t.co/a1B2"
    assert normalize_social(tweet) == "@user lost my bag AGAIN & no reply 😡 enraged face never again"


# --- wordsegment works offline -------------------------------------------------


def test_wordsegment_loads_without_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    normalize_module._segmenter.cache_clear()
    normalize_module._segment_english.cache_clear()
    assert normalize_social("#sodisappointed") == "so disappointed"


# --- clean_text ----------------------------------------------------------------


def test_clean_text_applies_nfc():
    decomposed = "Cafe\u0301 froid"
    assert clean_text(decomposed) == "Café froid"
    assert len(clean_text(decomposed)) == len("Café froid")


def test_clean_text_drops_control_chars_but_keeps_newline_and_tab():
    assert clean_text("a\x00b\x07c\u200bd\ufeff\te\nf") == "abcd\te\nf"


def test_clean_text_collapses_spaces_and_normalises_line_breaks():
    assert clean_text("  Service   nul\u00a0!\r\nLigne\u202f2  \r fin  ") == "Service nul !\nLigne 2\nfin"


def test_clean_text_is_idempotent():
    messy = " \ufeffHello\u00a0\u00a0 world \r\n\r\n\tand  more \x0b"
    once = clean_text(messy)
    assert clean_text(once) == once


def test_clean_text_keeps_emoji_sequences():
    family = "Merci 👩\u200d💻 ❤️"
    assert clean_text(family) == family
