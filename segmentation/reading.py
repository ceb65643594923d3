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
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import IO, Union

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from segmentation.errors import FileFormatError

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

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\r?\n)+")
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
    if not data.strip():
        raise FileFormatError(f"{name} is empty: it has no header and no rows.")
    if data.startswith(_GZIP_MAGIC):
        inner = _gunzip(data, name, max_bytes)
        inner_name = name[:-3] if name.lower().endswith(".gz") else name
        table = read_table(inner, inner_name, sheet=sheet, max_bytes=max_bytes)
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
                return _read_workbook(data, name, sheet)
            return _read_archive(archive, name, sheet, max_bytes)
    if data.startswith(_OLE_MAGIC):
        return _read_workbook(data, name, sheet)
    if data.startswith(_PARQUET_MAGIC) or name.lower().endswith(".parquet"):
        return _read_parquet(data, name)
    return _read_text(data, name)


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            inner = stream.read(max_bytes + 1)
    except (OSError, EOFError, gzip.BadGzipFile):
        raise FileFormatError(
            f"{name} is a damaged or truncated gzip file; compress the table again."
        ) from None
    if len(inner) > max_bytes:
        raise FileFormatError(
            f"{name} expands to more than {max_bytes / 1024**2:,.0f} MB; "
            "split the data or upload it as Parquet."
        )
    return inner


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError):
        raise FileFormatError(
            f"{name} is a damaged or truncated zip file; export it again."
        ) from None


def _read_archive(
    archive: zipfile.ZipFile, name: str, sheet: str | int | None, max_bytes: int
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
    table = read_table(inner, PurePath(member.filename).name, sheet=sheet, max_bytes=max_bytes)
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
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError):
        raise FileFormatError(
            f"{name} is not a readable Parquet file (it may be truncated); export it again."
        ) from None
    if table.num_columns == 0:
        raise FileFormatError(f"{name} has no columns; export the table again.")
    return RawTable(frame=table, name=name, format="Parquet", first_row_number=1)


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
        raise FileFormatError(f"{name} has a header but no data rows; export the data again.")
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
    frames: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    columns: list[str] | None = None
    for sheet_name in names:
        frame = _sheet_frame(book, sheet_name, name)
        if frame is None:
            continue
        if columns is None:
            columns = list(frame.columns)
        if list(frame.columns) == columns:
            frames[sheet_name] = frame
        else:
            notes.append(
                f"Sheet '{sheet_name}' has other columns and was not read; pick it to read it."
            )
    if not frames:
        raise FileFormatError(f"{name} has no sheet with a table in it; check the workbook.")
    return frames, notes


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
    columns = {}
    for column, values in zip(header, zip(*rows[1:], strict=True), strict=False):
        cells = pd.Series(values, dtype=object)
        columns[column] = cells.mask(cells == "").infer_objects()
    frame = pd.DataFrame(columns, columns=header)
    return frame[frame.notna().any(axis=1)].reset_index(drop=True)


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return _decode_with(data[3:], "utf-8", name), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_with(data, "utf-16", name), "UTF-16"
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


def _decode_with(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise FileFormatError(
            f"{name} starts with a {encoding.upper()} byte-order mark but has bytes that are not "
            f"{encoding.upper()}; save it again as UTF-8."
        ) from None


def _read_text(data: bytes, name: str) -> RawTable:
    text, encoding = _decode(data, name)
    text = _LEADING_BLANK_LINES.sub("", text)
    if _looks_binary(text):
        raise FileFormatError(
            f"{name} holds binary data, not a table; upload a CSV, Excel or Parquet file."
        )
    sample_end = text.find("\n", SNIFF_CHARS)
    sample = text if sample_end == -1 else text[:sample_end]
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines:
        raise FileFormatError(f"{name} is empty: it has no header and no rows.")
    delimiter = _sniff_delimiter(lines[:50])
    if delimiter == "  ":
        frame = pd.read_fwf(io.StringIO(text), dtype=str, infer_nrows=1000)
        header = _header_names([str(c) for c in frame.columns])
        _check_header(header, name)
        frame.columns = header
        table = pa.Table.from_pandas(frame, preserve_index=False)
        skipped: list[str] = []
    else:
        header = _header_names(_csv_rows(lines[:1], delimiter)[0])
        _check_header(header, name)
        table, skipped = _parse_delimited(text, header, delimiter, name)
    if table.num_rows == 0 and skipped:
        raise FileFormatError(
            f"{name} has no readable data rows: {len(skipped):,} line(s) have another number of "
            f"fields than the header (e.g. {skipped[0][:60]!r}); check the delimiter and quotes."
        )
    if table.num_rows == 0:
        raise FileFormatError(f"{name} has a header but no data rows; export the data again.")
    notes = []
    if encoding in ("Windows-1252", "ISO-8859-1"):
        notes.append(f"The file is not UTF-8; it was read as {encoding}.")
    if skipped:
        notes.append(
            f"{len(skipped):,} line(s) with a wrong number of fields were skipped "
            f"(e.g. {skipped[0][:80]!r}); they are counted in the cleaning report."
        )
    return RawTable(
        frame=table,
        name=name,
        format="delimited text",
        encoding=encoding,
        delimiter=DELIMITER_NAMES[delimiter],
        notes=notes,
        skipped_lines=len(skipped),
        skipped_examples=tuple(skipped[:5]),
        row_word="line",
    )


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls > max(8, len(sample) // 100)


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


def _header_names(raw: list[str]) -> list[str]:
    """Strip names, name blank columns and make duplicates unique (``Price``, ``Price.2``)."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for position, value in enumerate(raw, start=1):
        base = str(value).strip().lstrip("\ufeff") or f"column_{position}"
        count = seen.get(base, 0) + 1
        seen[base] = count
        names.append(base if count == 1 else f"{base}.{count}")
    return names


def _check_header(header: list[str], name: str) -> None:
    values = [h for h in header if not h.startswith("column_")]
    numeric = sum(bool(_NUMBER_OR_DATE.match(h)) for h in values)
    if values and numeric * 2 >= len(header):
        raise FileFormatError(
            f"{name} has no header row: its first line holds values "
            f"({', '.join(header[:3])}, ...); "
            "add a first line naming the columns."
        )


def _parse_delimited(
    text: str, header: list[str], delimiter: str, name: str
) -> tuple[pa.Table, list[str]]:
    skipped: list[str] = []

    def skip(row) -> str:
        skipped.append(row.text)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values='"' in text, invalid_row_handler=skip
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header}, strings_can_be_null=True
            ),
        )
    except (pa.ArrowException, ValueError):
        raise FileFormatError(
            f"{name} cannot be parsed as a {DELIMITER_NAMES[delimiter]}-separated table; "
            "check that its quotes are balanced and every line has the same fields."
        ) from None
    return table, skipped
