"""Excel workbooks: checked for XML bombs and far-away cells before the reader sees them,
then read sheet by sheet (every sheet with the same columns stacked, or one by name)."""

from __future__ import annotations

import codecs
import io
import zipfile
from typing import IO

import numpy as np
import pandas as pd

from segmentation.errors import FileFormatError
from segmentation.read.raw import RawTable, header_names, no_data_rows
from segmentation.read.values import shorten

#: Largest area (rows times columns, empty cells included) of a workbook sheet. The workbook
#: reader holds every cell of the area at 32 bytes, so one value typed far away (in XFD1048576)
#: would ask for 550 GB; 20 million cells are 640 MB, and Online Retail's sheet has 4.3 million.
MAX_SHEET_CELLS = 20_000_000


def check_workbook(archive: zipfile.ZipFile, name: str, max_bytes: int) -> None:
    """Refuse a workbook that would exhaust the reader before it is handed over: XML parts
    that expand beyond ``max_bytes`` together, XML entity declarations (an "XML bomb"),
    binary sheets (.xlsb) and sheets whose cells span more than :data:`MAX_SHEET_CELLS`.

    Parts are recognised as XML by their content, whatever their names.
    """
    too_large = FileFormatError(
        f"{name} expands to more than {max_bytes / 1024**2:,.0f} MB; "
        "save the data as CSV or Parquet, or split it."
    )
    left = max_bytes
    for info in archive.infolist():
        lower = info.filename.lower()
        if lower.endswith(".bin") and "worksheets/" in lower:
            raise FileFormatError(
                f"{name} is a binary Excel workbook (.xlsb); save it as .xlsx or CSV."
            )
        if info.is_dir():
            continue
        if info.file_size > left:
            raise too_large
        extent = _SheetExtent()
        try:
            with archive.open(info) as stream:
                left -= extent.scan(stream, left)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
            raise FileFormatError(
                f"{name} is a damaged workbook that cannot be opened; save it again from Excel."
            ) from None
        if left < 0:
            raise too_large
        if extent.refusal:
            raise FileFormatError(f"{name} {extent.refusal}; save it again from Excel.")
        rows, columns = extent.size()
        if rows * columns > MAX_SHEET_CELLS:
            raise FileFormatError(
                f"A sheet of {name} has cells as far as {_cell_name(rows, columns)}, "
                f"{rows * columns:,} cells in all; delete what lies beyond the table, "
                "or save the sheet as CSV."
            )


_BYTE = np.arange(256)

_XML_SPACE = np.isin(_BYTE, [9, 10, 13, 32])

_TAG_END = np.isin(_BYTE, [9, 10, 13, 32, 47, 62])  # a blank, "/" or ">"

_LETTER = ((_BYTE >= 65) & (_BYTE <= 90)) | ((_BYTE >= 97) & (_BYTE <= 122))

_DIGIT = (_BYTE >= 48) & (_BYTE <= 57)

_REFERENCE_LETTERS = 5  # letters of a reference looked at (a column has at most 3)

_REFERENCE_DIGITS = 8  # digits looked at (a row number has at most 7)

_REFERENCE_WIDTH = 16  # bytes of r="..." looked at: the letters and digits, and more

_SCAN_CHUNK = 1 << 22  # 4 MB: faster than 32 MB here (cache), and light on memory

_FAR = 1 << 40


class _SheetExtent:
    """The area a workbook reader gives a sheet, measured on its XML without parsing it.

    A cell with a reference (``<c r="XFD1048576">``) sits where it says; a cell without
    one follows the cell before it in its row, and a row without one follows the row
    before it. So the area is at most as tall as the largest row number plus the rows
    without one, and as wide as the largest column or the most cells in a row. Parts that
    are not XML are skipped.
    """

    def __init__(self) -> None:
        self.refusal: str | None = None
        self.cell_row = self.cell_column = self.row_number = 0
        self.rows = self.row_references = 0
        self.widest = self._cells_in_open_row = 0

    def scan(self, stream: IO[bytes], limit: int) -> int:
        """Read an XML part (at most ``limit`` + 1 bytes); return how many bytes were read."""
        tail, read = b"", 0
        while True:
            chunk = stream.read(min(_SCAN_CHUNK, limit + 1 - read))
            if not read and not self._is_xml(chunk):
                return 0
            read += len(chunk)
            data = tail + chunk
            last = not chunk or read > limit
            # "!" is rare in a sheet, and looking for one byte is far quicker than for words
            if b"!" in data and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):
                self.refusal = "declares XML entities, which can expand without limit"
                return read
            end = len(data) if last else len(data) - _REFERENCE_WIDTH
            self._measure(data, end)
            if last or self.refusal:
                return read
            tail = data[end - 2 :]

    def _is_xml(self, start: bytes) -> bool:
        """Whether a part starting with ``start`` is XML to measure; UTF-16 XML is refused."""
        text = start[:64].lstrip(b" \t\r\n")
        if text.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<")):
            self.refusal = "has XML parts in UTF-16, which no spreadsheet writes"
            return False
        return text.removeprefix(codecs.BOM_UTF8).startswith(b"<")

    def _measure(self, data: bytes, end: int) -> None:
        """Count the references and tags of ``data`` at positions 2 to ``end``."""
        a = np.frombuffer(data + bytes(_REFERENCE_WIDTH), dtype=np.uint8)
        head = a[:end]
        equals = np.flatnonzero(head == 61)
        equals = equals[equals >= 2]
        spaced = equals[_XML_SPACE[a[equals - 1]] | _XML_SPACE[a[equals + 1]]]
        if len(spaced) and _spaced_reference(data, spaced):
            self.refusal = "writes cell references in a way no spreadsheet does"
            return
        quote = a[equals + 1]
        equals = equals[
            (a[equals - 1] == 114) & _XML_SPACE[a[equals - 2]] & ((quote == 34) | (quote == 39))
        ]
        starts = equals + 2  # the references' first bytes
        letters = _run_length(a, starts, _LETTER, _REFERENCE_LETTERS)
        figures = starts + letters
        digits = _run_length(a, figures, _DIGIT, _REFERENCE_DIGITS)
        cells = letters > 0
        self.row_references += len(cells) - int(cells.sum())
        self.cell_row = max(self.cell_row, _largest_number(a, figures, digits, cells))
        self.row_number = max(self.row_number, _largest_number(a, figures, digits, ~cells))
        self.cell_column = max(self.cell_column, _largest_column(a, starts, letters))
        cell_tags = _pair_positions(a, end, (b"<c", b":c"))
        cell_tags = cell_tags[_TAG_END[a[cell_tags + 2]]]
        row_tags = _pair_positions(a, end, (b"<r", b":r"))
        row_tags = row_tags[(a[row_tags + 2] == 111) & (a[row_tags + 3] == 119)]
        row_tags = np.sort(row_tags[_TAG_END[a[row_tags + 4]]])
        self.rows += len(row_tags)
        # Cells per row: bin 0 holds the cells that continue the row open before this part
        # of the text, the last bin the cells of the row still open after it.
        per_row = np.bincount(np.searchsorted(row_tags, cell_tags), minlength=len(row_tags) + 1)
        if len(row_tags):
            closed = max(
                self._cells_in_open_row + int(per_row[0]), int(per_row[1:-1].max(initial=0))
            )
            self.widest = max(self.widest, closed)
            self._cells_in_open_row = int(per_row[-1])
        else:
            self._cells_in_open_row += int(per_row[0])

    def size(self) -> tuple[int, int]:
        """Rows and columns of the sheet's area (0 for a part that is no sheet)."""
        rows_without = max(0, self.rows - self.row_references)
        height = max(self.cell_row, self.row_number + rows_without)
        return height, max(self.cell_column, self.widest, self._cells_in_open_row)


def _spaced_reference(data: bytes, equals: np.ndarray) -> bool:
    """Whether one of the ``=`` at ``equals`` (each with a blank beside it) belongs to an
    ``r`` attribute, as in ``r = "A1"``: legal XML that no spreadsheet writes, and whose
    reference the scan does not read. A blank run reaching past the text counts as one."""
    blanks = b" \t\r\n"
    for position in equals.tolist():
        before = position - 1
        while before >= 0 and data[before] in blanks:
            before -= 1
        if before < 1:
            return True
        if data[before] != ord("r") or data[before - 1] not in blanks:
            continue
        after = position + 1
        while after < len(data) and data[after] in blanks:
            after += 1
        if after == len(data) or data[after] in b"\"'":
            return True
    return False


def _pair_positions(a: np.ndarray, end: int, pairs: tuple[bytes, ...]) -> np.ndarray:
    """Positions from 2 to ``end`` where ``a`` holds one of the two-byte ``pairs``."""
    found = []
    for start in (0, 1):
        view = a[start : start + (len(a) - start) // 2 * 2].view("<u2")
        values = [np.frombuffer(pair, "<u2")[0] for pair in pairs]
        hits = view == values[0]
        for value in values[1:]:
            hits |= view == value
        found.append(np.flatnonzero(hits) * 2 + start)
    positions = np.concatenate(found)
    return positions[(positions >= 2) & (positions < end)]


def _run_length(a: np.ndarray, starts: np.ndarray, kind: np.ndarray, most: int) -> np.ndarray:
    """How many bytes of ``kind`` (a table of the 256 byte values) follow each of ``starts``
    without a break, up to ``most``."""
    length = np.zeros(len(starts), dtype=np.int64)
    run = np.ones(len(starts), dtype=bool)
    for offset in range(most):
        run &= kind[a[starts + offset]]
        length += run
    return length


def _largest_number(
    a: np.ndarray, figures: np.ndarray, digits: np.ndarray, chosen: np.ndarray
) -> int:
    """The largest number written by the ``digits`` bytes at ``figures``, of the chosen ones."""
    if not chosen.any():
        return 0
    longest = int(digits[chosen].max())
    if longest >= _REFERENCE_DIGITS:
        return _FAR
    picked = figures[chosen & (digits == longest)]
    for offset in range(longest):  # equally long: the largest digit by digit
        digit = a[picked + offset]
        picked = picked[digit == digit.max()]
    return int(a[picked[0] : picked[0] + longest].tobytes() or b"0")


def _largest_column(a: np.ndarray, starts: np.ndarray, letters: np.ndarray) -> int:
    """The largest column number written by the ``letters`` bytes at ``starts``."""
    longest = int(letters.max(initial=0))
    if longest == 0:
        return 0
    if longest >= _REFERENCE_LETTERS:
        return _FAR
    picked = starts[letters == longest]
    values = (a[picked[:, None] + np.arange(longest)] & 0xDF).astype(np.int64) - 64
    return int((values @ (26 ** np.arange(longest - 1, -1, -1))).max())


def _cell_name(row: int, column: int) -> str:
    """A cell's spreadsheet name (``XFD1048576``); a far row or column is said in words."""
    if row >= _FAR or column >= _FAR:
        return "row 10,000,000 or column AAAAA and beyond"
    return f"{_column_letters(column)}{row}"


def _column_letters(number: int) -> str:
    """Spreadsheet column letters of a column number: 1 is A, 27 is AA."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def read_workbook(data: bytes, name: str, sheet: str | int | None) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except Exception:  # calamine raises its own kinds as well as OSError and ValueError
        raise FileFormatError(
            f"{name} is a damaged workbook that cannot be opened; save it again from Excel."
        ) from None
    if sheet is not None:
        chosen = _pick_sheet(names, sheet, name)
        frames = {chosen: _sheet_frame(book, chosen, name)}
        if frames[chosen] is None:
            raise FileFormatError(f"Sheet '{chosen}' of {name} is empty; choose another sheet.")
        notes: list[str] = []
    else:
        frames, notes = _stack_sheets(book, names, name)
    read = tuple(frames)
    frame = (
        pd.concat(list(frames.values()), ignore_index=True) if len(read) > 1 else frames[read[0]]
    )
    if frame.empty:
        raise no_data_rows(name)
    if len(read) > 1:
        notes.insert(
            0, f"Sheets {', '.join(repr(s) for s in read)} have the same columns and were stacked."
        )
    return RawTable(frame=frame, name=name, format="Excel workbook", sheets=read, notes=notes)


def _pick_sheet(names: list[str], sheet: str | int, name: str) -> str:
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
    elif sheet in names:
        return sheet
    listed = ", ".join(repr(n) for n in names)
    raise FileFormatError(f"{name} has no sheet {sheet!r}; its sheets are {listed}.")


def _stack_sheets(book, names: list[str], name: str) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The sheets sharing the columns of the most rows, stacked in workbook order; a note for
    every other sheet with data (a cover or notes sheet before the data is passed over)."""
    frames = {s: f for s in names if (f := _sheet_frame(book, s, name)) is not None}
    if not frames:
        raise FileFormatError(f"{name} has no sheet with a table in it; check the workbook.")
    rows: dict[tuple[str, ...], int] = {}
    for frame in frames.values():
        key = tuple(frame.columns)
        rows[key] = rows.get(key, 0) + len(frame)
    columns = max(rows, key=lambda key: rows[key])  # the first of equals wins
    notes = [
        f"Sheet {shorten(sheet)!r} has other columns and was not read; pick it to read it."
        for sheet, frame in frames.items()
        if tuple(frame.columns) != columns
    ]
    return {s: f for s, f in frames.items() if tuple(f.columns) == columns}, notes


def _sheet_frame(book, sheet_name: str, name: str) -> pd.DataFrame | None:
    """A sheet's cells as typed columns (numbers, datetimes, text); empty rows dropped."""
    try:
        rows = book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=True)
    except Exception:  # calamine raises its own kinds for broken XML or zip members
        raise FileFormatError(
            f"Sheet '{sheet_name}' of {name} is damaged and cannot be read; "
            "save the workbook again."
        ) from None
    if not rows:
        return None
    header = header_names([("" if v is None else str(v)) for v in rows[0]])
    cells = np.array(rows[1:], dtype=object).reshape(len(rows) - 1, len(rows[0]))
    columns = {}
    for column, values in zip(header, cells.T, strict=False):
        values = values.copy()  # a column of its own, not a view of every cell
        values[values == ""] = np.nan  # an empty cell
        columns[column] = pd.Series(values, dtype=object).infer_objects()
    frame = pd.DataFrame(columns, columns=header)
    return frame[frame.notna().any(axis=1)].reset_index(drop=True)
