"""Tables written for people: CSV that is safe to open in a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: A text cell starting with one of these is read as a formula by spreadsheets (OWASP), the
#: full-width forms included (some spreadsheets read ``＝1+1`` as ``=1+1``).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def is_formula(text: str) -> bool:
    """Whether a spreadsheet may run ``text`` as a formula: a trigger first, spaces aside."""
    return text.startswith(FORMULA_TRIGGERS) or text.lstrip(" ").startswith(FORMULA_TRIGGERS)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text cells that a spreadsheet would run as formulas start with ``'``.

    Only text columns (categorical ones included) are touched, and the column names: numbers,
    negative ones included, stay numbers.
    """
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
            text = values.astype("str")
            risky = text.map(lambda v: isinstance(v, str) and is_formula(v)).astype(bool)
            risky &= values.notna()
            safe[column] = values.where(~risky, "'" + text)
    safe.columns = [f"'{c}" if is_formula(str(c)) else c for c in safe.columns]
    return safe


def to_safe_csv(frame: pd.DataFrame) -> str:
    """CSV text of ``frame`` with formulas neutralised and no index."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\n")


def write_safe_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write :func:`to_safe_csv` of ``frame`` to ``path`` as UTF-8."""
    Path(path).write_text(to_safe_csv(frame), encoding="utf-8")
