"""Spreadsheet-safe CSV (OWASP CSV injection)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from segmentation.cli import main
from segmentation.outputs.export import is_formula, neutralise_formulas, to_safe_csv
from tests.samples import hostile_csv


def test_formula_triggers_are_neutralised_in_text_only():
    frame = pd.DataFrame(
        {
            "name": ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", None],
            "value": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    before = frame.copy()
    safe = neutralise_formulas(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert safe["name"].tolist()[:7] == [
        "'=1+1",
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
    ]
    assert pd.isna(safe["name"].iloc[7])
    assert safe["value"].tolist() == frame["value"].tolist()


def test_headers_are_neutralised_too():
    text = to_safe_csv(pd.DataFrame({"=cmd": ["a"]}))
    assert text.splitlines()[0] == "'=cmd"


def test_spaces_before_a_trigger_and_full_width_triggers_are_neutralised():
    frame = pd.DataFrame({"name": ["  =1+1", " @A1", "＝1+1", "＋1", "a = b", " plain", "\nx"]})
    assert neutralise_formulas(frame)["name"].tolist() == [
        "'  =1+1",
        "' @A1",
        "'＝1+1",
        "'＋1",
        "a = b",
        " plain",
        "'\nx",
    ]


def test_categorical_and_string_columns_are_neutralised():
    frame = pd.DataFrame(
        {
            "segment": pd.Categorical(["=1+1", "Champions", "=1+1"]),
            "name": pd.array(["@SUM(A1)", None, "ok"], dtype="string"),
            "count": [-1, 2, 3],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["segment"].tolist() == ["'=1+1", "Champions", "'=1+1"]
    assert safe["name"].iloc[0] == "'@SUM(A1)" and pd.isna(safe["name"].iloc[1])
    assert safe["count"].tolist() == [-1, 2, 3]
    assert frame["segment"].tolist() == ["=1+1", "Champions", "=1+1"]


@pytest.mark.parametrize("command", ["features", "segment"])
def test_the_command_line_writes_hostile_data_neutralised(tmp_path: Path, command: str):
    source = tmp_path / "hostile.csv"
    source.write_bytes(hostile_csv())
    out = tmp_path / "out"
    assert main([command, str(source), "--output-dir", str(out)]) == 0
    text = (out / "customers.csv").read_text(encoding="utf-8")
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    cells = table.stack()
    assert not cells.map(is_formula).any(), cells[cells.map(is_formula)].tolist()
    for hostile in ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"):
        assert "'" + hostile in set(table["customer_id"])
        assert "'" + hostile in set(table["country"])
    assert "<img src=x onerror=alert(1)>" in set(table["customer_id"])
    assert not (tmp_path / "etc").exists() and sorted(p.name for p in out.iterdir()) == [
        "customers.csv",
        "summary.json",
    ]
