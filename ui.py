"""Shared pieces of the Streamlit app: the data source, the cached pipeline, formats, colours.

Pages read the current data with :func:`current_bundle`; it never raises: input problems
are shown as one ``st.error`` sentence and the last good data (or the demo) is used.
"""

from __future__ import annotations

import html
import io
import logging
import os
import re
import unicodedata
import zlib
from dataclasses import dataclass, fields
from datetime import date
from pathlib import PurePosixPath

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from segmentation.cleaning import CleaningOptions, StepResult
from segmentation.clustering import cluster_labels
from segmentation.demo import DEMO_TRANSACTIONS
from segmentation.errors import ColumnError, DataError
from segmentation.exploration import missing_values, monthly_activity
from segmentation.hierarchy import (
    Dendrogram,
    cophenetic_correlations,
    cut_height,
    dendrogram_data,
    linkage_matrix,
    tree_labels,
)
from segmentation.loading import LoadReport
from segmentation.pipeline import run_features
from segmentation.preparation import DEFAULT_FEATURES, PreparedFeatures, sample_rows
from segmentation.profiles import CLUSTER, SEGMENT
from segmentation.reading import read_source, read_table
from segmentation.report import SEGMENT_COLOURS
from segmentation.segment import Segmentation, segment_customers
from segmentation.stability import Stability, bootstrap_stability, labels_agreement

#: Environment variable (or ``st.secrets`` key) naming a data file used instead of the demo.
DATA_ENV = "SEGMENTATION_DATA"
#: File types the uploader accepts.
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "parquet", "gz", "zip"]
PREVIEW_ROWS = 50
#: Session-state keys of widgets whose values must survive a page change.
PERSISTENT_PREFIXES = ("step_", "explore_", "cluster_", "label_")
SOURCE_KEY = "source_choice"
#: Session-state keys of the last data options and clustering options that worked.
LAST_GOOD_DATA = "last_good_data"
LAST_GOOD_SEGMENTATION = "last_good_segmentation"
SNAPSHOT_KEY = "snapshot"
#: Clustering controls and their defaults (session-state key -> value).
CLUSTER_DEFAULTS: dict[str, object] = {
    "cluster_features": list(DEFAULT_FEATURES),
    "cluster_transform": "log1p",
    "cluster_scaler": "standard",
    "cluster_method": "kmeans",
    "cluster_linkage": "ward",
    "cluster_auto_k": True,
    "cluster_k": 4,
}
#: Rows a linkage tree or a method comparison is built on (a seeded sample above it).
TREE_ROWS = 2_000
#: Longest file name shown; longer names keep their start and their extension.
MAX_NAME_LENGTH = 120

logger = logging.getLogger(__name__)

#: Characters that Streamlit markdown (CommonMark, GFM, LaTeX, colours, icons, emoji) may
#: read as markup anywhere in a line; each is backslash-escaped to show as itself. First an
#: emoji or logo code (``:smile:``, both colons); then ``_`` unless between two letters or
#: digits, ``:`` before a name, ``&`` starting an entity, ``/`` after ``material`` (an icon).
_MARKDOWN_SPECIAL = re.compile(
    r":[\w+-]+:"
    r"|[\\`*\[\]<>~$]"
    r"|(?<![^\W_])_|_(?![^\W_])"
    r"|:(?=[\w\[{/+-])"
    r"|&(?=#?\w+;)"
    r"|(?<=material)/",
    re.IGNORECASE,
)
#: Block markers at the start of a line: bullets, headings, numbered items (quotes are
#: escaped everywhere).
_MARKDOWN_LEADING = re.compile(r"^(?:[-+*](?=\s|$)|#+(?=\s|$)|\d+(?=[.)](?:\s|$)))")
#: Plain text that Streamlit turns into something else after parsing, where escaping does not
#: help: links (``http://``, ``www.``, e-mail addresses), its logo (``:streamlit:``) and
#: arrows and dashes (``->``, ``<-``, ``--``). A zero-width space there keeps the text as
#: it reads.
_TEXT_MARKUP = re.compile(
    r"(?<=:)(?=//|streamlit:)|(?<=\bwww)(?=\.)|(?<=[\w.+-])(?=@[\w-]+\.)"
    r"|(?<=-)(?=[->])|(?<=<)(?=-)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Source:
    """A data file held in memory: display name, bytes and where it came from."""

    name: str
    data: bytes
    kind: str  # "demo", "configured" or "upload"


@dataclass(frozen=True)
class Bundle:
    """What the pages need from one pipeline run, as picklable tables and values."""

    source: str
    summary: dict[str, object]
    load_report: LoadReport
    preview: pd.DataFrame
    missing: pd.DataFrame
    steps: tuple[StepResult, ...]
    cleaning_table: pd.DataFrame
    rows_in: int
    revenue_in: float
    line_totals: pd.Series
    monthly: pd.DataFrame
    customers: pd.DataFrame
    snapshot: pd.Timestamp


def options_key(options: CleaningOptions) -> tuple[tuple[str, object], ...]:
    """Cleaning options as a hashable tuple of (field, value) pairs."""
    return tuple((f.name, getattr(options, f.name)) for f in fields(options))


def markdown_text(value: object) -> str:
    """``value`` as literal text where Streamlit reads markdown (headings, captions, alerts,
    radio options, spinners): file names, column names, countries, typed segment names.

    Runs of whitespace (tabs and line breaks too) become one space, every character with a
    markdown meaning is backslash-escaped, a leading list or heading marker is escaped, and
    text that GFM would turn into a link gets a zero-width space.
    """
    text = _one_line(value)
    text = _TEXT_MARKUP.sub("\u200b", text)
    text = _MARKDOWN_SPECIAL.sub(_escape_markup, text)
    return _MARKDOWN_LEADING.sub(
        lambda m: m[0] + "\\" if m[0][0].isdigit() else "\\" + m[0], text, count=1
    )


def _escape_markup(match: re.Match[str]) -> str:
    token = match[0]
    if len(token) > 1:  # an emoji code: escape both colons and what is between them
        return "\\:" + _MARKDOWN_SPECIAL.sub(_escape_markup, token[1:-1]) + "\\:"
    return "\\" + token


def _one_line(value: object) -> str:
    """``value`` as text on one line: control characters and whitespace runs become a space."""
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in str(value))
    return " ".join(text.split())


def chart_text(value: object) -> str:
    """``value`` as literal text in a Plotly label, legend or hover (Plotly reads some HTML)."""
    return html.escape(str(value), quote=False)


def safe_name(name: str) -> str:
    """A file name fit to show: the last part of any path, no control characters, bounded.

    Uploads are read from memory only; the name is never used as a path, this only keeps
    what is shown short and harmless (``../../x.csv`` is shown as ``x.csv``).
    """
    last = PurePosixPath(str(name).replace("\\", "/")).name
    text = _one_line(last).lstrip(". ") or "upload"
    if len(text) > MAX_NAME_LENGTH:
        _, dot, extension = text.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        text = text[: MAX_NAME_LENGTH - len(keep) - 2] + "…" + ("." + keep if keep else "")
    return text


def load_bundle(
    data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...] = (),
    sheet: str | None = None,
    options: tuple[tuple[str, object], ...] = (),
    snapshot: str | None = None,
) -> Bundle:
    """Run load, cleaning and customer features on file bytes; cached by content and options.

    Streamlit keys its cache on the arguments as passed (a default left out is not the same
    key as the default given), so every call goes to the cache in one form: one entry, and
    one pipeline run, per file and options.
    """
    options = options or options_key(CleaningOptions())
    return _load_bundle(data, name, tuple(columns), sheet, tuple(options), snapshot)


@st.cache_data(max_entries=6, show_spinner=False)
def _load_bundle(
    data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...],
    sheet: str | None,
    options: tuple[tuple[str, object], ...],
    snapshot: str | None,
) -> Bundle:
    run = run_features(
        data,
        name=name,
        columns=dict(columns) or None,
        sheet=sheet,
        cleaning=CleaningOptions(**dict(options)),
        snapshot_date=snapshot,
    )
    report = run.cleaned.report
    return Bundle(
        source=name,
        summary=run.summary(),
        load_report=run.transactions.report,
        preview=run.preview(PREVIEW_ROWS),
        missing=missing_values(run.transactions_table()),
        steps=report.steps,
        cleaning_table=report.table(),
        rows_in=report.rows_in,
        revenue_in=report.revenue_out + sum(s.revenue_removed for s in report.steps),
        line_totals=run.line_totals(),
        monthly=monthly_activity(run.cleaned.table),
        customers=run.customers,
        snapshot=run.snapshot_date,
    )


@st.cache_data(max_entries=6, show_spinner=False)
def source_columns(data: bytes, name: str, sheet: str | None = None) -> list[str]:
    """Column names of a file as written in it, for mapping columns by hand."""
    table = read_table(data, name, sheet=sheet)
    frame = table.frame
    return [str(c) for c in getattr(frame, "column_names", None) or frame.columns]


@st.cache_data(max_entries=6, show_spinner=False)
def workbook_sheets(data: bytes) -> list[str]:
    """Sheet names of an Excel workbook (empty for other files)."""
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except Exception:  # not a workbook: calamine raises its own kinds
        return []


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


def keep_widget_state() -> None:
    """Keep cross-page widget values alive while their page is not shown."""
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(PERSISTENT_PREFIXES):
            st.session_state[key] = st.session_state[key]


def sidebar() -> None:
    """Controls shared by every page: data source and snapshot date."""
    sources = available_sources()
    if st.session_state.get(SOURCE_KEY) not in sources:
        st.session_state[SOURCE_KEY] = next(iter(sources))
    labels = {
        "upload": "Uploaded file",
        "configured": "Configured file",
        "demo": "Demo data (synthetic)",
    }
    with st.sidebar:
        st.radio(
            "Data source",
            list(sources),
            format_func=lambda kind: f"{labels[kind]}: {markdown_text(sources[kind].name)}",
            key=SOURCE_KEY,
        )
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


def source_key(source: Source) -> tuple[str, str, int, int]:
    """A cheap fingerprint of a source: kind, name, size and CRC-32 of the bytes."""
    return source.kind, source.name, len(source.data), zlib.crc32(source.data)


def current_bundle() -> Bundle:
    """The data of the active source with the chosen options; errors are shown, never raised.

    When the options do not work (a snapshot before the last purchase, a cleaning that
    leaves nothing), the error is shown and the session keeps its last good state: the
    last options that worked on this source, else the defaults (with the columns mapped by
    hand), else the demo data.
    """
    source = active_source()
    key = source_key(source)
    chosen = (
        column_overrides(source),
        chosen_sheet(source),
        options_key(cleaning_options()),
        snapshot_text(),
    )
    try:
        with st.spinner(f"Reading and cleaning {markdown_text(source.name)}…"):
            bundle = load_bundle(source.data, source.name, *chosen)
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
            bundle = load_bundle(source.data, source.name, *options)
        except Exception:  # the next fallback is tried; the first error is the one shown
            continue
        show_error(f"{message} The last settings that worked are used.")
        return bundle
    show_error(f"{message} The demo data is shown.")
    demo = demo_source()
    return load_bundle(demo.data, demo.name, options=options_key(CleaningOptions()))


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


def money(value: float) -> str:
    """Pounds with thousands separators and no pence: ``£1,234``."""
    return f"-£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def count(value: float) -> str:
    """A whole number with thousands separators."""
    return f"{value:,.0f}"


def segment_colours(segments: list[str]) -> dict[str, str]:
    """One palette colour per segment, in the order given (the same order on every chart)."""
    return {s: SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)] for i, s in enumerate(segments)}


def segment_scale(segments: list[str]) -> alt.Scale:
    """The Altair colour scale of :func:`segment_colours`."""
    colours = segment_colours(segments)
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def clustering_params() -> dict[str, object]:
    """Options of :func:`segment_customers` from the Clustering page (defaults until set)."""
    value = {key: st.session_state.get(key, default) for key, default in CLUSTER_DEFAULTS.items()}
    return {
        "features": tuple(value["cluster_features"]) or DEFAULT_FEATURES,
        "transform": value["cluster_transform"],
        "scaler": value["cluster_scaler"],
        "method": value["cluster_method"],
        "linkage": value["cluster_linkage"],
        "k": "auto" if value["cluster_auto_k"] else int(value["cluster_k"]),
    }


@st.cache_data(max_entries=8, show_spinner=False)
def segment(customers: pd.DataFrame, **params: object) -> Segmentation:
    """:func:`segment_customers`, cached by the customer table and the options."""
    return segment_customers(customers, **params)


def customers_key(bundle: Bundle) -> tuple[object, ...]:
    """A cheap fingerprint of the customer table of ``bundle``."""
    customers = bundle.customers
    return (
        bundle.source,
        len(customers),
        float(customers["monetary"].sum()),
        int(customers["frequency"].sum()),
        str(bundle.snapshot),
    )


def current_segmentation(bundle: Bundle) -> Segmentation | None:
    """The segmentation of the current customers with the chosen options, or ``None``.

    A failure is shown as one ``st.error`` sentence; the session keeps its last good state:
    the segments of the last options that worked on these customers, if any, else ``None``.
    """
    params = clustering_params()
    key = customers_key(bundle)
    try:
        with st.spinner("Clustering the customers (a few seconds the first time)…"):
            result = segment(bundle.customers, **params)
    except Exception as error:
        message = failure_sentence(error, "The clustering")
    else:
        st.session_state[LAST_GOOD_SEGMENTATION] = (key, params)
        st.session_state["segments_ready"] = True
        return result
    last_key, last_params = st.session_state.get(LAST_GOOD_SEGMENTATION, (None, None))
    if last_key == key and last_params != params:
        try:
            result = segment(bundle.customers, **last_params)
        except Exception:  # shown as the first error below
            pass
        else:
            show_error(f"{message} The segments of the last options that worked are shown.")
            return result
    show_error(message)
    return None


def segment_names(segmentation: Segmentation) -> dict[int, str]:
    """Display name of every cluster: the package's label unless the user renamed it.

    Names typed on the Profiles page are kept in session state (``label_<cluster>``) and
    forgotten when the clusters change; a name already taken gets the cluster number added.
    """
    table = segmentation.profiles.table
    signature = tuple(zip(table[CLUSTER].tolist(), table[SEGMENT].tolist(), strict=True))
    if st.session_state.get("labels_signature") != signature:
        for key in [k for k in st.session_state if str(k).startswith("label_")]:
            del st.session_state[key]
        st.session_state["labels_signature"] = signature
    names: dict[int, str] = {}
    for cluster, label in signature:
        name = str(st.session_state.get(f"label_{cluster}", "")).strip() or label
        names[int(cluster)] = f"{name} ({cluster})" if name in names.values() else name
    return names


def named_customers(segmentation: Segmentation) -> pd.DataFrame:
    """The segmented customer table with the display names in ``segment``."""
    names = segment_names(segmentation)
    customers = segmentation.customers
    return customers.assign(**{SEGMENT: customers[CLUSTER].map(names)})


@st.cache_data(max_entries=8, show_spinner=False)
def dendrogram(matrix: np.ndarray, linkage: str, k: int) -> tuple[Dendrogram, float, int]:
    """The last 30 merges of a tree on a sample of ``matrix``, the cut height for ``k``, rows."""
    rows = matrix[sample_rows(len(matrix), TREE_ROWS, 0)]
    tree = linkage_matrix(rows, linkage)
    return dendrogram_data(tree, last_merges=30), cut_height(tree, k), len(rows)


@st.cache_data(max_entries=8, show_spinner=False)
def cophenetic(matrix: np.ndarray) -> dict[str, float]:
    """Cophenetic correlation of each linkage on a sample of ``matrix``."""
    return cophenetic_correlations(matrix, max_rows=TREE_ROWS)


@st.cache_data(max_entries=8, show_spinner=False)
def kmeans_tree_agreement(matrix: np.ndarray, k: int, linkage: str) -> float:
    """Adjusted Rand index of k-means and the cut tree on the same sample of customers."""
    rows = matrix[sample_rows(len(matrix), TREE_ROWS, 0)]
    kmeans = cluster_labels(rows, k, "kmeans")
    tree = tree_labels(linkage_matrix(rows, linkage), [k])[:, 0]
    return labels_agreement(kmeans, tree)


@st.cache_data(max_entries=8, show_spinner=False)
def stability(
    _prepared: PreparedFeatures, matrix: np.ndarray, k: int, method: str, linkage: str
) -> Stability:
    """Bootstrap stability of the method at ``k`` (cached by ``matrix``, the prepared one)."""
    return bootstrap_stability(_prepared, k, method, linkage=linkage, n_resamples=5)


def sample_index(length: int, limit: int = 5_000) -> np.ndarray:
    """Seeded positions of at most ``limit`` of ``length`` rows, for light charts."""
    return sample_rows(length, limit, 0)
