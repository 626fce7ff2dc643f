"""Review that reads well (issue 15), through Pilot: the report's grid after an action
list, after the arrow keys and with four-digit counts at 80 and 60 columns; one rule for
every dialog (a destructive one opens on Cancel); the first revert dialog names the
records changed since; unticking a student's archive offers to untick their guardians'
archives and the section updates that drop them.

Assertions look at the screen and at the store (a fresh Engine, or TinyDB).
"""

from __future__ import annotations

import pytest
from textual.widgets import Button

from rostertui.engine import Engine
from screens.action_list_screen import ActionListScreen
from screens.confirm_screen import ConfirmScreen, DialogBody
from screens.counter_grid import CounterGrid
from screens.report_screen import ReportScreen

from ..support.dashboard import (
    SIZE,
    dashboard,
    day2,
    engine_on,
    fresh,
    make_config,
    notes,
    on_screen,
    open_actions,
    open_report,
    started,
    stored,
    until,
)
from ..support.feeds import district, student
from ..support.review import (
    dialog,
    engine_where_s0_leaves,
    focused_button,
    grid_lines,
    settled,
    tab,
    unticked,
)

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


# -- the report's grid ---------------------------------------------------------------------

# Sync 2 of engine_on (day2) once s20's add is unticked: every row keeps its label, and
# every count ends under the end of its column's header.
AFTER_UNTICKING_S20 = [
    "               Add   Update  Archive  Reactivate",
    " Schools         -        -        -           -",
    " Teachers        -        -        -           -",
    " Students      1/2      3/3      1/1           -",
    " Staff           -        -        -           -",
    " Contacts        -        -        -           -",
    " Sections        -      2/2        -           -",
]


async def test_the_grid_keeps_its_labels_and_columns_after_an_action_list(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await open_actions(pilot, "down", "down", "enter")  # Students, Add: s20, s21
        await pilot.press("space", "escape")
        report = await on_screen(pilot, ReportScreen)
        grid = report.query_one(CounterGrid)
        await until(pilot, lambda: grid.get_row("student")[0].plain == "1/2")
        for keys in ((), ("left",), ("right", "right", "left"), ("up", "left", "down")):
            await pilot.press(*keys)
            await pilot.pause()
            assert grid_lines(grid) == AFTER_UNTICKING_S20, keys
    assert unticked(engine, 2) == {"student:s20"}


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_four_digit_counts_show_whole_and_fit(tmp_path, source, size):
    engine = Engine(make_config(tmp_path), connector=source)
    source.next = district(4377)
    engine.sync()  # a first import: 4,377 students to add
    app = dashboard(engine)
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await open_actions(pilot, "down", "down", "enter")  # Students, Add
        await pilot.press("space", "escape")
        report = await on_screen(pilot, ReportScreen)
        grid = report.query_one(CounterGrid)
        await until(pilot, lambda: grid.get_row("student")[0].plain == "4,376/4,377")
        await pilot.pause()
        assert grid_lines(grid)[3] == \
            " Students  4,376/4,377        -        -           -"
        assert grid.virtual_size.width <= grid.size.width  # nothing to scroll sideways
    assert unticked(engine, 1) == {"student:s0"}


# -- dialogs: one rule ---------------------------------------------------------------------

async def test_safe_confirmations_open_on_their_action(tmp_path, source):
    """A commit of a staged sync (it can be reverted) starts on Commit: Enter commits."""
    engine = engine_on(tmp_path, source)
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        report = await open_report(pilot)
        await pilot.press("c")
        confirm = await dialog(pilot)
        assert not confirm.danger and focused_button(pilot) == "yes"
        await pilot.press("enter")
        await until(pilot, lambda: report.doc["status"] == "committed")
    assert stored(engine, "students")["s2"]["grade"] == "07"


def blocked_engine(tmp_path, source) -> Engine:
    """Sync 2 archives 3 students, over a delete threshold of 2."""
    feed = day2()
    feed.types["student"].records = [s for s in feed.types["student"].records
                                     if s["source_id"] not in ("s9", "s10")]
    engine = engine_on(tmp_path, source, feed, delete_threshold=2)
    assert engine.sync()["status"] == "blocked"
    return engine


async def u_on_history_row(pilot, row: int) -> None:
    """u (revert, or redo) on a row of History: 0 is the newest sync."""
    await tab(pilot, "2")
    await pilot.press("home", *["down"] * row, "u")


async def to_discard(pilot) -> None:
    await open_report(pilot)
    await pilot.press("d")


async def to_forced_commit(pilot) -> None:
    await open_report(pilot)
    await pilot.press("c")
    await dialog(pilot)
    await pilot.press("enter")  # the first, safe, confirmation; the guards refuse
    await until(pilot, lambda: getattr(pilot.app.screen, "danger", False))


HEADINGS = {"revert": "Revert sync 2?", "redo": "Redo sync 2?", "discard": "Discard sync 2?",
            "forced commit": "Sync 2 is blocked"}


@pytest.mark.parametrize("case", list(HEADINGS))
async def test_enter_on_a_fresh_destructive_dialog_cancels(tmp_path, source, case):
    engine = blocked_engine(tmp_path, source) if case == "forced commit" \
        else engine_on(tmp_path, source)
    if case in ("revert", "redo"):
        engine.sync(commit=True)
    if case == "redo":
        engine.revert(2)
    if case == "discard":
        engine.sync()
    before = stored(engine, "students"), [d["status"] for d in fresh(engine).history()]
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        if case in ("revert", "redo"):  # sync 2: the newest, or reverted by sync 3
            await u_on_history_row(pilot, 0 if case == "revert" else 1)
        else:
            await {"discard": to_discard, "forced commit": to_forced_commit}[case](pilot)
        confirm = await dialog(pilot)
        assert confirm.heading == HEADINGS[case]
        assert confirm.query_one(".dialog").has_class("danger")
        assert focused_button(pilot) == "no"
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await settled(pilot)
    assert (stored(engine, "students"), [d["status"] for d in fresh(engine).history()]) \
        == before


# -- revert: the conflicts in the first dialog -----------------------------------------------

def engine_where_sync_3_changes_s0_again(tmp_path, source) -> Engine:
    """Sync 2 gives s0 grade 07; sync 3 gives them 08: reverting 2 conflicts on s0."""
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)
    feed = day2()
    feed.types["student"].records[0]["grade"] = "08"
    source.next = feed
    engine.sync(commit=True)
    return engine


async def test_the_first_revert_dialog_names_the_records_changed_since(tmp_path, source):
    engine = engine_where_sync_3_changes_s0_again(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await u_on_history_row(pilot, 1)  # sync 2
        confirm = await dialog(pilot)
        assert confirm.heading == "Revert sync 2?" and confirm.yes == "Revert 8 anyway"
        assert "Sync 2 applied 8 actions." in confirm.body.plain
        assert "Since sync 2 was committed, 1 of its records changed again (students 1):\n" \
               "  student  Firsts0 Lasts0 (s0)\n" \
               "Reverting anyway puts back sync 2's old values over those later changes." \
               in confirm.body.plain
        await pilot.press("left", "enter")  # no second question: this one named them
        await until(pilot, lambda: "Sync 2 reverted" in notes(app))
        await settled(pilot)
        assert "Sync 2 reverted: 8 changes applied, recorded as sync 4." in notes(app)
    doc = fresh(engine).sync_doc(4)
    assert doc["reverts"] == 2 and doc["forced"] is True
    assert stored(engine, "students")["s0"]["grade"] == ""  # sync 2's before-value


async def test_records_changed_after_the_first_dialog_are_asked_about_again(tmp_path, source):
    engine = engine_where_sync_3_changes_s0_again(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await u_on_history_row(pilot, 1)  # sync 2, whose first dialog names s0
        await dialog(pilot)
        feed = day2()
        feed.types["student"].records[0]["grade"] = "08"
        feed.types["student"].records[1]["grade"] = "09"
        source.next = feed
        fresh(engine).sync(commit=True)  # meanwhile, in another terminal: s1 changes too
        await pilot.press("left", "enter")
        await until(pilot, lambda: getattr(app.screen, "heading", "")
                    == "These records changed since")
        second = app.screen
        assert focused_button(pilot) == "no"
        assert "2 of its records changed again (students 2)" in second.body.plain
        assert "Firsts1 Lasts1 (s1)" in second.body.plain
        await pilot.press("enter")  # Cancel
        await settled(pilot)
        assert "Nothing was changed; the store is as it was." in notes(app)
    assert stored(engine, "students")["s1"]["grade"] == "09"
    assert fresh(engine).sync_doc(2)["status"] == "committed"


def engine_where_sync_3_changes_all_of_sync_2(tmp_path, source) -> Engine:
    """Sync 3 changes again each of the 8 records sync 2 changed."""
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)
    feed = day2()
    students = feed.types["student"].records
    for rec in students:
        rec["grade"] = "08" if rec["source_id"] in ("s0", "s1", "s2") else rec["grade"]
        rec["email"] = f"new-{rec['email']}" if rec["source_id"] in ("s20", "s21") \
            else rec["email"]
    students.append(student("s11", school_ids=["sch2"]))  # back again
    for sec in feed.types["section"].records:
        sec["period"] = "9"
    source.next = feed
    engine.sync(commit=True, force=True)
    return engine


async def test_a_long_dialog_keeps_its_buttons_and_scrolls_at_60x20(tmp_path, source):
    engine = engine_where_sync_3_changes_all_of_sync_2(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=(60, 20)) as pilot:
        await started(pilot)
        await u_on_history_row(pilot, 1)  # sync 2
        confirm = await dialog(pilot)
        assert "8 of its records changed again" in confirm.body.plain
        for button in confirm.query(Button):
            assert app.screen.region.contains_region(button.region)
        body = confirm.query_one(DialogBody)
        assert body.max_scroll_y > 0
        await pilot.press("left", "left", "end")  # Cancel, Revert, then the text
        assert app.focused is body and body.scroll_y == body.max_scroll_y
        await pilot.press("escape")
        await settled(pilot)
    assert fresh(engine).sync_doc(2)["status"] == "committed"


# -- unticking a student's archive -----------------------------------------------------------

async def open_s0_archive(pilot) -> ActionListScreen:
    """Students, Archive: s0 alone (engine_where_s0_leaves)."""
    actions = await open_actions(pilot, "down", "down", "right", "right", "enter")
    assert [a["id"] for a in actions.rows] == ["student:s0"]
    return actions


async def test_unticking_a_students_archive_unticks_the_linked_actions_too(tmp_path, source):
    engine = engine_where_s0_leaves(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await open_s0_archive(pilot)
        await pilot.press("space")
        offer = await dialog(pilot)
        assert offer.heading == "Also untick the 3 linked actions?"
        assert offer.body.plain.startswith(
            "(2 guardian archives, 1 section update)\n"
            "  guardian         Gina Guardian (g0)\n"
            "  guardian         Gus Guardian (g1)\n"
            "  section  +0 -1    Section c1 (c1)\n")
        assert (offer.yes, offer.no, focused_button(pilot)) == ("Yes", "No", "yes")
        await pilot.press("enter")
        await on_screen(pilot, ActionListScreen)
        assert "Unticked the 3 linked actions as well." in notes(app)
        assert unticked(engine, 2) == {"student:s0", "contact:g0", "contact:g1", "section:c1"}

        await pilot.press("escape")  # the report counts them
        report = await on_screen(pilot, ReportScreen)
        grid = report.query_one(CounterGrid)
        await until(pilot, lambda: grid.get_row("contact")[2].plain == "0/2")
        assert grid.get_row("section")[1].plain == "0/1"
        await pilot.press("c")
        confirm = await dialog(pilot)
        assert "go with unticked student archives" not in confirm.body.plain
        await pilot.press("enter")
        await until(pilot, lambda: report.doc["status"] == "committed")
    assert stored(engine, "students")["s0"]["status"] == "active"
    contacts = stored(engine, "contacts")
    assert contacts["g0"]["status"] == contacts["g1"]["status"] == "active"
    assert "s0" in stored(engine, "sections")["c1"]["student_ids"]


async def test_declining_leaves_the_linked_actions_ticked_and_the_commit_says_so(tmp_path,
                                                                                  source):
    engine = engine_where_s0_leaves(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await open_s0_archive(pilot)
        await pilot.press("n")  # untick all shown: the same offer
        await dialog(pilot)
        await pilot.press("right", "enter")  # No
        await on_screen(pilot, ActionListScreen)
        assert "The 3 linked actions stay ticked." in notes(app)
        assert unticked(engine, 2) == {"student:s0"}

        await pilot.press("c")  # back to the report, which asks
        confirm = await dialog(pilot)
        assert "3 ticked actions (2 guardian archives, 1 section update) go with unticked " \
               "student archives: those students are kept without them." in confirm.body.plain
        await pilot.press("escape")
        await settled(pilot)
    assert fresh(engine).sync_doc(2)["status"] == "staged"
    assert stored(engine, "contacts")["g0"]["status"] == "active"


async def test_unticking_an_update_offers_nothing(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await open_actions(pilot, "down", "down", "right", "enter")  # Students, Update
        await pilot.press("space")
        await settled(pilot)
        assert isinstance(app.screen, ActionListScreen)
    assert unticked(engine, 2) == {"student:s0"}
