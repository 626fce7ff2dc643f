"""Loading a large store or plan in a worker without freezing the UI thread.

Python's cycle collector runs in whichever thread allocates, holding the GIL for the
whole pass: after a 100,000-student store or a 230,000-action plan is loaded, one full
pass over it froze the UI for more than a second. Records hold no cycles, so the loads
run with the collector paused and their results are then frozen out of its reach.
"""

from __future__ import annotations

import gc
from typing import Callable, TypeVar

from rostertui.bulk import gc_paused

T = TypeVar("T")


def load(fn: Callable[..., T], *args) -> T:
    with gc_paused():
        result = fn(*args)
        gc.freeze()  # before the collector is back on: its first pass would scan it all
    return result
