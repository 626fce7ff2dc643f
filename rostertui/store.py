"""The store: one TinyDB-format JSON file, written whole and atomically, under a lock.

TinyDB's own storage rewrites the file in place (a crash leaves it broken) and its
per-call API costs a whole-table pass per call. So the engine reads the file once with
orjson, changes the data in memory, and writes it once: temp file, fsync, the previous
file kept as `<name>.bak`, `os.replace`. Plain `TinyDB(path)` still opens the file.

Staged plans live beside it in `<stem>.plans/`: they are large, written once, and their
checkbox toggles go to an append-only log, so a toggle never rewrites the store.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import orjson

from .bulk import gc_paused
from .files import atomic_write
from .errors import RosterError
from .lock import StoreLock
from .model import ALL_TYPES, TABLES

META_TABLE = "meta"
SYNCS_TABLE = "syncs"
# `state` names the commit that made the store what it is: a plan staged on another
# state is stale. A revert puts back the state it undid.
EMPTY_META = {"state": "empty", "cursor": None, "district": None, "enabled": True,
              "last_commit_started_at": None}


def empty_data() -> dict:
    data = {TABLES[t]: {} for t in ALL_TYPES}
    data[SYNCS_TABLE] = {}
    data[META_TABLE] = {"1": dict(EMPTY_META)}
    return data


class Store:
    def __init__(self, path: Path):
        self._plan_writer: threading.Thread | None = None
        self._plan_error: BaseException | None = None
        self._settling = threading.Lock()
        self.path = Path(path)
        self.backup = self.path.with_name(self.path.name + ".bak")
        self.plans_dir = self.path.with_name(self.path.stem + ".plans")
        self._lock = StoreLock(self.path)

    # -- the whole file --------------------------------------------------------------

    def load(self) -> dict:
        """The whole store as {table: {doc_id: doc}}; an absent file is an empty store."""
        if not self.path.exists():
            return empty_data()
        try:
            with gc_paused():
                raw = orjson.loads(self.path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise RosterError(f"{self.path}: the store is not valid JSON ({exc}); "
                              f"the previous version is in {self.backup.name}") from None
        data = empty_data()
        data.update(raw)
        data[META_TABLE] = {"1": {**EMPTY_META, **raw.get(META_TABLE, {}).get("1", {})}}
        return data

    def version(self) -> tuple | None:
        """Changes whenever the file is replaced: reload only when it differs."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def write(self, data: dict) -> None:
        payload = orjson.dumps(data)
        self._settle()  # the plan this store refers to is on disk before the store
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, payload, backup=self.backup)

    # -- the lock --------------------------------------------------------------------

    def locked(self, purpose: str, wait: float = 2.0):
        """Hold the store's lock; a second holder gets BusyError naming the first. Temp
        files of writers killed mid-write are swept once it is held."""
        return self._lock.held(purpose, wait, on_acquire=self._sweep)

    def _sweep(self) -> None:
        """Remove temp files of writers that were killed mid-write: with the lock held,
        no live writer owns one."""
        for name in (self.path.name, self.backup.name):
            for tmp in self.path.parent.glob(f".{name}.*.tmp"):
                tmp.unlink(missing_ok=True)

    # -- staged plans ----------------------------------------------------------------

    def plan_path(self, sync_id: int) -> Path:
        self._settle()
        return self.plans_dir / f"sync-{sync_id}.json"

    def write_plan(self, sync_id: int, plan: dict) -> None:
        """Serialise the plan now; its write and fsync (a second or so at district scale)
        go on in a thread while the caller applies it. Every method here that reads or
        writes a file waits for that thread first, so the store is only ever written
        after its plan is on disk, and a failed plan write raises from that call."""
        self._settle()
        self.plans_dir.mkdir(parents=True, exist_ok=True)
        payload = orjson.dumps(plan)
        path, toggles = self.plan_path(sync_id), self._toggle_log(sync_id)

        def write() -> None:
            try:
                atomic_write(path, payload)
                toggles.unlink(missing_ok=True)
            except BaseException as exc:  # handed to the caller by _settle
                self._plan_error = exc

        self._plan_writer = threading.Thread(target=write, name="plan-writer")
        self._plan_writer.start()

    def _settle(self) -> None:
        """Wait for a plan being written; raise its error, if it had one."""
        if self._plan_writer is None:
            return
        with self._settling:  # the dashboard's workers share the store
            writer, error = self._plan_writer, None
            if writer is not None:
                writer.join()
                self._plan_writer = None
                error, self._plan_error = self._plan_error, None
        if error is not None:
            raise error

    def read_plan(self, sync_id: int) -> dict:
        path = self.plan_path(sync_id)
        try:
            with gc_paused():
                plan = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise RosterError(f"sync {sync_id} has no actions on disk ({path} is missing)") from None
        disabled = self.disabled_ids(sync_id)
        for action in plan["actions"]:
            action["enabled"] = action["id"] not in disabled
        return plan

    def _toggle_log(self, sync_id: int) -> Path:
        self._settle()
        return self.plans_dir / f"sync-{sync_id}.toggles.jsonl"

    def record_toggle(self, sync_id: int, action_ids: list[str], enabled: bool) -> None:
        """Append one line: cheap at any plan size, and a torn last line is ignored."""
        line = orjson.dumps({"ids": list(action_ids), "enabled": enabled}) + b"\n"
        with open(self._toggle_log(sync_id), "ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def disabled_ids(self, sync_id: int) -> set[str]:
        disabled: set[str] = set()
        try:
            lines = self._toggle_log(sync_id).read_bytes().splitlines()
        except FileNotFoundError:
            return disabled
        for line in lines:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            ids = entry["ids"]
            if entry["enabled"]:
                disabled.difference_update(ids)
            else:
                disabled.update(ids)
        return disabled
