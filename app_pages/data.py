"""Data: pick or upload a file, check how its columns were read, preview the rows."""

import pandas as pd
import streamlit as st

import ui
from segmentation.cleaning import CleaningOptions
from segmentation.schema import COLUMN_LABELS, TRANSACTION_COLUMNS

NOT_MAPPED = "(not used)"
ALL_SHEETS = "(every sheet with the same columns)"


def apply_mapping(source: ui.Source, prefix: str) -> None:
    """Button callback: load ``source`` with the chosen columns; keep the error if it fails."""
    chosen = {c: st.session_state.get(f"{prefix}_map_{c}", NOT_MAPPED) for c in TRANSACTION_COLUMNS}
    overrides = {c: name for c, name in chosen.items() if name != NOT_MAPPED}
    try:
        ui.load_bundle(
            source.data,
            source.name,
            tuple(sorted(overrides.items())),
            ui.chosen_sheet(source),
            ui.options_key(CleaningOptions()),
        )
    except Exception as error:
        st.session_state["mapping_error"] = ui.failure_sentence(error, f"Reading {source.name}")
        return
    if source.kind == "upload":
        ui.set_upload(source, overrides)
    else:
        st.session_state.setdefault("column_overrides", {})[source.name] = overrides
    for key in ("pending_upload", "upload_error", "mapping_error"):
        st.session_state.pop(key, None)


def mapping_editor(
    source: ui.Source, names: list[str], mapping: dict[str, str], prefix: str
) -> None:
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


st.title("Data")
_, configured_error = ui.configured_source()
if configured_error:
    ui.show_error(configured_error + " The demo data is used instead.")

st.file_uploader(
    "Upload transactions (CSV, TSV, Excel, Parquet, or one of them as .gz / .zip)",
    type=ui.UPLOAD_TYPES,
    key="uploader",
    on_change=ui.on_upload,
    help="One row per invoice line: invoice, date, customer, quantity and price (or amount).",
)
if st.session_state.get("upload_error"):
    ui.show_error(st.session_state["upload_error"])
    st.caption("The data loaded before is still in use.")

pending = st.session_state.get("pending_upload")
if pending is not None:
    st.subheader(f"Map the columns of {ui.markdown_text(pending.name)}")
    try:
        pending_names = ui.source_columns(pending.data, pending.name)
    except Exception as error:
        ui.show_error(ui.failure_sentence(error, f"Reading {pending.name}"))
    else:
        mapping_editor(pending, pending_names, {}, "pending")

source = ui.active_source()
bundle = ui.current_bundle()
report = bundle.load_report

if st.session_state.get("mapping_error"):
    ui.show_error(st.session_state.pop("mapping_error"))

st.subheader(ui.markdown_text(bundle.source))
facts = {
    "Format": report.format + (f" ({report.compression})" if report.compression else ""),
    "Layout": report.layout,
    "Rows read": ui.count(report.rows_read),
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

sheets = ui.workbook_sheets(source.data)
if len(sheets) > 1:
    options = [ALL_SHEETS, *sheets]
    current = ui.chosen_sheet(source) or ALL_SHEETS
    picked = st.selectbox("Sheet", options, index=options.index(current), key="sheet_picker")
    if picked != current:
        st.session_state.setdefault("sheets", {})[source.name] = (
            None if picked == ALL_SHEETS else picked
        )
        st.rerun()

st.subheader("Columns")
how = {c: "guessed from its name" for c in report.guessed}
by_hand = dict(ui.column_overrides(source))
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
    st.caption("Not used: " + ", ".join(ui.markdown_text(c) for c in report.unmapped))
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
