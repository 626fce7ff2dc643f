"""Which committed syncs touched a record, for the detail screens.

Each committed plan is read once and indexed by action id (committed plans never
change); answers come from the history list the dashboard already has, so opening a
record never reloads the store (seconds at 100,000 students, with the GIL held).
"""

from __future__ import annotations

from rostertui.engine import Engine
from rostertui.lifecycle import SyncStatus
from rostertui.records import Action, SyncRecord


class RecordHistory:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._applied: dict[int, dict[str, Action]] = {}  # committed plans never change

    def of(self, syncs: list[SyncRecord], type_: str,
           source_id: str) -> list[tuple[SyncRecord, Action]]:
        """(sync, action) for each committed sync that touched the record, newest first."""
        action_id = f"{type_}:{source_id}"
        out = []
        for doc in syncs:
            if doc["status"] == SyncStatus.COMMITTED:
                action = self._actions(doc["id"]).get(action_id)
                if action is not None:
                    out.append((doc, action))
        return out

    def _actions(self, sync_id: int) -> dict[str, Action]:
        if sync_id not in self._applied:
            self._applied[sync_id] = {a["id"]: a for a in self.engine.plan(sync_id)["actions"]
                                      if a["enabled"]}
        return self._applied[sync_id]
