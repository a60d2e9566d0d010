"""Pausing Python's cycle collector around bulk work.

CPython runs its cycle collector every few hundred allocations, and each run walks the young
objects; a full run walks every object the process holds. Parsing and checking a batch of tens
of thousands of samples makes that many objects, none in a cycle, so the collector's runs are
pure cost (about a third of an ingest request). Reference counting still frees everything at
once; cycles made meanwhile are collected when the collector is back on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cycle collector off (nested uses leave it to the outermost)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
