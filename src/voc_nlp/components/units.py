"""Splits each item into units: chat turns, or sentences.

Units are what the encoder sees, once each. Their offsets point into the
record's `text`, so later evidence spans can quote the original words.
"""

from __future__ import annotations

from voc_nlp.components.base import Component
from voc_nlp.doc import FeedbackDoc
from voc_nlp.registry import components
from voc_nlp.schema import Unit
from voc_nlp.text import (
    clean_text,
    normalize_social,
    parse_transcript,
    parse_turns,
    render_transcript,
    split_sentences,
)


@components.register("units")
class UnitSplitter(Component):
    name = "units"
    assigns = ("record.units", "doc.unit_inputs")

    def __init__(self, max_units: int = 200, split_above_chars: int = 0):
        # A pathological text (a pasted log) must not flood the encoder.
        self.max_units = max_units
        # Shorter texts stay one unit: a tweet is read as a whole ("thanks for
        # nothing. 3 hours on the tarmac" is one complaint, not a thank-you).
        self.split_above_chars = split_above_chars

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        for doc in docs:
            if doc.ok:
                self._split(doc)

    def _split(self, doc: FeedbackDoc) -> None:
        record = doc.record
        if doc.turns is not None:
            try:
                record.text, turns = render_transcript(parse_turns(doc.turns))
            except ValueError as exc:
                record.error = f"{_where(record)}column turns: {exc}"
                return
        else:
            # Offsets are into the cleaned text, which is what gets written out.
            record.text = clean_text(record.text)
            turns = parse_transcript(record.text)

        if turns:
            units = [
                Unit(index=i, text=t.text, start=t.start, end=t.end, speaker=t.speaker)
                for i, t in enumerate(turns)
            ]
        else:
            if len(record.text.strip()) <= self.split_above_chars:
                lead = len(record.text) - len(record.text.lstrip())
                spans = [(lead, len(record.text.rstrip()))] if record.text.strip() else []
            else:
                spans = split_sentences(record.text, record.lang)
            units = [
                Unit(index=i, text=record.text[s:e], start=s, end=e)
                for i, (s, e) in enumerate(spans)
            ]
        if len(units) > self.max_units:
            # The full text stays in the record; only the units are capped.
            record.warnings.append(
                f"{len(units)} units; only the first {self.max_units} are scored (max_units)"
            )
            units = units[: self.max_units]
        record.units = units
        doc.unit_inputs = [normalize_social(u.text) for u in doc.scored_units]


def _where(record) -> str:
    if record.source_file is None:
        return ""
    return f"{record.source_file} row {record.source_row}: "
