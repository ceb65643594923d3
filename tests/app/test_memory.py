"""Memory freed by a computation goes back to the system."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from app.memory import give_back_memory, giving_back_memory


def _resident_mb() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmRSS:")).split()[1]) / 1024


def _text_column() -> int:
    """Builds and drops a text column of about 300 MB, as reading a large file does."""
    column = pa.array(np.arange(20_000_000)).cast(pa.string())
    return len(column)


def test_a_freed_arrow_table_leaves_the_process():
    before = _resident_mb()
    _text_column()
    kept = _resident_mb()
    give_back_memory()
    # Arrow's allocator keeps the pages of the dropped column until it is told otherwise
    assert kept - before > 150
    assert _resident_mb() - before < 50


def test_a_wrapped_step_gives_memory_back_once_it_returns():
    before = _resident_mb()
    assert giving_back_memory(_text_column)() == 20_000_000
    assert _resident_mb() - before < 50
