"""The dashboard at district scale, driven by Pilot at 80x24, with a stall probe.

    python bench/dashboard.py [--students 100000] [--data bench/data] [--work bench/out/dashboard]

Builds in --work, through the CLI, a committed store of the cached district (bench/
districts.py) and a store with that district staged but not committed (one action per
record: 230,000 at 100,000 students). Then runs each scenario in a fresh process:

  typing   Students (6) pressed 1 s after launch, / once the tab shows, then 'mar' typed
           200 ms apart whatever the dashboard is doing: each key until the search box
           shows it, while the store is still being read and indexed.
  browse   Students 1 s after launch; search; a person, a section and a school, each
           opened twice; then another process (`rostertui sync --quick --commit` of the
           next day's 5% change) commits to the same store while the dashboard is open,
           and the dashboard's watch brings the new data.
  review   the report of the staged sync and its largest action list (Students · Add);
           untick one, the next, all; back to the report until its status is counted
           again for those ticks (the guards, in a child process); tick all again.

Per step: the wall time from the key press (or launch) to the first screen update
(paint) that shows the result, and the event loop's longest stall and 99th percentile
during the step (stall_probe.py: a 20 ms timer on the app's loop, running from launch).
With --json, the results are written there as JSON too (bench/run.py reads them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from districts import DATA, district  # noqa: E402
from stall_probe import StallProbe, Stalls  # noqa: E402
from textual import events  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import Input, Static, TabbedContent  # noqa: E402

from connectors import connector_for  # noqa: E402
from rostertui import config as config_mod  # noqa: E402
from rostertui.app import RosterApp  # noqa: E402
from rostertui.engine import Engine  # noqa: E402
from rostertui.files import atomic_write  # noqa: E402
from screens.action_list_screen import ActionListScreen  # noqa: E402
from screens.dashboard import Dashboard  # noqa: E402
from screens.person_screen import PersonScreen  # noqa: E402
from screens.report_screen import ReportScreen  # noqa: E402
from screens.rowtable import RowTable  # noqa: E402
from screens.school_screen import SchoolScreen  # noqa: E402
from screens.section_screen import SectionScreen  # noqa: E402

SIZE = (80, 24)
TIMEOUT = 180.0  # seconds a step may take before the bench gives up on it
KEY_AT = 1.0  # the first key, this long after launch: a person does not wait for warm-up
TYPING_GAP = 0.2  # between keys typed during start-up
# A district this size archives thousands in one day's 5% change: the default 500-record
# delete threshold would (rightly) block the other process's commit.
DELETE_THRESHOLD = 1_000_000
CHARS = {"slash": "/", "space": " "}

Check = Callable[[], bool]


# -- results -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    key: str  # a stable id: bench/run.py finds the targets' steps by it
    label: str
    at: float  # when it began, in seconds after launch
    wall: float  # seconds
    stalls: Stalls
    note: str = ""


@dataclass
class Scenario:
    name: str
    load_before: Sequence[float]
    steps: list[Step] = field(default_factory=list)
    whole: Stalls = Stalls(0.0, 0.0, 0)
    worst_in: str = ""  # the step during which the longest stall happened
    load_after: Sequence[float] = ()


def line(step: Step) -> str:
    s = step.stalls
    text = (f"{step.label:62} {step.wall * 1000:7,.0f} ms   stall max {s.worst * 1000:6,.0f} ms"
            f"   p99 {s.p99 * 1000:6,.0f} ms")
    return text + (f"\n{'':64}{step.note}" if step.note else "")


# -- the app, timed ----------------------------------------------------------------------

class TimedApp(RosterApp):
    """Notes each screen update (paint), and the first one at which an awaited condition
    holds."""

    def __init__(self, engine: Engine):
        super().__init__(engine)
        self.animation_level = "none"
        self.painted = 0.0
        self._awaited: list[tuple[Check, asyncio.Future[float]]] = []
        self._watching: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        super()._display(screen, renderable)
        if renderable is None:
            return
        self.painted = now = time.perf_counter()
        for check, shown in self._awaited:
            if not shown.done() and holds(check):
                shown.set_result(now)
        self._awaited = [(c, f) for c, f in self._awaited if not f.done()]

    def expect(self, check: Check, what: str) -> asyncio.Future[float]:
        """The time of the first paint at which `check` holds, from now on. If it comes
        to hold with nothing left to repaint (the screen already showed it), the time it
        was first seen to hold."""
        loop = asyncio.get_running_loop()
        shown: asyncio.Future[float] = loop.create_future()
        self._awaited.append((check, shown))
        task = loop.create_task(_watch(self, check, shown, what))
        self._watching.add(task)
        task.add_done_callback(self._watching.discard)
        return shown

    def state(self) -> str:
        """What the app shows, for a step that timed out."""
        boxes = ", ".join(f"#{i.id} {i.value!r}" for i in self.screen.query(Input))
        return (f"screen {type(self.screen).__name__}, focus {self.focused!r}"
                + (f", inputs {boxes}" if boxes else ""))

    def key(self, key: str) -> float:
        """Send a key as the terminal driver does; returns when it was sent."""
        event = events.Key(key, CHARS.get(key, key if len(key) == 1 else None))
        event.set_sender(self)
        sent = time.perf_counter()
        self.post_message(event)  # thread-safe: the typing thread sends keys too
        return sent


def holds(check: Check) -> bool:
    try:
        return check()
    except Exception:  # a widget not mounted yet, a screen half built
        return False


async def _watch(app: TimedApp, check: Check, shown: asyncio.Future[float], what: str) -> None:
    """Resolve `shown` when `check` holds with no paint to show it (see expect), or fail it
    when the app stopped (it crashed) or after TIMEOUT."""
    deadline = time.perf_counter() + TIMEOUT
    since: float | None = None
    while not shown.done():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        if since is None and holds(check):
            since = now
        elif since is not None and now - since > 0.25 and not shown.done():
            shown.set_result(since)
        elif app.return_code is not None and not shown.done():  # it crashed or exited
            shown.set_exception(RuntimeError(f"{what}: the app stopped"))
        elif now > deadline and not shown.done():
            shown.set_exception(TimeoutError(f"{what}: not shown after {TIMEOUT:.0f} s; "
                                             f"{app.state()}"))


def busy(app: TimedApp, screen: Screen[Any]) -> bool:
    """A worker of the screen still running (e.g. a detail screen's sync history)."""
    return any(w.node is screen and not w.is_finished for w in app.workers)


def loading(screen: Screen[Any]) -> bool:
    """A placeholder still shown: an empty list, or a text, that says it is loading."""
    return (any(not t.rows and t.empty.startswith("Loading") for t in screen.query(RowTable))
            or any(str(s.content).startswith("Loading") for s in screen.query(Static)))


def complete(app: TimedApp, kind: type[Screen[Any]]) -> Check:
    """The screen on top is of `kind`, with nothing left loading."""
    return lambda: (isinstance(app.screen, kind) and not busy(app, app.screen)
                    and not loading(app.screen))


# -- a scenario's session ----------------------------------------------------------------

class Session:
    """One launch of the dashboard, its probe, and the steps measured on it."""

    def __init__(self, app: TimedApp, pilot: Pilot[None], probe: StallProbe, launched: float,
                 status: asyncio.Future[float], scenario: Scenario, students: int):
        self.app, self.pilot, self.probe = app, pilot, probe
        self.launched = launched
        self.status = status  # the first paint of a filled Status tab
        self.scenario = scenario
        self.students = students  # in the store: the Students list unfiltered

    async def record(self, key: str, label: str, start: float, end: float, note: str = "",
                     stalls_until: float | None = None) -> Step:
        until = max(end, stalls_until or end)
        await self.probe.past(until)
        step = Step(key, label, start - self.launched, end - start,
                    self.probe.between(start, until), note)
        self.scenario.steps.append(step)
        print(line(step), flush=True)
        return step

    async def press(self, key: str, label: str, keys: str, done: Check | None = None,
                    note: Callable[[], str] | None = None, first: Check | None = None) -> Step:
        """Press `keys`; the step ends at the first paint where `done` holds (after the
        last key), or with no `done`, at the last paint once the app is idle. With
        `first`, the note says when that held first (a screen shown before it loaded)."""
        *before, last = keys.split()
        for k in before:
            self.app.key(k)
            await self.pilot.pause()
        shown = self.app.expect(done, label) if done else None
        early = self.app.expect(first, label) if first else None
        start = self.app.key(last)
        if shown is not None:
            end = await shown
        else:
            await self.pilot.pause()
            end = max(start, self.app.painted)
        notes = [note()] if note else []
        if early is not None:
            notes.append(f"the screen itself was shown at {(await early - start) * 1000:,.0f} "
                         "ms; the rest is what it loads after it")
        return await self.record(key, label, start, end, "; ".join(notes))

    async def back_to_dashboard(self) -> None:
        """Escape until the dashboard is on top (not measured)."""
        while not isinstance(self.app.screen, Dashboard):
            self.app.key("escape")
            await self.pilot.pause()

    def at(self, seconds: float) -> float:
        return self.launched + seconds

    def type_at(self, plan: Sequence[tuple[float, str]], base: float | None = None) -> None:
        """Send each key at its time after `base` (default: the launch) from a thread, as
        a person types, whether or not the dashboard is keeping up."""
        start = self.launched if base is None else base

        def run() -> None:
            for at, key in plan:
                time.sleep(max(0.0, start + at - time.perf_counter()))
                self.app.key(key)
        threading.Thread(target=run, daemon=True).start()

    async def launch(self) -> float:
        end = await self.status
        await self.record("launch", "launch: Status tab filled", self.launched, end)
        return end

    async def started(self, typed_until: float | None = None) -> float:
        """Every worker of start-up finished (the store read and indexed); with
        `typed_until` (a time), the note says whether keys typed until then met start-up."""
        await self.app.workers.wait_for_complete()
        end = time.perf_counter()
        note = "" if typed_until is None else (
            "the keys above were typed during start-up" if end > typed_until else
            "start-up had finished before the last key above")
        await self.record("startup", "start-up work finished (every worker done)",
                          self.launched, end, note)
        return end


async def session(engine: Engine, scenario: Scenario, students: int,
                  steps: Callable[[Session], Awaitable[None]]) -> None:
    probe = StallProbe()
    probe.start()
    launched = time.perf_counter()
    app = TimedApp(engine)
    status = app.expect(lambda: bool(app.dashboard.syncs), "the Status tab")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await steps(Session(app, pilot, probe, launched, status, scenario, students))
        end = time.perf_counter()
        await probe.past(end)
        scenario.whole = probe.between(launched, end)
        scenario.worst_in = next((s.label for s in scenario.steps
                                  if s.stalls.worst == scenario.whole.worst), "between steps")
    probe.stop()


# -- the widgets a step looks at -----------------------------------------------------------

def tab(app: TimedApp) -> str:
    return str(app.dashboard.query_one(TabbedContent).active)


def rows_of(app: TimedApp, tab_id: str) -> Sequence[Any]:
    return app.dashboard.query_one(f"#{tab_id} RowTable", RowTable).rows


def search_box(app: TimedApp) -> Input:
    return app.dashboard.query_one("#students #search", Input)


def tab_shown(app: TimedApp, tab_id: str) -> Check:
    """The tab is showing, with its first rows."""
    return lambda: tab(app) == tab_id and len(rows_of(app, tab_id)) > 0


def on_top(app: TimedApp, kind: type[Screen[Any]]) -> Check:
    return lambda: isinstance(app.screen, kind)


def searched(app: TimedApp, text: str) -> Check:
    """The Students search box shows `text`."""
    return lambda: search_box(app).value == text


def refiltered(app: TimedApp, text: str, before: Sequence[Any]) -> Check:
    """The Students search box shows `text`, and the list other rows than `before`."""
    return lambda: search_box(app).value == text and rows_of(app, "students") is not before


# -- the scenarios ---------------------------------------------------------------------

async def typing(s: Session) -> None:
    """6 pressed 1 s after launch; once the tab shows, /; once the search box has the
    focus, 'mar' typed 200 ms apart, whatever the dashboard is doing. (Keys typed ahead of
    a focus change that a stall holds up go to the old focus, so / waits for the tab.)"""
    app, word = s.app, "mar"
    shown = app.expect(lambda: tab(app) == "students", "the Students tab")
    s.type_at([(KEY_AT, "6")])
    await s.launch()
    await s.record("typing_tab", "Students tab (6 pressed 1 s after launch): tab shown",
                   s.at(KEY_AT), await shown)
    await s.press("typing_focus", "search box focused (/), during start-up", "slash",
                  lambda: search_box(app).has_focus)
    keys = [(TYPING_GAP * n, c) for n, c in enumerate(word)]
    echoes = [app.expect(searched(app, word[:n]), f"'{word[:n]}'")
              for n in range(1, len(word) + 1)]
    found = app.expect(lambda: search_box(app).value == word
                       and 0 < len(rows_of(app, "students")) < s.students, "rows found")
    typed = time.perf_counter()
    s.type_at(keys, typed)
    for n, ((at, _), echo) in enumerate(zip(keys, echoes), 1):
        await s.record(f"typing_key{n}", f"search keystroke {n} ('{word[:n]}') during "
                       "start-up: echo", typed + at, await echo)
    await s.record("typing_found", f"rows found for '{word}' shown, from its last key",
                   typed + keys[-1][0], await found,
                   f"{len(rows_of(app, 'students')):,} students match")
    await s.started(typed_until=typed + keys[-1][0])


OPENS = ((PersonScreen, "students", "person"), (SectionScreen, "sections", "section"),
         (SchoolScreen, "schools", "school"))
TAB_KEYS = {"schools": "4", "students": "6", "sections": "7"}
TAB_NAMES = {"schools": "Schools", "students": "Students", "sections": "Sync classes"}


async def browse(s: Session) -> None:
    app = s.app
    first = app.expect(tab_shown(app, "students"), "the Students tab's first screen")
    s.type_at([(KEY_AT, "6")])
    await s.launch()
    await s.record("students_first", "Students tab first screen (6 pressed 1 s after launch)",
                   s.at(KEY_AT), await first)
    await s.started()
    await s.pilot.pause()
    await search(s)
    for kind, tab_id, name in OPENS:
        if tab_id != "students":
            await switch(s, tab_id)
        for n, keys in ((1, "enter"), (2, "down enter")):
            await s.press(f"open_{name}_{n}", f"open a {name} ({('first', 'second')[n - 1]} "
                          "open), until nothing is loading", keys, complete(app, kind),
                          first=on_top(app, kind))
            await s.back_to_dashboard()
    await switch(s, "students")
    await commit_elsewhere(s)


async def switch(s: Session, tab_id: str) -> Step:
    return await s.press(f"tab_{tab_id}", f"switch to the {TAB_NAMES[tab_id]} tab",
                         TAB_KEYS[tab_id], tab_shown(s.app, tab_id))


async def search(s: Session) -> None:
    """/ then 'mar' then three backspaces: each keystroke until its rows are shown."""
    app = s.app
    await s.press("search_focus", "focus the Students search box (/)", "slash",
                  lambda: search_box(app).has_focus)
    texts = ["m", "ma", "mar", "ma", "m", ""]
    for n, (text, key) in enumerate(zip(texts, ["m", "a", "r", *["backspace"] * 3]), 1):
        before = rows_of(app, "students")
        shown = f"'{text}'" if text else "all"
        await s.press(f"search_key{n}", f"search keystroke {n} ({key}): rows for {shown}",
                      key, refiltered(app, text, before),
                      lambda: f"{len(rows_of(app, 'students')):,} students")
    await s.press("list_focus", "back to the list (enter)", "enter",
                  lambda: app.dashboard.query_one("#students RowTable", RowTable).has_focus)
    await s.press("page_down", "page down", "pagedown")
    await s.press("list_end", "end of the list", "end")
    await s.press("list_home", "top of the list", "home")


async def commit_elsewhere(s: Session) -> None:
    """`rostertui sync --quick --commit` of the next day in another process, against the
    store the dashboard has open; then until the dashboard shows it (its watch)."""
    app = s.app
    before = len(rows_of(app, "students"))
    assert app.engine.config.path is not None
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *cli(app.engine.config.path.with_name("delta.yaml"), "sync", "--quick", "--commit",
             "--json"), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    committed = time.perf_counter()
    if proc.returncode != 0:
        raise SystemExit(f"the other process's commit failed ({proc.returncode}): "
                         f"{err.decode()[-2000:]}")
    report = orjson.loads(out)
    sync_id, adds = report["sync_id"], report["counts"]["student"]["add"]
    current = app.expect(lambda: any(d["id"] == sync_id for d in app.dashboard.syncs)
                         and len(rows_of(app, "students")) == before + adds, "the new data")
    actions = sum(sum(kinds.values()) for kinds in report["counts"].values())
    await s.record("other_commit", "another process: quick 5% sync + commit (dashboard open)",
                   start, committed, f"sync {sync_id} {report['status']}, {actions:,} actions")
    end = await current
    await app.workers.wait_for_complete()
    await s.record("refresh", "refresh after it: data current (History, Students list)",
                   committed, end, f"{before:,} -> {before + adds:,} students; stalls counted "
                   "until the reload's workers finished", stalls_until=time.perf_counter())


def report_ready(app: TimedApp) -> Check:
    loaded = complete(app, ReportScreen)
    return lambda: loaded() and isinstance(app.screen, ReportScreen) \
        and app.screen.doc is not None


def actions_of(screen: Screen[Any]) -> int:
    assert isinstance(screen, ReportScreen) and screen.doc is not None
    return sum(sum(kinds.values()) for kinds in screen.doc["counts"].values())


def rows_shown(screen: Screen[Any]) -> int:
    assert isinstance(screen, ActionListScreen)
    return len(screen.rows)


async def review(s: Session) -> None:
    """r as soon as the Status tab lists the staged sync (not before 1 s), then the
    largest action list."""
    app = s.app
    shown = await s.launch()
    await asyncio.sleep(max(0.0, s.at(KEY_AT) - shown))
    await s.press("report", "report of the staged sync (r)", "r", report_ready(app),
                  lambda: f"{actions_of(app.screen):,} actions")
    await s.press("action_list", "its largest action list: Students · Add", "down down enter",
                  complete(app, ActionListScreen), lambda: f"{rows_shown(app.screen):,} rows")
    await s.press("tick", "untick one action (space)", "space")
    await s.press("tick_next", "untick the next one (space moved down)", "space")
    await s.press("untick_all", "untick all of the list (n)", "n")
    await s.press("recount", "back to the report (escape): status recounted "
                  "(the guards)", "escape", recounted(app), lambda: app.screen.sub_title)
    await s.press("action_list_again", "the list again", "enter",
                  complete(app, ActionListScreen))
    await s.press("tick_all", "tick all of the list again (a)", "a")
    await s.press("recount_all", "back to the report: status, all ticked (as "
                  "staged)", "escape", recounted(app),
                  lambda: app.screen.sub_title)


def recounted(app: TimedApp) -> Check:
    """The report on top, its status counted for the ticks as they are (not "counting")."""
    return lambda: (isinstance(app.screen, ReportScreen) and app.screen.doc is not None
                    and app.screen.counting is None and not busy(app, app.screen))


SCENARIOS: dict[str, tuple[str, Callable[[Session], Awaitable[None]]]] = {
    "typing": ("committed", typing), "browse": ("committed", browse),
    "review": ("staged", review)}


# -- the stores ------------------------------------------------------------------------

def cli(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "rostertui", *args, "--config", str(config)]


def write_config(path: Path, source: Path, store: Path) -> Path:
    """A private config (a config others can read gets a warning on screen)."""
    atomic_write(path, orjson.dumps({
        "source": {"kind": "oneroster_csv", "path": str(source)},
        "store": {"path": str(store)},
        "sync": {"delete_threshold": DELETE_THRESHOLD}}))  # JSON is YAML
    return path


def build(work: Path, sets: Path) -> None:
    """committed/ (the district synced and committed, with delta.yaml for the next day)
    and staged/ (the district staged into an empty store), made afresh every run: what
    this version of rostertui writes, derived files included."""
    shutil.rmtree(work, ignore_errors=True)
    for name, args in (("committed", ("sync", "--full", "--commit")),
                       ("staged", ("sync", "--full"))):
        folder = work / name
        folder.mkdir(parents=True)
        store = folder / "store.json"
        config = write_config(folder / "config.yaml", sets / "full", store)
        write_config(folder / "delta.yaml", sets / "delta", store)
        print(f"building {folder}: rostertui {' '.join(args)} ...", flush=True)
        started = time.perf_counter()
        proc = subprocess.run(cli(config, *args), capture_output=True, text=True)
        if proc.returncode not in (0, 3):  # 3: staged but blocked, still a report to open
            raise SystemExit(f"building {folder} failed: {proc.stderr[-2000:]}")
        print(f"  {time.perf_counter() - started:.1f} s", flush=True)


# -- running ---------------------------------------------------------------------------

def run_scenario(name: str, work: Path, students: int) -> Scenario:
    store, steps = SCENARIOS[name]
    cfg = config_mod.load(work / store / "config.yaml")
    scenario = Scenario(name, os.getloadavg())
    asyncio.run(session(Engine(cfg, connector_for(cfg.source)), scenario, students, steps))
    scenario.load_after = os.getloadavg()
    return scenario


def child(name: str, work: Path, students: int) -> dict[str, Any]:
    """Run one scenario in a fresh process, echoing its lines; its result (the last), or
    {"name", "failed": the error's last line} so that the other scenarios still run."""
    print(f"-- {name} (load average {os.getloadavg()[0]:.2f})", flush=True)
    cmd = [sys.executable, __file__, "--scenario", name, "--work", str(work),
           "--students", str(students)]
    last = ""
    with tempfile.TemporaryFile("w+") as errors, \
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True,
                             cwd=ROOT) as proc:
        assert proc.stdout is not None
        for text in proc.stdout:
            if last:
                print(last, end="", flush=True)
            last = text
        proc.wait()
        errors.seek(0)
        error = errors.read().strip()
    if proc.returncode != 0 or not last.startswith("{"):
        print(last + error, file=sys.stderr, flush=True)
        lines = error.splitlines() or [f"exit {proc.returncode}"]
        return {"name": name, "failed": lines[-1]}
    result: dict[str, Any] = orjson.loads(last)
    whole = result["whole"]
    print(f"{'the whole scenario, from launch':62} {'':10}   stall max "
          f"{whole['worst'] * 1000:6,.0f} ms   p99 {whole['p99'] * 1000:6,.0f} ms\n"
          f"{'':64}longest during: {result['worst_in']}", flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--students", type=int, default=100_000)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--work", type=Path, default=HERE / "out" / "dashboard")
    ap.add_argument("--only", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS),
                    help="run these scenarios only")
    ap.add_argument("--json", type=Path, help="write the results here (bench/run.py reads them)")
    ap.add_argument("--scenario", choices=list(SCENARIOS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = args.work.resolve()
    if args.scenario:  # the child process of one scenario
        scenario = run_scenario(args.scenario, work, args.students)
        print(orjson.dumps(asdict(scenario)).decode(), flush=True)
        return
    sets = district(args.data.resolve(), args.students)
    build(work, sets)
    results = [child(name, work, args.students) for name in args.only]
    if args.json:
        args.json.write_bytes(orjson.dumps({"students": args.students, "scenarios": results}))


if __name__ == "__main__":
    main()
