"""The one error family of the package: every message is a sentence a user can act on."""

from __future__ import annotations


class DataError(Exception):
    """Base of every error the package raises about its input or options.

    ``str(error)`` is one sentence naming the file, column, line or option at fault
    and what to do about it; it never contains a traceback or a library's own message.
    """


class FileFormatError(DataError):
    """The file cannot be read as a table: empty, unreadable, truncated or no table inside."""


class ColumnError(DataError):
    """A required column is missing, unknown, or holds values of the wrong kind."""


class CleaningError(DataError):
    """Cleaning with the chosen options leaves no rows."""


class ModelError(DataError):
    """Features or options do not allow the requested segmentation."""
