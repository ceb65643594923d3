"""A table as read from a file, before its columns mean anything: the names and values as
written, and how the file was read. Every format reader returns one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from segmentation.errors import FileFormatError
from segmentation.read.values import shorten


@dataclass
class RawTable:
    """A table as read from a file: original column names, values not yet converted."""

    frame: pd.DataFrame | pa.Table
    name: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    compression: str | None = None
    sheets: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    skipped_lines: int = 0
    skipped_examples: tuple[str, ...] = ()
    #: How a data row is named in messages: ``line`` (text, header is line 1) or ``row``.
    row_word: str = "row"
    #: Number of the first data row in messages (2 for files with a header line).
    first_row_number: int = 2
    #: Lines of a text file before its header (blank lines, a ``sep=`` line).
    lines_before_header: int = 0


def no_data_rows(name: str) -> FileFormatError:
    """The error for a table with a header and no rows."""
    return FileFormatError(f"{name} has a header but no data rows; export the data again.")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def header_names(raw: list[str], notes: list[str] | None = None) -> list[str]:
    """Strip names, turn line breaks and other control characters into spaces, name blank
    columns and make duplicates unique (``Price``, ``Price.2``), with a note in ``notes``."""
    names: list[str] = []
    taken: set[str] = set()
    copies: dict[str, list[str]] = {}
    for position, value in enumerate(raw, start=1):
        base = _CONTROL.sub(" ", str(value)).strip().lstrip("\ufeff").strip()
        base = base or f"column_{position}"
        unique, count = base, 1
        while unique in taken:
            count += 1
            unique = f"{base}.{count}"
        if count > 1:
            copies.setdefault(base, []).append(unique)
        taken.add(unique)
        names.append(unique)
    if notes is not None:
        for base, renamed in list(copies.items())[:3]:
            notes.append(
                f"The column name {shorten(base)!r} appears {len(renamed) + 1} times; "
                f"the later ones are read as {', '.join(repr(shorten(r)) for r in renamed[:3])}."
            )
    return names
