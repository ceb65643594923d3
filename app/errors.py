"""Errors on a page: one sentence, shown as text; the traceback goes to the server log."""

from __future__ import annotations

import logging

import streamlit as st

from app.text import markdown_text
from segmentation.errors import DataError

logger = logging.getLogger(__name__)


def show_error(message: str) -> None:
    """One error sentence, shown as text (it may quote file names, columns and values)."""
    st.error(markdown_text(message), icon=":material/error:")


def failure_sentence(error: Exception, subject: str) -> str:
    """The sentence to show for ``error``: the package's own message for bad input, else a
    short one naming ``subject`` (the traceback goes to the server log, never to the page).
    """
    if isinstance(error, DataError):
        return str(error)
    logger.error("%s failed", subject, exc_info=error)
    return f"{subject} failed unexpectedly ({type(error).__name__})."
