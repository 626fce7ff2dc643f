"""The paths a district of a million students takes to stay within memory and time, held
to the same results as the plain ones: rosters built as lists from a full set of
enrollments, added records kept by the store rather than copied, and a store load that
skips the invariant checks only for the very bytes a checked write left."""

from __future__ import annotations

import os

import orjson
import pytest

from connectors.feed import Membership
from rostertui.engine import Engine
from rostertui.errors import RosterError
from rostertui.invariants import stamp_of

from ..support.feeds import config, district, section


def stored(engine, table):
    return {d["source_id"]: d for d in engine.store.load()[table].values()}


def test_a_full_set_of_enrollments_naming_a_member_twice_lists_them_once(engine, source):
    feed = district(3)
    feed.types["section"].records = [section("c1", students=(), teachers=())]
    feed.membership = Membership(complete=True, rows=[
        ("c1", "student", "s2", True), ("c1", "student", "s0", True),
        ("c1", "student", "s2", True), ("c1", "teacher", "t1", True)])
    source.next = feed
    engine.sync(commit=True)
    sec = stored(engine, "sections")["c1"]
    assert sec["student_ids"] == ["s0", "s2"] and sec["teacher_ids"] == ["t1"]


def test_an_inactive_row_in_a_full_set_of_enrollments_still_takes_its_member_out(
        engine, source):
    feed = district(3)
    feed.types["section"].records = [section("c1", students=(), teachers=())]
    feed.membership = Membership(complete=True, rows=[
        ("c1", "student", "s1", True), ("c1", "student", "s2", True),
        ("c1", "student", "s1", False), ("c1", "teacher", "t1", True)])
    source.next = feed
    engine.sync(commit=True)
    assert stored(engine, "sections")["c1"]["student_ids"] == ["s2"]


def test_added_records_are_stored_as_staged_and_the_plan_file_is_unchanged(engine, source):
    source.next = district(3)
    sid = engine.sync()["sync_id"]
    plan_bytes = engine.store.plans.path(sid).read_bytes()
    engine.commit(sid)
    assert engine.store.plans.path(sid).read_bytes() == plan_bytes
    added = {a["source_id"]: a["record"] for a in engine.plan(sid)["actions"]}
    assert stored(engine, "students")["s1"] == {**added["s1"], "status": "active"}
    assert "status" not in added["s1"]


def test_a_checked_write_leaves_a_stamp_and_a_store_without_one_still_opens(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    stamp = stamp_of(engine.store.path)
    assert stamp.exists()
    stamp.unlink()  # derived: only a full check is lost
    fresh = Engine(config(engine.store.path.parent), connector=source)
    assert fresh.status()["counts"]["student"]["active"] == 3


def test_a_store_edited_in_place_with_its_size_and_mtime_kept_is_checked(engine, source):
    """An edit right after a write may keep the mtime (it ticks coarsely) and the size:
    the stamp's CRC still tells these bytes from the ones it vouches for."""
    source.next = district(3)
    engine.sync(commit=True)
    path = engine.store.path
    st = os.stat(path)
    payload = path.read_bytes()
    edited = payload.replace(b'"status":"active"', b'"status":"zombie"', 1)
    assert len(edited) == len(payload) and edited != payload
    with open(path, "r+b") as fh:  # in place: the same inode
        fh.write(edited)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    fresh = Engine(config(path.parent), connector=source)
    with pytest.raises(RosterError, match="unknown status 'zombie'"):
        fresh.status()


def test_a_stamp_from_another_store_vouches_for_nothing(tmp_path, engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    data = orjson.loads(engine.store.path.read_bytes())
    data["students"]["9"] = {**data["students"]["1"]}  # the same source id twice
    other = tmp_path / "other"
    other.mkdir()
    (other / "store.json").write_bytes(orjson.dumps(data))
    stamp_of(other / "store.json").write_bytes(stamp_of(engine.store.path).read_bytes())
    with pytest.raises(RosterError, match="holds source ids more than once"):
        Engine(config(other), connector=source).status()
