"""The object that travels through the pipeline: one per input item."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from voc_nlp.schema import EnrichedRecord, Unit


@dataclass
class FeedbackDoc:
    """An item being enriched.

    `record` is what gets written out. `turns` holds the parsed turns of a
    chat given as a turns column. `unit_inputs` are the normalised unit texts
    the encoder sees, and `vectors` their embeddings: one row per *scored*
    unit (customer units; agent turns are kept but never scored). `views`
    holds the same units in the encoder's adapter views (e.g. `affect`, read by
    a sentiment head), when the config asks for any.
    `problem_scores` (one per scored unit, >= 0.5: the unit reports a problem)
    is written by the `problems` component. `mixed`: the item praises and
    complains in different units (set by `sentiment`).
    """

    record: EnrichedRecord
    turns: list | None = None
    unit_inputs: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None
    views: dict[str, np.ndarray] = field(default_factory=dict)
    problem_scores: np.ndarray | None = None
    mixed: bool = False

    @property
    def ok(self) -> bool:
        return self.record.error is None

    @property
    def scored_units(self) -> list[Unit]:
        return [u for u in self.record.units if u.is_customer]

    @property
    def scored_texts(self) -> list[str]:
        """The scored units' texts as the encoder reads them (`unit_inputs`: "#SoDisappointed"
        is "so disappointed"); their raw texts for a doc whose inputs were never set."""
        units = self.scored_units
        return self.unit_inputs if len(self.unit_inputs) == len(units) else [u.text for u in units]
