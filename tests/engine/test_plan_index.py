"""The files derived from a plan, which the dashboard reads instead of parsing it
(issue 16): its index (rostertui/plan_index.py) and the guards' kept answer
(rostertui/guard_cache.py). What the dashboard's review reads through them is what the
plan holds; each is made again when missing or stale, and never trusted over the plan."""

from __future__ import annotations

import os
import zlib

import orjson
import pytest

from rostertui import guard_count, plan_index
from rostertui.engine import Engine
from rostertui.errors import RosterError
from rostertui.guard_cache import guards_path
from rostertui.history import record_trail
from rostertui.invariants import meta_of
from rostertui.model import ACTION_TYPES, KINDS
from rostertui.plan_index import index_path
from rostertui.plan_reindex import index_file
from rostertui.plans import PlanError
from screens.record_history import RecordHistory

from ..support.feeds import FeedSource, config, district, student
from ..support.renumber import renumbered, school_district


def next_day():
    """s0-s2 regraded, s19 gone, s90 new: updates, an archive and an add."""
    feed = district(19)
    for rec in feed.types["student"].records[:3]:
        rec["grade"] = "07"
    feed.types["student"].records.append(student("s90"))
    return feed


def staged(engine: Engine, source: FeedSource) -> int:
    """20 students committed as sync 1, next_day staged as sync 2 (its id)."""
    source.next = district(20)
    engine.sync(commit=True)
    source.next = next_day()
    return engine.sync()["sync_id"]


def fresh(engine: Engine) -> Engine:
    return Engine(engine.config, connector=engine.connector)


def from_plan(engine: Engine, sync_id: int) -> dict[str, object]:
    """What the report and its lists show, from the whole plan (review.Review)."""
    review = fresh(engine).review(sync_id)
    lists = {(t, k): [a for a in review.actions if (a["type"], a["kind"]) == (t, k)]
             for t in ACTION_TYPES for k in KINDS}
    return {"tally": review.tally(), "lists": lists, "warnings": review.warnings}


def from_index(engine: Engine, sync_id: int) -> dict[str, object]:
    """The same, through the plan's index (indexed_review.IndexedReview)."""
    review = fresh(engine).indexed_review(sync_id)
    lists = {(t, k): list(review.select(t, k)) for t in ACTION_TYPES for k in KINDS}
    return {"tally": review.tally(), "lists": lists, "warnings": review.warnings}


# -- the index -------------------------------------------------------------------------------

def test_a_staged_plan_is_indexed_and_reads_as_the_plan(engine, source):
    sid = staged(engine, source)
    assert index_path(engine.store.plans.path(sid)).exists()
    engine.set_enabled(sid, ["student:s1", "student:s19"], False)
    shown = from_index(engine, sid)
    assert shown == from_plan(engine, sid)
    assert shown["tally"]["student"] == {"add": (1, 1), "update": (2, 3),
                                         "archive": (0, 1), "reactivate": (0, 0)}
    assert fresh(engine).indexed_review(sid).select("student", "update", "s1").ids == [
        "student:s1"]


def test_a_deleted_index_is_made_again_from_the_plan(engine, source):
    sid = staged(engine, source)
    index = index_path(engine.store.plans.path(sid))
    index.unlink()
    assert from_index(engine, sid) == from_plan(engine, sid)
    assert index.exists()


def test_the_index_of_another_plan_is_not_used(engine, source):
    sid = staged(engine, source)
    plans = engine.store.plans
    other = index_path(plans.path(1)).read_bytes()  # the first sync's: 22 adds
    index_path(plans.path(sid)).write_bytes(other)
    assert from_index(engine, sid) == from_plan(engine, sid)
    assert index_path(plans.path(sid)).read_bytes() != other  # made again


def test_an_index_is_not_trusted_over_a_plan_edited_after_it(engine, source):
    """Edited in place, the same size, its mtime set back: still not the indexed file."""
    sid = staged(engine, source)
    path = engine.store.plans.path(sid)
    before = os.stat(path)
    path.write_bytes(path.read_bytes().replace(b'"Firsts90"', b'"Firsts99"'))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size
    with pytest.raises(PlanError, match=f"is not the plan sync {sid} staged"):
        fresh(engine).indexed_review(sid)


def damage(index, checksum: bool) -> None:
    """s90's id in the index made s91's (with `checksum`, the header made to agree)."""
    body, head = split(index.read_bytes())
    damaged = body.replace(b'"student:s90"', b'"student:s91"')
    assert damaged != body
    header, _, crc = head.rstrip(b"\n").rpartition(b"\t")
    if checksum:
        crc = b"%d" % zlib.crc32(header, zlib.crc32(damaged))
    index.write_bytes(damaged + header + b"\t" + crc + b"\n")


def split(data: bytes) -> tuple[bytes, bytes]:
    """An index file's body and its header (its last line)."""
    at = data.rindex(b"\n", 0, len(data) - 1) + 1
    return data[:at], data[at:]


def test_a_damaged_index_is_made_again(engine, source):
    sid = staged(engine, source)
    index = index_path(engine.store.plans.path(sid))
    damage(index, checksum=False)
    assert from_index(engine, sid) == from_plan(engine, sid)
    assert b'"student:s90"' in index.read_bytes()


def test_an_index_whose_header_was_changed_is_made_again(engine, source):
    """Found by attack: the header (the counts, where each part starts) was outside the
    checksum, so one digit changed there showed wrong counts, or failed a tally."""
    sid = staged(engine, source)
    index = index_path(engine.store.plans.path(sid))
    body, head = split(index.read_bytes())
    header = orjson.loads(head.rpartition(b"\t")[0])
    for group in header["groups"]:
        group[2] += 1  # one more action in each (type, kind) than the plan has
    edited = orjson.dumps(header)
    index.write_bytes(body + edited + b"\t" + head.rpartition(b"\t")[2])
    assert from_index(engine, sid) == from_plan(engine, sid)
    assert orjson.loads(split(index.read_bytes())[1].rpartition(b"\t")[0]) != header


def test_an_action_is_never_read_as_another_than_the_index_names(engine, source):
    """An index that passes its checksum yet names another action at a span (forged, or
    a bug): the action read there is refused, and the index dropped."""
    sid = staged(engine, source)
    index = index_path(engine.store.plans.path(sid))
    damage(index, checksum=True)
    adds = fresh(engine).indexed_review(sid).select("student", "add")
    with pytest.raises(RosterError, match="does not match its index"):
        adds[0]
    assert not index.exists()
    assert from_index(engine, sid) == from_plan(engine, sid)


def test_the_index_written_with_the_plan_is_the_one_made_again_from_it(engine, source,
                                                                      monkeypatch):
    """Written a section at a time (parts of 2 actions here, so that the groups and the
    sorted table each span several), the index is byte for byte the one the indexer
    makes from the plan file, and finds every action at its own bytes."""
    monkeypatch.setattr(plan_index, "PART", 2)
    sid = staged(engine, source)
    path = engine.store.plans.path(sid)
    written = index_path(path).read_bytes()
    index_path(path).unlink()
    doc = engine.sync_doc(sid)
    assert index_file(path, doc, meta_of(engine.store.load())["store_id"]) is None
    assert index_path(path).read_bytes() == written
    index = plan_index.open_index(path, doc["plan_digest"])
    assert index is not None
    payload = path.read_bytes()
    actions = orjson.loads(payload)["actions"]
    assert len(actions) > 2 * plan_index.PART
    for action in actions:
        span = index.find(action["id"])
        assert span is not None and orjson.loads(payload[span[0]:span[1]]) == action
    assert index.find("student:s91") is None
    assert from_index(engine, sid) == from_plan(engine, sid)


def full_disk(*_):
    yield b'"student:s0"\t1\t2'
    raise OSError(28, "No space left on device")


def unlocated(*_):
    raise plan_index.Unindexable("not where the plan has it")


@pytest.mark.parametrize("fault", [("_table", full_disk), ("locate", unlocated)],
                         ids=["full disk midway", "actions not located"])
def test_an_index_that_cannot_be_written_is_never_there(engine, source, monkeypatch, fault):
    """A full disk halfway through the index, or actions not found in the plan's bytes:
    neither an index nor its temp file is left, the sync is staged all the same, and its
    plan reads the same through the index made again."""
    monkeypatch.setattr(plan_index, *fault)
    sid = staged(engine, source)
    path = engine.store.plans.path(sid)
    assert [p.name for p in path.parent.iterdir() if ".index" in p.name] == []
    monkeypatch.undo()
    assert from_index(engine, sid) == from_plan(engine, sid)
    assert index_path(path).exists()


def test_a_cut_off_index_is_not_trusted(engine, source):
    """Half an index, or its body without the header line that ends it."""
    sid = staged(engine, source)
    path = engine.store.plans.path(sid)
    digest = engine.sync_doc(sid)["plan_digest"]
    assert plan_index.open_index(path, digest) is not None
    data = index_path(path).read_bytes()
    for cut in (data[:len(data) // 2], split(data)[0]):
        index_path(path).write_bytes(cut)
        assert plan_index.open_index(path, digest) is None
    assert from_index(engine, sid) == from_plan(engine, sid)


def test_a_record_history_is_the_same_whether_or_not_its_indexes_are_there(engine,
                                                                            source):
    sid = staged(engine, source)
    engine.commit(sid)
    before = RecordHistory(engine).of(engine.history(), "student", "s1")
    assert [(d["id"], a["kind"]) for d, a in before] == [(2, "update"), (1, "add")]
    for n in (1, 2):
        index_path(engine.store.plans.path(n)).unlink()
    assert RecordHistory(fresh(engine)).of(engine.history(), "student", "s1") == before
    assert index_path(engine.store.plans.path(1)).exists()


def test_a_record_history_follows_links_and_reverts_as_the_plans_do(engine, source):
    """Through the indexes, the same (sync, action) pairs as read from whole plans: a
    renumbering's links walked back, a revert's own plan, unticked actions left out."""
    source.next = school_district()
    engine.sync(commit=True)
    source.next = renumbered(school_district(), lambda sid: f"new-{sid}")
    renumbering = engine.sync()["sync_id"]
    engine.commit(renumbering, disable=["student:new-s005"], force=True)
    undo = engine.revert(renumbering, force=True)["sync_id"]

    def from_plans(sid: str) -> list:
        plans = {d["id"]: {a["id"]: a for a in engine.plan(d["id"])["actions"]
                           if a["enabled"]} for d in engine.history() if d["plan_digest"]}
        return record_trail(engine.history(), plans.__getitem__, "student", sid)

    history = RecordHistory(fresh(engine))
    for sid in ("s004", "s005", "new-s004"):
        assert history.of(engine.history(), "student", sid) == from_plans(sid), sid
    assert [(d["id"], a["kind"]) for d, a in history.of(engine.history(), "student",
                                                        "s004")] == [
        (undo, "update"), (renumbering, "update"), (1, "add")]  # reverted, then listed


def test_a_missing_plan_is_named_as_the_plan_read_names_it(engine, source):
    sid = staged(engine, source)
    engine.store.plans.path(sid).unlink()
    with pytest.raises(PlanError, match=f"sync {sid} has no actions on disk"):
        fresh(engine).indexed_review(sid)


# -- the guards' kept answer -------------------------------------------------------------------

def counting_guards(monkeypatch) -> list[int]:
    runs: list[int] = []
    real = guard_count.count  # the dashboard's reviews are counted in a child process

    def counted(*args):
        runs.append(1)
        return real(*args)
    monkeypatch.setattr(guard_count, "count", counted)
    return runs


def over_threshold(reasons: list[str]) -> list[str]:
    return [r for r in reasons if "sync.delete_threshold " in r]


def test_the_guards_run_again_only_once_the_ticks_or_their_settings_change(
        tmp_path, source, monkeypatch):
    engine = Engine(config(tmp_path, delete_threshold=5), connector=source)
    source.next = district(20)
    engine.sync(commit=True)
    source.next = district(10)  # ten archives: over the threshold of 5
    sid = engine.sync()["sync_id"]
    blocked = engine.sync_doc(sid)["blocked_reasons"]
    assert over_threshold(blocked) and guards_path(engine.store.plans.path(sid)).exists()
    runs = counting_guards(monkeypatch)

    review = engine.indexed_review(sid)
    assert engine.block_reasons(review) == blocked and runs == []  # as staging found
    review.set_enabled([f"student:s{i}" for i in range(10, 16)], False)
    assert not over_threshold(engine.block_reasons(review))  # 4 archives left
    assert len(runs) == 1
    review.set_enabled([f"student:s{i}" for i in range(10, 16)], True)
    assert engine.block_reasons(review) == blocked and len(runs) == 1

    lenient = Engine(config(tmp_path, delete_threshold=50), connector=source)
    assert not over_threshold(lenient.block_reasons(lenient.indexed_review(sid)))
    assert len(runs) == 2
    assert engine.block_reasons(engine.indexed_review(sid)) == blocked and len(runs) == 3


def test_kept_guard_reasons_of_another_plan_are_not_used(engine, source, monkeypatch):
    sid = staged(engine, source)
    kept = guards_path(engine.store.plans.path(sid))
    stamp = orjson.loads(kept.read_bytes())
    kept.write_bytes(orjson.dumps({**stamp, "digest": "0" * 64, "reasons": ["made up"]}))
    runs = counting_guards(monkeypatch)
    assert engine.block_reasons(engine.indexed_review(sid)) == [] and len(runs) == 1
