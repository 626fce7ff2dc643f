"""Which committed syncs touched a record, for the detail screens, including the syncs
from before the source renumbered it (rostertui.history.record_trail follows its links).

Each applied plan is read through its index (rostertui/plan_index.py): one binary search
of its sorted ids per plan, and the record's own action parsed from the plan's bytes. So
opening a record never parses a whole plan (a first import's is 150 MB at 100,000
students, a second or more holding the GIL) nor reloads the store: answers come from the
history list the dashboard already has. The indexes stay open between records (applied
plans never change); each is checked against its plan's digest and file every time.
"""

from __future__ import annotations

from rostertui.engine import Engine
from rostertui.history import APPLIED, record_trail
from rostertui.plan_index import PlanIndex
from rostertui.records import Action, SyncRecord


class RecordHistory:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._indexes: dict[int, PlanIndex] = {}

    def of(self, syncs: list[SyncRecord], type_: str,
           source_id: str) -> list[tuple[SyncRecord, Action]]:
        """(sync, action) for each committed sync that touched the record, newest first."""
        applied = {d["id"]: d for d in syncs if d["status"] in APPLIED}
        stale = [d for d in applied.values() if not self._fresh(d)]
        if stale:
            self._indexes.update(self.engine.plan_indexes(stale))
        return record_trail(syncs, lambda sid: AppliedActions(self._indexes[sid], applied[sid]),
                            type_, source_id)

    def _fresh(self, doc: SyncRecord) -> bool:
        index = self._indexes.get(doc["id"])
        return index is not None and index.fresh(doc["plan_digest"])


class AppliedActions:
    """An applied sync's enabled actions by id, each read from its plan when asked for."""

    def __init__(self, index: PlanIndex, doc: SyncRecord):
        self.index = index
        self.disabled = doc.get("disabled_ids") or ()

    def get(self, action_id: str, /) -> Action | None:
        span = self.index.find(action_id)
        if span is None or action_id in self.disabled:
            return None
        action = self.index.actions([span], [action_id])[0]
        action["enabled"] = True
        return action
