"""Safe text: markdown escaping and file names shown as they are, never as markup."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from app.text import MAX_NAME_LENGTH, markdown_text, safe_name
from app.text import markdown_table as markdown_table_of
from tests.app.rendered import markdown_table, one_line, shown, unescaped_markup
from tests.samples import HOSTILE_STRINGS


@pytest.mark.parametrize(
    "text",
    [
        *HOSTILE_STRINGS,
        ":red[colour] :material/home: :smile: :streamlit:",
        "$x^2$ `code` ~~gone~~ _under_ __init__ a*b*c",
        "# heading",
        "- item",
        "1. item",
        "> quote",
        "www.example.com mail@example.com <http://x.y>",
        "a -> b <- c -- d",
        "&lt;b&gt; &#60;",
        "line\nbreak\r\nand\x00control",
        "SEGMENTATION_DATA in small.csv: 10:30 (ok), Lost & gone",
    ],
)
def test_markdown_text_shows_the_text_as_it_is(text: str) -> None:
    escaped = markdown_text(text)
    assert shown(escaped) == one_line(text.replace("\x00", " "))
    assert not unescaped_markup(escaped), escaped
    assert not re.search(r"(?<!\\)&#?\w+;", escaped), "an entity would show as its character"
    assert "http://" not in escaped and "www." not in escaped
    assert not re.match(r"(#|[-+*]\s|\d+[.)]\s)", escaped)


def test_plain_names_are_left_alone() -> None:
    for text in ("small.csv", "SEGMENTATION_DATA", "Lost & gone", "line 3: bad value"):
        assert markdown_text(text) == text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../x.csv", "x.csv"),
        ("..\\..\\windows\\x.csv", "x.csv"),
        ("/etc/passwd", "passwd"),
        ("shop\x00\n.csv", "shop .csv"),
        ("..", "upload"),
        (".hidden.csv", "hidden.csv"),
        ("plain name.xlsx", "plain name.xlsx"),
    ],
)
def test_safe_name_keeps_the_last_part_only(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_safe_name_is_bounded_and_keeps_the_extension() -> None:
    name = safe_name("a" * 500 + ".parquet")
    assert len(name) <= MAX_NAME_LENGTH and name.endswith("….parquet")


def test_a_markdown_table_shows_every_cell_as_it_is() -> None:
    cells = [*HOSTILE_STRINGS, "a | b", "ends with \\", "line\nbreak"]
    frame = pd.DataFrame(
        {"Who | they are": cells, "Share": [f"{n}%" for n in range(len(cells))]},
        index=pd.Index([f"Segment {n}" for n in range(len(cells))], name="Segment"),
    )
    table = markdown_table(markdown_table_of(frame))
    assert table.index.tolist() == frame.index.tolist()
    assert table.columns.tolist() == ["Who | they are", "Share"]
    assert table["Who | they are"].tolist() == [one_line(c) for c in cells]
    assert not unescaped_markup(markdown_table_of(frame))
