"""Spreadsheet-safe CSV (OWASP CSV injection)."""

from __future__ import annotations

import pandas as pd

from segmentation.export import neutralise_formulas, to_safe_csv


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
