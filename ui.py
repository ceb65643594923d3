"""Shared pieces of the Streamlit app: the data source, the cached pipeline, formats, colours.

Pages read the current data with :func:`current_bundle`; it never raises: input problems
are shown as one ``st.error`` sentence and the last good data (or the demo) is used.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, fields
from datetime import date

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
from segmentation.schema import TOTAL_PURCHASE
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


@st.cache_data(max_entries=6, show_spinner=False)
def load_bundle(
    data: bytes,
    name: str,
    columns: tuple[tuple[str, str], ...] = (),
    sheet: str | None = None,
    options: tuple[tuple[str, object], ...] = (),
    snapshot: str | None = None,
) -> Bundle:
    """Run load, cleaning and customer features on file bytes; cached by content and options."""
    run = run_features(
        data,
        name=name,
        columns=dict(columns) or None,
        sheet=sheet,
        cleaning=CleaningOptions(**dict(options)),
        snapshot_date=snapshot,
    )
    raw = run.transactions.data
    clean = run.cleaned.data
    report = run.cleaned.report
    return Bundle(
        source=name,
        summary=run.summary(),
        load_report=run.transactions.report,
        preview=raw.head(PREVIEW_ROWS),
        missing=missing_values(raw),
        steps=report.steps,
        cleaning_table=report.table(),
        rows_in=report.rows_in,
        revenue_in=report.revenue_out + sum(s.revenue_removed for s in report.steps),
        line_totals=clean[TOTAL_PURCHASE].rename("total_purchase"),
        monthly=monthly_activity(clean),
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


@st.cache_data(max_entries=2, show_spinner=False)
def _read_file(path: str) -> tuple[bytes, str]:
    return read_source(path)


@st.cache_resource(show_spinner=False)
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
    except DataError as error:
        return None, f"The configured data file ({DATA_ENV}) cannot be used: {error}"
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
            format_func=lambda kind: f"{labels[kind]}: {sources[kind].name}",
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


def current_bundle() -> Bundle:
    """The data of the active source with the chosen options; errors are shown, never raised.

    When the options do not work (a snapshot before the last purchase, a cleaning that
    leaves nothing), the error is shown and the source is used with default options.
    """
    source = active_source()
    try:
        with st.spinner(f"Reading and cleaning {source.name}…"):
            return load_bundle(
                source.data,
                source.name,
                column_overrides(source),
                chosen_sheet(source),
                options_key(cleaning_options()),
                snapshot_text(),
            )
    except DataError as error:
        st.error(str(error), icon=":material/error:")
    try:
        return load_bundle(source.data, source.name, options=options_key(CleaningOptions()))
    except DataError:
        demo = demo_source()
        return load_bundle(demo.data, demo.name, options=options_key(CleaningOptions()))


def handle_upload(name: str, data: bytes) -> str | None:
    """Load an uploaded file and make it the active source.

    Returns ``None`` on success, else the error sentence; the previous source stays active.
    A file whose columns cannot be recognised is kept as ``pending_upload`` so its columns
    can be mapped by hand.
    """
    st.session_state.pop("pending_upload", None)
    try:
        load_bundle(data, name, options=options_key(CleaningOptions()))
    except ColumnError as error:
        st.session_state["pending_upload"] = Source(name, data, "upload")
        return str(error)
    except DataError as error:
        return str(error)
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


def current_segmentation(bundle: Bundle) -> Segmentation | None:
    """The segmentation of the current customers with the chosen options, or ``None``.

    A failure is shown as one ``st.error`` sentence.
    """
    try:
        with st.spinner("Clustering the customers (a few seconds the first time)…"):
            result = segment(bundle.customers, **clustering_params())
    except DataError as error:
        st.error(str(error), icon=":material/error:")
        return None
    st.session_state["segments_ready"] = True
    return result


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
