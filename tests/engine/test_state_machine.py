"""The lifecycle against a model (Hypothesis RuleBasedStateMachine).

Random sequences of sync (random full feeds: adds, edits, deletes, reappearances), untick,
commit, discard, revert and redo run against a small district. After every step the
store must equal the model: the replay, in commit order, of exactly the enabled actions
of the syncs in effect. The model's replay is written here, independently of the
engine's apply. Guards are set out of the way (they have tests of their own); the
conflict refusals of revert and redo are part of the model: a refused step changes
nothing.
"""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from connectors.feed import Feed, TypeFeed
from rostertui.commit import MismatchError
from rostertui.config import from_dict
from rostertui.engine import Engine
from rostertui.errors import StaleError
from rostertui.lifecycle import LifecycleError
from rostertui.model import make

from ..support.feeds import FeedSource

POOL = [f"s{i}" for i in range(6)]
NAMES = ["Ames", "Baker", "Cole"]
GRADES = ["05", "06"]
WIDE_OPEN = {"delete_threshold": 10_000, "delete_threshold_percent": 100.0,
             "clear_threshold_percent": 100.0, "enrollment_threshold_percent": 100.0,
             "change_threshold_percent": 100.0}

# A student as the feed has it: present, with a last name and a grade, or absent (None).
roster_strategy = st.lists(
    st.one_of(st.none(), st.tuples(st.sampled_from(NAMES), st.sampled_from(GRADES))),
    min_size=len(POOL), max_size=len(POOL))


def feed_of(roster: list) -> Feed:
    students = [make("student", source_id=sid, first_name=sid.upper(), last_name=last,
                     grade=grade, school_ids=["sch1"])
                for sid, entry in zip(POOL, roster) if entry for last, grade in [entry]]
    types = {t: TypeFeed(complete=True, records=[]) for t in
             ("school", "teacher", "staff", "contact", "section")}
    types["school"] = TypeFeed(complete=True, records=[make("school", source_id="sch1",
                                                            name="High")])
    types["student"] = TypeFeed(complete=True, records=students)
    return Feed(source="test", mode="full", types=types)


def replay(effects: list[list[dict]]) -> dict[str, dict]:
    """The students table the model expects: {source_id: (status, last_name, grade)}."""
    out: dict[str, dict] = {}
    for actions in effects:
        for a in actions:
            if a["type"] != "student":
                continue
            sid = a["source_id"]
            if a["kind"] == "add":
                out[sid] = {**a["record"], "status": "active"}
                continue
            rec = out[sid]
            for field, (_, after) in a.get("changes", {}).items():
                rec[field] = after
            rec["status"] = {"archive": "archived", "reactivate": "active"}.get(
                a["kind"], rec["status"])
    return {sid: (r["status"], r["last_name"], r["grade"]) for sid, r in out.items()}


class Lifecycle(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        import tempfile
        from pathlib import Path
        self.folder = Path(tempfile.mkdtemp(prefix="rostertui-model-"))
        self.source = FeedSource()
        cfg = from_dict({"source": {"kind": "oneroster_csv", "path": "src"},
                         "store": {"path": "store.json"}, "sync": WIDE_OPEN},
                        base_dir=self.folder)
        self.engine = Engine(cfg, connector=self.source)
        self.pending: list[int] = []
        # An effect is a commit's applied actions. Its handle is the sync that undoes it
        # when reverted: the commit itself, or after a redo, the redo (a revert of the
        # revert); a reverted effect is redone through the handle it was reverted by.
        self.effects: dict[int, list[dict]] = {}   # handle -> the commit's applied actions
        self.order: list[int] = []                  # handles in effect, in commit order
        self.reverted: list[int] = []               # handles of effects now reverted
        self.finished: list[int] = []               # every sync no longer pending

    def teardown(self) -> None:
        import shutil
        shutil.rmtree(self.folder, ignore_errors=True)

    def _store_bytes(self) -> bytes:
        path = self.engine.store.path
        return path.read_bytes() if path.exists() else b""

    # -- rules --------------------------------------------------------------------------

    @rule(roster=roster_strategy)
    def sync(self, roster: list) -> None:
        self.source.next = feed_of(roster)
        report = self.engine.sync()
        if report["status"] == "discarded":  # nothing to change: recorded, not pending
            assert not self.engine.plan(report["sync_id"])["actions"]
            self.finished.append(report["sync_id"])
            return
        assert report["status"] in ("staged", "blocked")
        self.pending.append(report["sync_id"])

    @rule(data=st.data())
    def untick(self, data) -> None:
        if not self.pending:
            return
        sid = data.draw(st.sampled_from(self.pending))
        actions = self.engine.plan(sid)["actions"]
        if actions:
            action = data.draw(st.sampled_from(actions))
            self.engine.set_enabled(sid, [action["id"]], False)

    @rule(data=st.data())
    def commit(self, data) -> None:
        if not self.pending:
            return
        sid = data.draw(st.sampled_from(self.pending))
        before = self._store_bytes()
        try:
            self.engine.commit(sid)
        except StaleError:
            assert self._store_bytes() == before
            return
        self.pending.remove(sid)
        self.finished.append(sid)
        self.effects[sid] = [a for a in self.engine.plan(sid)["actions"] if a["enabled"]]
        self.order.append(sid)

    @rule(data=st.data())
    def discard(self, data) -> None:
        if not self.pending:
            return
        sid = data.draw(st.sampled_from(self.pending))
        self.engine.discard(sid)
        self.pending.remove(sid)
        self.finished.append(sid)

    @rule(data=st.data())
    def revert(self, data) -> None:
        if not self.order:
            return
        sid = data.draw(st.sampled_from(self.order))
        before = self._store_bytes()
        try:
            undo = self.engine.revert(sid)["sync_id"]
        except MismatchError:
            assert self._store_bytes() == before
            return
        self.order.remove(sid)
        self.reverted.append(sid)
        self.finished.append(undo)

    @rule(data=st.data())
    def redo(self, data) -> None:
        if not self.reverted:
            return
        sid = data.draw(st.sampled_from(self.reverted))
        before = self._store_bytes()
        try:
            again = self.engine.redo(sid)["sync_id"]
        except MismatchError:
            assert self._store_bytes() == before
            return
        self.reverted.remove(sid)
        self.effects[again] = self.effects.pop(sid)
        self.order.append(again)
        self.finished.append(again)

    @rule(data=st.data())
    def revert_then_redo_gives_back_the_same_store(self, data) -> None:
        if not self.order:
            return
        sid = data.draw(st.sampled_from(self.order))
        before = self._students()
        try:
            undo = self.engine.revert(sid)["sync_id"]
        except MismatchError:
            return
        again = self.engine.redo(sid)["sync_id"]  # nothing came between: no conflict
        assert self._students() == before
        self.order.remove(sid)
        self.effects[again] = self.effects.pop(sid)
        self.order.append(again)
        self.finished += [undo, again]

    def _students(self) -> dict:
        data = orjson.loads(self.engine.store.path.read_bytes())
        return {d["source_id"]: {k: v for k, v in d.items()}
                for d in data["students"].values()}

    @rule(data=st.data())
    def finished_syncs_refuse_changes(self, data) -> None:
        done = self.finished
        if not done:
            return
        sid = data.draw(st.sampled_from(done))
        for attempt in (lambda: self.engine.commit(sid), lambda: self.engine.discard(sid),
                        lambda: self.engine.set_enabled(sid, [], False)):
            try:
                attempt()
            except LifecycleError:
                continue
            raise AssertionError(f"sync {sid} ({self.engine.sync_doc(sid)['status']}) "
                                 "accepted a change")

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def store_is_the_replay_of_what_is_in_effect(self) -> None:
        if not hasattr(self, "engine") or not self.engine.store.path.exists():
            return
        data = orjson.loads(self.engine.store.path.read_bytes())
        stored = {d["source_id"]: (d["status"], d["last_name"], d["grade"])
                  for d in data["students"].values()}
        assert stored == replay([self.effects[s] for s in self.order])

    @invariant()
    def source_ids_are_unique(self) -> None:
        if not hasattr(self, "engine") or not self.engine.store.path.exists():
            return
        data = orjson.loads(self.engine.store.path.read_bytes())
        for table in ("schools", "students"):
            ids = [d["source_id"] for d in data[table].values()]
            assert len(ids) == len(set(ids)), table


Lifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=25,
                                       deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
TestLifecycle = Lifecycle.TestCase
