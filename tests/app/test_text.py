"""Safe text: markdown escaping and file names shown as they are, never as markup."""

from __future__ import annotations

import re

import pytest

from app.text import MAX_NAME_LENGTH, markdown_text, safe_name
from tests.app.rendered import one_line, shown, unescaped_markup
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
