"""The report, its action lists and a record's sync history read a plan through its index
(issue 16: the dashboard never parses a whole plan). Deleted, the index is made again from
the plan, and the screens show what they showed with it."""

from __future__ import annotations

import pytest

from rostertui.guard_cache import guards_path
from rostertui.plan_index import index_path
from screens.person_screen import PersonScreen
from screens.related import RelatedList

from ..support.dashboard import (
    SIZE,
    dashboard,
    engine_on,
    fresh,
    lines,
    on_screen,
    open_actions,
    report_loaded,
    started,
    visible_table,
)
from ..support.review import grid_lines

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


def derived(engine, sync_id: int) -> list:
    plan = engine.store.plans.path(sync_id)
    return [index_path(plan), guards_path(plan)]


async def report_and_list(engine) -> tuple[list[str], list[str], list[str]]:
    """The report's grid and notes, and its Students · Update list (s0-s2 regraded)."""
    app = dashboard(fresh(engine))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        actions = await open_actions(pilot, "down", "down", "right", "enter")
        await pilot.pause()
        listed = lines(visible_table(app))
        await pilot.press("escape")
        report = await report_loaded(pilot)
        notes = str(report.query_one("#summary").content).splitlines()
        return grid_lines(report.query_one("CounterGrid")), notes, listed + [
            f"{actions.on} of {len(actions.rows)}"]


async def test_the_report_and_its_lists_show_the_same_with_their_index_made_again(
        tmp_path, source):
    engine = engine_on(tmp_path, source)
    sid = engine.sync()["sync_id"]
    engine.set_enabled(sid, ["student:s1"], False)
    shown = await report_and_list(engine)
    assert shown[0][3] == " Students      2/2      2/3      1/1           -"
    assert [line.split() for line in shown[2][1:4]] == [
        ["[x]", "Firsts0", "Lasts0", "(sis-s0)", "grade:", "07"],
        ["[", "]", "Firsts1", "Lasts1", "(sis-s1)", "grade:", "07"],
        ["[x]", "Firsts2", "Lasts2", "(sis-s2)", "grade:", "07"]]
    for path in derived(engine, sid):
        path.unlink()
    assert await report_and_list(engine) == shown
    index, kept_guards = derived(engine, sid)
    assert index.exists()  # made again; the guards' answer is kept only with all ticked
    assert not kept_guards.exists()


async def test_a_record_history_shows_the_same_with_its_indexes_made_again(tmp_path,
                                                                           source):
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)  # day 2: s0 changes grade

    async def history() -> list[str]:
        app = dashboard(fresh(engine))
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            await pilot.press("6", "enter")  # Lasts0, Firsts0
            screen = await on_screen(pilot, PersonScreen)
            table = screen.query_one("#sync-history", RelatedList)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            return [" ".join(line.split()) for line in lines(table)[1:3]]

    shown = await history()
    assert shown == ["2 2026-03-02 09:30 update grade: 07", "1 2026-03-02 09:30 add"]
    for sid in (1, 2):
        index_path(engine.store.plans.path(sid)).unlink()
    assert await history() == shown
