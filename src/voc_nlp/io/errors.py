"""Errors the user can fix themselves.

The CLI catches `InputError`, prints its message and exits with status 2, with
no traceback: the message is the whole story, so it must say which file, and
where relevant which row and column, what was expected and what was found.
"""

from __future__ import annotations


class InputError(ValueError):
    """A problem with the user's input files, options or output path.

    It subclasses `ValueError` (and so `Exception`) because it is a bad value
    given by the user; code that already handles `ValueError` keeps working.

    Example message::

        reviews.csv: no text column found (tried text, review, ...);
        columns present: Id, Comment Body, Stars. Use --text-col to name it.
    """
