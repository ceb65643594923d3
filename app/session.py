"""The current data of a session: the active source read with the options chosen on the
pages, falling back to the last settings that worked when they fail."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import streamlit as st

from app.bundle import Bundle, load_bundle, options_key
from app.errors import failure_sentence, show_error
from app.headline import Headline, known_headline
from app.settings import SNAPSHOT_KEY
from app.sources import Source, active_source, demo_source, source_key
from app.text import markdown_text
from segmentation.transactions.cleaning import CleaningOptions

#: Session-state keys of widgets whose values must survive a page change.
PERSISTENT_PREFIXES = (
    "step_",
    "explore_",
    "cluster_",
    "label_",
    "movement_",
    "forecast_",
    "products_",
    "offer_",
)
#: Session-state key of the last data options that worked.
LAST_GOOD_DATA = "last_good_data"
#: Session-state key of the file and options the current data was read with (see
#: :func:`data_inputs`).
DATA_INPUTS = "data_inputs"


def keep_widget_state() -> None:
    """Keep cross-page widget values alive while their page is not shown."""
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(PERSISTENT_PREFIXES):
            st.session_state[key] = st.session_state[key]


def cleaning_options() -> CleaningOptions:
    """Cleaning options from the toggles of the Cleaning page (defaults until touched)."""
    defaults = CleaningOptions()
    switches = {
        f.name: bool(st.session_state.get(f"step_{f.name}", getattr(defaults, f.name)))
        for f in fields(defaults)
        if f.type in ("bool", bool)
    }
    return defaults.with_steps(**switches)


def column_overrides(source: Source) -> tuple[tuple[str, str], ...]:
    """Columns mapped by hand for ``source`` (none by default)."""
    chosen = st.session_state.get("column_overrides", {})
    return tuple(sorted(chosen.get(source.name, {}).items()))


def chosen_sheet(source: Source) -> str | None:
    """The workbook sheet picked for ``source`` (``None``: every sheet, stacked)."""
    return st.session_state.get("sheets", {}).get(source.name)


def snapshot_text() -> str | None:
    """The sidebar snapshot date as ``YYYY-MM-DD``, or ``None`` for the default."""
    value = st.session_state.get(SNAPSHOT_KEY)
    return value.isoformat() if isinstance(value, date) else None


def current_inputs() -> tuple[Source, tuple]:
    """The active source and the options it is read with: the columns mapped by hand, the
    sheet, the cleaning options and the snapshot date."""
    source = active_source()
    return source, (
        column_overrides(source),
        chosen_sheet(source),
        options_key(cleaning_options()),
        snapshot_text(),
    )


def current_headline() -> tuple[Headline, Bundle | None]:
    """The headline figures of the current data, and its bundle if it was read for them:
    written down for the demo with the default settings (on screen before a fresh server's
    first pipeline run), else those of :func:`current_bundle`."""
    source, chosen = current_inputs()
    known = known_headline(source_key(source), chosen)
    if known is not None:
        return known, None
    bundle = current_bundle()
    return Headline.of(bundle), bundle


def current_bundle() -> Bundle:
    """The data of the active source with the chosen options; errors are shown, never raised.

    When the options do not work (a snapshot before the last purchase, a cleaning that
    leaves nothing), the error is shown and the session keeps its last good state: the
    last options that worked on this source, else the defaults (with the columns mapped by
    hand), else the demo data.
    """
    source, chosen = current_inputs()
    key = source_key(source)
    try:
        with st.spinner(f"Reading and cleaning {markdown_text(source.name)}…"):
            bundle = _loaded(source, chosen)
    except Exception as error:
        message = failure_sentence(error, f"Reading {source.name}")
    else:
        st.session_state[LAST_GOOD_DATA] = (key, chosen)
        return bundle
    fallbacks = []
    last_key, last_options = st.session_state.get(LAST_GOOD_DATA, (None, None))
    if last_key == key and last_options != chosen:
        fallbacks.append(last_options)
    fallbacks.append((chosen[0], chosen[1], options_key(CleaningOptions()), None))
    for options in dict.fromkeys(fallbacks):
        if options == chosen:
            continue
        try:
            bundle = _loaded(source, options)
        except Exception:  # the next fallback is tried; the first error is the one shown
            continue
        show_error(f"{message} The last settings that worked are used.")
        return bundle
    show_error(f"{message} The demo data is shown.")
    return _loaded(demo_source(), ((), None, options_key(CleaningOptions()), None))


def _loaded(source: Source, options: tuple) -> Bundle:
    """The bundle of ``source`` read with ``options`` (columns, sheet, cleaning, snapshot),
    remembered as the current data's inputs."""
    bundle = load_bundle(source.data, source.name, *options)
    st.session_state[DATA_INPUTS] = (source.data, source.name, *options[:3])
    return bundle


def data_inputs() -> tuple[bytes, str, tuple[tuple[str, str], ...], str | None, tuple]:
    """The bytes, name, hand-mapped columns, sheet and cleaning options the data of the
    last :func:`current_bundle` was read with (not its snapshot date), for pages that read
    the same transactions again in another way."""
    return st.session_state[DATA_INPUTS]
