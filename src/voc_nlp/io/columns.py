"""Map the columns of an input file onto voc-nlp's canonical fields.

Input files name their columns in many ways ("Review Text", "review_text",
"body", ...). `resolve_columns` finds, for each canonical field, the input
column that holds it: the column the user named (`--text-col` and friends), or
else the first column whose name matches one of a list of usual names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from voc_nlp.io.errors import InputError

# Canonical fields, in the order they are resolved and reported.
FIELDS = ("text", "id", "time", "channel", "rating", "nps", "csat", "lang", "turns")

# Usual column names for each field, best first. Matching ignores case and the
# characters "_", "-" and " ", so "review_text" also matches "Review Text".
CANDIDATES: dict[str, tuple[str, ...]] = {
    # French exports (texte, commentaire, avis, note, canal...) and the usual
    # survey and review-platform export names are listed too.
    "text": ("text", "review", "review_text", "review_body", "body", "content", "comment",
             "comments", "message", "feedback", "verbatim", "texte", "commentaire",
             "commentaires", "avis", "contenu", "response"),
    "id": ("id", "review_id", "item_id", "message_id", "tweet_id",
           "conversation_id", "dialog_id", "uuid", "identifiant", "id_avis"),
    "time": ("date", "created_at", "timestamp", "time", "datetime",
             "review_date", "tweet_created", "posted_at", "date_avis", "date_creation",
             "submitted_at"),
    "channel": ("channel", "source", "platform", "canal", "plateforme"),
    # "note" is French for rating; it is last so an English "rating" wins.
    "rating": ("rating", "stars", "score", "star_rating", "note", "etoiles", "étoiles"),
    # Survey scores, kept apart from the rating: likelihood to recommend (0-10)
    # and satisfaction (1-5).
    "nps": ("nps", "nps_score", "likelihood_to_recommend", "likely_to_recommend", "recommend_score",
            "ltr", "net_promoter_score", "recommandation", "note_recommandation", "probabilite_de_recommander"),
    "csat": ("csat", "csat_score", "customer_satisfaction", "satisfaction_score", "satisfaction"),
    "lang": ("lang", "language", "langue"),
    "turns": ("turns", "messages", "dialog", "conversation"),
}

# What a field holds, in words (the CLI's --FIELD-col help); other fields are their name.
FIELD_WORDS = {"nps": "likelihood to recommend, 0-10 (NPS)", "csat": "satisfaction score, 1-5 (CSAT)"}


@dataclass
class ColumnMap:
    """Input column names chosen by the user; None means "auto-detect"."""

    text: str | None = None
    id: str | None = None
    time: str | None = None
    channel: str | None = None
    rating: str | None = None
    nps: str | None = None
    csat: str | None = None
    lang: str | None = None
    turns: str | None = None


def normalise_name(name: str) -> str:
    """Lower-case `name` and drop "_", "-" and spaces, for loose matching."""
    return re.sub(r"[_\- ]", "", str(name).strip().lower())


def resolve_columns(
    available: list[str], requested: ColumnMap, source: str
) -> dict[str, str | None]:
    """Return {canonical field: input column or None} for one input file.

    `available` are the file's column names, `requested` the user's choices
    and `source` the file name used in error messages.

    Columns the user named are taken first, so that auto-detection never
    hands the same column to a second field. Raises `InputError` when a named
    column is missing, or when the file has neither a text nor a turns column.
    """
    resolved: dict[str, str | None] = {}
    for field in FIELDS:
        wanted = getattr(requested, field)
        if wanted is not None:
            resolved[field] = _find_requested(available, wanted, field, source)

    claimed = {column for column in resolved.values() if column is not None}
    for field in FIELDS:
        if field not in resolved:
            resolved[field] = _auto_detect(available, CANDIDATES[field], claimed)
            if resolved[field] is not None:
                claimed.add(resolved[field])

    if resolved["text"] is None and resolved["turns"] is None:
        raise InputError(
            f"{source}: no text column found (tried {', '.join(CANDIDATES['text'])}); "
            f"columns present: {_present(available)}. Use {_naming('text', source)} to name it."
        )
    return {field: resolved[field] for field in FIELDS}


def _find_requested(available: list[str], wanted: str, field: str, source: str) -> str:
    """The column the user asked for: exact name first, then a loose match."""
    if wanted in available:
        return wanted
    # Forgive case and separators ("review text" for "Review_Text"), but only
    # when that picks out a single column; otherwise the choice is ambiguous.
    loose = [name for name in available if normalise_name(name) == normalise_name(wanted)]
    if len(loose) == 1:
        return loose[0]
    raise InputError(
        f"{source}: column {wanted!r} given with {_naming(field, source)} not found; "
        f"columns present: {_present(available)}."
    )


def _naming(field: str, source: str) -> str:
    """How the user names a column where `source` comes from: a file is read by the CLI
    (`--text-col`), a DataFrame or items by the Python API (`ColumnMap(text=...)`), a Spark
    partition by `voc_nlp.spark.enrich` (`text_col=`)."""
    if source.startswith("<spark"):
        return f"{field}_col="
    if source.startswith("<"):
        return f"ColumnMap({field}=...)"
    return f"--{field}-col"


def _auto_detect(
    available: list[str], candidates: tuple[str, ...], claimed: set[str]
) -> str | None:
    """The first available column matching a candidate, in candidate order."""
    by_name: dict[str, str] = {}
    for name in available:
        # setdefault: with duplicate-looking names, the leftmost column wins.
        by_name.setdefault(normalise_name(name), name)
    for candidate in candidates:
        column = by_name.get(normalise_name(candidate))
        if column is not None and column not in claimed:
            return column
    return None


def _present(available: list[str]) -> str:
    """The file's column names for an error message."""
    return ", ".join(str(name) for name in available) if available else "(none)"


# A field added to ColumnMap but not to FIELDS/CANDIDATES (or the reverse)
# should fail at import time, not halfway through someone's run.
assert set(FIELDS) == set(CANDIDATES) == {f.name for f in fields(ColumnMap)}
