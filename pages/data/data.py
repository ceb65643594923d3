"""Data: pick or upload a file, check how its columns were read, preview the rows."""

import pandas as pd
import streamlit as st

from app.bundle import source_columns, workbook_sheets
from app.column_mapping import mapping_editor
from app.errors import failure_sentence, show_error
from app.formats import count
from app.session import chosen_sheet, column_overrides, current_bundle
from app.sources import (
    UPLOAD_TYPES,
    active_source,
    configured_source,
    on_upload,
)
from app.text import markdown_text
from segmentation.schema import COLUMN_LABELS

ALL_SHEETS = "(every sheet with the same columns)"

st.title("Data")
_, configured_error = configured_source()
if configured_error:
    show_error(configured_error + " The demo data is used instead.")

st.file_uploader(
    "Upload transactions (CSV, TSV, Excel, Parquet, or one of them as .gz / .zip)",
    type=UPLOAD_TYPES,
    key="uploader",
    on_change=on_upload,
    help="One row per invoice line: invoice, date, customer, quantity and price (or amount).",
)
if st.session_state.get("upload_error"):
    show_error(st.session_state["upload_error"])
    st.caption("The data loaded before is still in use.")

pending = st.session_state.get("pending_upload")
if pending is not None:
    st.subheader(f"Map the columns of {markdown_text(pending.name)}")
    try:
        pending_names = source_columns(pending.data, pending.name)
    except Exception as error:
        show_error(failure_sentence(error, f"Reading {pending.name}"))
    else:
        mapping_editor(pending, pending_names, {}, "pending")

source = active_source()
bundle = current_bundle()
report = bundle.load_report

if st.session_state.get("mapping_error"):
    show_error(st.session_state.pop("mapping_error"))

st.subheader(markdown_text(bundle.source))
facts = {
    "Format": report.format + (f" ({report.compression})" if report.compression else ""),
    "Layout": report.layout,
    "Rows read": count(report.rows_read),
    "Encoding": report.encoding or "–",
    "Delimiter": report.delimiter or "–",
    "Sheets": ", ".join(report.sheets) or "–",
}
st.dataframe(pd.DataFrame({"File": list(facts), "Read as": list(facts.values())}), hide_index=True)
if report.notes or report.skipped_lines:
    st.markdown("**Notes from loading**")
    for note in report.notes:
        st.text(f"• {note}")
    if report.skipped_lines:
        st.text(f"• {report.skipped_lines:,} unreadable lines were skipped.")

sheets = workbook_sheets(source.data)
if len(sheets) > 1:
    options = [ALL_SHEETS, *sheets]
    current = chosen_sheet(source) or ALL_SHEETS
    picked = st.selectbox("Sheet", options, index=options.index(current), key="sheet_picker")
    if picked != current:
        st.session_state.setdefault("sheets", {})[source.name] = (
            None if picked == ALL_SHEETS else picked
        )
        st.rerun()

st.subheader("Columns")
how = {c: "guessed from its name" for c in report.guessed}
by_hand = dict(column_overrides(source))
table = pd.DataFrame(
    {
        "column": [COLUMN_LABELS[c] for c in report.mapping],
        "read from": list(report.mapping.values()),
        "how": [
            "chosen by hand" if c in by_hand else how.get(c, f"known layout ({report.layout})")
            for c in report.mapping
        ],
    }
)
st.dataframe(table, hide_index=True)
if report.unmapped:
    st.caption("Not used: " + ", ".join(markdown_text(c) for c in report.unmapped))
unsure = bool(report.guessed)
with st.expander("Change the column mapping", expanded=unsure):
    if unsure:
        st.warning(
            "Some columns were matched by their names only; check them.", icon=":material/warning:"
        )
    names = [*report.mapping.values(), *report.unmapped]
    mapping_editor(source, names, dict(report.mapping), "active")

st.subheader("Preview")
st.caption(f"The first {len(bundle.preview):,} rows as read, before cleaning.")
st.dataframe(bundle.preview, hide_index=True)
