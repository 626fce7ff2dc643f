"""A sync's lifecycle: its states, and the only transitions between them.

    staged <-> blocked --commit--> committed --revert--> reverted
       |          |
       +----------+--discard--> discarded
    (a fetch that fails is recorded as failed; a sync that finds nothing to change is
    recorded as discarded at once, with the note "no changes")

Only a pending (staged or blocked) sync can be toggled, committed or discarded. A
committed, reverted, discarded or failed sync never changes again, except that a
committed one becomes reverted when a revert undoes it. Redo of a reverted sync is a
revert of its revert, recorded as a new sync. The engine asks `require` under the store's
lock before every change; the CLI and the dashboard ask `allowed` to offer only what may
be done.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import RosterError
from .invocation import command
from .records import SyncRecord


class SyncStatus(StrEnum):
    STAGED = "staged"
    BLOCKED = "blocked"
    COMMITTED = "committed"
    REVERTED = "reverted"
    DISCARDED = "discarded"
    FAILED = "failed"


PENDING = frozenset({SyncStatus.STAGED, SyncStatus.BLOCKED})
KNOWN: frozenset[str] = frozenset(s.value for s in SyncStatus)

# verb -> the states it may start from
_FROM: dict[str, frozenset[SyncStatus]] = {
    "toggle": PENDING,
    "commit": PENDING,
    "discard": PENDING,
    "revert": frozenset({SyncStatus.COMMITTED}),
    "redo": frozenset({SyncStatus.REVERTED}),
}


class LifecycleError(RosterError):
    """A transition the sync's state does not allow."""


def pending(doc: SyncRecord) -> bool:
    return doc["status"] in PENDING


def allowed(doc: SyncRecord, verb: str) -> bool:
    return doc["status"] in _FROM[verb]


def require(doc: SyncRecord, verb: str) -> None:
    """Raise LifecycleError, one line saying what to do instead, unless `verb` is allowed."""
    if not allowed(doc, verb):
        raise LifecycleError(refusal(doc, verb))


def refusal(doc: SyncRecord, verb: str) -> str:
    sid, status = doc["id"], doc["status"]
    head = f"sync {sid} is {status}"
    if verb == "redo" and status == SyncStatus.COMMITTED:
        return f"{head}, not reverted; there is nothing to redo"
    if status == SyncStatus.REVERTED:
        by = doc.get("reverted_by")
        if verb == "revert":
            return f"{head} already (by sync {by})"
        return (f"{head} (by sync {by}); to apply it again, redo it: "
                f"{command(f'redo {sid}')}, or u in History")
    if status == SyncStatus.COMMITTED:
        return f"{head}; to undo it, revert it: {command(f'revert {sid}')}, or u in History"
    if status in PENDING and verb == "redo":
        return f"{head}; only a reverted sync can be redone"
    if status in PENDING:
        return f"{head}; only a committed sync can be reverted: commit it or discard it"
    return f"{head} and can no longer change; stage a new one with: {command('sync')}"
