"""Data shown as text, never as markup: markdown escaping, chart labels and file names.

File names, column names, countries, customer ids and typed segment names come from the
user's data; every page shows them through these functions.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Longest file name shown; longer names keep their start and their extension.
MAX_NAME_LENGTH = 120

#: Characters that Streamlit markdown (CommonMark, GFM, LaTeX, colours, icons, emoji) may
#: read as markup anywhere in a line; each is backslash-escaped to show as itself. First an
#: emoji or logo code (``:smile:``, both colons); then ``_`` unless between two letters or
#: digits, ``:`` before a name, ``&`` starting an entity, ``/`` after ``material`` (an icon).
_MARKDOWN_SPECIAL = re.compile(
    r":[\w+-]+:"
    r"|[\\`*\[\]<>~$]"
    r"|(?<![^\W_])_|_(?![^\W_])"
    r"|:(?=[\w\[{/+-])"
    r"|&(?=#?\w+;)"
    r"|(?<=material)/",
    re.IGNORECASE,
)
#: Block markers at the start of a line: bullets, headings, numbered items (quotes are
#: escaped everywhere).
_MARKDOWN_LEADING = re.compile(r"^(?:[-+*](?=\s|$)|#+(?=\s|$)|\d+(?=[.)](?:\s|$)))")
#: Plain text that Streamlit turns into something else after parsing, where escaping does not
#: help: links (``http://``, ``www.``, e-mail addresses), its logo (``:streamlit:``) and
#: arrows and dashes (``->``, ``<-``, ``--``). A zero-width space there keeps the text as
#: it reads.
_TEXT_MARKUP = re.compile(
    r"(?<=:)(?=//|streamlit:)|(?<=\bwww)(?=\.)|(?<=[\w.+-])(?=@[\w-]+\.)"
    r"|(?<=-)(?=[->])|(?<=<)(?=-)",
    re.IGNORECASE,
)


def markdown_text(value: object) -> str:
    """``value`` as literal text where Streamlit reads markdown (headings, captions, alerts,
    radio options, spinners): file names, column names, countries, typed segment names.

    Runs of whitespace (tabs and line breaks too) become one space, every character with a
    markdown meaning is backslash-escaped, a leading list or heading marker is escaped, and
    text that GFM would turn into a link gets a zero-width space.
    """
    text = _one_line(value)
    text = _TEXT_MARKUP.sub("\u200b", text)
    text = _MARKDOWN_SPECIAL.sub(_escape_markup, text)
    return _MARKDOWN_LEADING.sub(
        lambda m: m[0] + "\\" if m[0][0].isdigit() else "\\" + m[0], text, count=1
    )


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` (its index as the first column) as a markdown table of literal text: each
    header and cell through :func:`markdown_text`, with ``|`` escaped too. Drawn with the
    page's text, it needs none of the scripts of a data table, which a first visit would
    otherwise load before it shows anything."""
    table = frame.reset_index()
    rows = [table.columns, *table.itertuples(index=False)]
    lines = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    lines.insert(1, "|" + " --- |" * len(table.columns))
    return "\n".join(lines)


def _cell(value: object) -> str:
    return markdown_text(value).replace("|", "\\|")


def _escape_markup(match: re.Match[str]) -> str:
    token = match[0]
    if len(token) > 1:  # an emoji code: escape both colons and what is between them
        return "\\:" + _MARKDOWN_SPECIAL.sub(_escape_markup, token[1:-1]) + "\\:"
    return "\\" + token


def _one_line(value: object) -> str:
    """``value`` as text on one line: control characters and whitespace runs become a space."""
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in str(value))
    return " ".join(text.split())


def chart_text(value: object) -> str:
    """``value`` as literal text in a Plotly label, legend or hover (Plotly reads some HTML)."""
    return html.escape(str(value), quote=False)


def safe_name(name: str) -> str:
    """A file name fit to show: the last part of any path, no control characters, bounded.

    Uploads are read from memory only; the name is never used as a path, this only keeps
    what is shown short and harmless (``../../x.csv`` is shown as ``x.csv``).
    """
    last = PurePosixPath(str(name).replace("\\", "/")).name
    text = _one_line(last).lstrip(". ") or "upload"
    if len(text) > MAX_NAME_LENGTH:
        _, dot, extension = text.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        text = text[: MAX_NAME_LENGTH - len(keep) - 2] + "…" + ("." + keep if keep else "")
    return text
