"""Tests for voc_nlp.io.columns: finding the text, id, date... columns."""

import pytest

from voc_nlp.io import ColumnMap, InputError, resolve_columns


def test_auto_detect_ignores_case_and_separators():
    available = ["Review-ID", "Review Text", "Stars", "DATE", "Platform", "Language"]
    assert resolve_columns(available, ColumnMap(), "reviews.csv") == {
        "text": "Review Text",
        "id": "Review-ID",
        "time": "DATE",
        "channel": "Platform",
        "rating": "Stars",
        "nps": None,
        "csat": None,
        "lang": "Language",
        "turns": None,
    }


def test_candidates_are_tried_in_order_of_preference():
    # "text" comes before "comment" in the candidate list, whatever the column order.
    resolved = resolve_columns(["comment", "text", "tweet_id", "id"], ColumnMap(), "f.csv")
    assert resolved["text"] == "text"
    assert resolved["id"] == "id"


def test_twitter_airline_columns():
    available = ["tweet_id", "airline_sentiment", "airline", "name", "text", "tweet_created",
                 "tweet_location"]
    resolved = resolve_columns(available, ColumnMap(), "Tweets.csv")
    assert resolved["id"] == "tweet_id"
    assert resolved["text"] == "text"
    assert resolved["time"] == "tweet_created"


def test_requested_columns_win_and_are_not_reused():
    available = ["source", "notes", "id"]
    resolved = resolve_columns(available, ColumnMap(text="source"), "f.csv")
    assert resolved["text"] == "source"
    # "source" would otherwise be auto-detected as the channel.
    assert resolved["channel"] is None


def test_requested_column_matches_loosely():
    resolved = resolve_columns(["Review_Body"], ColumnMap(text="review body"), "f.csv")
    assert resolved["text"] == "Review_Body"


def test_requested_column_missing_names_file_and_columns():
    with pytest.raises(InputError) as caught:
        resolve_columns(["Id", "Body"], ColumnMap(rating="Score"), "reviews.csv")
    message = str(caught.value)
    assert message.startswith("reviews.csv: column 'Score' given with --rating-col not found")
    assert "columns present: Id, Body" in message


def test_no_text_column_message():
    with pytest.raises(InputError) as caught:
        resolve_columns(["Id", "Remarks", "Stars"], ColumnMap(), "reviews.csv")
    message = str(caught.value)
    assert message.startswith("reviews.csv: no text column found (tried text, review, review_text, ")
    assert message.endswith("); columns present: Id, Remarks, Stars. Use --text-col to name it.")


def test_the_messages_name_columns_the_way_the_caller_does():
    # A DataFrame or items come from the Python API, which has no --text-col flag.
    with pytest.raises(InputError, match=r"<dataframe>: column 'body' given with ColumnMap\(text=...\) not found"):
        resolve_columns(["Id", "Remarks"], ColumnMap(text="body"), "<dataframe>")
    with pytest.raises(InputError, match=r"Use ColumnMap\(text=...\) to name it\.$"):
        resolve_columns(["Id", "Remarks"], ColumnMap(), "<items>")
    with pytest.raises(InputError, match=r"Use text_col= to name it\.$"):
        resolve_columns(["Id", "Remarks"], ColumnMap(), "<spark partition 3>")


def test_french_and_export_headers_are_recognised():
    resolved = resolve_columns(["Identifiant", "Date", "Canal", "Texte", "Note"], ColumnMap(), "avis.csv")
    assert resolved == {"text": "Texte", "id": "Identifiant", "time": "Date", "channel": "Canal",
                        "rating": "Note", "nps": None, "csat": None, "lang": None, "turns": None}
    for text_column in ("commentaire", "Avis", "VERBATIM", "Review Body", "Comments"):
        assert resolve_columns(["id", text_column], ColumnMap(), "f.csv")["text"] == text_column
    # An English rating column wins over a French "note".
    assert resolve_columns(["text", "note", "rating"], ColumnMap(), "f.csv")["rating"] == "rating"


def test_turns_column_is_enough_without_text():
    resolved = resolve_columns(["conversation_id", "messages"], ColumnMap(), "chats.jsonl")
    assert resolved["text"] is None
    assert resolved["turns"] == "messages"
    assert resolved["id"] == "conversation_id"


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


def test_nps_and_csat_columns_are_found_apart_from_the_rating():
    resolved = resolve_columns(["text", "Stars", "Likelihood to recommend", "CSAT"], ColumnMap(), "survey.csv")
    assert (resolved["rating"], resolved["nps"], resolved["csat"]) == ("Stars", "Likelihood to recommend", "CSAT")
    # An "nps" column is never taken for the rating, even when it is the only score.
    resolved = resolve_columns(["text", "NPS"], ColumnMap(), "survey.csv")
    assert resolved["rating"] is None and resolved["nps"] == "NPS"
    resolved = resolve_columns(["text", "score_reco"], ColumnMap(nps="score_reco"), "survey.csv")
    assert resolved["nps"] == "score_reco"
