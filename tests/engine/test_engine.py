"""Staging, commit, history and safety, through the engine's API and the TinyDB file."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from tinydb import Query, TinyDB

from connectors.feed import Feed, Membership, SourceError, TypeFeed
from rostertui.engine import Engine
from rostertui.errors import BlockedError, BusyError, RosterError, StaleError
from rostertui.model import make

from ..support.feeds import config, district, section, student


def stored(engine, table):
    return {d["source_id"]: d for d in TinyDB(engine.store.path).table(table).all()}


def actions_by_id(engine, sync_id):
    return {a["id"]: a for a in engine.plan(sync_id)["actions"]}


def test_full_sync_stages_adds_and_writes_no_roster(engine, source):
    source.next = district(3)
    report = engine.sync()
    assert report["status"] == "staged"
    assert report["counts"]["student"] == {"add": 3, "update": 0, "archive": 0, "reactivate": 0}
    assert report["counts"]["section"]["add"] == 1
    assert set(report["counts"]) == {"school", "teacher", "student", "staff", "contact", "section"}
    db = TinyDB(engine.store.path)
    assert db.table("students").all() == []
    assert db.table("syncs").get(doc_id=1)["status"] == "staged"


def test_commit_writes_a_plain_tinydb_file(engine, source):
    source.next = district(3)
    engine.sync()
    engine.commit()
    db = TinyDB(engine.store.path)
    students = db.table("students")
    assert len(students) == 3
    doc = students.get(Query().source_id == "s1")
    assert doc["status"] == "active" and doc["sis_id"] == "sis-s1"
    assert doc["first_name"] == "Firsts1" and doc["school_ids"] == ["sch1"]
    sec = db.table("sections").get(Query().source_id == "c1")
    assert sec["student_ids"] == ["s0", "s1", "s2"] and sec["teacher_ids"] == ["t1"]
    sync = db.table("syncs").get(doc_id=1)
    assert sync["status"] == "committed" and sync["committed_at"]
    assert sync["user"] and sync["mode"] == "full" and sync["trigger"] == "manual"


def test_tinydb_with_the_atomic_storage_reads_and_writes_a_store(engine, source):
    from rostertui.tinystore import AtomicJSONStorage

    source.next = district(3)
    engine.sync(commit=True)
    before = engine.store.path.read_bytes()
    with engine.store.locked("a TinyDB script"):
        db = TinyDB(engine.store.path, storage=AtomicJSONStorage)
        assert len(db.table("students")) == 3
        assert db.table("syncs").get(doc_id=1)["status"] == "committed"
        db.table("students").update({"notes": "bus 7"}, Query().source_id == "s1")
        db.close()
    assert engine.store.backup.read_bytes() == before  # the previous file, kept
    assert stored(engine, "students")["s1"]["notes"] == "bus 7"  # plain TinyDB reads it
    assert engine.catalog().get("student", "s1")["notes"] == "bus 7"  # and the engine
    source.next = district(3)
    engine.sync(commit=True)  # a sync keeps a field kept here
    assert stored(engine, "students")["s1"]["notes"] == "bus 7"
    fresh = TinyDB(engine.store.path.with_name("new.json"), storage=AtomicJSONStorage)
    assert fresh.tables() == set() and not fresh.storage.path.exists()  # nothing written yet
    fresh.insert({"a": 1})
    assert TinyDB(fresh.storage.path).all() == [{"a": 1}]


def test_update_carries_before_and_after(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    feed = district(3)
    feed.types["student"].records[1]["last_name"] = "Renamed"
    source.next = feed
    report = engine.sync()
    assert report["counts"]["student"]["update"] == 1
    action = actions_by_id(engine, report["sync_id"])["student:s1"]
    assert action["kind"] == "update"
    assert action["changes"] == {"last_name": ["Lasts1", "Renamed"]}
    engine.commit()
    assert stored(engine, "students")["s1"]["last_name"] == "Renamed"


def test_roster_move_is_a_section_update_not_a_person_update(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    feed = district(3)
    feed.types["section"].records[0]["student_ids"] = ["s0", "s1"]
    source.next = feed
    report = engine.sync()
    assert report["counts"]["student"]["update"] == 0
    assert report["counts"]["section"]["update"] == 1
    action = actions_by_id(engine, report["sync_id"])["section:c1"]
    assert action["members"] == {"student_ids": {"added": [], "removed": ["s2"]}}


def test_missing_record_is_archived_then_reactivated(engine, source):
    source.next = district(5)
    engine.sync(commit=True)
    feed = district(5)
    feed.types["student"].records.pop()
    source.next = feed
    report = engine.sync(commit=True)
    assert report["counts"]["student"]["archive"] == 1
    assert stored(engine, "students")["s4"]["status"] == "archived"
    feed = district(5)
    feed.types["student"].records[4]["email"] = "back@example.org"
    source.next = feed
    report = engine.sync(commit=True)
    assert report["counts"]["student"] == {"add": 0, "update": 0, "archive": 0, "reactivate": 1}
    back = stored(engine, "students")["s4"]
    assert back["status"] == "active" and back["email"] == "back@example.org"
    assert len(stored(engine, "students")) == 5  # reactivated, not added twice


def test_delta_feed_upserts_and_deletes(engine, source):
    source.next = district(4)
    engine.sync(commit=True)
    source.next = Feed(source="test", mode="quick", types={
        "student": TypeFeed(complete=False, records=[student("s9"), student("s0", grade="05")],
                            deleted=["s3"])})
    report = engine.sync(mode="quick", commit=True)
    assert report["mode"] == "quick"
    assert report["counts"]["student"] == {"add": 1, "update": 1, "archive": 1, "reactivate": 0}
    students = stored(engine, "students")
    assert students["s9"]["status"] == "active" and students["s0"]["grade"] == "05"
    assert students["s3"]["status"] == "archived" and students["s1"]["status"] == "active"


def test_membership_delta_updates_stored_rosters(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    source.next = Feed(source="test", mode="quick", types={}, membership=Membership(
        complete=False, rows=[("c1", "student", "s0", False), ("c1", "teacher", "t2", True)]))
    report = engine.sync(mode="quick")
    action = actions_by_id(engine, report["sync_id"])["section:c1"]
    assert action["members"] == {"teacher_ids": {"added": ["t2"], "removed": []},
                                 "student_ids": {"added": [], "removed": ["s0"]}}
    engine.commit()
    sec = stored(engine, "sections")["c1"]
    assert sec["student_ids"] == ["s1", "s2"] and sec["teacher_ids"] == ["t1", "t2"]
    assert sec["name"] == "Section c1"


def test_disabled_action_leaves_record_untouched(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    feed = district(3)
    for rec in feed.types["student"].records:
        rec["grade"] = "07"
    source.next = feed
    engine.sync()
    report = engine.commit(disable=["student:s1"])
    assert report["disabled"] == 1 and report["enabled"] == 2
    students = stored(engine, "students")
    assert students["s1"]["grade"] == "" and students["s0"]["grade"] == "07"


def test_toggles_survive_a_new_engine(tmp_path, engine, source):
    source.next = district(3)
    report = engine.sync()
    engine.set_enabled(report["sync_id"], ["student:s0", "student:s2"], False)
    engine.set_enabled(report["sync_id"], ["student:s2"], True)
    again = Engine(config(tmp_path), connector=source)
    enabled = {a["id"]: a["enabled"] for a in again.plan(report["sync_id"])["actions"]}
    assert enabled["student:s0"] is False and enabled["student:s2"] is True
    again.commit()
    assert set(stored(again, "students")) == {"s1", "s2"}


def test_unknown_action_id_is_refused(engine, source):
    source.next = district(2)
    engine.sync()
    with pytest.raises(RosterError, match="no action 'student:nope'"):
        engine.commit(disable=["student:nope"])
    assert stored(engine, "students") == {}


def test_count_threshold_blocks_until_forced(tmp_path, source):
    engine = Engine(config(tmp_path, delete_threshold=2, delete_threshold_percent=100),
                    connector=source)
    source.next = district(10)
    engine.sync(commit=True)
    feed = district(10)
    del feed.types["student"].records[:3]
    source.next = feed
    report = engine.sync(commit=True)
    assert report["status"] == "blocked"
    assert "3 records would be archived" in report["blocked_reasons"][0]
    assert all(d["status"] == "active" for d in stored(engine, "students").values())
    with pytest.raises(BlockedError) as exc:
        engine.commit()
    assert exc.value.exit_code == 3
    report = engine.commit(force=True)
    assert report["status"] == "committed"
    assert stored(engine, "students")["s0"]["status"] == "archived"


def test_percent_threshold_guards_an_emptied_list(engine, source):
    source.next = district(10)
    engine.sync(commit=True)
    feed = district(10)
    feed.types["student"].records.clear()  # sharing revoked: the list comes back empty
    feed.types["section"].records[0]["student_ids"] = []
    source.next = feed
    report = engine.sync(commit=True)
    assert report["status"] == "blocked"
    assert "10 of 10 active students (100%)" in report["blocked_reasons"][0]
    assert all(d["status"] == "active" for d in stored(engine, "students").values())


def test_unticking_archives_unblocks(tmp_path, source):
    engine = Engine(config(tmp_path, delete_threshold=1), connector=source)
    source.next = district(10)
    engine.sync(commit=True)
    feed = district(10)
    del feed.types["student"].records[:2]
    source.next = feed
    report = engine.sync()
    assert report["status"] == "blocked"
    report = engine.commit(disable=["student:s0"])
    assert report["status"] == "committed"
    assert stored(engine, "students")["s0"]["status"] == "active"
    assert stored(engine, "students")["s1"]["status"] == "archived"


def test_stale_plan_is_refused(engine, source):
    source.next = district(3)
    first = engine.sync()
    source.next = district(4)
    engine.sync(commit=True)
    with pytest.raises(StaleError, match="stage it again"):
        engine.commit(first["sync_id"])
    assert len(stored(engine, "students")) == 4


def test_failed_fetch_stages_nothing_and_is_recorded(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    source.next = SourceError("users.csv line 4: broken")
    with pytest.raises(RosterError, match="users.csv line 4"):
        engine.sync()
    history = engine.history()
    assert history[0]["status"] == "failed" and "users.csv line 4" in history[0]["error"]
    assert len(stored(engine, "students")) == 3
    with pytest.raises(RosterError, match="no staged sync"):
        engine.commit()


def test_second_committer_is_told_who_holds_the_lock(engine, source):
    source.next = district(3)
    engine.sync()
    holder = textwrap.dedent(f"""
        import sys, time
        from rostertui.store import Store
        with Store({str(engine.store.path)!r}).locked("commit"):
            print("locked", flush=True)
            time.sleep(30)
    """)
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(BusyError, match=r"busy: commit by .* \(pid \d+ on "):
            engine.commit()
    finally:
        proc.kill()
        proc.wait()
    assert stored(engine, "students") == {}
    engine.commit()
    assert len(stored(engine, "students")) == 3


def test_commit_keeps_previous_file_as_backup(engine, source):
    source.next = district(2)
    engine.sync(commit=True)
    before = engine.store.path.read_bytes()
    source.next = district(3)
    engine.sync(commit=True)
    assert engine.store.backup.read_bytes() != engine.store.path.read_bytes()
    assert len(TinyDB(engine.store.backup).table("students")) == 2
    assert before  # the first file existed and was replaced, not edited in place


def test_discard_leaves_store_as_it_was(engine, source):
    source.next = district(2)
    report = engine.sync()
    engine.discard()
    assert engine.sync_doc(report["sync_id"])["status"] == "discarded"
    with pytest.raises(RosterError, match="discarded"):
        engine.commit(report["sync_id"])
    assert stored(engine, "students") == {}


def test_local_fields_are_not_overwritten(engine, source):
    source.next = district(2)
    engine.sync(commit=True)
    db = TinyDB(engine.store.path)
    db.table("sections").update({"notes": "keep me"}, Query().source_id == "c1")
    db.close()
    feed = district(2)
    feed.types["section"].records[0]["name"] = "Renamed"
    source.next = feed
    engine.sync(commit=True)
    sec = stored(engine, "sections")["c1"]
    assert sec["name"] == "Renamed" and sec["notes"] == "keep me"


def test_section_feed_without_members_keeps_members_from_enrollments(engine, source):
    feed = district(2)
    feed.types["section"].records = [section("c1")]
    feed.membership = Membership(complete=True, rows=[("c1", "student", "s1", True),
                                                      ("c1", "teacher", "t1", True)])
    source.next = feed
    engine.sync(commit=True)
    sec = stored(engine, "sections")["c1"]
    assert sec["student_ids"] == ["s1"] and sec["teacher_ids"] == ["t1"]


def two_schools(extra_student: bool = True) -> Feed:
    feed = district(4)
    feed.types["school"].records.append(make("school", source_id="sch2", name="Low"))
    students = feed.types["student"].records
    students[3]["school_ids"] = ["sch2"]
    feed.types["section"].records.append(section("c2", ["s3"], school_id="sch2"))
    return feed


def test_school_scope_syncs_only_those_schools(engine, source):
    source.next = two_schools()
    report = engine.sync(schools=["sch1"], commit=True)
    assert report["counts"]["school"]["add"] == 2  # schools are always listed
    assert set(stored(engine, "students")) == {"s0", "s1", "s2"}
    assert set(stored(engine, "sections")) == {"c1"}
    source.next = two_schools()
    engine.sync(commit=True)  # everything
    feed = two_schools()
    feed.types["student"].records.pop()  # s3 left sch2 ...
    feed.types["section"].records.pop()
    source.next = feed
    report = engine.sync(schools=["sch1"])
    assert report["counts"]["student"]["archive"] == 0  # ... but sch2 is out of scope
    assert report["counts"]["section"]["archive"] == 0


def test_scheduled_sync_respects_disabled_integration(engine, source):
    source.next = district(2)
    engine.set_sync_enabled(False)
    with pytest.raises(RosterError, match="integration is disabled"):
        engine.sync(trigger="auto")
    assert engine.status()["enabled"] is False
    assert engine.sync(trigger="manual")["status"] == "staged"
    engine.set_sync_enabled(True)
    assert engine.sync(trigger="auto")["status"] == "staged"


def test_quick_since_overrides_the_stored_cursor(engine, source):
    feed = district(2)
    feed.cursor = "2026-01-01T00:00:00Z"
    source.next = feed
    engine.sync(commit=True)
    source.next = Feed(source="test", mode="quick")
    engine.sync(mode="quick")
    assert source.last_cursor == "2026-01-01T00:00:00Z"
    engine.sync(mode="quick", since="2025-12-01T00:00:00Z")
    assert source.last_cursor == "2025-12-01T00:00:00Z"


def test_cancel_from_progress_stages_nothing(engine, source):
    from rostertui.errors import Cancelled

    class Cancelling:
        kind = "test"

        def fetch(self, mode, cursor, progress=None):
            progress("students", 10, None)
            raise AssertionError("not reached")

    def cancel(*_):
        raise Cancelled("cancelled")

    engine._connector = Cancelling()
    with pytest.raises(Cancelled):
        engine.sync(progress=cancel)
    assert engine.history() == []


def test_record_history_lists_the_syncs_that_touched_it(engine, source):
    from screens.record_history import RecordHistory  # the dashboard's detail screens

    source.next = district(2)
    engine.sync(commit=True)
    feed = district(2)
    feed.types["student"].records[0]["email"] = "new@example.org"
    source.next = feed
    engine.sync(commit=True)
    source.next = district(3)
    engine.sync()  # staged, not committed: not in any record's history
    history = RecordHistory(engine)
    touched = history.of(engine.history(), "student", "s0")
    assert [(d["id"], a["kind"]) for d, a in touched] == [(2, "update"), (1, "add")]
    assert [d["id"] for d, _ in history.of(engine.history(), "student", "s1")] == [1]
    assert history.of(engine.history(), "student", "s2") == []


def test_reads_share_one_parse_until_the_file_changes(tmp_path, engine, source, monkeypatch):
    source.next = district(3)
    engine.sync(commit=True)
    loads = []
    real = engine.store.load
    monkeypatch.setattr(engine.store, "load", lambda: loads.append(1) or real())
    engine.status(), engine.history(), engine.catalog(), engine.sync_doc(1)
    assert loads == []  # the commit's own data is reused
    other = Engine(config(tmp_path), connector=source)  # another process, say
    source.next = district(4)
    other.sync(commit=True)
    assert engine.status()["counts"]["student"]["active"] == 4
    engine.history()
    assert loads == [1]


def test_catalog_rows_combine_search_status_and_school(engine, source):
    def feed(n):
        feed = district(n)
        students = feed.types["student"].records
        students[1]["school_ids"] = ["sch2"]
        students[2]["last_name"] = "Marsh"
        return feed

    source.next = feed(4)
    engine.sync(commit=True)
    source.next = feed(3)  # s3 is archived
    engine.sync(commit=True)
    rows = engine.catalog().rows

    def ids(**filters):
        return [d["source_id"] for d in rows("student", **filters)]

    assert ids() == ["s0", "s1", "s3", "s2"]  # by last name: Lasts0, Lasts1, Lasts3, Marsh
    assert ids(text=" MARSH ") == ["s2"]  # any case, spaces trimmed
    assert ids(text="sis-s") == ["s0", "s1", "s3", "s2"]
    assert ids(text="sis-s", status="active") == ["s0", "s1", "s2"]
    assert ids(text="sis-s", status="archived") == ["s3"]
    assert ids(school="sch1", status="active") == ["s0", "s2"]
    assert ids(text="user", school="sch2") == ["s1"]
    assert ids(text="nobody") == []
    assert rows("student") is not rows("student")  # a new list: callers may change it
    assert list(rows("student", text="last")[1:3]) == [rows("student")[1], rows("student")[2]]
