"""Numbers and money as the pages write them."""

from __future__ import annotations


def money(value: float) -> str:
    """Pounds with thousands separators and no pence: ``£1,234``."""
    return f"-£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def count(value: float) -> str:
    """A whole number with thousands separators."""
    return f"{value:,.0f}"
