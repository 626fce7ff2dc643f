"""Renumbering in the dashboard (issue 17, part 3), through Pilot at 80x24: the report says
how many records the source renumbered, a link's detail names the old and the new id, and
a renumbered student's own sync history still lists the syncs from before."""

from __future__ import annotations

import pytest

from screens.person_screen import PersonScreen
from screens.related import RelatedList

from ..support.dashboard import (
    SIZE,
    dashboard,
    day1,
    engine_on,
    lines,
    on_screen,
    open_actions,
    open_report,
    started,
    text,
)
from ..support.renumber import renumbered

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


def students_renumbered():
    """Day one again, every student under a new id (s0 -> ns0), the old one a legacy id."""
    return renumbered(day1(), lambda sid: f"n{sid}", types=("student",))


async def test_the_report_counts_the_renumbered_and_a_link_names_both_ids(tmp_path, source):
    engine = engine_on(tmp_path, source, students_renumbered())
    engine.sync()
    async with dashboard(engine).run_test(size=SIZE) as pilot:
        await started(pilot)
        report = await open_report(pilot)
        assert "12 records renumbered by the source" in text(report.query_one("#summary"))
        await pilot.press("escape")
        actions = await open_actions(pilot, "down", "down", "right", "enter")  # Update
        await pilot.press("slash", *"ns0", "enter")
        await pilot.pause()
        assert [a["id"] for a in actions.rows] == ["student:ns0"]
        detail = " ".join(text(actions.query_one("#detail")).split())
        assert "Link student:" in detail and "(s0) moves to source id ns0" in detail


async def test_a_renumbered_students_history_lists_the_syncs_before(tmp_path, source):
    engine = engine_on(tmp_path, source, students_renumbered())
    engine.commit(engine.sync()["sync_id"], force=True)  # the change guard holds it
    async with dashboard(engine).run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("6")
        await pilot.pause()
        await pilot.press("enter")  # Lasts0, Firsts0: now ns0
        screen = await on_screen(pilot, PersonScreen)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        history = screen.query_one("#sync-history", RelatedList)
        assert [line.split()[:4] for line in lines(history)[1:3]] == [
            ["2", "2026-03-02", "09:30", "update"], ["1", "2026-03-02", "09:30", "add"]]
