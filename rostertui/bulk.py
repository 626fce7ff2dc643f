"""Bulk work over hundreds of thousands of fresh dicts."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector. Records hold no cycles, but while millions of them are
    built the collector rescans them again and again: at 100,000 students that cost more
    than staging and committing together. Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
