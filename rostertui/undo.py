"""Undo: revert a committed sync with the before-values its plan recorded.

The revert is itself a sync (mode "revert"), so it shows in the history and can be
reverted in turn. When the reverted sync was the last commit, the store's state and
cursor go back to what they were, so the original plan can be committed again and
gives exactly the same store.
"""

from __future__ import annotations

from . import clock, history
from .apply import apply_actions, invert
from .errors import RosterError
from .model import TABLES
from .store import META_TABLE, SYNCS_TABLE

LISTED = 20


def conflicts(data: dict, doc: dict, applied: list[dict], plans) -> list[str]:
    """Ids of the records this sync changed that a later committed sync changed again."""
    mine = {a["id"] for a in applied}
    later = [d for d in data[SYNCS_TABLE].values()
             if d["id"] > doc["id"] and d["status"] == "committed"]
    touched: set[str] = set()
    for other in later:
        touched.update(a["id"] for a in plans(other["id"]) if a["enabled"])
    return sorted(mine & touched)


def check_revertible(doc: dict) -> None:
    if doc["status"] != "committed":
        raise RosterError(f"sync {doc['id']} is {doc['status']}; only a committed sync "
                          "can be reverted")


def refuse(doc: dict, clashing: list[str]) -> RosterError:
    shown = ", ".join(clashing[:LISTED])
    more = f" and {len(clashing) - LISTED} more" if len(clashing) > LISTED else ""
    return RosterError(f"sync {doc['id']} cannot be reverted: later syncs changed "
                       f"{len(clashing)} of its records ({shown}{more}); "
                       f"revert with --force to put back its before-values anyway")


def revert(data: dict, doc: dict, plan: dict, started: str) -> tuple[dict, dict]:
    """Apply the inverse of the sync's applied actions to `data`; the new sync and plan."""
    applied = [a for a in plan["actions"] if a["enabled"]]
    inverse = _inverse(data, applied)
    inverse_ref = _inverse(data, plan["reference"])
    undo = history.new_sync(data, mode="revert", trigger="manual", source=doc["source"],
                            started_at=started)
    undo_plan = {"actions": inverse, "reference": inverse_ref, "warnings": [],
                 "cursor": None, "district": None, "rules": []}
    apply_actions(data, inverse + inverse_ref)
    meta = data[META_TABLE]["1"]
    if meta["state"] == f"sync-{doc['id']}":
        meta["state"] = doc["base_state"]
        meta["cursor"] = doc.get("cursor_before", meta["cursor"])
    else:
        meta["state"] = f"sync-{undo['id']}"
    now = clock.stamp()
    undo.update(status="committed", finished_at=now, committed_at=now, reverts=doc["id"],
                counts=history.counts(inverse), enabled=len(inverse))
    doc.update(status="reverted", reverted_by=undo["id"])
    return undo, undo_plan


def _inverse(data: dict, actions: list[dict]) -> list[dict]:
    docs: dict[str, dict[str, dict]] = {}
    out = []
    for action in reversed(actions):
        table = TABLES[action["type"]]
        if table not in docs:
            docs[table] = {d["source_id"]: d for d in data[table].values()}
        out.append(invert(action, docs[table].get(action["source_id"])))
    return out
