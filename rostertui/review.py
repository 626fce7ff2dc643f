"""Reviewing a staged sync: ticking and unticking its actions, at the cost of one append.

The toggle log makes every change durable at once, so a restart shows the same
checkboxes. Each toggle passes the engine's gate: under the store's lock, the sync must
still be pending (another process may have committed or discarded it meanwhile).

Two reviews tick the same way (Ticking): Review holds the whole plan in memory (the
engine commits it, the CLI shows it); indexed_review.IndexedReview reads the plan through
its index, for the dashboard, which never parses a whole plan.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from . import lifecycle
from .errors import RosterError
from .invocation import command
from .model import ACTION_TYPES, KINDS
from .plans import PlanFiles
from .records import Action, DataWarning, Plan, SyncRecord

# Opens the gate for toggling the sync: holds the store's lock and yields its record now.
Gate = Callable[[int], AbstractContextManager[SyncRecord]]
# The source ids of a student's contacts in the store (their `relationships` name them).
ContactsOf = Callable[[str], Iterable[str]]
# {type: {kind: (enabled, total)}}: what the report's counters and confirmations show.
Tally = dict[str, dict[str, tuple[int, int]]]


class Ticking(ABC):
    """What both reviews share: ticks and unticks, through the gate, each one line."""

    def __init__(self, plans: PlanFiles, doc: SyncRecord, gate: Gate):
        self.plans = plans
        self.doc = doc
        self._gate = gate

    @property
    def sync_id(self) -> int:
        return self.doc["id"]

    @property
    def editable(self) -> bool:
        return lifecycle.allowed(self.doc, "toggle")

    @abstractmethod
    def unknown(self, action_ids: list[str]) -> list[str]:
        """Those of the ids that are no action of the sync."""

    @abstractmethod
    def changing(self, action_ids: list[str], enabled: bool) -> list[str]:
        """Those of the (known) ids whose tick is not `enabled` now."""

    @abstractmethod
    def _show(self, action_ids: list[str], enabled: bool) -> None:
        """Hold the new ticks (already in the toggle log) in memory."""

    @abstractmethod
    def all_ticked(self) -> bool:
        """Whether every action is ticked (as staged)."""

    def check_ids(self, action_ids: list[str]) -> None:
        """Every id is an action of this sync, or RosterError naming the first that is not."""
        unknown = self.unknown(action_ids)
        if unknown:
            raise RosterError(f"sync {self.sync_id} has no action '{unknown[0]}'; "
                              f"see: {command(f'show {self.sync_id}')}")

    def set_enabled(self, action_ids: list[str], enabled: bool) -> None:
        lifecycle.require(self.doc, "toggle")
        self.check_ids(action_ids)
        changed = self.changing(action_ids, enabled)
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
        assert digest is not None  # a review holds a plan: PlanFiles.read found it by digest
        self.plans.record_toggle(self.sync_id, digest, action_ids, enabled)
        self._show(action_ids, enabled)


class Review(Ticking):
    """A sync's whole plan in memory, each action's `enabled` its tick."""

    def __init__(self, plans: PlanFiles, doc: SyncRecord, plan: Plan, gate: Gate):
        super().__init__(plans, doc, gate)
        self.plan = plan
        self.actions: list[Action] = self.plan["actions"]
        self.warnings: list[DataWarning] = self.plan["warnings"]
        self._by_id = {a["id"]: a for a in self.actions}

    def action(self, action_id: str) -> Action:
        return self._by_id[action_id]

    def unknown(self, action_ids: list[str]) -> list[str]:
        return [i for i in action_ids if i not in self._by_id]

    def changing(self, action_ids: list[str], enabled: bool) -> list[str]:
        return [i for i in action_ids if self._by_id[i]["enabled"] != enabled]

    def _show(self, action_ids: list[str], enabled: bool) -> None:
        for i in action_ids:
            self._by_id[i]["enabled"] = enabled

    def all_ticked(self) -> bool:
        return all(a["enabled"] for a in self.actions)

    def guarded(self) -> list[Action]:
        """The actions for the guards (safety.block_reasons), which count the ticked ones.
        The dashboard's IndexedReview has none: its guards are counted in a child process
        (guard_count.py)."""
        return self.actions

    def tally(self) -> Tally:
        """{type: {kind: (enabled, total)}} for the report's counters."""
        out = empty_tally()
        for a in self.actions:
            enabled, total = out[a["type"]].get(a["kind"], (0, 0))
            out[a["type"]][a["kind"]] = (enabled + a["enabled"], total + 1)
        return out


def empty_tally() -> Tally:
    return {t: {k: (0, 0) for k in KINDS} for t in ACTION_TYPES}
