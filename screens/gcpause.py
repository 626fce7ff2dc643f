"""Loading a large store or plan in a worker without freezing the UI thread.

Python's cycle collector runs in whichever thread allocates, holding the GIL for the
whole pass: after a 100,000-student store or a 230,000-action plan is loaded, one full
pass over it froze the UI for more than a second. So loads run under
rostertui.gcpause.gc_paused, which also freezes what they built out of the collector's
reach before it is back on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from rostertui.gcpause import gc_paused

T = TypeVar("T")


def load(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` with the cycle collector paused."""
    with gc_paused():
        return fn(*args)
