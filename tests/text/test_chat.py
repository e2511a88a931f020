import json

import numpy as np
import pytest

from voc_nlp.text import Turn, clean_text, parse_transcript, parse_turns, render_transcript


def assert_offsets_point_into(text, turns):
    for turn in turns:
        assert text[turn.start : turn.end] == turn.text


def speakers_and_texts(turns):
    return [(turn.speaker, turn.text) for turn in turns]


# --- parse_transcript: the three forms --------------------------------------------


def test_english_colon_prefixes_with_continuation_lines():
    text = (
        "Customer: My order #123 never arrived.\n"
        "It was due on Monday.\n"
        "Agent: Sorry to hear that! Let me check.\n"
        "Customer: thanks"
    )
    turns = parse_transcript(text)
    assert speakers_and_texts(turns) == [
        ("customer", "My order #123 never arrived.\nIt was due on Monday."),
        ("agent", "Sorry to hear that! Let me check."),
        ("customer", "thanks"),
    ]
    assert_offsets_point_into(text, turns)


def test_bracket_prefixes():
    text = "[customer] @VirginTrains my train is late\n[agent] @720912 Sorry about that ^CB\n[customer] ok"
    turns = parse_transcript(text)
    assert speakers_and_texts(turns) == [
        ("customer", "@VirginTrains my train is late"),
        ("agent", "@720912 Sorry about that ^CB"),
        ("customer", "ok"),
    ]
    assert_offsets_point_into(text, turns)


def test_french_prefixes_with_space_before_colon():
    text = (
        "Client : Bonjour, mon colis n'est jamais arrivé.\n"
        "Conseillère : Bonjour, je regarde tout de suite.\n"
        "Pouvez-vous me donner le numéro ?\n"
        "Client\u00a0: 12345\n"
        "Conseiller: Merci !"
    )
    turns = parse_transcript(text)
    assert speakers_and_texts(turns) == [
        ("customer", "Bonjour, mon colis n'est jamais arrivé."),
        ("agent", "Bonjour, je regarde tout de suite.\nPouvez-vous me donner le numéro ?"),
        ("customer", "12345"),
        ("agent", "Merci !"),
    ]
    assert_offsets_point_into(text, turns)


def test_aliases_and_case_insensitivity():
    text = "USER: hello\nCustomer service: hi, how can we help?\nsupport: still there?\nAGENT : yes\nclient: bye"
    turns = parse_transcript(text)
    assert [turn.speaker for turn in turns] == ["customer", "agent", "agent", "agent", "customer"]
    assert turns[1].text == "hi, how can we help?"
    assert_offsets_point_into(text, turns)


def test_header_before_first_speaker_belongs_to_no_turn_and_empty_turns_are_dropped():
    text = "Chat #8812 - 2024-03-02\n  Customer:   where is my refund?  \nAgent:\nAgent: Processing, 3-5 days."
    turns = parse_transcript(text)
    assert speakers_and_texts(turns) == [
        ("customer", "where is my refund?"),
        ("agent", "Processing, 3-5 days."),
    ]
    assert_offsets_point_into(text, turns)


# --- parse_transcript: not a transcript -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The flight was late and nobody told us anything.",
        "Client: Dupont. Très bon accueil, je recommande.",
        "Customer: service was slow\nbut the food was great",
        "I spoke to the agent: useless.\nThe customer: me, angry.",
        "Clientele: mostly families\nClientele: also tourists",
    ],
)
def test_not_a_transcript(text):
    assert parse_transcript(text) is None


# --- parse_turns -------------------------------------------------------------------

TURNS = [
    {"speaker": "user", "text": "My card was charged twice."},
    {"speaker": "AmazonHelp", "text": "Sorry!  Can you DM us?"},
    {"speaker": "Client", "text": "ok"},
    {"speaker": "Conseiller", "text": "Merci"},
    {"speaker": "customer", "text": "Thanks"},
    {"speaker": "support", "text": "You're welcome"},
]
EXPECTED_SPEAKERS = ["customer", "agent", "customer", "agent", "customer", "agent"]


def test_parse_turns_from_json_string():
    turns = parse_turns(json.dumps(TURNS))
    assert [turn.speaker for turn in turns] == EXPECTED_SPEAKERS
    assert turns[1].text == "Sorry! Can you DM us?"  # cleaned like every record text


def test_parse_turns_from_list_and_array_give_the_same_turns():
    from_list = parse_turns(TURNS)
    assert from_list == parse_turns(json.dumps(TURNS))
    assert from_list == parse_turns(np.array(TURNS, dtype=object))


def test_parse_turns_offsets_point_into_the_rendered_transcript():
    turns = parse_turns(TURNS)
    text, rendered = render_transcript(turns)
    assert rendered == turns
    assert_offsets_point_into(text, turns)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json at all", "not valid JSON"),
        ('{"speaker": "user", "text": "hi"}', "must be a list"),
        ('[{"speaker": "user"}]', "turn 0 has no 'text'"),
        ([{"speaker": "agent", "text": "hi"}, {"speaker": "user", "text": None}], "turn 1 has no 'text'"),
        (["just a string"], "turn 0 is not an object"),
        ([{"text": "who said this?"}], "turn 0 has no 'speaker'"),
        (None, "missing"),
        (42, "must be a list"),
    ],
)
def test_parse_turns_rejects_malformed_input(value, message):
    with pytest.raises(ValueError, match=message):
        parse_turns(value)


def test_empty_turn_list_is_valid():
    assert parse_turns("[]") == []


# --- render_transcript -------------------------------------------------------------


def test_render_transcript_format_and_offsets():
    turns = [
        Turn("customer", "  Where is my parcel?\r\n", 0, 0),
        Turn("agent", "", 0, 0),
        Turn("agent", "Checking   now.", 0, 0),
    ]
    text, rendered = render_transcript(turns)
    assert text == "[customer] Where is my parcel?\n[agent] Checking now."
    assert speakers_and_texts(rendered) == [("customer", "Where is my parcel?"), ("agent", "Checking now.")]
    assert_offsets_point_into(text, rendered)


def test_rendered_transcript_survives_record_cleaning_and_parses_back():
    text, rendered = render_transcript(parse_turns(TURNS))
    assert clean_text(text) == text
    assert parse_transcript(text) == rendered


def test_render_transcript_rejects_unknown_speaker():
    with pytest.raises(ValueError, match="speaker"):
        render_transcript([Turn("bot", "hello", 0, 0)])
