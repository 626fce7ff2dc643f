"""Undo: revert a committed sync with the before-values its plan recorded.

The revert is itself a sync (mode "revert"), committed at once, so it shows in the
history and can be reverted in turn: that is how a reverted sync is redone. When the
reverted sync was the last commit, the store's state and cursor go back to what they
were, so syncs staged before it are no longer stale.

Conflicts are judged per record and in commit order, never by sync ids: a record the
sync changed conflicts when a sync whose changes were applied after it (and stand) changed
it again, or when it is no longer as the sync left it (apply.mismatches, "after" side).
"""

from __future__ import annotations

from . import clock, history
from .apply import apply_actions, invert, mismatches, refuse
from .errors import RosterError
from .lifecycle import SyncStatus
from .model import TABLES
from .store import META_TABLE, SYNCS_TABLE


def next_commit_seq(data: dict) -> int:
    """The next number in commit order (sync ids are in staging order, not commit order)."""
    meta = data[META_TABLE]["1"]
    meta["commit_seq"] = meta.get("commit_seq", 0) + 1
    return meta["commit_seq"]


def _commit_order(doc: dict) -> tuple:
    return (doc["commit_seq"], doc["committed_at"] or "", doc["id"])


def applied_after(data: dict, doc: dict) -> list[dict]:
    """The syncs (not reverts) whose changes are in effect now and were last applied
    after `doc` was committed: a sync reverted since is not, a sync redone since is, as of
    its redo. A revert of a later sync thus never stands in the way of undoing an
    earlier one, whatever the order of ids."""
    syncs = data[SYNCS_TABLE]
    after = _commit_order(doc)
    out = []
    for original in syncs.values():
        if original["mode"] == "revert" or original["status"] not in APPLIED:
            continue
        last = _last_applied(syncs, original)
        if last is not None and _commit_order(last) > after:
            out.append(original)
    return out


APPLIED = (SyncStatus.COMMITTED, SyncStatus.REVERTED)


def _last_applied(syncs: dict, original: dict) -> dict | None:
    """The sync that last applied `original`'s changes (itself, or a redo), or None when
    they are undone now. Walks revert, redo, revert... as far as it goes."""
    applied = original
    while applied["status"] == SyncStatus.REVERTED:
        undo = syncs[str(applied["reverted_by"])]
        if undo["status"] != SyncStatus.REVERTED:
            return None  # the undo stands
        applied = syncs[str(undo["reverted_by"])]  # redone
    return applied


DONE = {"revert": "reverted", "redo": "redone"}


def conflict_error(sid: int, clashing: list[str], verb: str) -> RosterError:
    return refuse(f"sync {sid} cannot be {DONE[verb]}: since then, something else changed",
                  clashing, f"{verb} with --force to put back its before-values anyway")


def inverse_plan(data: dict, plan: dict) -> dict:
    """The plan that undoes the applied actions of `plan`, as the store is now. Terms and
    courses that a later sync refreshed again are left as they are now: every sync
    refreshes them, so they are never a conflict, and never put back over newer data."""
    applied = [a for a in plan["actions"] if a["enabled"]]
    newer = set(mismatches(data, plan["reference"], side="after"))
    reference = [a for a in plan["reference"] if a["id"] not in newer]
    return {"actions": _inverse(data, applied), "reference": _inverse(data, reference),
            "warnings": [], "cursor": None, "district": None, "rules": []}


def record(data: dict, doc: dict, undo_plan: dict, started: str, exact: bool) -> dict:
    """Apply the inverse plan to `data` and record it: the revert's new sync record.

    `exact`: nothing had changed the sync's records since (not forced over conflicts).
    Only then, and only if `doc` was itself exact, does the store claim again the state
    `doc` was staged on: a forced revert leaves a store no sync was staged on."""
    inverse = undo_plan["actions"]
    undo = history.new_sync(data, mode="revert", trigger="manual", source=doc["source"],
                            started_at=started)
    meta = data[META_TABLE]["1"]
    undo.update(base_state=meta["state"], cursor_before=meta["cursor"],
                commit_seq=next_commit_seq(data), exact=exact)
    apply_actions(data, inverse + undo_plan["reference"])
    if exact and doc["exact"] and meta["state"] == f"sync-{doc['id']}":
        meta["state"] = doc["base_state"]  # exactly the store it was staged on, again
        meta["cursor"] = doc["cursor_before"]
    else:
        meta["state"] = f"sync-{undo['id']}"
    now = clock.stamp()
    undo.update(status=SyncStatus.COMMITTED.value, finished_at=now, committed_at=now,
                reverts=doc["id"], counts=history.counts(inverse), enabled=len(inverse),
                disabled_ids=[])
    doc.update(status=SyncStatus.REVERTED.value, reverted_by=undo["id"])
    return undo


def _inverse(data: dict, actions: list[dict]) -> list[dict]:
    docs: dict[str, dict[str, dict]] = {}
    out = []
    for action in reversed(actions):
        table = TABLES[action["type"]]
        if table not in docs:
            docs[table] = {d["source_id"]: d for d in data[table].values()}
        current = docs[table].get(action["source_id"])
        if action["kind"] == "add" and current is None:
            continue  # forced over a later change: the record it added is gone already
        out.append(invert(action, current))
    return out
