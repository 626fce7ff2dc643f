"""What another process (the CLI, cron, a second dashboard) changed in the store, in words.

The dashboard asks Engine.changed_elsewhere every WATCH_SECONDS (one stat of the store
file) and, when it has changed, reloads and names the syncs that arrived or moved on
by comparing the sync records it had with the ones it now has.
"""

from __future__ import annotations

from rostertui.lifecycle import SyncStatus
from rostertui.records import SyncRecord
from rostertui.text import safe

WATCH_SECONDS = 1.0  # a sync run elsewhere is on screen within about this, plus the reload


def _who(doc: SyncRecord) -> str:
    return "a scheduled run" if doc["trigger"] == "auto" else safe(doc["user"])


def _arrived(doc: SyncRecord) -> str:
    if doc["status"] == SyncStatus.FAILED:
        return f"Sync {doc['id']} by {_who(doc)} failed: {safe(doc['error'] or '')}"
    if doc.get("reverts"):
        return f"Sync {doc['id']} {safe(doc['status'])} by {_who(doc)}: it reverts " \
               f"sync {doc['reverts']}"
    return f"Sync {doc['id']} {safe(doc['status'])} by {_who(doc)}"


def moved_on(before: list[SyncRecord], after: list[SyncRecord]) -> set[int]:
    """The ids of the syncs whose status changed between the two listings."""
    old = {d["id"]: d["status"] for d in before}
    return {d["id"] for d in after if d["id"] in old and old[d["id"]] != d["status"]}


def changes(before: list[SyncRecord], after: list[SyncRecord]) -> list[str]:
    """One line per sync that is new in `after` or whose status moved on since `before`
    (moved_on), oldest first; one general line when only records changed (e.g. local
    fields)."""
    known, moved = {d["id"] for d in before}, moved_on(before, after)
    lines = []
    for doc in reversed(after):
        if doc["id"] not in known:
            lines.append(_arrived(doc))
        elif doc["id"] in moved:
            lines.append(f"Sync {doc['id']} was {safe(doc['status'])} in another session")
    return lines or ["The store was changed in another session"]
