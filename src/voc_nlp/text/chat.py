"""Chat transcripts: find the customer's and the agent's turns.

A chat arrives either as one text with speaker-prefixed lines
(`parse_transcript`) or as a turns column (`parse_turns`, rendered into a
text by `render_transcript`). Either way every `Turn` carries character
offsets into the record's text, so evidence spans found in a turn can be
shown in the original transcript.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .normalize import clean_text
from .segment import trim_span

CUSTOMER = "customer"
AGENT = "agent"

# Line prefixes people and exports use, lower-case, mapped to our two roles.
_PREFIX_SPEAKERS = {
    "customer": CUSTOMER,
    "client": CUSTOMER,
    "cliente": CUSTOMER,
    "user": CUSTOMER,
    "agent": AGENT,
    "customer service": AGENT,
    "service client": AGENT,
    "support": AGENT,
    "advisor": AGENT,
    "conseiller": AGENT,
    "conseillère": AGENT,
    "conseillere": AGENT,
}
# Longest label first so "Customer service:" is not read as "Customer".
_LABELS = "|".join(re.escape(label) for label in sorted(_PREFIX_SPEAKERS, key=len, reverse=True))
# At a line start: "[customer]" (colon optional) or "Customer:" / "Client :"
# (French typography puts a space, often a no-break one, before the colon).
_SPEAKER_PREFIX = re.compile(
    rf"^[ \t]*(?:\[(?P<tag>{_LABELS})\][ \t]*:?|(?P<label>{_LABELS})[ \t\u00a0\u202f]*:)[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
# A single "Client: ..." line is just a sentence; a chat has at least two.
_MIN_SPEAKER_LINES = 2

# Speaker names in a turns column that mean the customer; any other name
# (agent, support, conseiller, the brand's handle, ...) is the company's side.
_CUSTOMER_NAMES = frozenset({"customer", "client", "cliente", "user", "consumer"})


@dataclass
class Turn:
    """One speaker's turn; `start`/`end` index the turn's text (without the
    speaker prefix) in the transcript string it belongs to."""

    speaker: str  # "customer" | "agent"
    text: str
    start: int
    end: int


def parse_transcript(text: str) -> list[Turn] | None:
    """The turns of a speaker-prefixed chat transcript, or None if `text` is
    not one (fewer than two recognised speaker lines).

    Lines without a prefix continue the previous turn. Text before the first
    speaker line (a header, say) belongs to no turn. Turns with no text
    ("Agent:" alone) are dropped.
    """
    prefixes = list(_SPEAKER_PREFIX.finditer(text))
    if len(prefixes) < _MIN_SPEAKER_LINES:
        return None
    turns = []
    for prefix, following in zip(prefixes, prefixes[1:] + [None]):
        label = (prefix.group("tag") or prefix.group("label")).lower()
        body_end = following.start() if following else len(text)
        start, end = trim_span(text, prefix.end(), body_end)
        if start < end:
            turns.append(Turn(_PREFIX_SPEAKERS[label], text[start:end], start, end))
    return turns


def parse_turns(value) -> list[Turn]:
    """Turns from a turns column: a JSON string or an already-parsed list
    (or array) of ``{"speaker", "text"}`` objects.

    Speaker names are normalised to "customer" / "agent". The returned turns'
    offsets point into ``render_transcript(turns)[0]``, the text that stands
    for the record. Raises ValueError on malformed input.
    """
    items = _load_turn_items(value)
    turns = []
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValueError(f"turn {position} is not an object with 'speaker' and 'text': {item!r}")
        text = item.get("text")
        if not isinstance(text, str):
            raise ValueError(f"turn {position} has no 'text' string: {item!r}")
        turns.append(Turn(_normalise_speaker(item.get("speaker"), position), text, 0, 0))
    return render_transcript(turns)[1]


def render_transcript(turns: list[Turn]) -> tuple[str, list[Turn]]:
    """Build ``"[customer] …\\n[agent] …"`` from turns and return it with the
    turns re-anchored (start/end) into that text.

    Turn texts are passed through `clean_text` first, so the transcript is
    already clean and its offsets survive the record-level clean-up. Turns
    whose text is empty after cleaning are left out.
    """
    lines, rendered, length = [], [], 0
    for turn in turns:
        if turn.speaker not in (CUSTOMER, AGENT):
            raise ValueError(f"turn speaker must be 'customer' or 'agent', got {turn.speaker!r}")
        text = clean_text(turn.text)
        if not text:
            continue
        if lines:
            length += 1  # the "\n" joining this line to the previous one
        prefix = f"[{turn.speaker}] "
        start = length + len(prefix)
        lines.append(prefix + text)
        rendered.append(Turn(turn.speaker, text, start, start + len(text)))
        length = start + len(text)
    return "\n".join(lines), rendered


def _load_turn_items(value) -> list:
    """Decode a turns value into a Python list, or raise ValueError."""
    if value is None:
        raise ValueError("turns value is missing (None)")
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"turns value is not valid JSON: {error}") from error
    elif hasattr(value, "tolist") and not isinstance(value, Mapping):
        value = value.tolist()  # list columns read from Parquet are NumPy arrays
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"turns must be a list of {{'speaker', 'text'}} objects, got {type(value).__name__}")
    return list(value)


def _normalise_speaker(name, position: int) -> str:
    """'user'/'client'/'customer' -> customer; any other name -> agent."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"turn {position} has no 'speaker' name")
    return CUSTOMER if name.strip().lower() in _CUSTOMER_NAMES else AGENT

