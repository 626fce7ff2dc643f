"""Exactly what was approved: the lifecycle, plan binding, toggle log, guards on every
write path, invariants and no silent fresh start. Each test is one finding of the issue
"Exactly what was approved", and failed before its fix."""

from __future__ import annotations

import orjson
import pytest
from tinydb import TinyDB

from rostertui.commit import MismatchError
from rostertui.engine import Engine
from rostertui.errors import BlockedError, RosterError, StaleError
from rostertui.lifecycle import LifecycleError
from rostertui.plans import PlanError, digest
from rostertui.store import MissingStoreError

from ..support.feeds import FeedSource, config, district, student

ROSTER = ("schools", "teachers", "students", "staff", "contacts", "sections")


def students(engine) -> dict[str, dict]:
    return {d["source_id"]: d for d in TinyDB(engine.store.path).table("students").all()}


def roster(engine) -> dict:
    data = orjson.loads(engine.store.path.read_bytes())
    return {t: data.get(t, {}) for t in ROSTER}


def with_students(*ids: str, keep: int = 20):
    """The district of `keep` students plus these extra ones."""
    feed = district(keep)
    feed.types["student"].records += [student(i) for i in ids]
    return feed


# -- one lifecycle -------------------------------------------------------------------

def test_a_reverted_sync_cannot_be_committed_again(engine, source):
    source.next = district(20)
    engine.sync(commit=True)
    source.next = with_students("s90")
    second = engine.sync(commit=True)["sync_id"]
    engine.revert(second)
    with pytest.raises(LifecycleError, match=rf"sync {second} is reverted \(by sync 3\); to "
                                             rf"apply it again, redo it: rostertui redo {second}"):
        engine.commit(second)
    assert "s90" not in students(engine)


@pytest.mark.parametrize("verb", ["commit", "discard", "toggle"])
def test_a_finished_sync_is_immutable(engine, source, verb):
    source.next = district(20)
    sid = engine.sync(commit=True)["sync_id"]
    with pytest.raises(LifecycleError, match=f"sync {sid} is committed"):
        if verb == "toggle":
            engine.set_enabled(sid, ["student:s1"], False)
        else:
            getattr(engine, verb)(sid)
    assert engine.plan(sid)["actions"][0]["enabled"]


def test_redo_is_a_revert_of_the_revert_and_gets_the_same_store_back(engine, source):
    source.next = district(20)
    engine.sync(commit=True)
    source.next = with_students("s90", "s91")
    second = engine.sync(commit=True)["sync_id"]
    after = roster(engine)
    undo = engine.revert(second)["sync_id"]
    redo = engine.redo(second)
    assert redo["mode"] == "revert" and redo["status"] == "committed"
    assert engine.sync_doc(undo)["status"] == "reverted"
    assert engine.sync_doc(second)["status"] == "reverted"  # immutable: the redo is new
    assert roster(engine) == after


def test_commit_revert_chains_never_duplicate_a_record(engine, source):
    """An add, undone, then the same record added by another sync: redoing the first
    would add it twice. The per-record check refuses, and even forced there is one."""
    source.next = district(20)
    engine.sync(commit=True)
    source.next = with_students("s90")
    first = engine.sync(commit=True)["sync_id"]
    engine.revert(first)
    source.next = with_students("s90")
    engine.sync(commit=True)
    with pytest.raises(MismatchError, match=r"student:s90"):
        engine.redo(first)
    engine.redo(first, force=True)
    ids = [d["source_id"] for d in TinyDB(engine.store.path).table("students").all()]
    assert ids.count("s90") == 1


def test_reverting_the_first_import_is_blocked_without_force(engine, source):
    source.next = district(20)
    first = engine.sync(commit=True)["sync_id"]
    with pytest.raises(BlockedError, match="would be archived or removed"):
        engine.revert(first)
    assert len(students(engine)) == 20
    report = engine.revert(first, force=True)
    assert students(engine) == {}
    assert engine.sync_doc(report["sync_id"])["forced"] is True


# -- the toggle log ------------------------------------------------------------------

def test_a_torn_toggle_line_never_swallows_the_next_untick(engine, source, tmp_path):
    source.next = district(20)
    engine.sync(commit=True)
    source.next = with_students("s90", "s91")
    sid = engine.sync()["sync_id"]
    engine.set_enabled(sid, ["student:s90"], False)
    log = engine.store.plans.toggle_log(sid)
    with open(log, "ab") as fh:
        fh.write(b'0000abcd {"plan": "torn by a full di')  # a kill mid-write
    engine.set_enabled(sid, ["student:s91"], False)
    fresh = Engine(config(tmp_path), connector=FeedSource())
    disabled = {a["id"] for a in fresh.plan(sid)["actions"] if not a["enabled"]}
    assert disabled == {"student:s90", "student:s91"}
    fresh.commit(sid)
    assert "s90" not in students(engine) and "s91" not in students(engine)


def test_garbage_and_foreign_toggle_lines_are_ignored(engine, source):
    source.next = with_students("s90", "s91")
    sid = engine.sync()["sync_id"]
    log = engine.store.plans.toggle_log(sid)
    body = orjson.dumps({"plan": "another plan", "ids": ["student:s90"], "enabled": False})
    import zlib
    log.write_bytes(b"%08x %s\n" % (zlib.crc32(body), body)
                    + b'{"ids": ["student:s91"], "enabled": false}\n' + b"[1, 2]\n")
    assert all(a["enabled"] for a in engine.plan(sid)["actions"])


def test_an_untick_after_another_process_committed_is_refused(engine, source, tmp_path):
    source.next = with_students("s90", "s91")
    sid = engine.sync()["sync_id"]
    review = engine.review(sid)  # the dashboard's open review
    other = Engine(config(tmp_path), connector=FeedSource())
    other.commit(sid)
    with pytest.raises(LifecycleError, match=f"sync {sid} is committed"):
        review.set_enabled(["student:s90"], False)
    assert engine.plan(sid)["actions"] and all(a["enabled"] for a in engine.plan(sid)["actions"])
    assert "s90" in students(engine)


def test_a_commit_applies_only_the_ticks_the_admin_confirmed(engine, source, tmp_path):
    """Found by attack: two dashboards on one staged sync; A unticked an archive and
    confirmed "1 unticked action is left out", B ticked it again meanwhile, and A's commit
    applied B's ticks, archiving the student A had kept."""
    source.next = with_students("s90", "s91")
    engine.sync(commit=True)
    source.next = district(20)  # s90 and s91 leave: two archives
    sid = engine.sync()["sync_id"]
    engine.set_enabled(sid, ["student:s90"], False)  # dashboard A unticks, and confirms
    shown = ["student:s90"]
    other = Engine(config(tmp_path), connector=FeedSource())
    other.set_enabled(sid, ["student:s90"], True)  # dashboard B ticks it again
    before = roster(engine)
    with pytest.raises(StaleError, match="1 of its ticks were changed in another session"):
        engine.commit(sid, shown_unticked=shown)
    assert roster(engine) == before and engine.sync_doc(sid)["status"] == "staged"
    engine.commit(sid, shown_unticked=[])  # reviewed again: now as the ticks stand
    assert students(engine)["s90"]["status"] == "archived"


# -- plans bound to their store ------------------------------------------------------

def staged(engine, source) -> int:
    source.next = district(20)
    engine.sync(commit=True)
    source.next = with_students("s90")
    return engine.sync()["sync_id"]


def test_a_plan_edited_by_hand_is_refused(engine, source):
    sid = staged(engine, source)
    path = engine.store.plans.path(sid)
    path.write_bytes(path.read_bytes().replace(b'"s90"', b'"s99"'))
    before = engine.store.path.read_bytes()
    with pytest.raises(PlanError, match=f"is not the plan sync {sid} staged"):
        engine.commit(sid)
    assert engine.store.path.read_bytes() == before


def test_a_plan_from_another_store_is_refused(tmp_path, source):
    one = Engine(config(tmp_path / "one"), connector=source)
    two = Engine(config(tmp_path / "two"), connector=source)
    sid_one, sid_two = staged(one, source), staged(two, source)
    assert sid_one == sid_two
    two.store.plans.path(sid_two).write_bytes(one.store.plans.path(sid_one).read_bytes())
    with pytest.raises(PlanError):
        two.commit(sid_two)
    assert "s90" not in students(two)


def rewrite_plan(engine, sid: int, change) -> None:
    """Edit a plan and make the store's record of it agree: only the shape checks stand."""
    path = engine.store.plans.path(sid)
    plan = orjson.loads(path.read_bytes())
    change(plan)
    payload = orjson.dumps(plan)
    path.write_bytes(payload)
    data = orjson.loads(engine.store.path.read_bytes())
    data["syncs"][str(sid)]["plan_digest"] = digest(payload)
    engine.store.path.write_bytes(orjson.dumps(data))


def test_an_unknown_action_kind_is_refused(engine, source):
    sid = staged(engine, source)

    def remove_everyone(plan):
        plan["actions"] = [{"id": f"student:s{i}", "type": "student", "kind": "remove",
                            "source_id": f"s{i}", "label": "x", "enabled": True,
                            "record": {}} for i in range(20)]
    rewrite_plan(engine, sid, remove_everyone)
    with pytest.raises(PlanError, match="kind 'remove', which this plan may not hold"):
        engine.commit(sid)
    assert len(students(engine)) == 20


def test_before_values_must_match_the_store(engine, source):
    sid = staged(engine, source)

    def edit_someone(plan):
        plan["actions"].append({"id": "student:s3", "type": "student", "kind": "update",
                                "source_id": "s3", "label": "x", "enabled": True,
                                "changes": {"last_name": ["Wrong", "Evil"]}})
    rewrite_plan(engine, sid, edit_someone)
    with pytest.raises(MismatchError, match=r"student:s3"):
        engine.commit(sid)
    assert students(engine)["s3"]["last_name"] == "Lasts3"


# -- guards counted on what is applied -------------------------------------------------

def test_unticking_archives_below_the_threshold_unblocks(engine, source):
    source.next = district(20)
    engine.sync(commit=True)
    source.next = district(12)  # 8 of 20 archived: 40%, over 25%
    sid = engine.sync()["sync_id"]
    assert engine.report(sid)["status"] == "blocked"
    engine.set_enabled(sid, ["student:s12", "student:s13", "student:s14", "student:s15"],
                       False)
    report = engine.report(sid)
    assert report["status"] == "staged" and report["blocked_reasons"] == []
    engine.commit(sid)
    doc = engine.sync_doc(sid)
    assert doc["status"] == "committed" and doc["forced"] is False
    assert doc["blocked_reasons"] == []


def test_forced_is_recorded_only_when_a_guard_was_overridden(engine, source):
    source.next = district(20)
    engine.sync(commit=True)
    source.next = with_students("s90")
    sid = engine.sync()["sync_id"]
    engine.commit(sid, force=True)
    assert engine.sync_doc(sid)["forced"] is False


def test_disable_ids_are_all_checked_before_anything_is_applied(engine, source):
    sid = staged(engine, source)
    before = engine.store.path.read_bytes()
    with pytest.raises(RosterError, match="has no action 'student:nobody'"):
        engine.commit(sid, disable=["student:s90", "student:nobody"])
    assert engine.store.path.read_bytes() == before
    assert all(a["enabled"] for a in engine.plan(sid)["actions"])


def test_a_committed_sync_shows_what_was_applied(engine, source):
    sid = staged(engine, source)
    engine.commit(sid, disable=["student:s90"])
    engine.store.plans.toggle_log(sid).unlink()  # the log is no longer the truth
    assert [a["enabled"] for a in engine.plan(sid)["actions"]] == [False]


# -- invariants and no silent fresh start ----------------------------------------------

def test_a_write_that_breaks_an_invariant_is_refused(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    before = engine.store.path.read_bytes()
    data = engine.store.load()
    data["students"]["99"] = dict(data["students"]["1"])
    with pytest.raises(RosterError, match=r"table 'students' holds source ids more than "
                                          r"once: s0"):
        engine.store.write(data)
    data["students"]["99"] = {**data["students"]["1"], "source_id": "s99", "status": "gone"}
    with pytest.raises(RosterError, match="unknown status 'gone'"):
        engine.store.write(data)
    assert engine.store.path.read_bytes() == before


@pytest.mark.parametrize("content", [b"{}", b"[]", b"null", b'{"meta": {"1": {}}, '
                                     b'"students": {"1": {"status": "active"}}}'])
def test_a_store_of_the_wrong_shape_is_an_error(engine, source, content):
    engine.store.path.write_bytes(content)
    source.next = district(2)
    with pytest.raises(RosterError, match=str(engine.store.path)):
        engine.sync()
    assert engine.store.path.read_bytes() == content


def test_a_missing_store_beside_its_backup_is_never_started_afresh(engine, source, tmp_path):
    source.next = district(20)
    engine.sync(commit=True)
    source.next = with_students("s90")
    engine.sync(commit=True)
    plans = sorted(p.name for p in engine.store.plans.folder.iterdir())
    engine.store.path.unlink()
    fresh = Engine(config(tmp_path), connector=source)
    with pytest.raises(MissingStoreError, match=r"rostertui restore \(or: cp .*store.json.bak"):
        fresh.sync()
    assert sorted(p.name for p in engine.store.plans.folder.iterdir()) == plans
    assert "restored" in fresh.restore()
    assert len(fresh.history()) == 1  # the backup: the state before the last write
    assert len(students(fresh)) == 20


def test_restore_keeps_a_sound_store_unless_forced(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    source.next = with_students("s90", keep=3)
    engine.sync(commit=True)
    with pytest.raises(RosterError, match="add --force"):
        engine.restore()
    message = engine.restore(force=True)
    assert "kept as" in message and "s90" not in students(engine)


def test_a_plan_left_by_a_killed_sync_is_never_another_syncs_plan(engine, source):
    from connectors.feed import SourceError
    source.next = district(3)
    engine.sync(commit=True)
    leftover = engine.store.plans.path(2)
    leftover.write_bytes(engine.store.plans.path(1).read_bytes())  # killed before its write
    source.next = SourceError("the source is down")
    with pytest.raises(RosterError):
        engine.sync()
    assert engine.sync_doc(2)["status"] == "failed"
    with pytest.raises(RosterError, match="sync 2 has no actions"):
        engine.plan(2)
    assert engine.report(2)["counts"]["student"]["add"] == 0


# -- found by attacking the above ------------------------------------------------------

def three_commits(engine, source) -> None:
    """Sync 1: the district; 2: s0 renamed; 3: s0 renamed again."""
    source.next = district(20)
    engine.sync(commit=True)
    for name in ("Second", "Third"):
        feed = district(20)
        feed.types["student"].records[0]["last_name"] = name
        source.next = feed
        engine.sync(commit=True)


def test_a_forced_revert_and_its_redo_never_claim_a_state_the_store_is_not_in(engine,
                                                                             source):
    three_commits(engine, source)
    source.next = district(20)
    staged_on_3 = engine.sync()["sync_id"]  # s0 back to its first name
    engine.revert(2, force=True)  # over sync 3's change of s0
    engine.redo(2)
    with pytest.raises(RosterError, match=f"sync {staged_on_3} is stale"):
        engine.commit(staged_on_3)


def test_undoing_in_reverse_order_needs_no_force(engine, source):
    three_commits(engine, source)
    engine.revert(3)
    report = engine.revert(2)
    assert engine.sync_doc(report["sync_id"])["forced"] is False
    assert students(engine)["s0"]["last_name"] == "Lasts0"


def test_a_refused_commit_keeps_no_tick(engine, source):
    source.next = district(20)
    engine.sync(commit=True)
    source.next = with_students("s90", "s91")
    sid = engine.sync()["sync_id"]
    data = engine.store.load()  # s90 appears by hand: the plan's add no longer fits
    data["students"]["99"] = {**data["students"]["1"], "source_id": "s90"}
    engine.store.write(data)
    with pytest.raises(MismatchError, match="student:s90"):
        engine.commit(sid, disable=["student:s91"])
    assert all(a["enabled"] for a in engine.plan(sid)["actions"])


@pytest.mark.parametrize("edit, problem", [
    (lambda d: d["meta"]["1"].update(commit_seq="x"), "meta record's 'commit_seq'"),
    (lambda d: d["syncs"]["1"].update(counts="x"), "sync 1's 'counts'"),
    (lambda d: d["syncs"]["1"].update(disabled_ids=5), "sync 1's 'disabled_ids'"),
    (lambda d: d["students"].update(abc=d["students"].pop("1")), "under key 'abc'"),
    (lambda d: d["students"]["1"].update(extra=[1]), "has a 'extra' that is not a dict"),
    (lambda d: d["students"]["1"].update(school_ids="sch1"), "'school_ids' that is not a list"),
    # found by attack: revert and redo walk these links (a KeyError before)
    (lambda d: d["syncs"]["1"].update(status="reverted", reverted_by=99),
     "sync 1's 'reverted_by'"),
    (lambda d: d["syncs"]["1"].update(status="reverted"), "sync 1's 'reverted_by'"),
    (lambda d: d["syncs"]["1"].update(reverts=77), "sync 1's 'reverts'"),
])
def test_a_store_edited_into_the_wrong_shape_is_one_line(engine, source, edit, problem):
    source.next = district(3)
    engine.sync(commit=True)
    data = orjson.loads(engine.store.path.read_bytes())
    edit(data)
    engine.store.path.write_bytes(orjson.dumps(data))
    for call in (engine.history, engine.status, lambda: engine.sync()):
        with pytest.raises(RosterError, match=problem):
            call()


def test_a_store_from_before_store_ids_and_new_fields_still_opens(engine, source):
    source.next = district(3)
    engine.sync(commit=True)
    data = orjson.loads(engine.store.path.read_bytes())
    del data["meta"]["1"]["store_id"], data["meta"]["1"]["commit_seq"]
    for key in ("plan_digest", "disabled_ids", "commit_seq", "exact"):
        del data["syncs"]["1"][key]
    engine.store.path.write_bytes(orjson.dumps(data))
    fresh = Engine(config(engine.store.path.parent), connector=source)
    assert fresh.history()[0]["status"] == "committed"
    with pytest.raises(RosterError, match="sync 1 has no actions"):
        fresh.revert(1)
    source.next = with_students("s90", keep=3)
    assert fresh.sync(commit=True)["status"] == "committed"


def test_redo_refusals_say_what_to_do(engine, source):
    sid = staged(engine, source)
    with pytest.raises(LifecycleError, match=f"sync {sid} is staged; only a reverted sync "
                                             "can be redone"):
        engine.redo(sid)
