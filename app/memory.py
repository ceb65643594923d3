"""Memory freed by a large computation given back to the system, so that the server's
resident memory (what the Cloud caps) falls back to what the caches hold.

Arrow's allocator keeps the pages of freed tables for reuse (on the 10x file, about 700 MB
after reading and cleaning it), and so, to a lesser extent, does the C library's. The next
computation's engine and NumPy allocations cannot use Arrow's pages, so each large step
would otherwise add to the peak of the next.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import pyarrow as pa

P = ParamSpec("P")
R = TypeVar("R")


def _malloc_trim():
    """glibc's ``malloc_trim`` from the running process, or ``None`` elsewhere."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        return ctypes.CDLL(None).malloc_trim
    return None


_TRIM = _malloc_trim()


def give_back_memory() -> None:
    """Collect what only reference cycles still hold, then return the memory the allocators
    keep unused to the system (the C library's part only where it is glibc, as on Linux
    servers). Streamlit's collection after every run is off (``.streamlit/config.toml``)."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    if _TRIM is not None:
        _TRIM(0)


def giving_back_memory(compute: Callable[P, R]) -> Callable[P, R]:
    """``compute``, then :func:`give_back_memory` once it has returned and what it read
    and cleaned is freed (for the cached steps that read a whole file)."""

    @functools.wraps(compute)
    def computed(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return compute(*args, **kwargs)
        finally:
            give_back_memory()

    return computed
