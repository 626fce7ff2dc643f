"""For the review tests (tests/dashboard/test_dashboard_review.py): a district whose next
day archives a student with two guardians, and ways to reach History, read the report's
grid, a dialog and a sync's unticked actions."""

from __future__ import annotations

from connectors.feed import Feed
from rostertui.engine import Engine
from rostertui.model import make
from screens.confirm_screen import ConfirmScreen
from screens.counter_grid import CounterGrid

from .dashboard import day1, fresh, make_config, on_screen, until
from .feeds import FeedSource


def guardian(sid: str, student: str, first: str) -> dict:
    return make("contact", source_id=sid, first_name=first, last_name="Guardian",
                relationships=[{"student_id": student, "relationship": "guardian",
                                "type": "guardian"}])


def with_guardians() -> Feed:
    """day1, where s0 has two guardians (g0, g1) and s1-s9 one each: two archives of
    eleven contacts stay under the delete threshold (25%)."""
    feed = day1()
    feed.types["contact"].records += [guardian("g1", "s0", "Gus")] + [
        guardian(f"g{i + 1}", f"s{i}", f"G{i}") for i in range(1, 10)]
    return feed


def s0_leaves() -> Feed:
    """s0 leaves: with them their guardians g0 and g1, and their place in c1."""
    feed = with_guardians()
    feed.types["student"].records = [s for s in feed.types["student"].records
                                     if s["source_id"] != "s0"]
    feed.types["contact"].records = [c for c in feed.types["contact"].records
                                     if c["source_id"] not in ("g0", "g1")]
    c1 = feed.types["section"].records[0]
    c1["student_ids"] = [s for s in c1["student_ids"] if s != "s0"]
    return feed


def engine_where_s0_leaves(tmp_path, source: FeedSource) -> Engine:
    """with_guardians committed as sync 1; s0_leaves staged as sync 2."""
    engine = Engine(make_config(tmp_path), connector=source)
    source.next = with_guardians()
    engine.sync(commit=True)
    source.next = s0_leaves()
    engine.sync()
    return engine


def grid_lines(grid: CounterGrid) -> list[str]:
    return [grid.render_line(y).text.rstrip() for y in range(grid.size.height)]


def unticked(engine: Engine, sync_id: int) -> set[str]:
    """The unticked actions of a sync, read afresh from the store's plan files."""
    return {a["id"] for a in fresh(engine).plan(sync_id)["actions"] if not a["enabled"]}


async def dialog(pilot) -> ConfirmScreen:
    """The confirmation on top, once its button has the focus."""
    screen = await on_screen(pilot, ConfirmScreen)
    await until(pilot, lambda: pilot.app.focused is not None
                and pilot.app.focused.screen is screen)
    return screen


def focused_button(pilot) -> str:
    """"yes" or "no": the button Enter would press."""
    return str(pilot.app.focused.id)


async def settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def tab(pilot, key: str) -> None:
    """Switch tab with its number key, and wait for the focus to follow to its list."""
    await pilot.press(key)
    tabs = pilot.app.dashboard.query_one("TabbedContent")
    await until(pilot, lambda: pilot.app.focused is not None
                and tabs.active_pane in pilot.app.focused.ancestors)
