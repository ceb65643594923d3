"""What a reader sees of the markdown a page renders: escapes removed, markup found."""

from __future__ import annotations

import re

import pandas as pd
from streamlit.testing.v1 import AppTest

#: Pieces of the hostile strings that must never reach markdown unescaped: there they would
#: be HTML, emphasis, a link or an automatic link.
MARKUP = re.compile(r"(?<!\\)<img|(?<!\\)<script|(?<!\\)\*\*bold|(?<!\\)\[link|http://")

#: Characters that Streamlit markdown reads as markup wherever they are in a line.
ALWAYS_ESCAPED = set("*`[]<>~$")


def shown(markdown: str) -> str:
    """The text a reader sees of escaped markdown: backslash escapes and zero-width spaces
    removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u200b", "")


def one_line(text: str) -> str:
    return " ".join(text.split())


def unescaped_markup(markdown: str) -> list[str]:
    """Characters of ``markdown`` that are read as markup: not preceded by a backslash."""
    found, position = [], 0
    while position < len(markdown):
        char = markdown[position]
        if char == "\\":
            position += 2
            continue
        if char in ALWAYS_ESCAPED:
            found.append(char)
        position += 1
    return found


def markdown_values(at: AppTest) -> list[str]:
    """Every text on the page that Streamlit renders as markdown."""
    values = [
        element.value
        for kind in ("title", "header", "subheader", "markdown", "caption")
        for element in getattr(at, kind)
    ]
    values += [e.value for kind in ("info", "warning", "error", "success") for e in at.get(kind)]
    values += [option for radio in at.radio for option in radio.options]
    values += [e.label for e in at.expander]
    values += [text for m in at.metric for text in (m.label, m.value)]
    return values


def markdown_table(markdown: str) -> pd.DataFrame:
    """The cells a reader sees of a markdown table, the first column as the index."""
    rows = [
        [shown(cell.strip()) for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        for line in markdown.splitlines()
    ]
    header, _, *body = rows
    return pd.DataFrame(body, columns=header).set_index(header[0])


def story_table(at: AppTest) -> pd.DataFrame:
    """The Overview's table of segments, as a reader sees it."""
    return markdown_table(next(m.value for m in at.markdown if m.value.startswith("| Segment")))
