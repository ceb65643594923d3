"""A link shows the same view: the settings of :mod:`app.settings` travel in the page's
address, and a session opened from a link starts from them.

Every run writes the current settings into the address (those that differ from their
defaults), so the address bar always holds a link to what is on screen; the first run of
a session reads them back. A value that is not one of a setting's choices is ignored, the
setting keeps its default and one warning sentence says so. An uploaded file (transactions
or categories) never travels: a link opened elsewhere shows the demo or the configured
data.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from app.settings import (
    CATEGORY_NAMES,
    CATEGORY_PARAM,
    DEFAULT_VARIABLE,
    LABEL_PREFIX,
    NAME_PARAM,
    SETTINGS,
    VARIABLE_KEY,
    VIEW_PARAM,
    VIEWS,
    parse_view,
    segment_name,
    view_key,
)
from app.sources import configured_path
from app.text import markdown_text

#: Session-state key: the link of this session has been read.
READ = "link_read"
#: Session-state key: segment names from the link, waiting for their clusters.
PENDING_NAMES = "link_names"
#: Longest value quoted in the warning about a link's settings.
QUOTED = 40


def current_params() -> dict[str, str]:
    """The settings of this session that differ from their defaults, as link parameters."""
    state = st.session_state
    params = {}
    for setting in SETTINGS:
        value = state.get(setting.key)
        if value is not None and value != setting.default:
            params[setting.param] = setting.show(value)
    if params.get("data") == "upload" or not configured_path():
        params.pop("data", None)  # an upload stays private; the demo is the only other data
    variable = state.get(VARIABLE_KEY, DEFAULT_VARIABLE)
    if state.get(view_key(variable)) in VIEWS:
        params[VIEW_PARAM] = state[view_key(variable)]
    names = {
        int(key.removeprefix(LABEL_PREFIX)): str(state[key]).strip()
        for key in state
        if str(key).startswith(LABEL_PREFIX) and key.removeprefix(LABEL_PREFIX).isdigit()
    }
    names |= state.get(PENDING_NAMES, {})  # from a link, not yet given to their clusters
    for cluster in sorted(names):
        if names[cluster]:
            params[f"{NAME_PARAM}{cluster}"] = names[cluster]
    for position, name in sorted(state.get(CATEGORY_NAMES, {}).items()):
        params[f"{CATEGORY_PARAM}{position}"] = name
    return params


def read_link() -> None:
    """On a session's first run, take the settings from the address; say once, in one
    sentence, which parameters were not understood."""
    if st.session_state.get(READ):
        return
    st.session_state[READ] = True
    given = {name: st.query_params.get(name, "") for name in st.query_params}
    ignored = []
    for setting in SETTINGS:
        if setting.param in given:
            text = given.pop(setting.param)
            try:
                st.session_state[setting.key] = setting.parse(text)
            except (ValueError, KeyError):
                ignored.append(f"{setting.param}={text[:QUOTED]}")
    names, categories = {}, {}
    for param, text in given.items():
        number = param.removeprefix(NAME_PARAM)
        position = param.removeprefix(CATEGORY_PARAM)
        try:
            if param == VIEW_PARAM:
                variable = st.session_state.get(VARIABLE_KEY, DEFAULT_VARIABLE)
                st.session_state[view_key(variable)] = parse_view(text)
            elif param.startswith(NAME_PARAM) and number.isdigit() and len(number) < 3:
                names[int(number)] = segment_name(text)
            elif param.startswith(CATEGORY_PARAM) and position.isdigit() and len(position) < 4:
                categories[int(position)] = segment_name(text)
            else:
                raise ValueError(param)
        except ValueError:
            ignored.append(f"{param}={text[:QUOTED]}")
    if names:
        st.session_state[PENDING_NAMES] = names
    if categories:
        st.session_state[CATEGORY_NAMES] = categories
    if ignored:
        listed = ", ".join(markdown_text(item) for item in ignored)
        st.warning(
            f"This link's settings {listed} are not valid here and were ignored; "
            "their defaults are shown.",
            icon=":material/link_off:",
        )


def write_link() -> None:
    """Put the current settings into the address (only when they changed)."""
    params = current_params()
    if params != {name: st.query_params.get(name) for name in st.query_params}:
        st.query_params.from_dict(params)


def link_control() -> None:
    """A "Copy link to this view" control: the address of this page with its settings."""
    base = st.context.url or ""
    params = current_params()
    link = f"{base}?{urlencode(params)}" if params else base
    with st.popover("Copy link to this view", icon=":material/link:"):
        st.caption(
            "Opening this link shows this page with the same settings, segment names and "
            "category names, on the demo or the configured data (an uploaded file or "
            "category list stays in this session)."
        )
        st.code(link, language=None, wrap_lines=True)


def pending_names() -> dict[int, str]:
    """Segment names from a link, to be given to their clusters once (then forgotten)."""
    return st.session_state.pop(PENDING_NAMES, {})
