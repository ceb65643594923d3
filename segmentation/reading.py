"""Bytes in, a raw table out: formats, compression, encodings, delimiters and sheets.

Nothing here knows about transactions; :mod:`segmentation.loading` maps the raw
columns to the canonical ones. Sources are read into memory and never used as
paths unless the caller passed a path.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import IO, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from segmentation.errors import FileFormatError
from segmentation.values import shorten

Source = Union[str, Path, bytes, bytearray, memoryview, IO[bytes]]  # noqa: UP007 (a runtime alias)

#: Largest size a compressed file or archive member may expand to.
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
#: Delimiters tried by the sniffer, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", "  ": "spaces"}
TABLE_SUFFIXES = (
    ".csv",
    ".tsv",
    ".tab",
    ".txt",
    ".psv",
    ".dat",
    ".xlsx",
    ".xlsm",
    ".xls",
    ".parquet",
)
STACK_ALL_SHEETS = None
#: Characters read (to the end of that line) to find the delimiter and the header.
SNIFF_CHARS = 200_000
#: Archives (gzip or zip) that may be opened one inside the other (``.csv.gz`` in a zip: 2).
MAX_NESTING = 3
#: Largest area (rows times columns, empty cells included) of a workbook sheet. The workbook
#: reader holds every cell of the area at 32 bytes, so one value typed far away (in XFD1048576)
#: would ask for 550 GB; 20 million cells are 640 MB, and Online Retail's sheet has 4.3 million.
MAX_SHEET_CELLS = 20_000_000

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\r?\n)+")
#: Excel's first line naming the delimiter, as in ``sep=;``.
_DELIMITER_HINT = re.compile(r"\Asep=([^\r\n\w\"])[ \t]*\r?\n", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_NUMBER_OR_DATE = re.compile(r"^[\s\-+(]*[£$€]?\d[\d\s.,:/\-T]*\)?$")


@dataclass
class RawTable:
    """A table as read from a file: original column names, values not yet converted."""

    frame: pd.DataFrame | pa.Table
    name: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    compression: str | None = None
    sheets: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    skipped_lines: int = 0
    skipped_examples: tuple[str, ...] = ()
    #: How a data row is named in messages: ``line`` (text, header is line 1) or ``row``.
    row_word: str = "row"
    #: Number of the first data row in messages (2 for files with a header line).
    first_row_number: int = 2
    #: Lines of a text file before its header (blank lines, a ``sep=`` line).
    lines_before_header: int = 0


def is_plain_text(start: bytes) -> bool:
    """Whether a file starting with ``start`` is neither an archive, a workbook nor Parquet."""
    binary = (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC, _GZIP_MAGIC, _OLE_MAGIC, PARQUET_MAGIC)
    return not start.startswith(binary)


def not_utf8_note(encoding: str) -> str:
    """The report's note on a text file read in a one-byte encoding."""
    return f"The file is not UTF-8; it was read as {encoding}."


def skipped_lines_note(
    count: int, example: str, which: str = "with a wrong number of fields"
) -> str:
    """The report's note on the lines of a text file that were skipped, ``which`` they are."""
    return (
        f"{count:,} line(s) {which} were skipped (e.g. {example[:80]!r}); they are counted "
        "in the cleaning report."
    )


def unreadable_parquet(name: str) -> FileFormatError:
    """The error for a Parquet file that cannot be read."""
    return FileFormatError(
        f"{name} is not a readable Parquet file (it may be truncated); export it again."
    )


def no_data_rows(name: str) -> FileFormatError:
    """The error for a table with a header and no rows."""
    return FileFormatError(f"{name} has a header but no data rows; export the data again.")


def read_source(source: Source, name: str | None = None) -> tuple[bytes, str]:
    """Return the bytes and display name of a path, bytes or binary file object."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        display = name or path.name
        if not path.is_file():
            raise FileFormatError(f"The file '{path}' does not exist; check the path.")
        try:
            return path.read_bytes(), display
        except OSError as error:
            raise FileFormatError(
                f"The file '{display}' cannot be opened ({error.strerror}); check its permissions."
            ) from None
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "upload"
    if hasattr(source, "read"):
        display = name or PurePath(str(getattr(source, "name", "upload"))).name
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return bytes(data), display
    raise FileFormatError(
        f"Cannot read a {type(source).__name__}; give a file path, bytes or an uploaded file."
    )


def read_table(
    data: bytes,
    name: str,
    *,
    sheet: str | int | None = STACK_ALL_SHEETS,
    max_bytes: int = MAX_UNCOMPRESSED_BYTES,
) -> RawTable:
    """Read the bytes of a CSV/TSV/text, Excel, Parquet, gzip or zip file into a raw table."""
    return _read_layer(data, name, sheet, max_bytes, depth=0, outer=name)


def _read_layer(
    data: bytes,
    name: str,
    sheet: str | int | None,
    max_bytes: int,
    depth: int,
    outer: str,
) -> RawTable:
    """One layer of :func:`read_table`: ``depth`` archives were opened around it, the
    outermost being the file ``outer``."""
    if not data[:65_536].strip() and not data.strip():  # a whole copy only if it may be empty
        raise FileFormatError(f"{name} is empty: it has no header and no rows.")
    if depth >= MAX_NESTING and data.startswith((_GZIP_MAGIC, _ZIP_MAGIC)):
        raise FileFormatError(
            f"{outer} is packed more than {MAX_NESTING} times over (archives inside archives); "
            "unpack it and upload the table itself."
        )
    if data.startswith(_GZIP_MAGIC):
        inner = _gunzip(data, name, max_bytes)
        inner_name = name[:-3] if name.lower().endswith(".gz") else name
        table = _read_layer(inner, inner_name, sheet, max_bytes, depth + 1, outer)
        table.compression = "gzip"
        table.name = name
        return table
    if data.startswith(_EMPTY_ZIP_MAGIC):
        raise FileFormatError(
            f"{name} is an empty zip archive; put a CSV, Excel or Parquet file in it."
        )
    if data.startswith(_ZIP_MAGIC):
        with _open_zip(data, name) as archive:
            names = archive.namelist()
            if any(n.startswith("xl/") for n in names):
                _check_workbook(archive, name, max_bytes)
                return _read_workbook(data, name, sheet)
            return _read_archive(archive, name, sheet, max_bytes, depth, outer)
    if data.startswith(_OLE_MAGIC):
        return _read_workbook(data, name, sheet)
    if data.startswith(PARQUET_MAGIC) or name.lower().endswith(".parquet"):
        return _read_parquet(data, name)
    return _read_text(data, name)


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes:
    """The expanded bytes; a first pass only counts them, so a gzip bomb is refused
    without ever being held in memory."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            size = 0
            while chunk := stream.read(_SCAN_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FileFormatError(
                        f"{name} expands to more than {max_bytes / 1024**2:,.0f} MB; "
                        "split the data or upload it as Parquet."
                    )
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return stream.read()
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error):
        raise FileFormatError(
            f"{name} is a damaged or truncated gzip file; compress the table again."
        ) from None


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError):
        raise FileFormatError(
            f"{name} is a damaged or truncated zip file; export it again."
        ) from None


def _read_archive(
    archive: zipfile.ZipFile,
    name: str,
    sheet: str | int | None,
    max_bytes: int,
    depth: int,
    outer: str,
) -> RawTable:
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not PurePath(info.filename).name.startswith((".", "__MACOSX"))
        and "__MACOSX" not in info.filename
    ]
    tables = sorted(
        (m for m in members if m.filename.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES)),
        key=lambda m: m.filename,
    )
    if not tables:
        found = ", ".join(m.filename for m in members[:5]) or "nothing"
        raise FileFormatError(
            f"{name} holds no table (found: {found}); "
            "put a CSV, Excel or Parquet file in the archive."
        )
    member = tables[0]
    if member.file_size > max_bytes:
        raise FileFormatError(
            f"{member.filename} in {name} expands to more than {max_bytes / 1024**2:,.0f} MB; "
            "split the data or upload it as Parquet."
        )
    try:
        with archive.open(member) as stream:
            inner = stream.read(max_bytes + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        raise FileFormatError(
            f"{member.filename} in {name} cannot be extracted (damaged or encrypted); "
            "export the archive again."
        ) from None
    if len(inner) > max_bytes:
        raise FileFormatError(
            f"{member.filename} in {name} expands to more than {max_bytes / 1024**2:,.0f} MB; "
            "split the data or upload it as Parquet."
        )
    table = _read_layer(inner, PurePath(member.filename).name, sheet, max_bytes, depth + 1, outer)
    table.compression = f"zip ({member.filename})"
    if len(tables) > 1:
        others = ", ".join(m.filename for m in tables[1:4])
        table.notes.append(
            f"The archive holds {len(tables)} tables; {member.filename} was read, not {others}."
        )
    table.name = name
    return table


def _read_parquet(data: bytes, name: str) -> RawTable:
    try:
        # ParquetFile rather than read_table: it keeps columns that share a name.
        table = pq.ParquetFile(pa.BufferReader(data)).read()
    except (pa.ArrowException, OSError, ValueError):
        raise unreadable_parquet(name) from None
    if table.num_columns == 0:
        raise FileFormatError(f"{name} has no columns; export the table again.")
    if table.num_rows == 0:
        raise no_data_rows(name)
    notes: list[str] = []
    header = _header_names([str(n) for n in table.column_names], notes)
    if header != table.column_names:
        table = table.rename_columns(header)
    return RawTable(frame=table, name=name, format="Parquet", notes=notes, first_row_number=1)


def _check_workbook(archive: zipfile.ZipFile, name: str, max_bytes: int) -> None:
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


def _read_workbook(data: bytes, name: str, sheet: str | int | None) -> RawTable:
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
    header = _header_names([("" if v is None else str(v)) for v in rows[0]])
    cells = np.array(rows[1:], dtype=object).reshape(len(rows) - 1, len(rows[0]))
    columns = {}
    for column, values in zip(header, cells.T, strict=False):
        values = values.copy()  # a column of its own, not a view of every cell
        values[values == ""] = np.nan  # an empty cell
        columns[column] = pd.Series(values, dtype=object).infer_objects()
    frame = pd.DataFrame(columns, columns=header)
    return frame[frame.notna().any(axis=1)].reset_index(drop=True)


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return _decode_with(data[3:], "utf-8", name), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_with(data, "utf-16", name), "UTF-16"
    unmarked = _utf16_without_mark(data[:4096])
    if unmarked:
        return _decode_with(data, unmarked, name), "UTF-16 (no byte-order mark)"
    if b"\x00" in data[:4096]:
        raise FileFormatError(
            f"{name} holds binary data, not a table; upload a CSV, Excel or Parquet file."
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "ISO-8859-1"


def _utf16_without_mark(sample: bytes) -> str | None:
    """``utf-16-le`` or ``-be`` when every other byte of ``sample`` is zero, as in UTF-16 text
    of Latin letters written without a byte-order mark."""
    pairs = len(sample) // 2
    if pairs < 8:
        return None
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1 : 2 * pairs : 2].count(0)
    if odd >= 0.9 * pairs and even == 0:
        return "utf-16-le"
    if even >= 0.9 * pairs and odd == 0:
        return "utf-16-be"
    return None


def _decode_with(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        label = encoding.upper()[:6]
        raise FileFormatError(
            f"{name} looks like {label} text but has bytes that are not {label}; "
            "save it again as UTF-8."
        ) from None


def _read_text(data: bytes, name: str) -> RawTable:
    text, encoding = _decode(data, name)
    stripped = _LEADING_BLANK_LINES.sub("", text)
    lines_before = text[: len(text) - len(stripped)].count("\n")
    text = stripped
    if _looks_binary(text, encoding):
        raise FileFormatError(
            f"{name} holds binary data, not a table; upload a CSV, Excel or Parquet file."
        )
    notes: list[str] = []
    hint = _DELIMITER_HINT.match(text)
    if hint:
        text = text[hint.end() :]
        lines_before += 1
        notes.append(f"The first line {hint.group(0).strip()!r} names the delimiter.")
    sample_end = text.find("\n", SNIFF_CHARS)
    sample = text if sample_end == -1 else text[:sample_end]
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines:
        raise FileFormatError(f"{name} is empty: it has no header and no rows.")
    delimiter = hint.group(1) if hint else _sniff_delimiter(lines[:50])
    if delimiter == "  ":
        frame = pd.read_fwf(io.StringIO(text), dtype=str, infer_nrows=1000)
        header = _header_names([str(c) for c in frame.columns], notes)
        _check_header(header, name)
        frame.columns = header
        table = pa.Table.from_pandas(frame, preserve_index=False)
        skipped: list[str] = []
        header_lines = 1
    else:
        fields, header_lines = _first_record(sample, delimiter)
        header = _header_names(fields, notes)
        _check_header(header, name)
        table, skipped = _parse_delimited(text, header, delimiter, name, header_lines)
    if table.num_rows == 0 and skipped:
        raise FileFormatError(
            f"{name} has no readable data rows: {len(skipped):,} line(s) have another number of "
            f"fields than the header (e.g. {skipped[0][:60]!r}); check the delimiter and quotes."
        )
    if table.num_rows == 0:
        raise no_data_rows(name)
    if encoding in ("Windows-1252", "ISO-8859-1"):
        notes.append(not_utf8_note(encoding))
    if skipped:
        notes.append(skipped_lines_note(len(skipped), skipped[0]))
    return RawTable(
        frame=table,
        name=name,
        format="delimited text",
        encoding=encoding,
        delimiter=DELIMITER_NAMES.get(delimiter, repr(delimiter)),
        notes=notes,
        skipped_lines=len(skipped),
        skipped_examples=tuple(skipped[:5]),
        row_word="line",
        first_row_number=lines_before + header_lines + 1,
        lines_before_header=lines_before,
    )


def _looks_binary(text: str, encoding: str) -> bool:
    """Control characters, or (read as a one-byte encoding) mostly letters beyond ASCII."""
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(8, len(sample) // 100):
        return True
    beyond_ascii = sum(1 for ch in sample if ord(ch) > 127)
    return encoding in ("Windows-1252", "ISO-8859-1") and beyond_ascii > 0.3 * len(sample)


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = "", (0.0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in _csv_rows(lines, delimiter)]
        width = counts[0]
        if width < 2:
            continue
        consistency = sum(c == width for c in counts) / len(counts)
        score = (consistency, width)
        if consistency >= 0.8 and score > best_score:
            best, best_score = delimiter, score
    if best:
        return best
    if len(re.split(r"\s{2,}", lines[0].strip())) > 1:
        return "  "
    return ","


def _csv_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    """Split lines into fields, however long a field is (the csv module's limit is raised
    for the call and restored after it)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, max(len(line) for line in lines) + 1))
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    finally:
        csv.field_size_limit(limit)


def _first_record(text: str, delimiter: str) -> tuple[list[str], int]:
    """The fields of the first record of ``text`` and the number of lines it spans
    (a quoted name may hold a line break)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return next(reader, []), max(1, reader.line_num)
    except csv.Error:
        return text.splitlines()[0].split(delimiter), 1
    finally:
        csv.field_size_limit(limit)


def _header_names(raw: list[str], notes: list[str] | None = None) -> list[str]:
    """Strip names, turn line breaks and other control characters into spaces, name blank
    columns and make duplicates unique (``Price``, ``Price.2``), with a note in ``notes``."""
    names: list[str] = []
    taken: set[str] = set()
    copies: dict[str, list[str]] = {}
    for position, value in enumerate(raw, start=1):
        base = _CONTROL.sub(" ", str(value)).strip().lstrip("\ufeff").strip()
        base = base or f"column_{position}"
        unique, count = base, 1
        while unique in taken:
            count += 1
            unique = f"{base}.{count}"
        if count > 1:
            copies.setdefault(base, []).append(unique)
        taken.add(unique)
        names.append(unique)
    if notes is not None:
        for base, renamed in list(copies.items())[:3]:
            notes.append(
                f"The column name {shorten(base)!r} appears {len(renamed) + 1} times; "
                f"the later ones are read as {', '.join(repr(shorten(r)) for r in renamed[:3])}."
            )
    return names


def _check_header(header: list[str], name: str) -> None:
    values = [h for h in header if not h.startswith("column_")]
    numeric = sum(bool(_NUMBER_OR_DATE.match(h)) for h in values)
    if values and numeric * 2 >= len(header):
        raise FileFormatError(
            f"{name} has no header row: its first line holds values "
            f"({', '.join(shorten(h) for h in header[:3])}, ...); "
            "add a first line naming the columns."
        )


def _parse_delimited(
    text: str, header: list[str], delimiter: str, name: str, header_lines: int = 1
) -> tuple[pa.Table, list[str]]:
    skipped: list[str] = []

    def skip(row) -> str:
        skipped.append(row.text)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=header_lines, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values='"' in text, invalid_row_handler=skip
            ),
            # A schema rather than a dict: 0.75 s instead of 3.6 s for 100,000 columns.
            convert_options=pacsv.ConvertOptions(
                column_types=pa.schema([(c, pa.string()) for c in header]),
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, ValueError):
        raise FileFormatError(
            f"{name} cannot be parsed as a {DELIMITER_NAMES.get(delimiter, repr(delimiter))}"
            "-separated table; "
            "check that its quotes are balanced and every line has the same fields."
        ) from None
    return table, skipped
