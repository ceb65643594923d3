"""Which file the session looks at: an upload, the configured file or the embedded demo.

Uploads are held in memory and never written; their names are only shown.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass

import streamlit as st

from app.bundle import load_bundle, options_key
from app.errors import failure_sentence
from app.settings import SOURCE_KEY
from app.text import safe_name
from segmentation.demo import DEMO_TRANSACTIONS
from segmentation.errors import ColumnError
from segmentation.read.files import read_source
from segmentation.transactions.cleaning import CleaningOptions

#: Environment variable (or ``st.secrets`` key) naming a data file used instead of the demo.
DATA_ENV = "SEGMENTATION_DATA"
#: File types the uploader accepts.
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "parquet", "gz", "zip"]


@dataclass(frozen=True)
class Source:
    """A data file held in memory: display name, bytes and where it came from."""

    name: str
    data: bytes
    kind: str  # "demo", "configured" or "upload"


def configured_path() -> str | None:
    """The data file named by ``SEGMENTATION_DATA`` (environment first, then secrets)."""
    path = os.environ.get(DATA_ENV)
    if path:
        return path
    try:
        return st.secrets.get(DATA_ENV)
    except FileNotFoundError:  # no secrets.toml at all
        return None


@st.cache_resource(max_entries=2, show_spinner=False)
def _read_file(path: str) -> tuple[bytes, str]:
    """The bytes of the configured file, shared (bytes cannot change) rather than copied."""
    return read_source(path)


@st.cache_resource(max_entries=1, show_spinner=False)
def demo_source() -> Source:
    """The embedded demo transactions (read once per server process)."""
    return Source(DEMO_TRANSACTIONS.name, DEMO_TRANSACTIONS.read_bytes(), "demo")


def configured_source() -> tuple[Source | None, str | None]:
    """The configured file if it loads, else ``None`` and the error sentence to show."""
    path = configured_path()
    if not path:
        return None, None
    try:
        data, name = _read_file(path)
        load_bundle(data, name, options=options_key(CleaningOptions()))
    except Exception as error:
        reason = failure_sentence(error, f"Reading {path}")
        return None, f"The configured data file ({DATA_ENV}) cannot be used: {reason}"
    return Source(name, data, "configured"), None


def available_sources() -> dict[str, Source]:
    """Sources to choose from, by kind: the upload, the configured file, the demo."""
    sources: dict[str, Source] = {}
    upload = st.session_state.get("upload")
    if upload is not None:
        sources["upload"] = upload
    configured, _ = configured_source()
    if configured is not None:
        sources["configured"] = configured
    sources["demo"] = demo_source()
    return sources


def active_source() -> Source:
    """The source picked in the sidebar (the first available one by default)."""
    sources = available_sources()
    return sources.get(st.session_state.get(SOURCE_KEY), next(iter(sources.values())))


def source_key(source: Source) -> tuple[str, str, int, int]:
    """A cheap fingerprint of a source: kind, name, size and CRC-32 of the bytes."""
    return source.kind, source.name, len(source.data), zlib.crc32(source.data)


def handle_upload(name: str, data: bytes) -> str | None:
    """Load an uploaded file (held in memory, never written) and make it the active source.

    Returns ``None`` on success, else the error sentence; the previous source stays active.
    A file whose columns cannot be recognised is kept as ``pending_upload`` so its columns
    can be mapped by hand. ``name`` is only shown (as :func:`safe_name`), never a path.
    """
    name = safe_name(name)
    st.session_state.pop("pending_upload", None)
    try:
        load_bundle(data, name, options=options_key(CleaningOptions()))
    except ColumnError as error:
        st.session_state["pending_upload"] = Source(name, data, "upload")
        return str(error)
    except Exception as error:
        return failure_sentence(error, f"Reading {name}")
    set_upload(Source(name, data, "upload"))
    return None


def set_upload(source: Source, columns: dict[str, str] | None = None) -> None:
    """Make ``source`` the active upload, with hand-mapped ``columns`` if any."""
    st.session_state["upload"] = source
    st.session_state[SOURCE_KEY] = "upload"
    st.session_state.setdefault("column_overrides", {})[source.name] = dict(columns or {})
    st.session_state.get("sheets", {}).pop(source.name, None)
    st.session_state.pop("segment_labels", None)


def on_upload() -> None:
    """Callback of the Data page's file uploader."""
    uploaded = st.session_state.get("uploader")
    if uploaded is None:
        return
    st.session_state["upload_error"] = handle_upload(uploaded.name, uploaded.getvalue())
