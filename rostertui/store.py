"""The store: one TinyDB-format JSON file, written whole and atomically, under a lock.

The file is read and written through tinystore.AtomicJSONStorage, a TinyDB storage
(orjson; a temp file, fsync, the previous file kept as `<name>.bak`, `os.replace`). TinyDB's
per-call API costs a whole-table pass per call, so the engine does not go through TinyDB:
it reads the file once, changes the data in memory, and writes it once. Plain
`TinyDB(path)` still opens the file.

Each store has an identity (`meta.store_id`), kept from its first write, that its plans
name. A store file of the wrong shape is an error, never an empty store, and so is a
missing store file beside its backup or plans: `rostertui restore` puts the backup back.
Staged plans live beside it in `<stem>.plans/` (plans.py), and its index, derived files
the dashboard reads instead of parsing the store, in `<stem>.index/` (store_index.py):
every write here writes it too, and `view` rebuilds it when missing or stale.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import Any

import orjson

from . import clock, files
from .errors import RosterError
from .files import atomic_write
from .gcpause import gc_paused
from .invariants import (
    META_TABLE,
    SYNCS_TABLE,
    BrokenStoreError,
    meta_of,
    require,
    syncs_of,
    vouch,
    vouched,
)
from .invocation import command
from .lock import StoreLock
from .model import ALL_TYPES, TABLES
from .plans import PlanFiles
from .records import META_FIELDS, SYNC_FIELDS, StoreData, with_defaults
from .store_index import (
    DataView,
    FileView,
    StoreIndex,
    StoreView,
    rebuild_in_child,
    version_of,
)
from .tinystore import AtomicJSONStorage, backup_of, dumps_chunked, loads_chunked, read_payload

__all__ = ["META_TABLE", "SYNCS_TABLE", "Store", "Version", "empty_data", "meta_of", "syncs_of"]

Version = tuple[int, int, int]  # the store file's (inode, mtime_ns, size)


def empty_data() -> StoreData:
    """A new store. Its meta's `state` names the commit that made the store what it is (a
    plan staged on another state is stale); `store_id` is its identity, which its plans
    name."""
    data: StoreData = {TABLES[t]: {} for t in ALL_TYPES}
    data[SYNCS_TABLE] = {}
    data[META_TABLE] = {"1": with_defaults({"store_id": uuid.uuid4().hex}, META_FIELDS)}
    return data


def _fill_in(raw: dict[str, dict[str, Any]]) -> None:
    meta = raw.get(META_TABLE)
    if isinstance(meta, dict) and isinstance(meta.get("1"), dict):
        meta["1"] = with_defaults(meta["1"], META_FIELDS)
    syncs = raw.get(SYNCS_TABLE)
    if isinstance(syncs, dict):
        for key, doc in syncs.items():
            if isinstance(doc, dict):
                syncs[key] = with_defaults(doc, SYNC_FIELDS)


INDEX_GRACE = 3.0  # seconds a stale index is waited for before it is rebuilt
REBUILDS = 3  # rebuilds tried while the store keeps changing under them


class MissingStoreError(RosterError):
    """The store file is gone while its backup or plans are there."""


class Store:
    def __init__(self, path: Path):
        self.path = files.resolve_store_path(Path(path))
        self.backup = backup_of(self.path)
        self._storage = AtomicJSONStorage(self.path, self.backup)
        self.plans = PlanFiles(self.path.with_name(self.path.stem + ".plans"))
        self.index = StoreIndex(self.path)
        self._lock = StoreLock(self.path)

    # -- the whole file --------------------------------------------------------------

    def load(self) -> StoreData:
        """The whole store as {table: {doc_id: doc}}. No file at all (and no backup or
        plans) is a new, empty store; a file of the wrong shape is an error."""
        if not self.path.exists():
            self._refuse_fresh_start()
            return empty_data()
        return self._parse(self.path)

    def _parse(self, path: Path) -> StoreData:
        try:
            read = read_payload(path)
            raw = None if read is None else self._decode(path, *read)
        except orjson.JSONDecodeError as exc:
            hint = "" if path == self.backup else f"; {self._restore_hint()}"
            raise RosterError(f"{path}: the store is not valid JSON ({exc}){hint}") from None
        except OSError as exc:
            raise RosterError(f"{path}: cannot read the store ({exc.strerror})") from None
        if read is None or raw is None:  # removed since it was looked for
            raise RosterError(f"{path}: cannot read the store (No such file or directory)")
        if isinstance(raw, dict):
            _fill_in(raw)  # fields a store written by an older rostertui lacks
        try:  # a checked write's file is checked; a backup is never vouched for
            if path != self.path or not vouched(path, read[0], version_of(read[1])):
                require(raw, str(path))
        except BrokenStoreError as exc:
            hint = "" if path == self.backup else f"; {self._restore_hint()}"
            raise BrokenStoreError(f"{exc}{hint}") from None
        data = empty_data()
        identity = meta_of(data)["store_id"]
        data.update(raw)
        meta = meta_of(data)
        meta["store_id"] = meta["store_id"] or identity
        return data

    def _decode(self, path: Path, payload: bytes,
                st: os.stat_result) -> dict[str, dict[str, Any]] | None:
        """The file's bytes parsed. A chunk at a time when the index says where this very
        file's records lie, so that a worker thread reading it never holds the GIL for
        long (the whole file is one C call of a second or two)."""
        layout = self.index.layout(version_of(st)) if path == self.path else None
        with gc_paused():
            if layout is not None:
                with suppress(ValueError):  # a layout that does not fit: parsed whole
                    return loads_chunked(payload, layout)
            whole: dict[str, dict[str, Any]] = orjson.loads(payload)
            return whole

    def _refuse_fresh_start(self) -> None:
        if self.backup.exists() or self.plans.any():
            found = self.backup if self.backup.exists() else self.plans.folder
            raise MissingStoreError(f"{self.path} is missing, but {found} is there: starting "
                                    f"an empty store would lose its history; "
                                    f"{self._restore_hint()}")

    def _restore_hint(self) -> str:
        if not self.backup.exists():
            return "no backup is there to restore"
        return (f"restore the previous version with: {command('restore')} "
                f"(or: cp {self.backup} {self.path})")

    def version(self) -> Version | None:
        """Changes whenever the file is replaced: reload only when it differs."""
        try:
            st = self.path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def write(self, data: StoreData) -> None:
        """Replace the store with `data`, refused (the file unchanged) if `data` breaks an
        invariant."""
        require(data, f"refusing to write {self.path}", shapes=False)
        payload, layout = dumps_chunked(data)  # while the sync's plan may still be written
        with gc_paused(), ThreadPoolExecutor(1, "store-index") as pool:
            # the lists are built while the store is written and synced to disk
            lists = pool.submit(self.index.write_lists, data, payload, layout)
            self.plans.settle()  # the plan this store refers to is on disk before the store
            self._storage.write_bytes(payload)
            self.index.write_head(data, layout, self.version(), lists.result())
        vouch(self.path, self.version(), payload)  # checked: the next load need not be

    # -- its index ---------------------------------------------------------------------

    def view(self) -> StoreView:
        """The store as the dashboard reads it, never parsed whole in this process: its
        index (store_index.py). A stale one is waited for a moment (a writer replaces the
        store, then writes its index), then rebuilt in a child process. Read here only
        as a last resort: a store with no file yet, or an index that cannot be written
        (a read-only folder, a full disk) or that the store keeps outrunning."""
        view = self._await_index()
        for _ in range(REBUILDS):
            if view is not None or not self.path.exists():
                break
            before = self.version()
            rebuild_in_child(self.path)
            view = self.index.open()
            if view is None and self.version() == before:
                break  # the store stayed as it was, yet no index: it cannot be written
        return view or DataView(self.load())

    def _await_index(self) -> FileView | None:
        """The index, given INDEX_GRACE seconds to become fresh if one is there: a writer
        replaces the store first and writes the index's head just after."""
        deadline = time.monotonic() + INDEX_GRACE
        while (view := self.index.open()) is None and self.index.present() and \
                self.path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return view

    def reindex(self) -> None:
        """Index the store file as it is (the child process of `view` runs this). Records
        are read from the store's own bytes when rostertui laid them out; a file written
        otherwise gets its records laid out again, in the index's folder."""
        read = read_payload(self.path)
        if read is None:
            raise RosterError(f"{self.path}: cannot read the store (No such file or directory)")
        payload, st = read
        data = self.load()
        version = version_of(st)
        if self.version() != version:
            return  # replaced meanwhile: its writer indexes it, or the next reader does
        with gc_paused():
            chunked, layout = dumps_chunked(data)
            if chunked == payload:  # laid out by rostertui: its records are read in place
                self.index.write_head(data, layout, version,
                                      self.index.write_lists(data, chunked, layout, reuse=False))
            else:
                self.index.write_mirror(data, chunked, layout, version)

    def restore(self, force: bool = False) -> str:
        """Put `<store>.bak` back as the store; a readable store is replaced only with
        `force`, and is kept beside it. Returns what was done, in one line."""
        if not self.backup.exists():
            raise RosterError(f"there is no backup to restore ({self.backup} is missing)")
        self._parse(self.backup)  # a broken backup is refused, not put back
        kept = ""
        if self.path.exists():
            if not force and self._readable():
                raise RosterError(f"{self.path} is a sound store; restoring would replace "
                                  "its latest version: add --force to do it anyway")
            aside = self.path.with_name(f"{self.path.name}.replaced-{clock.stamp()}")
            os.replace(self.path, aside)
            kept = f"; the store it replaced is kept as {aside}"
        atomic_write(self.path, self.backup.read_bytes())
        return f"restored {self.path} from {self.backup}{kept}"

    def _readable(self) -> bool:
        try:
            self._parse(self.path)
        except RosterError:
            return False
        return True

    # -- the lock --------------------------------------------------------------------

    def locked(self, purpose: str, wait: float = 2.0) -> AbstractContextManager[None]:
        """Hold the store's lock; a second holder gets BusyError naming the first. Temp
        files of writers killed mid-write are swept once it is held."""
        return self._lock.held(purpose, wait, on_acquire=self._sweep)

    def _sweep(self) -> None:
        """Remove temp files of writers that were killed mid-write: with the lock held,
        no live writer owns one."""
        for name in (self.path.name, self.backup.name):
            for tmp in self.path.parent.glob(f".{name}.*.tmp"):
                tmp.unlink(missing_ok=True)
