"""Pipeline components: named steps that read and write parts of a FeedbackDoc.

Like spaCy's components, each declares what it needs (`requires`) and what it
writes (`assigns`); the pipeline checks at build time that every requirement
is written by an earlier step.
"""

from __future__ import annotations

from voc_nlp.doc import FeedbackDoc


class Component:
    name: str = "component"
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ()

    def __call__(self, docs: list[FeedbackDoc]) -> None:
        """Enrich `docs` in place; docs with an error are skipped."""
        raise NotImplementedError

    @property
    def version(self) -> str | None:
        """Version of a trained model behind the component, for `model_version`."""
        return None
