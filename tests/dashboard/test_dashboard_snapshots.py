"""Snapshots of a fixed district, clock and user (see tests/support/dashboard.py): the
main views at 80x24, 60x20 and 200x50, some in 16 colours, and the dialogs at 80x24.

After an intended change of the look: pytest tests/dashboard/test_dashboard_snapshots.py
--snapshot-update, then review the SVGs in tests/dashboard/__snapshots__/ (rsvg-convert
turns one into a PNG).
"""

from __future__ import annotations

import pytest

from rostertui.config import from_dict
from rostertui.engine import Engine
from screens.help_screen import HelpScreen
from screens.rowtable import RowTable
from screens.warnings_screen import WarningsScreen

from ..support.colours import dashboard16
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
from ..support.layout_district import staged_classes

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")

SIZES = {"80x24": SIZE, "60x20": (60, 20), "200x50": (200, 50)}


def staged(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()
    return dashboard(engine)


async def tab(pilot, key: str) -> None:
    """A tab whose list has the focus and its rows."""
    await started(pilot)
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.focused, RowTable)
                and bool(pilot.app.focused.rows))
    await pilot.pause()


async def report(pilot) -> None:
    await started(pilot)
    await open_report(pilot)


# Status with sync 2 staged, History, two lists and sync 2's report, of a district whose
# names are long (a school) or alike (classes): see tests/support/layout_district.py.
VIEWS = {"status": started, "history": lambda pilot: tab(pilot, "2"),
         "students": lambda pilot: tab(pilot, "6"), "sections": lambda pilot: tab(pilot, "7"),
         "report": report}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_main_view(snap_compare, tmp_path, source, view, size):
    app = dashboard(staged_classes(tmp_path, source))
    assert snap_compare(app, terminal_size=SIZES[size], run_before=VIEWS[view])


@pytest.mark.parametrize("view", ["status", "students", "report"])
def test_main_view_in_16_colours(snap_compare, tmp_path, source, view):
    """As TERM=screen shows it (tests/support/colours.py): no red cursor, no black on
    black, the focus reversed."""
    app = dashboard16(staged_classes(tmp_path, source))
    assert snap_compare(app, terminal_size=SIZE, run_before=VIEWS[view])


def test_sync_now_dialog_in_16_colours_from_a_date(snap_compare, tmp_path, source):
    async def from_a_date(pilot):
        await started(pilot)
        dialog = await sync_dialog(pilot)
        dialog.query_one("#quick").value = True
        dialog.query_one("#date").value = True
        await pilot.pause()  # "from" is enabled
        dialog.query_one("#from").focus()
        await pilot.pause()

    app = dashboard16(staged_classes(tmp_path, source))
    assert snap_compare(app, terminal_size=SIZE, run_before=from_a_date)


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
