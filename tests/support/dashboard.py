"""The dashboard's tests share a fixed district (day one committed, day two what the next
sync fetches) and the ways to drive the app through Pilot at SIZE and wait for it.
tests/dashboard/conftest.py has the fixture that fixes the clock, zone and user."""

from __future__ import annotations

import io
import time

from rich.console import Console
from rich.text import Text
from textual.widgets import Static
from tinydb import TinyDB

from connectors.feed import Feed
from rostertui.app import RosterApp
from rostertui.config import from_dict
from rostertui.engine import Engine
from rostertui.model import make
from screens.action_list_screen import ActionListScreen
from screens.dashboard import Dashboard
from screens.report_screen import ReportScreen
from screens.rowtable import RowTable
from screens.sync_dialog import SyncDialog

from .feeds import FeedSource, carrying_everything, district, section, student

SIZE = (80, 24)
NOW = "2026-03-02T09:30:00Z"


# -- data ----------------------------------------------------------------------------------

def make_config(tmp_path, **sync):
    return carrying_everything(
        from_dict({"source": {"kind": "oneroster_csv", "path": "/srv/sftp/springfield"},
                   "store": {"path": "store.json"}, "sync": sync}, base_dir=tmp_path), sync)


def day1() -> Feed:
    """Two schools: High (sch1, students s0-s9 in c1) and Low (sch2, s10-s11 in c2)."""
    feed = district(10)
    feed.district = {"source_id": "d1", "name": "Springfield Public Schools"}
    feed.types["school"].records.append(make("school", source_id="sch2", name="Low",
                                             sis_id="002"))
    low = [student(f"s{i}", school_ids=["sch2"]) for i in (10, 11)]
    feed.types["student"].records += low
    feed.types["section"].records.append(section("c2", ["s10", "s11"], school_id="sch2",
                                                 name="Low Math", period="2"))
    feed.types["contact"].records.append(make(
        "contact", source_id="g0", first_name="Gina", last_name="Guardian", phone="555-0100",
        relationships=[{"student_id": "s0", "relationship": "mother", "type": "guardian"}]))
    return feed


def day2() -> Feed:
    """s0-s2 change grade, s20-s21 arrive in c1, s11 leaves."""
    feed = day1()
    students = feed.types["student"].records
    for rec in students[:3]:
        rec["grade"] = "07"
    students[:] = [s for s in students if s["source_id"] != "s11"]
    students += [student("s20"), student("s21")]
    c1, c2 = feed.types["section"].records
    c1["student_ids"] += ["s20", "s21"]
    c2["student_ids"] = ["s10"]
    return feed


def engine_on(tmp_path, source: FeedSource, feed: Feed | None = None, **sync) -> Engine:
    """An engine whose store holds day 1, committed; `feed` is what the next fetch gets."""
    engine = Engine(make_config(tmp_path, **sync), connector=source)
    source.next = day1()
    engine.sync(commit=True)
    source.next = feed if feed is not None else day2()
    return engine


def fresh(engine: Engine) -> Engine:
    return Engine(engine.config, connector=engine._connector)


def stored(engine: Engine, table: str) -> dict[str, dict]:
    return {d["source_id"]: d for d in TinyDB(engine.store.path).table(table).all()}


# -- driving the app -----------------------------------------------------------------------

def dashboard(engine: Engine) -> RosterApp:
    app = RosterApp(engine)
    app.animation_level = "none"  # Pilot waits for every animation to end
    return app


async def until(pilot, check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.02)


async def started(pilot) -> Dashboard:
    """The dashboard once its status, history and catalog are shown."""
    app = pilot.app
    await until(pilot, lambda: app.dashboard.catalog is not None)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.dashboard


async def on_screen(pilot, kind):
    await until(pilot, lambda: isinstance(pilot.app.screen, kind))
    await pilot.pause()
    return pilot.app.screen


async def report_loaded(pilot) -> ReportScreen:
    screen = await on_screen(pilot, ReportScreen)
    await until(pilot, lambda: screen.doc is not None)
    await pilot.pause()
    return screen


async def open_report(pilot) -> ReportScreen:
    """The latest sync's report, from the dashboard (r)."""
    await pilot.press("r")
    return await report_loaded(pilot)


async def open_actions(pilot, *keys: str) -> ActionListScreen:
    """The action list that `keys` pick in the report's grid."""
    await open_report(pilot)
    await pilot.press(*keys)
    return await on_screen(pilot, ActionListScreen)


async def sync_dialog(pilot) -> SyncDialog:
    await pilot.press("s")
    return await on_screen(pilot, SyncDialog)


async def start_sync(pilot) -> None:
    """Start from the sync dialog and wait until the sync has run."""
    await pilot.press("enter")
    await on_screen(pilot, Dashboard)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def lines(table: RowTable) -> list[str]:
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]


def text(widget) -> str:
    """What a Static shows, as plain text (a table or grid rendered at its width)."""
    shown = widget.content if isinstance(widget, Static) else widget.render()
    if isinstance(shown, Text | str):
        return str(shown)
    console = Console(width=widget.size.width or SIZE[0], file=io.StringIO(), record=True)
    console.print(shown)
    return console.export_text()


def notes(app) -> str:
    return "\n".join(n.message for n in app._notifications)


def visible_table(app) -> RowTable:
    return next(t for t in app.screen.query(RowTable) if t.display and t.region.area)
