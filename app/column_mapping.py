"""The column mapping editor: each canonical column picked from the file's own columns, and
a button that loads the file with that mapping (the error kept for the page if it fails)."""

from __future__ import annotations

import streamlit as st

from app.bundle import load_bundle, options_key
from app.errors import failure_sentence
from app.session import chosen_sheet
from app.sources import Source, set_upload
from segmentation.schema import COLUMN_LABELS, TRANSACTION_COLUMNS
from segmentation.transactions.cleaning import CleaningOptions

NOT_MAPPED = "(not used)"


def apply_mapping(source: Source, prefix: str) -> None:
    """Button callback: load ``source`` with the chosen columns; keep the error if it fails."""
    chosen = {c: st.session_state.get(f"{prefix}_map_{c}", NOT_MAPPED) for c in TRANSACTION_COLUMNS}
    overrides = {c: name for c, name in chosen.items() if name != NOT_MAPPED}
    try:
        load_bundle(
            source.data,
            source.name,
            tuple(sorted(overrides.items())),
            chosen_sheet(source),
            options_key(CleaningOptions()),
        )
    except Exception as error:
        st.session_state["mapping_error"] = failure_sentence(error, f"Reading {source.name}")
        return
    if source.kind == "upload":
        set_upload(source, overrides)
    else:
        st.session_state.setdefault("column_overrides", {})[source.name] = overrides
    for key in ("pending_upload", "upload_error", "mapping_error"):
        st.session_state.pop(key, None)


def mapping_editor(source: Source, names: list[str], mapping: dict[str, str], prefix: str) -> None:
    """Selectboxes mapping each canonical column to a source column, and a button to apply."""
    choices = [NOT_MAPPED, *names]
    columns = st.columns(3)
    for position, canonical in enumerate(TRANSACTION_COLUMNS):
        current = mapping.get(canonical, NOT_MAPPED)
        columns[position % 3].selectbox(
            COLUMN_LABELS[canonical].capitalize(),
            choices,
            index=choices.index(current) if current in choices else 0,
            key=f"{prefix}_map_{canonical}",
        )
    st.button(
        "Load with this mapping",
        key=f"{prefix}_apply_mapping",
        type="primary",
        on_click=apply_mapping,
        args=(source, prefix),
    )
