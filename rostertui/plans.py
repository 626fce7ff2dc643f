"""Plan files: a staged sync's actions beside the store, bound to their sync and store.

`<stem>.plans/sync-N.json` holds a sync's actions (large, written once) and
`sync-N.toggles.jsonl` the admin's ticks and unticks (one checked line per toggle, so a
checkbox never rewrites the store).

A plan is bound to its sync by the digest (sha256 of the file's bytes) that the sync's
record in the store keeps, and names the store's identity, its sync id and its base
state. A plan edited by hand, copied from another store, or left behind by a sync that
was killed before its store write fails that check: it is never read as a plan.

A toggle line is `<crc32 hex> <json>`, names the plan digest it belongs to, and is
fsynced before the call returns. A torn or garbage line (a full disk, a kill mid-write)
is ignored and never merges with the next: an append after a torn tail starts on a new
line.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import orjson

from . import files, plan_index
from .errors import RosterError
from .files import atomic_write
from .gcpause import gc_paused
from .lifecycle import PENDING
from .model import ACTION_TYPES, REFERENCE_TYPES
from .records import Plan, SyncRecord

SYNC_KINDS = frozenset({"add", "update", "archive", "reactivate"})
REVERT_KINDS = SYNC_KINDS | {"remove"}


class PlanError(RosterError):
    """A plan file that is not the plan its sync recorded."""


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


class PlanFiles:
    def __init__(self, folder: Path):
        self.folder = folder
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        self._settling = threading.Lock()

    def path(self, sync_id: int) -> Path:
        return self.folder / f"sync-{sync_id}.json"

    def toggle_log(self, sync_id: int) -> Path:
        return self.folder / f"sync-{sync_id}.toggles.jsonl"

    def any(self) -> bool:
        """Whether the folder holds any plan (a store that had syncs)."""
        return self.folder.is_dir() and any(self.folder.glob("sync-*.json"))

    # -- writing -----------------------------------------------------------------------

    def write(self, doc: SyncRecord, plan: Plan, store_id: str) -> None:
        """Bind the plan to `doc` and the store, record its digest in `doc`, and write it.

        The write and fsync (a second or so at district scale) go on in a thread while
        the caller applies the plan; `settle` waits for it, and every read and the store's
        write settle first, so the store never names a plan that is not on disk."""
        self.settle()
        files.private_dir(self.folder, own=True)
        plan.update({"store_id": store_id, "sync_id": doc["id"], "base_state": doc["base_state"]})
        payload = orjson.dumps(plan)
        doc["plan_digest"] = plan_digest = digest(payload)
        path, toggles = self.path(doc["id"]), self.toggle_log(doc["id"])

        def write() -> None:
            nonlocal payload
            try:
                toggles.unlink(missing_ok=True)  # a killed sync's, never this plan's
                atomic_write(path, payload)
                spans = plan_index.located(payload, plan["actions"])
                # written and located: its bytes (1.5 GB at a million students) are let
                # go before the index is built
                payload = b""
                plan_index.write(path, plan, plan_digest, spans)  # derived: never fails
            except BaseException as exc:  # handed to the caller by settle()
                self._error = exc

        self._writer = threading.Thread(target=write, name="plan-writer")
        self._writer.start()

    def settle(self) -> None:
        """Wait for a plan being written; raise its error, if it had one."""
        if self._writer is None:
            return
        with self._settling:  # the dashboard's workers share the store
            writer, error = self._writer, None
            if writer is not None:
                writer.join()
                self._writer = None
                error, self._error = self._error, None
        if error is not None:
            raise error

    # -- reading -----------------------------------------------------------------------

    def read(self, doc: SyncRecord, store_id: str) -> Plan:
        """The plan `doc` recorded, checked, with each action's `enabled` as reviewed: the
        toggle log while the sync is pending, the ids the commit left out once it is not."""
        self.settle()
        sid = doc["id"]
        expected = doc.get("plan_digest")
        if not expected:
            raise RosterError(f"sync {sid} has no actions ({doc['status']} before any "
                              "were staged)")
        path = self.path(sid)
        try:
            payload = path.read_bytes()
        except FileNotFoundError:
            raise PlanError(f"sync {sid} has no actions on disk ({path} is missing)") from None
        if digest(payload) != expected:
            raise PlanError(f"{path} is not the plan sync {sid} staged (it was changed or "
                            "replaced); discard the sync and stage again")
        with gc_paused():
            raw = orjson.loads(payload)
        check_plan(raw, doc, store_id, path)
        plan = cast(Plan, raw)  # JSON whose shape check_plan has just checked
        disabled = self.disabled(doc)
        for action in plan["actions"]:
            action["enabled"] = action["id"] not in disabled
        return plan

    def disabled(self, doc: SyncRecord) -> set[str]:
        """The ids of `doc`'s unticked actions: the toggle log's while the sync is pending,
        the ids the commit left out once it is not."""
        if doc["status"] in PENDING:
            return self.disabled_ids(doc["id"], doc["plan_digest"] or "")
        return set(doc.get("disabled_ids") or ())

    # -- toggles -----------------------------------------------------------------------

    def record_toggle(self, sync_id: int, plan_digest: str, action_ids: list[str],
                      enabled: bool) -> None:
        """Append one checked line, on a line of its own, synced before returning."""
        body = orjson.dumps({"plan": plan_digest, "ids": list(action_ids), "enabled": enabled})
        line = b"%08x %s\n" % (zlib.crc32(body), body)
        files.append_line(self.toggle_log(sync_id), line)  # a torn tail stays its own line

    def disabled_ids(self, sync_id: int, plan_digest: str) -> set[str]:
        disabled: set[str] = set()
        try:
            lines = self.toggle_log(sync_id).read_bytes().splitlines()
        except FileNotFoundError:
            return disabled
        for entry in filter(None, (_entry(line, plan_digest) for line in lines)):
            ids, enabled = entry
            if enabled:
                disabled.difference_update(ids)
            else:
                disabled.update(ids)
        return disabled


def _entry(line: bytes, plan_digest: str) -> tuple[list[str], bool] | None:
    """A toggle line's (ids, enabled), or None for a torn, garbage or foreign line."""
    crc, _, body = line.partition(b" ")
    try:
        if int(crc, 16) != zlib.crc32(body) or len(crc) != 8:
            return None
        entry = orjson.loads(body)
    except (ValueError, orjson.JSONDecodeError):
        return None
    if not isinstance(entry, dict) or entry.get("plan") != plan_digest:
        return None
    ids, enabled = entry.get("ids"), entry.get("enabled")
    if not isinstance(enabled, bool) or not isinstance(ids, list) \
            or not all(isinstance(i, str) for i in ids):
        return None
    return ids, enabled


# -- the plan's shape ------------------------------------------------------------------

def check_plan(plan: object, doc: SyncRecord, store_id: str, path: Path) -> None:
    """The binding (store, sync, base state) and every action's shape and kind."""
    sid = doc["id"]
    if not isinstance(plan, dict) or not isinstance(plan.get("actions"), list) \
            or not isinstance(plan.get("reference"), list):
        raise PlanError(f"{path}: not a plan (no list of actions)")
    if plan.get("store_id") != store_id:
        raise PlanError(f"{path} belongs to another store; stage the sync again here")
    if plan.get("sync_id") != sid or plan.get("base_state") != doc.get("base_state"):
        raise PlanError(f"{path} is not the plan of sync {sid} as staged")
    kinds = REVERT_KINDS if doc.get("mode") == "revert" else SYNC_KINDS
    _check_actions(plan["actions"], ACTION_TYPES, kinds, path)
    _check_actions(plan["reference"], REFERENCE_TYPES, kinds, path)


def _check_actions(actions: Iterable[object], types: tuple[str, ...], kinds: frozenset[str],
                   path: Path) -> None:
    seen: set[str] = set()
    for n, action in enumerate(actions, 1):
        problem = _action_problem(action, types, kinds)
        if problem is None and isinstance(action, dict):  # no problem: it is a dict
            if action["id"] not in seen:
                seen.add(action["id"])
                continue
            problem = "repeats an action id"
        ident = action.get("id") if isinstance(action, dict) else None
        raise PlanError(f"{path}: action {n}"
                        + (f" ({ident!r})" if isinstance(ident, str) else "")
                        + f" {problem}; discard the sync and stage again")


def _action_problem(action: object, types: tuple[str, ...],
                    kinds: frozenset[str]) -> str | None:
    if not isinstance(action, dict):
        return "is not an action"
    kind, type_, sid = action.get("kind"), action.get("type"), action.get("source_id")
    if type_ not in types:
        return f"has unknown type {type_!r}"
    if kind not in kinds:
        return f"has kind {kind!r}, which this plan may not hold"
    if not isinstance(sid, str) or not sid or action.get("id") != f"{type_}:{sid}":
        return "has no proper source id"
    if kind in ("add", "remove") and not isinstance(action.get("record"), dict):
        return f"is an {kind} without its record"
    changes = action.get("changes", {})
    if not isinstance(changes, dict) or not all(
            isinstance(v, list) and len(v) == 2 for v in changes.values()):
        return "has changes of the wrong shape"
    link = action.get("link")
    if link is not None and not (isinstance(link, dict) and isinstance(link.get("from"), str)):
        return "has a link of the wrong shape"
    return None
