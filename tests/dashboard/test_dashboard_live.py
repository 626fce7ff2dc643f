"""The dashboard stays current: what another process (the CLI, cron) does to the store
shows up on its own, named, and the Status tab lists every sync that waits for review."""

from __future__ import annotations

import pytest

from connectors.feed import SourceError
from screens.confirm_screen import ConfirmScreen
from screens.live import changes
from screens.report_screen import ReportScreen
from screens.rowtable import RowTable
from screens.status_tab import StatusTab, waits_on

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

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


def synced(app, sync_id: int) -> bool:
    return any(d["id"] == sync_id for d in app.dashboard.syncs)


async def test_a_sync_staged_by_cron_shows_up_named_and_ready_to_review(tmp_path, source):
    """Seen by a new user: a sync staged from the CLI while the dashboard was open never
    appeared, and r said there was nothing to review."""
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("2")
        fresh(engine).sync(trigger="auto")  # another process: the scheduled run
        await until(pilot, lambda: synced(app, 2), timeout=5)
        await pilot.pause()
        assert "Sync 2 staged by a scheduled run" in notes(app)
        assert lines(visible_table(app))[1].split()[0] == "2"  # History lists it first
        await pilot.press("r")
        report = await report_loaded(pilot)
        assert isinstance(report, ReportScreen) and report.doc["id"] == 2


async def test_a_commit_elsewhere_moves_the_lists_and_says_so(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync()  # sync 2 staged, seen by the dashboard as it opens
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        assert dash.catalog is not None and dash.catalog.get("student", "s20") is None
        fresh(engine).commit(2)
        await until(pilot, lambda: dash.syncs[0]["status"] == "committed", timeout=5)
        await until(pilot, lambda: dash.catalog.get("student", "s20") is not None, timeout=5)
        assert "Sync 2 was committed in another session" in notes(app)
        assert not app.query_one(StatusTab).query_one("#pending", RowTable).display


async def test_its_own_commit_is_not_announced_as_another_sessions(tmp_path, source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        engine.sync(commit=True)  # this dashboard's engine: its own write
        await pilot.pause(2.5)  # two turns of the watch
        assert "another session" not in notes(app) and "by admin" not in notes(app)


async def test_the_refresh_key_reads_the_store_again(tmp_path, source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        dash.query_one("#pending", RowTable)  # the Status tab is built
        engine._connector.next = day2()
        engine.sync()  # its own engine: the watch does not reload for it, the key does
        await pilot.press("f5")
        await until(pilot, lambda: synced(app, 2), timeout=5)


async def test_status_lists_every_pending_sync_and_why_the_last_one_failed(tmp_path, source):
    """Seen by a new user: Status showed only the newest sync, a failed one with zero
    counts, and no hint that an earlier sync was blocked and waiting."""
    engine = engine_on(tmp_path, source, delete_threshold=0)
    engine.sync(commit=True)  # sync 2: blocked by the delete threshold (s11 leaves)
    edit = day1()
    edit.types["student"].records[0]["grade"] = "08"
    engine._connector.next = edit
    engine.sync()  # sync 3: staged (nobody leaves)
    engine._connector.next = SourceError("GET /users: 401 Unauthorized")
    with pytest.raises(Exception, match="401"):
        engine.sync()  # sync 4: failed
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        status = app.query_one(StatusTab)
        shown = text(status.query_one("#pending-title"))
        assert "2 syncs wait for review" in shown
        rows = lines(status.query_one("#pending", RowTable))
        assert rows[1].split()[:2] == ["3", "staged"] and "upd" in rows[1]
        assert rows[2].split()[:2] == ["2", "blocked"]
        assert not status.query_one("#pending-why").display  # sync 3 is not blocked
        last = text(status.query_one("#last"))
        assert "#4" in last and "failed" in last and "401 Unauthorized" in last
        assert not status.query_one("#last-counts").display  # no table of zero counts
        status.query_one("#pending", RowTable).focus()
        await pilot.press("down")
        assert "over sync.delete_threshold (0)" in text(status.query_one("#pending-why"))
        await pilot.press("enter")
        report = await report_loaded(pilot)
        assert report.doc["id"] == 2


def test_changes_name_each_sync_that_arrived_or_moved_on():
    def doc(id_, status, trigger="manual", user="alice", **more):
        return {"id": id_, "status": status, "trigger": trigger, "user": user,
                "error": None, "reverts": None, **more}
    before = [doc(2, "staged"), doc(1, "committed")]
    after = [doc(4, "failed", trigger="auto", error="timed out"),
             doc(3, "committed", reverts=1), doc(2, "discarded"), doc(1, "reverted")]
    assert changes(before, after) == [
        "Sync 1 was reverted in another session",
        "Sync 2 was discarded in another session",
        "Sync 3 committed by alice: it reverts sync 1",
        "Sync 4 by a scheduled run failed: timed out"]
    assert changes(after, after) == ["The store was changed in another session"]


async def test_a_quick_sync_the_source_answered_in_full_says_so(tmp_path, source):
    """Seen by a new user: a quick sync on a bulk set ran a full one, and nothing said so."""
    engine = engine_on(tmp_path, source)  # the feed says mode "full", as a bulk set does
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        dialog = await sync_dialog(pilot)
        dialog.query_one("#quick").value = True
        dialog.query_one("#start").focus()
        await start_sync(pilot)
        assert "Sync 2: quick asked; the source sent a full set." in notes(app)


async def test_a_sync_with_no_changes_says_so_and_waits_for_nothing(tmp_path, source):
    engine = engine_on(tmp_path, source, day1())  # the source sends what the store holds
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await sync_dialog(pilot)
        await start_sync(pilot)
        assert "Sync 2 found no changes" in notes(app) and "staged" not in notes(app)
        assert dash.syncs[0]["status"] == "discarded" and dash.pending() is None


async def test_a_commit_refuses_ticks_changed_in_another_session_after_confirming(
        tmp_path, source):
    """Found by attack: two dashboards on one sync; one committed the other's ticks while
    its confirmation had listed its own."""
    engine = engine_on(tmp_path, source)
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await open_report(pilot)
        fresh(engine).set_enabled(2, ["student:s11"], False)  # the other dashboard unticks
        await pilot.press("c")
        await on_screen(pilot, ConfirmScreen)
        await pilot.press("enter")  # confirms all ticked, as this screen shows them
        await until(pilot, lambda: "changed in another session" in notes(app))
    assert fresh(engine).sync_doc(2)["status"] == "staged"
    assert "s20" not in stored(engine, "students")


async def test_status_opens_at_its_top_with_blocked_syncs_waiting(tmp_path, source):
    """Found by attack: with blocked syncs, Status opened scrolled to its buttons, the
    source and the waiting list out of sight, and the reasons shown three times."""
    engine = engine_on(tmp_path, source, delete_threshold=0)
    engine.sync()
    engine._connector.next = day2()
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=(60, 20)) as pilot:
        await started(pilot)
        status = app.query_one(StatusTab)
        await until(pilot, lambda: status.scroll_y == 0)
        assert status.query_one("#source").region.y < 5
        last = text(status.query_one("#last"))
        assert "#3" in last and "delete_threshold" not in last
        assert waits_on(engine.sync_doc(3)).startswith("1 records would be archived")
        assert waits_on(engine.sync_doc(1) | {"blocked_reasons": [], "warnings": 2}) == (
            "review (2 data warnings)")  # staged: it waits on the admin, not its warnings


async def test_an_open_report_of_a_sync_committed_elsewhere_stops_offering_commit(
        tmp_path, source):
    """Found by attack: the report still offered c and d after another session committed
    its sync, and failed only after the confirmation."""
    engine = engine_on(tmp_path, source)
    engine.sync()
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        report = await open_report(pilot)
        assert report.editable
        fresh(engine).commit(2)
        await until(pilot, lambda: not report.editable, timeout=5)
        assert not report.check_action("commit", ())
        assert "committed" in report.title.lower() or "committed" in str(report.sub_title)
        await app.workers.wait_for_complete()  # the lists' reload, before the app quits
