"""Undo (issue 6): revert a committed sync from its recorded before-values."""

from __future__ import annotations

import pytest
from tinydb import TinyDB

from rostertui.errors import RosterError
from rostertui.model import make

from ..support.feeds import district

ROSTER = ("schools", "teachers", "students", "staff", "contacts", "sections")


def roster(engine) -> dict:
    db = TinyDB(engine.store.path)
    return {t: db.table(t)._read_table() for t in ROSTER}


def day_two():
    feed = district(5)
    students = feed.types["student"].records
    students[0]["last_name"] = "Changed"
    students[1]["extra"] = {"ell_status": "Y"}
    del students[4]                                      # archive
    students.append(make("student", source_id="s9", first_name="New", last_name="Kid"))
    feed.types["section"].records[0]["student_ids"] = ["s0", "s1", "s9"]
    return feed


def test_revert_restores_the_store_and_is_recorded(engine, source):
    source.next = district(5)
    engine.sync(commit=True)
    before = roster(engine)
    source.next = day_two()
    second = engine.sync(commit=True)
    after = roster(engine)
    assert after != before
    report = engine.revert(second["sync_id"])
    assert report["status"] == "committed" and report["mode"] == "revert"
    assert report["counts"]["student"] == {"add": 0, "update": 2, "archive": 0,
                                           "reactivate": 1, "remove": 1}
    assert roster(engine) == before
    history = {d["id"]: d for d in engine.history()}
    assert history[second["sync_id"]]["status"] == "reverted"
    assert history[report["sync_id"]]["reverts"] == second["sync_id"]

    again = engine.redo(second["sync_id"])  # a revert of the revert
    assert again["status"] == "committed" and again["mode"] == "revert"
    assert roster(engine) == after


def test_revert_refused_when_a_later_sync_touched_the_records(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    feed = district(3)
    feed.types["student"].records[0]["grade"] = "05"
    source.next = feed
    second = engine.sync(commit=True)
    feed = district(3)
    feed.types["student"].records[0]["grade"] = "06"
    source.next = feed
    engine.sync(commit=True)
    with pytest.raises(RosterError, match=r"something else changed 1 record\(s\) \(student:s0\)"):
        engine.revert(second["sync_id"])
    forced = engine.revert(second["sync_id"], force=True)
    assert forced["status"] == "committed"
    students = {d["source_id"]: d for d in TinyDB(engine.store.path).table("students").all()}
    assert students["s0"]["grade"] == ""
    assert engine.sync_doc(forced["sync_id"])["forced"] is True


def test_only_committed_syncs_revert(engine, source):
    source.next = district(2)
    staged = engine.sync()
    with pytest.raises(RosterError, match="only a committed sync can be reverted"):
        engine.revert(staged["sync_id"])


def test_revert_of_the_first_sync_empties_the_store_and_keeps_the_cursor_history(engine,
                                                                                  source):
    feed = district(2)
    feed.cursor = "evt-10"
    source.next = feed
    first = engine.sync(commit=True)
    engine.revert(first["sync_id"], force=True)  # removing everything trips the guards
    assert all(not rows for rows in roster(engine).values())
    status = engine.status()
    assert status["counts"]["student"] == {"active": 0, "archived": 0}
    assert TinyDB(engine.store.path).table("meta").get(doc_id=1)["cursor"] is None
