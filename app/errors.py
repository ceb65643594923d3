"""Errors on a page: one sentence, shown as text; the traceback goes to the server log."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from app.text import markdown_text
from segmentation.errors import DataError

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


def show_error(message: str) -> None:
    """One error sentence, shown as text (it may quote file names, columns and values)."""
    st.error(markdown_text(message), icon=":material/error:")


def show_failure(message: str, quiet: bool, without: str) -> None:
    """``message`` in an error box, or (``quiet``, on pages that do without what failed) in
    a caption after ``without`` ("No predicted value or risk")."""
    if quiet:
        st.caption(f"{without}: {markdown_text(message)}")
    else:
        show_error(message)


def failure_sentence(error: Exception, subject: str) -> str:
    """The sentence to show for ``error``: the package's own message for bad input, else a
    short one naming ``subject`` (the traceback goes to the server log, never to the page).
    """
    if isinstance(error, DataError):
        return str(error)
    logger.error("%s failed", subject, exc_info=error)
    return f"{subject} failed unexpectedly ({type(error).__name__})."


def last_that_worked(
    compute: Callable[[object], Result],
    chosen: object,
    data: object,
    state_key: str,
    subject: str,
    fallback: str,
) -> Result | None:
    """``compute(chosen)``; where it fails, its sentence is shown and, on the same ``data``,
    the result of the last choice that worked (kept under ``state_key``) is returned with
    ``fallback`` said after that sentence; ``None`` when there is none."""
    try:
        result = compute(chosen)
    except Exception as error:
        message = failure_sentence(error, subject)
    else:
        st.session_state[state_key] = (data, chosen)
        return result
    last_data, last_chosen = st.session_state.get(state_key, (None, None))
    if last_data == data and last_chosen != chosen:
        with contextlib.suppress(Exception):  # the first error is the one shown
            result = compute(last_chosen)
            show_error(f"{message} {fallback}")
            return result
    show_error(message)
    return None
