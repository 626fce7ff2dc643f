"""The dashboard through Pilot at 80x24: every tab, and sync -> review -> untick -> commit.

Assertions look at what is on screen and at the store itself (a fresh Engine, or TinyDB).
"""

from __future__ import annotations

import time

import pytest
from tinydb import TinyDB

from rostertui.engine import Engine
from screens.action_list_screen import ActionListScreen
from screens.ask_screen import AskScreen
from screens.confirm_screen import ConfirmScreen
from screens.dashboard import Dashboard
from screens.detail_screen import DetailScreen
from screens.help_screen import HelpScreen
from screens.job_screen import JobScreen
from screens.report_screen import ReportScreen
from screens.rowtable import RowTable
from screens.warnings_screen import WarningsScreen

from ..support.dashboard import (
    SIZE,
    dashboard,
    day1,
    day2,
    engine_on,
    fresh,
    lines,
    make_config,
    notes,
    on_screen,
    open_actions,
    open_report,
    report_loaded,
    start_sync,
    started,
    stored,
    sync_dialog,
    text,
    until,
    visible_table,
)
from ..support.feeds import FeedSource

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


# -- tabs ----------------------------------------------------------------------------------

async def test_seven_tabs_switch_with_number_keys(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        tabs = dash.query_one("TabbedContent")
        labels = [str(t.label) for t in tabs.query("Tab")]
        assert labels == ["Status", "History", "Overview", "Schools", "Teachers", "Students",
                          "Sync classes"]
        for key, tab in zip("7654321", ["sections", "students", "teachers", "schools",
                                        "overview", "history", "status"]):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == tab
            assert app.focused is not None and tabs.active_pane in app.focused.ancestors


async def test_status_tab_shows_source_and_last_sync_and_saves_the_switch(tmp_path, source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        shown = "".join(text(dash.query_one(f"#{part}"))
                        for part in ("source", "last", "last-counts"))
        assert "OneRoster CSV /srv/sftp/springfield" in shown
        assert "Springfield Public Schools" in shown
        assert "#1 full, manual, by admin, 2026-03-02 09:30: committed" in shown
        assert "students           12" in shown
        assert dash.query_one("#commit").disabled  # nothing staged
        dash.query_one("#enabled").focus()
        await pilot.press("space")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Integration disabled" in notes(app)
    assert fresh(engine).status()["enabled"] is False


async def test_check_button_reports_the_connection(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        dash.query_one("#check").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "connected: Test, 0 schools" in text(dash.query_one("#connection"))


async def test_history_lists_syncs_and_opens_a_report(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("2")
        await pilot.pause()
        shown = lines(visible_table(app))
        assert shown[1].split()[:7] == ["2", "2026-03-02", "09:30", "full", "manual", "admin",
                                        "8"]
        assert shown[1].endswith("staged")
        assert "committed Committed 09:30" in shown[2]
        await pilot.press("down", "enter")
        report = await report_loaded(pilot)
        assert report.sync_id == 1
        assert "Committed 09:30 · 18 applied, 0 unticked" in text(report.query_one("#summary"))


async def test_overview_counts_open_their_tab(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)  # day 2: s11 archived
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await pilot.press("3")
        await pilot.pause()
        grid = dash.query_one("CounterGrid")
        assert [str(c) for c in grid.get_row("student")] == ["13", "1"]
        assert text(dash.query_one("#warnings")) == "Data warnings: 15 in sync #2 (w shows them)"
        await pilot.press("down", "down", "right", "enter")  # Students, Archived
        await pilot.pause()
        assert dash.query_one("TabbedContent").active == "students"
        shown = lines(visible_table(app))
        assert "archived" in shown[1] and "Lasts11" in shown[1]
        assert len([line for line in shown[1:] if line]) == 1
        await pilot.press("3", "w")  # the warnings of the last sync, in their own view
        warnings = await on_screen(pilot, WarningsScreen)
        await until(pilot, lambda: warnings.warnings is not None)
        assert warnings.sync_id == 2 and len(warnings.rows) == 15


async def test_schools_tab_lists_counts_and_opens_a_school(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("4")
        await pilot.pause()
        shown = lines(visible_table(app))
        assert shown[0].split() == ["Name", "SIS", "ID", "Users", "Sections", "Synced", "Local",
                                    "org", "Status"]
        assert shown[1].split() == ["High", "11", "1", "yes", "active"]
        assert shown[2].split() == ["Low", "002", "2", "1", "yes", "active"]
        await pilot.press("enter")
        screen = await on_screen(pilot, DetailScreen)
        assert screen.title == "School: High"
        assert "Active users  11" in text(screen.query_one("#body Static"))


async def test_teachers_tab_opens_a_teacher_with_sections_and_history(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("5")
        await pilot.pause()
        assert lines(visible_table(app))[1].split()[:2] == ["Cher,", "Tea"]
        await pilot.press("enter")
        screen = await on_screen(pilot, DetailScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Tea Cher  teacher · active" in text(screen.query_one("#document"))
        headings = [text(h) for h in screen.query(".heading")]
        assert headings[0] == "Classes (2)"
        classes = [line.split("  ")[0] for line in lines(screen.query(RowTable).first())]
        assert classes[1:3] == ["Low Math", "Section c1"]
        history = lines(screen.query_one("#sync-history", RowTable))
        assert history[1].split()[:2] == ["1", "2026-03-02"] and "add" in history[1]


async def test_students_tab_filters_by_school_and_text_and_opens_a_student(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await pilot.press("6")
        await pilot.pause()
        browser = dash.query_one("#students Browser")
        assert text(browser.query_one(".count")) == "12 of 12 students"
        await pilot.press("f", "down", "down", "enter")  # school: Low
        await pilot.pause()
        assert text(browser.query_one(".count")) == "2 of 12 students"
        await pilot.press("slash", *"s11", "enter")
        await pilot.pause()
        shown = lines(visible_table(app))
        assert shown[1].startswith("Lasts11, Firsts")
        assert not shown[2]
        await pilot.press("enter")
        screen = await on_screen(pilot, DetailScreen)
        assert lines(screen.query(RowTable).first())[1].startswith("Low Math")


async def test_student_detail_lists_contacts(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("6", "enter")  # Lasts0 sorts first
        screen = await on_screen(pilot, DetailScreen)
        contacts = [t for t in screen.query(RowTable) if t.type_ == "contact"][0]
        assert lines(contacts)[1].split() == ["Guardian,", "Gina", "mother", "555-0100"]
        assert "Contacts (1)" in [text(h) for h in screen.query(".heading")]


async def test_sync_classes_tab_lists_sections_and_opens_a_roster(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("7")
        await pilot.pause()
        shown = lines(visible_table(app))
        assert shown[0].split() == ["Name", "Per", "Teachers", "School", "Term", "Students",
                                    "Subject", "HR"]
        assert shown[1].split() == ["Low", "Math", "2", "Cher", "Low", "2"]
        await pilot.press("down", "enter")
        screen = await on_screen(pilot, DetailScreen)
        assert screen.title == "Class: Section c1"
        headings = [text(h) for h in screen.query(".heading")]
        assert headings[:2] == ["Teachers (1)", "Students (10)"]
        students = [t for t in screen.query(RowTable) if t.type_ == "student"][0]
        assert lines(students)[4].split()[:3] == ["Lasts3,", "Firsts3", "users3"]


async def test_help_opens_with_question_mark_and_f1(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await on_screen(pilot, HelpScreen)
            await pilot.press("escape")
            await on_screen(pilot, Dashboard)


async def test_palette_offers_the_apps_commands(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles == ["Sync now", "Commit", "Discard", "Export warnings", "School filter",
                          "Help", "Quit"]
        await pilot.press("ctrl+p", *"school filter")
        await pilot.pause(0.3)
        await pilot.press("enter")
        school = app.dashboard.query_one("#students #school")
        await until(pilot, lambda: school.expanded and school in app.focused.ancestors)
        assert app.dashboard.query_one("TabbedContent").active == "students"


# -- sync, review, commit ------------------------------------------------------------------

async def test_sync_review_untick_two_and_commit(tmp_path, source):
    engine = engine_on(tmp_path, source)
    before = stored(engine, "students")
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await sync_dialog(pilot)
        await start_sync(pilot)  # Start: a full sync, no auto-commit
        assert "Sync 2 staged: 8 changes to review. Press r to open the report." in notes(app)
        assert engine.sync_doc(2)["status"] == "staged"

        report = await open_report(pilot)
        assert [str(c) for c in report.query_one("CounterGrid").get_row("student")] == \
            ["2/2", "3/3", "1/1", "-"]
        await pilot.press("down", "down", "right", "enter")  # Students, Update
        actions = await on_screen(pilot, ActionListScreen)
        table = actions.query_one(RowTable)
        assert [a["id"] for a in table.rows] == ["student:s0", "student:s1", "student:s2"]
        assert "Grade" in text(actions.query_one("#detail")) and "07" in text(
            actions.query_one("#detail"))
        await pilot.press("space", "space")  # each tick moves down to the next row
        await pilot.pause()
        assert [line[:3] for line in lines(table)[1:4]] == ["[ ]", "[ ]", "[x]"]
        assert table.cursor == 2 and "s2" in text(actions.query_one("#detail"))
        assert text(actions.query_one("#counts")).startswith("1 of 3 enabled")
        disabled = {a["id"] for a in fresh(engine).plan(2)["actions"] if not a["enabled"]}
        assert disabled == {"student:s0", "student:s1"}  # saved at once

        await pilot.press("c")  # back to the report, which asks
        confirm = await on_screen(pilot, ConfirmScreen)
        body = confirm.body.plain
        assert "6 of 8 actions will be applied:" in body
        assert "Students  add 2/2, update 1/3, archive 1/1" in body
        assert "2 unticked actions are left out." in body
        await pilot.press("enter")
        report = await on_screen(pilot, ReportScreen)
        await until(pilot, lambda: report.doc and report.doc["status"] == "committed")
        await pilot.pause()
        assert "Sync 2 committed: 6 actions applied, 2 left out." in notes(app)

    after = stored(engine, "students")
    assert after["s0"] == before["s0"] and after["s1"] == before["s1"]  # untouched
    assert after["s2"]["grade"] == "07"
    assert after["s20"]["status"] == after["s21"]["status"] == "active"
    assert after["s11"]["status"] == "archived"
    sections = stored(engine, "sections")
    assert sections["c1"]["student_ids"][-2:] == ["s20", "s21"]
    assert sections["c2"]["student_ids"] == ["s10"]
    sync = TinyDB(engine.store.path).table("syncs").get(doc_id=2)
    assert sync["status"] == "committed" and sorted(sync["disabled_ids"]) == [
        "student:s0", "student:s1"]


async def test_action_list_filters_and_sets_all_in_the_filter(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        actions = await open_actions(pilot, "down", "down", "right", "enter")
        await pilot.press("slash", *"s2", "enter", "n")
        await pilot.pause()
        assert [a["id"] for a in actions.rows] == ["student:s2"]
        await pilot.press("escape")
        report = await on_screen(pilot, ReportScreen)
        assert [str(c) for c in report.query_one("CounterGrid").get_row("student")][1] == "2/3"
    assert {a["id"] for a in fresh(engine).plan(2)["actions"] if not a["enabled"]} == {
        "student:s2"}


async def test_a_committed_syncs_actions_are_read_only(tmp_path, source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("2", "enter")
        report = await report_loaded(pilot)
        assert not report.check_action("commit", ())
        await pilot.press("down", "down", "enter")  # Students, Add
        actions = await on_screen(pilot, ActionListScreen)
        assert not actions.check_action("set_all", ())
        await pilot.press("space")
        await pilot.pause()
        assert "sync 1 is committed; to undo it, revert it" in notes(app)
    assert all(a["enabled"] for a in fresh(engine).plan(1)["actions"])


async def test_blocked_sync_needs_a_second_confirmation_naming_the_archives(tmp_path, source):
    feed = day2()
    feed.types["student"].records = [s for s in feed.types["student"].records
                                     if s["source_id"] not in ("s9", "s10")]
    engine = engine_on(tmp_path, source, feed, delete_threshold=2)
    assert engine.sync()["status"] == "blocked"
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        report = await open_report(pilot)
        assert "3 records would be archived, over sync.delete_threshold (2)" in text(
            report.query_one("#notes"))
        for answer in ("enter", "left enter"):  # Enter alone keeps Cancel: not committed
            await pilot.press("c")
            await on_screen(pilot, ConfirmScreen)
            await pilot.press("enter")
            await until(pilot, lambda: getattr(app.screen, "danger", False))
            second = app.screen
            assert second.yes == "Archive 3 records"
            assert "Committing anyway will archive 3 records." in second.body.plain
            await pilot.press(*answer.split())
            await on_screen(pilot, ReportScreen)
            await until(pilot, lambda: all(w.is_finished for w in app.workers
                                           if w.group == "flow"))
            if answer == "enter":
                assert engine.sync_doc(2)["status"] == "blocked"
                assert stored(engine, "students")["s9"]["status"] == "active"
        await until(pilot, lambda: report.doc["status"] == "committed")
    doc = fresh(engine).sync_doc(2)
    assert doc["status"] == "committed" and doc["forced"] is True
    assert stored(engine, "students")["s9"]["status"] == "archived"


async def test_export_warnings_from_the_command_palette(tmp_path, source, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p", *"Export warnings")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await on_screen(pilot, AskScreen)
        await pilot.press("enter")  # the offered file name
        await on_screen(pilot, WarningsScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert f"Wrote 14 warnings to {tmp_path / 'warnings-sync-1.csv'}" in notes(app)
    rows = (tmp_path / "warnings-sync-1.csv").read_text().splitlines()
    assert rows[0] == "code,type,source_id,message" and len(rows) == 15


async def test_discard_from_the_command_palette(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()
    before = stored(engine, "students")
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p", *"Discard")
        await pilot.pause(0.3)
        await pilot.press("enter")
        confirm = await on_screen(pilot, ConfirmScreen)
        assert confirm.heading == "Discard sync 2?"
        await pilot.press("left", "enter")
        report = await on_screen(pilot, ReportScreen)
        await until(pilot, lambda: report.doc and report.doc["status"] == "discarded")
        await pilot.pause()
        assert "Sync 2 discarded; the store is unchanged." in notes(app)
    assert fresh(engine).sync_doc(2)["status"] == "discarded"
    assert stored(engine, "students") == before


class SlowSource(FeedSource):
    """Reports progress until the app cancels the fetch."""

    def fetch(self, mode, cursor, progress=None):
        for done in range(0, 10_000, 10):
            progress("users.csv", done, None)
            time.sleep(0.01)
        raise AssertionError("the fetch was not cancelled")


async def test_escape_cancels_a_running_sync_and_stages_nothing(tmp_path):
    engine = engine_on(tmp_path, FeedSource())
    engine._connector = SlowSource()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await sync_dialog(pilot)
        await pilot.press("enter")
        job = await on_screen(pilot, JobScreen)
        await until(pilot, lambda: job.query("#bars Horizontal"))
        assert "users.csv" in text(job.query_one("#bars Label"))
        await pilot.press("escape")
        await on_screen(pilot, Dashboard)
        await app.workers.wait_for_complete()
        assert "Sync cancelled: nothing was staged." in notes(app)
    assert [d["status"] for d in fresh(engine).history()] == ["committed"]


async def test_quick_sync_from_a_date_for_one_school(tmp_path, source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        dialog = await sync_dialog(pilot)
        dialog.query_one("#quick").value = True
        dialog.query_one("#date").value = True
        await pilot.pause()
        dialog.query_one("#since").value = "2026-02-01"
        dialog.query_one("SelectionList").deselect("sch1")
        dialog.query_one("#start").focus()
        await start_sync(pilot)
    assert source.last_cursor == "2026-02-01T00:00:00Z"
    ids = {a["id"] for a in fresh(engine).plan(2)["actions"]}
    assert "student:s11" in ids and "student:s0" not in ids  # only Low was in scope


async def test_auto_commit_applies_at_once(tmp_path, source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        dialog = await sync_dialog(pilot)
        dialog.query_one("#auto").value = True
        await start_sync(pilot)
        assert "Sync 2 committed: 8 changes applied." in notes(app)
    assert stored(engine, "students")["s0"]["grade"] == "07"


async def test_source_errors_are_one_line_notifications(tmp_path, source):
    from connectors.feed import SourceError
    engine = engine_on(tmp_path, source, SourceError("users.csv line 4: bad [bold]row[/]"))
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s", "enter")
        await on_screen(pilot, Dashboard)
        await app.workers.wait_for_complete()
        await pilot.pause()
        error = next(n for n in app._notifications if n.severity == "error")
        assert error.message == "users.csv line 4: bad [bold]row[/]" and not error.markup
        assert "the last fetch failed" in text(app.dashboard.query_one("#connection"))


# -- hostile names -------------------------------------------------------------------------

async def test_markup_and_escape_sequences_in_names_display_literally(tmp_path, source):
    feed = day1()
    feed.types["student"].records[0].update(first_name="[bold]x[/]", last_name="\x1b[31mRed")
    feed.types["section"].records[0]["name"] = "[link=http://e.vil]Maths[/link]"
    engine = Engine(make_config(tmp_path), connector=source)
    source.next = feed
    engine.sync(commit=True)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("6", "slash", *"[bold]", "enter")
        await pilot.pause()
        shown = lines(visible_table(app))
        assert shown[1].startswith("\\x1b[31mRed, [bold]x[/]")
        await pilot.press("enter")
        screen = await on_screen(pilot, DetailScreen)
        body = text(screen.query_one("#body Static"))
        assert "[bold]x[/] \\x1b[31mRed  student" in body
        classes = "\n".join(line for table in screen.query(RowTable) for line in lines(table))
        assert "[link=http://e.vil]Maths[/link]" in classes
        assert "\x1b" not in body and "\x1b" not in screen.title
        await pilot.press("escape", "7")
        await pilot.pause()
        assert lines(visible_table(app))[1].startswith("[link=http://e.vil]Ma")


async def test_the_history_cursor_follows_a_sync_that_arrives(tmp_path, source):
    """Seen in tmux: with the cursor on sync 1, a sync committed meanwhile left it there,
    and `u` offered to revert sync 1. A newer sync moves it to the newest."""
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("down")  # sync 1
        table = visible_table(app)
        assert table.row is not None and table.row["id"] == 1
        dash.reload()  # nothing new: the cursor stays on its sync
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert visible_table(app).row["id"] == 1
        engine.sync(commit=True)  # sync 2, by another hand
        dash.reload()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert visible_table(app).row["id"] == 2
