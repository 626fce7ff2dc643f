"""Snapshots at 80x24 of a fixed district, clock and user (see tests/support/dashboard.py).

After an intended change of the look: pytest tests/dashboard/test_dashboard_snapshots.py
--snapshot-update, then review the SVGs in tests/dashboard/__snapshots__/.
"""

from __future__ import annotations

import pytest

from rostertui.config import from_dict
from rostertui.engine import Engine
from screens.help_screen import HelpScreen
from screens.rowtable import RowTable
from screens.warnings_screen import WarningsScreen

from ..support.dashboard import (
    SIZE,
    dashboard,
    day1,
    day2,
    engine_on,
    make_config,
    on_screen,
    open_actions,
    open_report,
    started,
    sync_dialog,
    until,
)

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


def staged(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()
    return dashboard(engine)


def test_status_tab_with_a_staged_sync(snap_compare, tmp_path, source):
    assert snap_compare(staged(tmp_path, source), terminal_size=SIZE, run_before=started)


def test_report_of_a_staged_sync(snap_compare, tmp_path, source):
    async def report(pilot):
        await started(pilot)
        await open_report(pilot)

    assert snap_compare(staged(tmp_path, source), terminal_size=SIZE, run_before=report)


def test_action_list_with_an_unticked_action(snap_compare, tmp_path, source):
    async def untick(pilot):
        await started(pilot)
        await open_actions(pilot, "down", "down", "right", "enter")
        await pilot.press("space")

    assert snap_compare(staged(tmp_path, source), terminal_size=SIZE, run_before=untick)


def test_students_with_markup_and_escapes_in_names(snap_compare, tmp_path, source):
    feed = day1()
    feed.types["student"].records[0].update(first_name="[bold]x[/]", last_name="\x1b[31mRed")
    feed.types["student"].records[1].update(first_name="[red]Ann", last_name="O'Neil\x07")
    engine = Engine(make_config(tmp_path), connector=source)
    source.next = feed
    engine.sync(commit=True)

    async def students(pilot):
        await started(pilot)
        await pilot.press("6")
        await until(pilot, lambda: isinstance(pilot.app.focused, RowTable))

    assert snap_compare(dashboard(engine), terminal_size=SIZE, run_before=students)


def test_sync_now_dialog_reads_without_colour(snap_compare, tmp_path, source):
    async def open_dialog(pilot):
        await started(pilot)
        await sync_dialog(pilot)
        pilot.app.screen.query_one("SelectionList").deselect("sch2")
        await pilot.pause()

    assert snap_compare(staged(tmp_path, source), terminal_size=SIZE, run_before=open_dialog)


def test_warnings_view_filtered_by_code(snap_compare, tmp_path, source):
    async def warnings(pilot):
        await started(pilot)
        await pilot.press("w")
        view = await on_screen(pilot, WarningsScreen)
        await until(pilot, lambda: view.warnings is not None)
        await pilot.press("f", "enter", "down", "enter", "escape")  # missing_email
        await pilot.pause()

    assert snap_compare(staged(tmp_path, source), terminal_size=SIZE, run_before=warnings)


def test_report_of_a_blocked_sync_with_section_rules(snap_compare, tmp_path, source):
    engine = Engine(from_dict({"source": {"kind": "oneroster_csv", "path": "/srv/sftp/sp"},
                               "store": {"path": "store.json"}, "limits": {"max_users": 12},
                               "sync": {"sections": {"exclude": [{"name": "Low*"}]}}},
                              base_dir=tmp_path), connector=source)
    source.next = day1()
    engine.sync(commit=True, force=True)
    source.next = day2()
    engine.sync()

    async def report(pilot):
        await started(pilot)
        await open_report(pilot)

    assert snap_compare(dashboard(engine), terminal_size=SIZE, run_before=report)


def test_help_on_the_students_tab_lists_its_live_keys(snap_compare, tmp_path, source):
    async def help_(pilot):
        await started(pilot)
        await pilot.press("6")
        await until(pilot, lambda: isinstance(pilot.app.focused, RowTable))
        await pilot.press("f1")
        await on_screen(pilot, HelpScreen)

    assert snap_compare(staged(tmp_path, source), terminal_size=SIZE, run_before=help_)
