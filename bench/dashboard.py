"""Time the dashboard on a 100,000-student store, driven by Pilot at 80x24.

    python bench/dashboard.py [--students 100000] [--dir bench/data]

Builds (once, cached under --dir) a committed store of the district, and a store with
that district staged but not committed, so its Students · Add list holds one action per
student. Prints per step: the time from the key press to the last screen update it
caused (what the admin waits for), the CPU time of the UI thread, and the longest the
event loop went without running (a freeze). Steps done by workers print their wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors import connector_for  # noqa: E402
from rostertui import demo_data  # noqa: E402
from rostertui.app import RosterApp  # noqa: E402
from rostertui.config import from_dict  # noqa: E402
from rostertui.engine import Engine  # noqa: E402
from screens.action_list_screen import ActionListScreen  # noqa: E402
from screens.report_screen import ReportScreen  # noqa: E402
from screens.rowtable import RowTable  # noqa: E402


def engine(base: Path, name: str, district: Path) -> Engine:
    cfg = from_dict({"source": {"kind": "oneroster_csv", "path": str(district)},
                     "store": {"path": str(base / name / "store.json")}}, base_dir=base)
    return Engine(cfg, connector_for(cfg.source))


def stores(base: Path, students: int) -> tuple[Engine, Engine]:
    """(committed, staged) engines on the cached district, built on the first run."""
    district = base / f"district-{students}"
    if not (district / "manifest.csv").exists():
        print(f"generating a {students:,}-student district in {district} …", flush=True)
        demo_data.generate(district, students=students, seed=1)
    committed = engine(base, f"committed-{students}", district)
    if not committed.store.path.exists():
        print("syncing and committing it …", flush=True)
        committed.sync(commit=True)
    staged = engine(base, f"staged-{students}", district)
    if not staged.store.path.exists():
        print("staging it into an empty store …", flush=True)
        staged.sync()
    return committed, staged


class TimedApp(RosterApp):
    """Notes when the screen was last updated."""

    painted = 0.0

    def _display(self, screen, renderable) -> None:
        super()._display(screen, renderable)
        if renderable is not None:
            self.painted = time.perf_counter()


class StallProbe:
    """The longest gap between two runs of a 10 ms ticker on the UI's event loop."""

    def __init__(self):
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.01)
            last = now

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._tick())

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst


def report(label: str, wall: float, cpu: float | None = None, stall: float | None = None):
    line = f"{label:44} {wall * 1000:7.0f} ms"
    if cpu is not None:
        line += f"   UI thread CPU {cpu * 1000:6.0f} ms"
    if stall is not None:
        line += f"   longest freeze {stall * 1000:6.0f} ms"
    print(line, flush=True)


async def press(pilot, probe: StallProbe, label: str, *keys: str) -> None:
    probe.take()
    start, cpu = time.perf_counter(), time.thread_time()
    await pilot.press(*keys)
    cpu = time.thread_time() - cpu
    report(label, max(0.0, pilot.app.painted - start), cpu, probe.take())


async def until(pilot, check, timeout: float = 300) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise TimeoutError
        await pilot.pause(0.005)


async def browse(committed: Engine) -> None:
    app = TimedApp(committed)
    app.animation_level = "none"
    probe = StallProbe()
    start = time.perf_counter()
    async with app.run_test(size=(80, 24)) as pilot:
        probe.start()
        await until(pilot, lambda: app.dashboard.syncs)
        report("start: Status tab filled", time.perf_counter() - start)
        await until(pilot, lambda: app.dashboard.catalog is not None)
        await app.workers.wait_for_complete()
        report("start: store indexed for the lists (worker)", time.perf_counter() - start,
               stall=probe.take())
        await press(pilot, probe, "Students tab: first screen", "6")
        table = app.dashboard.query_one("#students RowTable", RowTable)
        assert len(table.rows) >= 100_000, len(table.rows)
        await press(pilot, probe, "focus the search box", "slash")
        for n, key in enumerate("mar", 1):
            await press(pilot, probe, f"search keystroke {n} ('{'mar'[:n]}')", key)
        print(f"{'':44} {len(table.rows):,} students match 'mar'")
        await press(pilot, probe, "back to the list", "enter")
        await press(pilot, probe, "page down", "pagedown")
        await press(pilot, probe, "end of 100,000 rows", "end")
        for key, name in zip("1234567", ("Status", "History", "Overview", "Schools",
                                         "Teachers", "Students", "Sync classes")):
            await press(pilot, probe, f"switch to {name}", key)
        for label in ("open a section", "open another section"):
            start = time.perf_counter()
            await press(pilot, probe, label, "enter")
            history = app.screen.query_one("#history", RowTable)
            await until(pilot, lambda table=history: table.rows)
            report("  until its sync history shows (worker)", time.perf_counter() - start,
                   stall=probe.take())
            await pilot.press("escape", "down")


async def review(staged: Engine) -> None:
    app = TimedApp(staged)
    app.animation_level = "none"
    probe = StallProbe()
    async with app.run_test(size=(80, 24)) as pilot:
        probe.start()
        await until(pilot, lambda: app.dashboard.syncs)
        start = time.perf_counter()
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen.doc)
        report("open the report of 230,000 actions (worker)", time.perf_counter() - start,
               stall=probe.take())
        await press(pilot, probe, "open Students · Add", "down", "down", "enter")
        screen = app.screen
        assert isinstance(screen, ActionListScreen), screen
        print(f"{'':44} {len(screen.rows):,} actions in the list")
        await press(pilot, probe, "toggle one action (space)", "space")
        await press(pilot, probe, "toggle the next one (space moved down)", "space")
        await press(pilot, probe, "untick all 100,000 (n)", "n")
        await press(pilot, probe, "tick all 100,000 again (a)", "a")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, default=Path(__file__).parent / "data")
    args = ap.parse_args()
    committed, staged = stores(args.dir.resolve(), args.students)
    asyncio.run(browse(committed))
    asyncio.run(review(staged))


if __name__ == "__main__":
    main()
