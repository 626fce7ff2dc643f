"""Sync records in the `syncs` table: creation, counts, and the lookups on them,
including the syncs that touched one record (`record_trail`), through its links."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, cast

from . import clock
from .errors import RosterError
from .invocation import command
from .lifecycle import PENDING, SyncStatus
from .lock import current_user
from .model import ACTION_TYPES, KINDS
from .records import SYNC_FIELDS, Action, Counts, Plan, StoreData, SyncRecord, with_defaults
from .store import syncs_of
from .text import clean_message


def counts(actions: Iterable[Action]) -> Counts:
    """{type: {kind: n}} with every action type and kind present (and `remove` if any)."""
    out = {t: dict.fromkeys(KINDS, 0) for t in ACTION_TYPES}
    for a in actions:
        kinds = out[a["type"]]
        kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
    return out


def renumbered(actions: Iterable[Action]) -> int:
    """Links that move a record the source renumbered (not a local account: its link
    also clears `local`)."""
    return sum(1 for a in actions if "link" in a and "local" not in a.get("changes", {}))


def new_sync(data: StoreData, *, mode: str, trigger: str, source: dict[str, Any],
             started_at: str) -> SyncRecord:
    syncs = syncs_of(data)
    sync_id = max(map(int, syncs), default=0) + 1
    # SYNC_FIELDS names every field of a SyncRecord (records.py checks it on import)
    doc = cast(SyncRecord, with_defaults(
        {"id": sync_id, "started_at": started_at, "mode": mode, "trigger": trigger,
         "user": current_user(), "source": source, "status": SyncStatus.STAGED.value,
         "counts": counts([])}, SYNC_FIELDS))
    syncs[str(sync_id)] = doc
    return doc


def finish(doc: SyncRecord, plan: Plan, base_state: str, reasons: list[str]) -> None:
    actions = plan["actions"]
    doc.update({"finished_at": clock.stamp(), "counts": counts(actions),
                "enabled": len(actions), "disabled": 0, "warnings": len(plan["warnings"]),
                "base_state": base_state, "renumbered": renumbered(actions),
                "blocked_reasons": [clean_message(r) for r in reasons],
                "status": pending_status(reasons)})
    codes: dict[str, int] = {}
    for w in plan["warnings"]:
        codes[w["code"]] = codes.get(w["code"], 0) + 1
    doc["warning_codes"] = codes


NO_CHANGES = "no changes"


def unchanged(plan: Plan, reasons: list[str]) -> bool:
    """A staged plan with nothing to apply (no action, no reference change) and no guard
    firing: a sync that is recorded as discarded, with the note "no changes"."""
    return not plan["actions"] and not plan["reference"] and not reasons


def pending_status(reasons: list[str]) -> str:
    """A pending sync is blocked while a guard fires, staged otherwise."""
    return (SyncStatus.BLOCKED if reasons else SyncStatus.STAGED).value


def get(data: StoreData, sync_id: int | str | None) -> SyncRecord:
    """A sync by id, or with None the newest one that can still be committed."""
    syncs = syncs_of(data)
    if sync_id is None:
        pending = [d for d in syncs.values() if d["status"] in PENDING]
        if not pending:
            raise RosterError(f"there is no staged sync; stage one with: {command('sync')}")
        return max(pending, key=lambda d: d["id"])
    doc = syncs.get(str(sync_id))
    if doc is None:
        raise RosterError(f"there is no sync {sync_id}; see: {command('history')}")
    return doc


def listing(data: StoreData) -> list[SyncRecord]:
    """Every sync, newest first."""
    return sorted(syncs_of(data).values(), key=lambda d: d["id"], reverse=True)


def commit_order(doc: SyncRecord) -> tuple[int, str, int]:
    """The order syncs were applied in (ids are in staging order, not commit order)."""
    return (doc["commit_seq"], doc["committed_at"] or "", doc["id"])


# The statuses of syncs whose actions were applied (a reverted one's, then undone).
APPLIED = (SyncStatus.COMMITTED, SyncStatus.REVERTED)


class Applied(Protocol):
    """A sync's enabled actions, looked up by action id."""

    def get(self, action_id: str, /) -> Action | None: ...


# A sync's enabled actions, by the sync's id.
AppliedActions = Callable[[int], Applied]


def record_trail(syncs: Iterable[SyncRecord], applied: AppliedActions, type_: str,
                 source_id: str) -> list[tuple[SyncRecord, Action]]:
    """(sync, action) for each committed sync that touched the record now under
    `source_id`, in the order of `syncs`, including those from before a link moved it
    to this id: walking back in commit order, an action that is a link sends the walk
    on to the id the record had before it. Syncs later reverted are listed too, with
    their revert: the change happened, then was undone (found by attack: a record's
    history listed the reverts of changes it never showed)."""
    listed = list(syncs)
    walked = sorted((d for d in listed if d["status"] in APPLIED), key=commit_order,
                    reverse=True)
    sid, found = source_id, dict[int, Action]()
    for doc in walked:
        action = applied(doc["id"]).get(f"{type_}:{sid}")
        if action is None:
            continue
        found[doc["id"]] = action
        if "link" in action:
            sid = action["link"]["from"]
    return [(d, found[d["id"]]) for d in listed if d["id"] in found]
