"""Which committed syncs touched a record, for the detail screens, including the syncs
from before the source renumbered it (rostertui.history.record_trail follows its links).

Each applied plan is read once and indexed by action id (committed and reverted plans
never change); answers come from the history list the dashboard already has, so opening
a record never reloads the store (seconds at 100,000 students, with the GIL held).
"""

from __future__ import annotations

from rostertui.engine import Engine
from rostertui.history import record_trail
from rostertui.records import Action, SyncRecord


class RecordHistory:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._applied: dict[int, dict[str, Action]] = {}  # applied plans never change

    def of(self, syncs: list[SyncRecord], type_: str,
           source_id: str) -> list[tuple[SyncRecord, Action]]:
        """(sync, action) for each committed sync that touched the record, newest first."""
        return record_trail(syncs, self._actions, type_, source_id)

    def _actions(self, sync_id: int) -> dict[str, Action]:
        if sync_id not in self._applied:
            self._applied[sync_id] = {a["id"]: a for a in self.engine.plan(sync_id)["actions"]
                                      if a["enabled"]}
        return self._applied[sync_id]
