"""Reviewing a staged sync: its actions held in memory, toggled at the cost of one append.

The dashboard keeps one Review open while an admin ticks and unticks; the toggle log
makes every change durable at once, so a restart shows the same checkboxes. Each toggle
passes the engine's gate: under the store's lock, the sync must still be pending (another
process may have committed or discarded it meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager

from . import lifecycle
from .errors import RosterError
from .model import ACTION_TYPES, KINDS
from .plans import PlanFiles
from .records import Action, DataWarning, Plan, SyncRecord

# Opens the gate for toggling the sync: holds the store's lock and yields its record now.
Gate = Callable[[int], AbstractContextManager[SyncRecord]]
# The source ids of a student's contacts in the store (their `relationships` name them).
ContactsOf = Callable[[str], Iterable[str]]


class Review:
    def __init__(self, plans: PlanFiles, doc: SyncRecord, plan: Plan, gate: Gate):
        self.plans = plans
        self.doc = doc
        self.plan = plan
        self._gate = gate
        self.actions: list[Action] = self.plan["actions"]
        self.warnings: list[DataWarning] = self.plan["warnings"]
        self._by_id = {a["id"]: a for a in self.actions}
        self._search: dict[str, str] | None = None

    @property
    def sync_id(self) -> int:
        return self.doc["id"]

    @property
    def editable(self) -> bool:
        return lifecycle.allowed(self.doc, "toggle")

    def action(self, action_id: str) -> Action:
        return self._by_id[action_id]

    def check_ids(self, action_ids: list[str]) -> None:
        """Every id is an action of this sync, or RosterError naming the first that is not."""
        unknown = [i for i in action_ids if i not in self._by_id]
        if unknown:
            raise RosterError(f"sync {self.sync_id} has no action '{unknown[0]}'; "
                              f"see: rostertui show {self.sync_id}")

    def set_enabled(self, action_ids: list[str], enabled: bool) -> None:
        lifecycle.require(self.doc, "toggle")
        self.check_ids(action_ids)
        changed = [i for i in action_ids if self._by_id[i]["enabled"] != enabled]
        if not changed:
            return
        with self._gate(self.sync_id) as now:
            if now["status"] != self.doc["status"]:
                self.doc = now  # committed or discarded elsewhere: shown as it is
            lifecycle.require(now, "toggle")
            self.record(changed, enabled)

    def record(self, action_ids: list[str], enabled: bool) -> None:
        """Write the toggle and show it; the caller holds the lock and checked the state."""
        digest = self.doc["plan_digest"]
        assert digest is not None  # a Review holds a plan: PlanFiles.read found it by digest
        self.plans.record_toggle(self.sync_id, digest, action_ids, enabled)
        for i in action_ids:
            self._by_id[i]["enabled"] = enabled

    def select(self, type_: str | None = None, kind: str | None = None,
               text: str = "") -> list[Action]:
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

    def linked(self, action_ids: Collection[str], contacts_of: ContactsOf) -> list[Action]:
        """The ticked actions that go with the student archives among `action_ids`: the
        archives of those students' contacts, and the section updates that take them off
        a roster. Unticking a student's archive and not these keeps the student without
        their guardians or their classes."""
        students = {a["source_id"] for a in map(self.action, action_ids)
                    if a["type"] == "student" and a["kind"] == "archive"}
        if not students:
            return []
        contacts = {f"contact:{c}" for s in students for c in contacts_of(s)}
        chosen = set(action_ids)

        def goes_with(a: Action) -> bool:
            if a["id"] in contacts:
                return a["kind"] == "archive"
            removed = a.get("members", {}).get("student_ids", {}).get("removed", ())
            return a["type"] == "section" and not students.isdisjoint(removed)
        return [a for a in self.actions if a["enabled"] and a["id"] not in chosen
                and goes_with(a)]

    def half_kept(self, contacts_of: ContactsOf) -> list[Action]:
        """The ticked actions linked (see linked) to unticked student archives."""
        return self.linked([a["id"] for a in self.actions if not a["enabled"]], contacts_of)
