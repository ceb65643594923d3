"""Large realistic test data: the Online Retail file copied N times with offset ids.

Copy ``i`` (from 0) adds ``i * 100,000`` to every customer id and ``i * 1,000,000``
to every invoice number (a leading ``C`` or ``A`` is kept), so each copy is a
new set of customers with the same behaviour, and the cleaning figures scale
exactly: N copies give N times the rows, customers, invoices and revenue of the
original. Written to Parquet outside the repository, one row group per copy:

    python -m bench.scale_data --factor 40 --output /tmp/online_retail_x40.parquet
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "online_retail.parquet"
CUSTOMER_OFFSET = 100_000
INVOICE_OFFSET = 1_000_000


def scaled_copy(table: pa.Table, copy: int) -> pa.Table:
    """Copy number ``copy`` of the Online Retail table, customer and invoice ids offset."""
    if copy == 0:
        return table
    invoice = table.column("InvoiceNo")
    prefix = pc.utf8_slice_codeunits(invoice, 0, 1)
    lettered = pc.invert(pc.utf8_is_numeric(prefix))
    digits = pc.if_else(lettered, pc.utf8_slice_codeunits(invoice, 1), invoice)
    number = pc.add(pc.cast(digits, pa.int64()), copy * INVOICE_OFFSET)
    empty = pa.scalar("", pa.large_string())
    offset = pc.binary_join_element_wise(
        pc.if_else(lettered, prefix, empty), pc.cast(number, pa.large_string()), empty
    )
    customer = pc.add(table.column("CustomerID"), float(copy * CUSTOMER_OFFSET))
    table = table.set_column(table.schema.get_field_index("InvoiceNo"), "InvoiceNo", offset)
    return table.set_column(table.schema.get_field_index("CustomerID"), "CustomerID", customer)


def write_scaled(factor: int, output: Path, source: Path = SOURCE) -> Path:
    """Write ``factor`` copies of ``source`` to ``output`` (Parquet, zstd)."""
    table = pq.read_table(source)
    output.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(output, table.schema, compression="zstd") as writer:
        for copy in range(factor):
            writer.write_table(scaled_copy(table, copy))
    return output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    if not SOURCE.exists():
        print(f"error: {SOURCE} is missing; the generator copies that file.", file=sys.stderr)
        return 2
    if ROOT in args.output.resolve().parents:
        print("error: write the data outside the repository.", file=sys.stderr)
        return 2
    path = write_scaled(args.factor, args.output)
    rows = pq.ParquetFile(path).metadata.num_rows
    print(f"{path}: {rows:,} rows, {path.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
