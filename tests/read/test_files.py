"""Opening a source: paths, archives (gzip, zip) and their limits, Parquet."""

from __future__ import annotations

import gzip
import io
import zipfile

import pandas as pd
import pyarrow as pa
import pytest

from segmentation.errors import DataError, FileFormatError
from segmentation.read.files import read_table
from segmentation.read.loading import load_transactions
from tests.samples import RETAIL_ROWS as ROWS
from tests.samples import retail_csv


def _retail_frame(rows) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(retail_csv(rows)), dtype={"CustomerID": str})


def test_gzip_and_zip():
    content = retail_csv(ROWS)
    gz = load_transactions(gzip.compress(content), name="sales.csv.gz")
    assert gz.report.compression == "gzip" and len(gz.data) == 3
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.md", "hello")
        archive.writestr("b.csv", content)
        archive.writestr("a.csv", retail_csv(ROWS[:1]))
    zipped = load_transactions(buffer.getvalue(), name="export.zip")
    assert zipped.report.compression == "zip (a.csv)"
    assert len(zipped.data) == 1
    assert any("2 tables" in note for note in zipped.report.notes)


def test_bounded_decompression():
    with pytest.raises(FileFormatError, match="expands to more than"):
        load_transactions(gzip.compress(b"a" * 10_000), name="big.csv.gz", max_bytes=1_000)


def test_parquet():
    buffer = io.BytesIO()
    _retail_frame(ROWS).to_parquet(buffer)
    loaded = load_transactions(buffer.getvalue(), name="sales.parquet")
    assert loaded.report.format == "Parquet"
    assert loaded.data["customer_id"].tolist() == ["17850", "17850", "14527"]


def test_parquet_text_is_held_once_per_value_and_read_as_csv_text():
    frame = _retail_frame(ROWS)
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    raw = read_table(buffer.getvalue(), "sales.parquet").frame
    assert pa.types.is_dictionary(raw.schema.field("Description").type)
    assert raw.column("Quantity").type == pa.int64()
    from_parquet = load_transactions(buffer.getvalue(), name="sales.parquet").data
    from_csv = load_transactions(retail_csv(ROWS), name="sales.csv").data
    assert from_parquet["description"].dtype == from_csv["description"].dtype
    pd.testing.assert_frame_equal(from_parquet, from_csv)


def test_missing_file():
    with pytest.raises(
        DataError, match=r"The file '.*nowhere\.csv' does not exist; check the path\."
    ):
        load_transactions("/definitely/nowhere.csv")
