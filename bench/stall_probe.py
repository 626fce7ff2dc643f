"""How long the UI's event loop went without running: a 20 ms interval timer on the loop
that records its lateness (the interval it actually took, minus 20 ms).

Anything that holds the loop (a handler doing seconds of work, or a worker thread holding
the GIL through a long C call such as parsing a whole JSON file) delays the next tick by
as much. Each sample is the span [due, fired]: a step's stalls are the samples whose span
overlaps the step, so a stall that began before a key was pressed, or ended after the
screen showed its result, still counts against that step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass

INTERVAL = 0.020


@dataclass(frozen=True)
class Stalls:
    """Lateness of the ticks over a span, in seconds."""

    worst: float
    p99: float
    ticks: int

    @classmethod
    def of(cls, lateness: Iterable[float]) -> Stalls:
        values = sorted(lateness)
        if not values:
            return cls(0.0, 0.0, 0)
        return cls(values[-1], values[min(len(values) - 1, int(0.99 * len(values)))],
                   len(values))


class StallProbe:
    """Ticks every INTERVAL on the running loop from start() until stop()."""

    def __init__(self) -> None:
        self.due: list[float] = []  # when each tick should have run
        self.fired: list[float] = []  # when it did
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(INTERVAL)
            now = time.perf_counter()
            self.due.append(last + INTERVAL)
            self.fired.append(now)
            last = now

    async def past(self, moment: float) -> None:
        """Wait until a tick has fired after `moment`, so a stall still under way at
        `moment` is recorded before the span that ends there is read."""
        while not self.fired or self.fired[-1] <= moment:
            await asyncio.sleep(INTERVAL / 2)

    def between(self, start: float, end: float) -> Stalls:
        """The ticks whose span [due, fired] overlaps [start, end]."""
        return Stalls.of(max(0.0, fired - due) for due, fired in zip(self.due, self.fired)
                         if fired >= start and due <= end)
