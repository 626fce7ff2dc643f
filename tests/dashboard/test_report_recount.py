"""The report's status recounted after ticks (screens/report_screen.py): while the guards
are counted (in a child process, rostertui/guard_count.py) the report stays usable and says
so, a count of ticks that changed meanwhile is never shown as current, and a count that
fails is one line."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Static

from rostertui import guard_count
from rostertui.errors import RosterError
from screens.action_list_screen import ActionListScreen
from screens.confirm_screen import ConfirmScreen
from screens.counter_grid import CounterGrid
from screens.report_screen import COUNTING, NOT_COUNTED, ReportScreen

from ..support.dashboard import (
    SIZE,
    dashboard,
    engine_on,
    fresh,
    notes,
    on_screen,
    open_actions,
    started,
    text,
    until,
)

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")

ARCHIVE = "student:s11"  # day2's one archive: over a delete threshold of 0


def summary(report: ReportScreen) -> str:
    return text(report.query_one("#summary", Static))


async def untick_the_archive(pilot) -> ReportScreen:
    """From the dashboard: Students · Archive, untick s11 (not the section update linked
    to it: No), back to the report."""
    await started(pilot)
    await open_actions(pilot, "down", "down", "right", "right", "enter")
    await pilot.press("space")
    await on_screen(pilot, ConfirmScreen)
    await pilot.press("escape")
    await on_screen(pilot, ActionListScreen)
    await pilot.press("escape")
    return await on_screen(pilot, ReportScreen)


async def test_the_report_says_it_is_counting_and_stays_usable(tmp_path, source, monkeypatch):
    engine = engine_on(tmp_path, source, delete_threshold=0)
    engine.sync()
    real, gate = guard_count.count, threading.Event()

    def held(request):
        assert gate.wait(10)
        return real(request)
    monkeypatch.setattr(guard_count, "count", held)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        report = await untick_the_archive(pilot)
        await until(pilot, lambda: COUNTING in summary(report))
        assert report.sub_title == COUNTING and not report.query_one("#notes").display
        grid = report.query_one(CounterGrid)
        await until(pilot, lambda: grid.get_row("student")[2].plain == "0/1")  # usable
        gate.set()
        await until(pilot, lambda: COUNTING not in summary(report))
        assert report.doc["status"] == "staged" and report.doc["blocked_reasons"] == []
        assert report.sub_title == "staged"


async def test_a_count_of_ticks_changed_meanwhile_is_not_shown(tmp_path, source, monkeypatch):
    """The archive is ticked again while its untick is counted: what shows is the count
    of the ticks as they are (blocked), not the one that was under way (staged)."""
    engine = engine_on(tmp_path, source, delete_threshold=0)
    engine.sync()
    blocked = engine.sync_doc(2)["blocked_reasons"]
    real, counted = guard_count.count, []
    app = dashboard(engine)

    def ticked_meanwhile(request):
        counted.append(request.disabled)
        if len(counted) == 1:
            review = app.screen.review
            review.set_enabled([ARCHIVE], True)
        return real(request)
    monkeypatch.setattr(guard_count, "count", ticked_meanwhile)
    async with app.run_test(size=SIZE) as pilot:
        report = await untick_the_archive(pilot)
        await until(pilot, lambda: len(counted) == 1 and COUNTING not in summary(report))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert counted == [frozenset({ARCHIVE})]  # ticked again: all ticked, kept reasons
        assert report.doc["status"] == "blocked" and report.doc["blocked_reasons"] == blocked
    assert fresh(engine).block_reasons(fresh(engine).review(2)) == blocked


async def test_a_count_that_fails_says_so_in_one_line(tmp_path, source, monkeypatch):
    engine = engine_on(tmp_path, source, delete_threshold=0)
    engine.sync()

    def fails(request):
        raise RosterError("the store changed while the guards were counted; "
                          "open the report again")
    monkeypatch.setattr(guard_count, "count", fails)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        report = await untick_the_archive(pilot)
        await until(pilot, lambda: NOT_COUNTED in summary(report))
        await until(pilot, lambda: "the store changed while the guards" in notes(app))
        assert report.sub_title == NOT_COUNTED and not report.query_one("#notes").display


async def test_a_replaced_count_that_fails_is_not_shown(tmp_path, source, monkeypatch):
    """Found by attack: the archive unticked (its count held), then ticked again (all
    ticked: the kept reasons, blocked, shown at once); the first count then failed, and
    its "could not be counted" covered the right status."""
    engine = engine_on(tmp_path, source, delete_threshold=0)
    engine.sync()
    blocked = engine.sync_doc(2)["blocked_reasons"]
    real, gate = guard_count.count, threading.Event()

    def held_then_fails(request):
        if request.disabled:  # the untick's count (all ticked is answered without one)
            assert gate.wait(10)
            raise RosterError("the guards could not be counted: a newer count replaced it")
        return real(request)
    monkeypatch.setattr(guard_count, "count", held_then_fails)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        report = await untick_the_archive(pilot)
        await until(pilot, lambda: COUNTING in summary(report))
        assert report.review is not None
        report.review.set_enabled([ARCHIVE], True)  # ticked again in the list, then back:
        report._back_from_list(None)
        await until(pilot, lambda: report.doc["status"] == "blocked"
                    and COUNTING not in summary(report))
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert report.sub_title == "blocked" and NOT_COUNTED not in summary(report)
        assert report.doc["blocked_reasons"] == blocked
        assert "could not be counted" not in notes(app)
