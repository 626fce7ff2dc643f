"""Reviewing a staged sync: its actions held in memory, toggled at the cost of one append.

The dashboard keeps one Review open while an admin ticks and unticks; the toggle log
makes every change durable at once, so a restart shows the same checkboxes.
"""

from __future__ import annotations

from .errors import RosterError
from .history import COMMITTABLE
from .model import ACTION_TYPES, KINDS
from .store import Store


class Review:
    def __init__(self, store: Store, doc: dict):
        self.store = store
        self.doc = doc
        self.plan = store.read_plan(doc["id"])
        self.actions: list[dict] = self.plan["actions"]
        self.warnings: list[dict] = self.plan["warnings"]
        self._by_id = {a["id"]: a for a in self.actions}
        self._search: dict[str, str] | None = None

    @property
    def sync_id(self) -> int:
        return self.doc["id"]

    @property
    def editable(self) -> bool:
        return self.doc["status"] in COMMITTABLE

    def action(self, action_id: str) -> dict:
        return self._by_id[action_id]

    def set_enabled(self, action_ids: list[str], enabled: bool) -> None:
        if not self.editable:
            raise RosterError(f"sync {self.sync_id} is {self.doc['status']}; its actions "
                              "can no longer be changed")
        unknown = [i for i in action_ids if i not in self._by_id]
        if unknown:
            raise RosterError(f"sync {self.sync_id} has no action '{unknown[0]}'; "
                              f"see: rostertui show {self.sync_id}")
        changed = [i for i in action_ids if self._by_id[i]["enabled"] != enabled]
        if changed:
            self.store.record_toggle(self.sync_id, changed, enabled)
            for i in changed:
                self._by_id[i]["enabled"] = enabled

    def select(self, type_: str | None = None, kind: str | None = None,
               text: str = "") -> list[dict]:
        """The actions of a type and kind whose label, id or changes contain `text`."""
        rows = [a for a in self.actions
                if (type_ is None or a["type"] == type_) and (kind is None or a["kind"] == kind)]
        needle = text.strip().lower()
        if not needle:
            return rows
        keys = self._keys()
        return [a for a in rows if needle in keys[a["id"]]]

    def _keys(self) -> dict[str, str]:
        if self._search is None:
            self._search = {a["id"]: f"{a['id']} {a['label']} {' '.join(a.get('changes', ()))}"
                            .lower() for a in self.actions}
        return self._search

    def tally(self) -> dict[str, dict[str, tuple[int, int]]]:
        """{type: {kind: (enabled, total)}} for the report's counters."""
        out = {t: {k: (0, 0) for k in KINDS} for t in ACTION_TYPES}
        for a in self.actions:
            enabled, total = out[a["type"]].get(a["kind"], (0, 0))
            out[a["type"]][a["kind"]] = (enabled + a["enabled"], total + 1)
        return out

    def archives_enabled(self) -> int:
        return sum(1 for a in self.actions if a["kind"] == "archive" and a["enabled"])
