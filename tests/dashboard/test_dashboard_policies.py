"""The dashboard's side of the district policies (issue 5) and of undo (issue 6), through
Pilot at 80x24: warnings view, schools outside the selection, homerooms, local fields,
section rules, block reasons and links in the report, revert from History.

Assertions look at the store (TinyDB, or a fresh Engine) as well as at the screen.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from tinydb import TinyDB

from rostertui.config import from_dict
from rostertui.engine import Engine
from screens.action_list_screen import ActionListScreen
from screens.ask_screen import AskScreen
from screens.confirm_screen import ConfirmScreen
from screens.detail_screen import DetailScreen
from screens.local_fields_screen import LocalFieldsScreen
from screens.warnings_screen import WarningsScreen

from ..support.dashboard import (
    SIZE,
    dashboard,
    day1,
    day2,
    engine_on,
    fresh,
    lines,
    notes,
    on_screen,
    open_actions,
    open_report,
    report_loaded,
    started,
    stored,
    sync_dialog,
    text,
    until,
    visible_table,
)
from ..support.feeds import FeedSource, carrying_everything, section
from ..support.review import settled, tab

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")

ROSTER = ("schools", "teachers", "students", "staff", "contacts", "sections")


def engine_with(tmp_path, source: FeedSource, **raw) -> Engine:
    """An engine on a config with extra top-level keys (schools, limits) and `sync`."""
    sync = raw.pop("sync", {})
    return Engine(carrying_everything(from_dict(
        {"source": {"kind": "oneroster_csv", "path": "/srv/sftp/sp"},
         "store": {"path": "store.json"}, "sync": sync, **raw}, base_dir=tmp_path), sync),
        connector=source)


def roster(engine: Engine) -> dict:
    db = TinyDB(engine.store.path)
    return {t: db.table(t)._read_table() for t in ROSTER}


# -- warnings ------------------------------------------------------------------------------

async def test_warnings_view_from_status_filters_by_code_searches_and_exports(
        tmp_path, source, monkeypatch):
    monkeypatch.chdir(tmp_path)
    feed = day1()
    feed.types["student"].records[0]["first_name"] = "=HYPERLINK(1)"
    engine = engine_with(tmp_path, source)
    source.next = feed
    engine.sync(commit=True)
    every = engine.warnings(1)
    codes = sorted(Counter(w["code"] for w in every).items())
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        dash.query_one("#open-warnings").focus()  # the Status tab's Warnings button
        await pilot.press("enter")
        view = await on_screen(pilot, WarningsScreen)
        await until(pilot, lambda: view.warnings is not None)
        await pilot.pause()
        assert view.title == f"Sync 1: {len(every)} data warnings"
        assert [str(o[0]) for o in view.query_one("#code")._options] == \
            ["All codes"] + [f"{code} ({n})" for code, n in codes]
        assert lines(visible_table(app))[0].split() == ["Code", "Type", "Record", "Message"]

        pick = [code for code, _ in codes].index("missing_graduation_year") + 1
        await pilot.press("f", "enter", *["down"] * pick, "enter")
        await pilot.pause()
        graduation = engine.warnings(1, code="missing_graduation_year")
        assert view.rows == graduation and len(graduation) == 12
        assert text(view.query_one(".count")).startswith(f"12 of {len(every)} warnings")

        await pilot.press("slash", *"lasts1", "enter")  # s1, s10, s11
        await pilot.pause()
        assert [w["source_id"] for w in view.rows] == ["s1", "s10", "s11"]
        assert "Firsts1 Lasts1 (sis-s1) has no graduation year" in text(
            view.query_one("#message"))

        await pilot.press("e")
        ask = await on_screen(pilot, AskScreen)
        assert ask.heading == "Export the 3 warnings shown (sync 1)"
        await pilot.press("enter")  # the offered name
        await on_screen(pilot, WarningsScreen)
        await settled(pilot)
        out = tmp_path / "warnings-sync-1-missing_graduation_year.csv"
        assert f"Wrote 3 warnings to {out}" in notes(app)

        await pilot.press("slash", "ctrl+u", "enter", "f", "enter", "home", "enter", "e")
        await on_screen(pilot, AskScreen)
        await pilot.press("ctrl+u", *"all.csv", "enter")
        await settled(pilot)
    with open(out, newline="") as fh:
        assert [r["source_id"] for r in csv.DictReader(fh)] == ["s1", "s10", "s11"]
    with open(tmp_path / "all.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(every)
    assert {r["message"] for r in rows if r["source_id"] == "s0"} == {
        "'=HYPERLINK(1) Lasts0 (sis-s0) has no graduation year"}  # never run as a formula


async def test_overview_shows_the_warnings_of_the_last_sync_not_of_a_revert(tmp_path,
                                                                            source):
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)
    engine.revert(2, force=True)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await tab(pilot, "3")
        assert text(dash.query_one("#warnings")) == \
            "Data warnings: 15 in sync #2 (w shows them)"
        await pilot.press("w")
        view = await on_screen(pilot, WarningsScreen)
        assert view.sync_id == 2


# -- schools and sections ------------------------------------------------------------------

async def test_schools_outside_the_selection_show_not_synced_with_their_local_org(
        tmp_path, source):
    engine = engine_with(tmp_path, source, schools={"sch1": "Springfield North"})
    source.next = day1()
    engine.sync(commit=True)
    rows = {r["school"]["source_id"]: r for r in engine.schools()}
    assert rows["sch1"]["synced"] and not rows["sch2"]["synced"]
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await tab(pilot, "4")
        shown = lines(visible_table(app))
        assert shown[1].split() == ["High", "11", "1", "yes", "Springfield", "North", "active"]
        assert shown[2].split() == ["Low", "002", "0", "0", "not", "synced", "active"]
        await pilot.press("down", "enter")
        screen = await on_screen(pilot, DetailScreen)
        body = text(screen.query_one("#document"))
        assert "Synced        not synced" in body


async def test_sync_classes_flag_homerooms_and_filter_to_them(tmp_path, source):
    feed = day1()
    feed.types["section"].records += [
        section("c3", ["s0"], name="Homeroom 9A", class_type="homeroom"),
        section("c4", ["s1"], name="Advisory Kim", subject="homeroom/advisory"),
        section("c5", ["s2"], name="Biology", class_type="scheduled", subject="science")]
    engine = engine_with(tmp_path, source)
    source.next = feed
    engine.sync(commit=True)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await tab(pilot, "7")
        flagged = {line.split()[0]: line.endswith("yes") for line in
                   lines(visible_table(app))[1:6]}
        assert flagged == {"Advisory": True, "Biology": False, "Homeroom": True,
                           "Low": False, "Section": False}
        await pilot.press("k", "down", "enter")  # Homeroom/advisory
        await pilot.pause()
        browser = dash.query_one("#sections Browser")
        assert [d["source_id"] for d in browser.table.rows] == ["c4", "c3"]
        assert text(browser.query_one(".count")) == "2 of 5 sections"


# -- local fields ----------------------------------------------------------------------------

async def test_section_local_fields_are_edited_shown_and_survive_the_next_sync(tmp_path,
                                                                             source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await tab(pilot, "7")
        await pilot.press("down", "enter")  # Section c1
        screen = await on_screen(pilot, DetailScreen)
        assert "No display name, notes or priority kept here yet" in text(
            screen.query_one("#document"))
        await pilot.press("e")
        await on_screen(pilot, LocalFieldsScreen)
        await pilot.press(*"Algebra [b]4[/b]", "tab", *"projector", "tab", "x", "3", "enter")
        await on_screen(pilot, DetailScreen)
        await settled(pilot)
        body = text(screen.query_one("#document"))
        assert "Display name  Algebra [b]4[/b]\nNotes         projector\nPriority      3" in body
        assert "Saved display name, notes, priority; no sync will change it." in notes(app)
        c1 = stored(engine, "sections")["c1"]
        assert (c1["display_name"], c1["notes"], c1["priority"]) == (
            "Algebra [b]4[/b]", "projector", 3)

        await pilot.press("escape")  # the next day, synced and committed in the app
        dialog = await sync_dialog(pilot)
        dialog.query_one("#auto").value = True
        await pilot.press("enter")
        await until(pilot, lambda: "Sync 2 committed" in notes(app))
        await settled(pilot)
        await tab(pilot, "7")
        await pilot.press("down", "enter")
        screen = await on_screen(pilot, DetailScreen)
        assert "Display name  Algebra [b]4[/b]" in text(screen.query_one("#document"))
    c1 = stored(engine, "sections")["c1"]
    assert c1["student_ids"][-2:] == ["s20", "s21"]  # the sync did change the roster
    assert (c1["display_name"], c1["notes"], c1["priority"]) == (
        "Algebra [b]4[/b]", "projector", 3)


async def test_notes_on_a_student_and_a_school(tmp_path, source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        for key, note in (("6", "laptop 12"), ("4", "key fob at office")):
            await tab(pilot, key)
            await pilot.press("enter", "e")
            form = await on_screen(pilot, LocalFieldsScreen)
            assert form.names == ("notes",)
            await pilot.press(*note, "enter")
            screen = await on_screen(pilot, DetailScreen)
            await settled(pilot)
            assert f"Notes         {note}" in text(screen.query_one("#document"))
            await pilot.press("e", "escape")  # Escape changes nothing
            await pilot.press("escape")
        await tab(pilot, "6")
        await pilot.press("enter", "e", "enter")
        await on_screen(pilot, DetailScreen)
        assert "Nothing changed." in notes(app)
    fresh(engine).sync(commit=True)
    assert stored(engine, "students")["s0"]["notes"] == "laptop 12"
    assert stored(engine, "schools")["sch1"]["notes"] == "key fob at office"


# -- the report: rules, block reasons, links -------------------------------------------------

async def test_report_shows_rules_block_reasons_and_marks_links(tmp_path, source):
    engine = engine_with(tmp_path, source, limits={"max_users": 12},
                         sync={"sections": {"exclude": [{"name": "Low*"}]},
                               "match_existing": ["source_id", "email"]})
    source.next = day1()
    engine.sync(commit=True, force=True)
    local = engine.create_local("student", {"first_name": "Lou", "last_name": "Local",
                                            "email": "S20@example.org"})
    source.next = day2()
    staged = engine.sync()
    doc = engine.sync_doc(staged["sync_id"])
    assert doc["status"] == "blocked" and doc["blocked_reasons"]
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        report = await open_report(pilot)
        shown = text(report.query_one("#notes"))
        assert shown.startswith("Blocked (committing asks twice; unticking actions can "
                                "unblock it):")
        for reason in doc["blocked_reasons"]:
            assert f"  {reason}" in shown
        assert "over limits.max_users (12)" in shown
        assert "Section rules: sections left out\n       1  exclude: name=Low*" in shown
        assert "Links: 1 new records matched an existing account (by email 1)" in shown

        await pilot.press("down", "down", "right", "enter")  # Students, Update
        actions = await on_screen(pilot, ActionListScreen)
        await pilot.press("slash", *"link", "enter")
        await pilot.pause()
        row = lines(visible_table(app))[1]
        assert row.startswith("[x] link Firsts20 Lasts20 (sis-s20) to")
        assert "link by email from local-" in row
        detail = text(actions.query_one("#detail"))
        assert detail.startswith("Link student: link Firsts20 Lasts20")
        assert "Matched by     email" in detail
        assert f"Lou Local ({local['source_id']}) moves to source id s20" in detail

        await pilot.press("escape", "c", "enter")  # back to the report; over limits.max_users
        await until(pilot, lambda: getattr(app.screen, "danger", False))
        assert app.screen.heading == "Sync 2 is blocked" and app.screen.yes == "Archive 1 record"
        assert "over limits.max_users (12)" in app.screen.body.plain
        await pilot.press("left", "enter")
        await until(pilot, lambda: report.doc["status"] == "committed")
    students = stored(engine, "students")
    assert local["source_id"] not in students and students["s20"]["email"] == "s20@example.org"


# -- revert ------------------------------------------------------------------------------------

async def test_history_reverts_a_committed_sync_and_reloads(tmp_path, source):
    engine = engine_on(tmp_path, source)
    before = roster(engine)
    engine.sync(commit=True)
    assert roster(engine) != before
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await tab(pilot, "2")  # the cursor is on sync 2, the newest
        dash.query_one("#revert").focus()  # the Revert button (u does the same)
        await pilot.press("enter")
        confirm = await on_screen(pilot, ConfirmScreen)
        assert confirm.heading == "Revert sync 2?" and confirm.yes == "Revert 8"
        assert "Sync 2 applied 8 actions." in confirm.body.plain
        assert "  Students  add 2, update 3, archive 1" in confirm.body.plain
        assert "  Sections  update 2" in confirm.body.plain
        await pilot.press("left", "enter")  # it opens on Cancel: Left to Revert
        await until(pilot, lambda: "Sync 2 reverted" in notes(app))
        await settled(pilot)
        assert "Sync 2 reverted: 8 changes applied, recorded as sync 3." in notes(app)
        shown = lines(visible_table(app))
        assert shown[1].split()[:4] == ["3", "2026-03-02", "09:30", "revert"]
        assert "Reverts sync 2" in shown[1] and "reverted  by sync 3" in shown[2]
        assert dash.query_one("#overview CounterGrid").get_row("student")[0].plain == "12"
    assert roster(engine) == before


# -- small things ----------------------------------------------------------------------------

async def test_space_ticks_a_run_of_actions_one_key_each(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        # Students, Update: s0 s1 s2
        actions = await open_actions(pilot, "down", "down", "right", "enter")
        await pilot.press("space", "space", "space", "space")  # the last stays put
        await pilot.pause()
        assert [line[:3] for line in lines(visible_table(app))[1:4]] == ["[ ]", "[ ]", "[x]"]
        head = text(actions.query_one("#detail")).splitlines()[0]
        assert "Firsts2 Lasts2" in head and head.endswith("(on)")
    assert {a["id"] for a in fresh(engine).plan(2)["actions"] if not a["enabled"]} == {
        "student:s0", "student:s1"}


async def test_sync_dialog_states_read_without_colour(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        dialog = await sync_dialog(pilot)
        assert str(dialog.query_one("#full").render()).startswith("(*)")
        assert str(dialog.query_one("#quick").render()).startswith("( )")
        assert str(dialog.query_one("#auto").render()).startswith("[ ]")
        schools = dialog.query_one("SelectionList")
        assert schools.render_line(0).text.startswith("[x] High")
        schools.deselect("sch1")
        dialog.query_one("#auto").value = True
        await pilot.pause()
        assert schools.render_line(0).text.startswith("[ ] High")
        assert str(dialog.query_one("#auto").render()).startswith("[x]")


async def test_history_redoes_a_reverted_sync_and_never_offers_its_commit(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)
    after = roster(engine)
    engine.revert(2)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await tab(pilot, "2")
        await pilot.press("home", "down", "u")  # sync 2, reverted by sync 3
        confirm = await on_screen(pilot, ConfirmScreen)
        assert confirm.heading == "Redo sync 2?" and confirm.yes == "Redo 8"
        assert "Redoing it reverts that revert" in confirm.body.plain
        await pilot.press("left", "enter")  # it opens on Cancel: Left to Redo
        await until(pilot, lambda: "Sync 2 redone" in notes(app))
        await settled(pilot)
        assert "Sync 2 redone: 8 changes applied, recorded as sync 4." in notes(app)
        await tab(pilot, "2")
        await pilot.press("home", "down", "down", "enter")  # 4, 3, 2: sync 2's report
        report = await report_loaded(pilot)
        assert report.sync_id == 2 and report.doc["status"] == "reverted"
        assert not report.check_action("commit", ())
        await pilot.press("c")
        await settled(pilot)
    assert roster(engine) == after
    assert fresh(engine).sync_doc(4)["reverts"] == 3
