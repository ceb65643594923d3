"""Bytes in, a raw table out: the entry point of reading. A path, bytes or an upload is
read into memory; archives (gzip, zip) are opened, Parquet is read here, and text and
workbooks go to :mod:`~segmentation.read.delimited` and :mod:`~segmentation.read.workbooks`.

Nothing here knows about transactions; :mod:`segmentation.read.loading` maps the raw
columns to the canonical ones. Sources are read into memory and never used as
paths unless the caller passed a path.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from pathlib import Path, PurePath
from typing import IO, Union

import pyarrow as pa
import pyarrow.parquet as pq

from segmentation.errors import FileFormatError
from segmentation.read.delimited import read_text
from segmentation.read.raw import RawTable, header_names, no_data_rows
from segmentation.read.workbooks import check_workbook, read_workbook

Source = Union[str, Path, bytes, bytearray, memoryview, IO[bytes]]  # noqa: UP007 (a runtime alias)

#: Largest size a compressed file or archive member may expand to.
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3

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

#: Archives (gzip or zip) that may be opened one inside the other (``.csv.gz`` in a zip: 2).
MAX_NESTING = 3

_ZIP_MAGIC = b"PK\x03\x04"

_EMPTY_ZIP_MAGIC = b"PK\x05\x06"

_GZIP_MAGIC = b"\x1f\x8b"

PARQUET_MAGIC = b"PAR1"

#: Bytes read at a time while a gzip file's expanded size is counted.
_CHUNK = 1 << 22
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_plain_text(start: bytes) -> bool:
    """Whether a file starting with ``start`` is neither an archive, a workbook nor Parquet."""
    binary = (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC, _GZIP_MAGIC, _OLE_MAGIC, PARQUET_MAGIC)
    return not start.startswith(binary)


def unreadable_parquet(name: str) -> FileFormatError:
    """The error for a Parquet file that cannot be read."""
    return FileFormatError(
        f"{name} is not a readable Parquet file (it may be truncated); export it again."
    )


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
                check_workbook(archive, name, max_bytes)
                return read_workbook(data, name, sheet)
            return _read_archive(archive, name, sheet, max_bytes, depth, outer)
    if data.startswith(_OLE_MAGIC):
        return read_workbook(data, name, sheet)
    if data.startswith(PARQUET_MAGIC) or name.lower().endswith(".parquet"):
        return _read_parquet(data, name)
    return read_text(data, name)


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes:
    """The expanded bytes; a first pass only counts them, so a gzip bomb is refused
    without ever being held in memory."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            size = 0
            while chunk := stream.read(_CHUNK):
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


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _read_parquet(data: bytes, name: str) -> RawTable:
    try:
        # ParquetFile rather than read_table: it keeps columns that share a name. Text
        # columns stay dictionary-encoded, each distinct value held once per row group.
        text = [f.name for f in pq.read_schema(pa.BufferReader(data)) if _is_text(f.type)]
        table = pq.ParquetFile(pa.BufferReader(data), read_dictionary=text).read()
    except (pa.ArrowException, OSError, ValueError):
        raise unreadable_parquet(name) from None
    if table.num_columns == 0:
        raise FileFormatError(f"{name} has no columns; export the table again.")
    if table.num_rows == 0:
        raise no_data_rows(name)
    notes: list[str] = []
    header = header_names([str(n) for n in table.column_names], notes)
    if header != table.column_names:
        table = table.rename_columns(header)
    return RawTable(frame=table, name=name, format="Parquet", notes=notes, first_row_number=1)
