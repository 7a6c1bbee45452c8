"""Pausing Python's cyclic garbage collector while a large scope is read and compared.

A check of a large stored scope allocates a few small objects per row (rows, decoded
content, keys, token lists) that live until the report is made. Each allocation counts toward
the collector's thresholds, and each collection traverses every tracked object still alive,
rows included: a check of a 55k-item bank ran some 500 collections, about 0.6 s of its 4.4 s,
which freed about a thousand objects in all. These objects hold no reference cycles
(reference counting frees them), so the collector is paused for the duration and resumed, as
it was, afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; re-enable it after if it was enabled.
    Reference counting still frees everything without cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
