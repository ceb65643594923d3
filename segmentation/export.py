"""Tables written for people: CSV that is safe to open in a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: A text cell starting with one of these is read as a formula by spreadsheets (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text cells that a spreadsheet would run as formulas start with ``'``.

    Only text columns are touched: numbers, negative ones included, stay numbers.
    """
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
            text = values.astype("str")
            risky = text.str.startswith(FORMULA_TRIGGERS).fillna(False) & values.notna()
            safe[column] = values.where(~risky, "'" + text)
    safe.columns = [f"'{c}" if str(c).startswith(FORMULA_TRIGGERS) else c for c in safe.columns]
    return safe


def to_safe_csv(frame: pd.DataFrame) -> str:
    """CSV text of ``frame`` with formulas neutralised and no index."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n")


def write_safe_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write :func:`to_safe_csv` of ``frame`` to ``path`` as UTF-8."""
    Path(path).write_text(to_safe_csv(frame), encoding="utf-8")
