"""What every page shows around its own content: the sidebar controls and the demo banner."""

from __future__ import annotations

import streamlit as st

from app.settings import SNAPSHOT_KEY, SOURCE_KEY
from app.sources import active_source, available_sources
from app.text import markdown_text

SOURCE_LABELS = {
    "upload": "Uploaded file",
    "configured": "Configured file",
    "demo": "Demo data (synthetic)",
}


def sidebar() -> None:
    """Controls shared by every page: data source and snapshot date, each in a popover
    whose label says the current choice. A popover's widget is drawn when it is opened, so
    a first visit to any page loads none of the radio's and date picker's scripts."""
    sources = available_sources()
    if st.session_state.get(SOURCE_KEY) not in sources:
        st.session_state[SOURCE_KEY] = next(iter(sources))
    snapshot = st.session_state.get(SNAPSHOT_KEY)

    def label(kind: str) -> str:
        return f"{SOURCE_LABELS[kind]}: {markdown_text(sources[kind].name)}"

    with st.sidebar:
        with st.popover(label(st.session_state[SOURCE_KEY]), icon=":material/database:"):
            st.radio("Data source", list(sources), format_func=label, key=SOURCE_KEY)
        shown = f"{snapshot:%Y-%m-%d}" if snapshot else "the day after the last purchase"
        with st.popover(f"Snapshot date: {shown}", icon=":material/event:"):
            st.date_input(
                "Snapshot date",
                value=None,
                key=SNAPSHOT_KEY,
                help="Recency is counted in days up to this date. "
                "Empty: the day after the last purchase.",
            )


def banner() -> None:
    """Say so when the demo data is shown."""
    if active_source().kind == "demo":
        st.info(
            "You are looking at the embedded synthetic demo data. "
            "Upload your own transactions on the Data page.",
            icon=":material/info:",
        )
