"""The store file through TinyDB's own extension point: a `tinydb.storages.Storage`.

    from tinydb import TinyDB
    from rostertui.store import Store
    from rostertui.tinystore import AtomicJSONStorage

    with Store(path).locked("my script"):        # while rostertui may run: take its lock
        db = TinyDB(path, storage=AtomicJSONStorage)
        db.table("sections").update({"notes": "room 12"}, doc_ids=[3])

It reads the whole file with orjson (the cycle collector paused while it builds the
documents) and writes it whole and atomically (rostertui.files.atomic_write: a temp file,
fsync, the previous file kept as `<name>.bak`, an atomic rename; the file 0600). TinyDB's
default JSONStorage rewrites the file in place instead: a crash leaves it broken. Plain
`TinyDB(path)` still opens the file.

The storage takes no lock of its own: TinyDB reads before it writes, so only a lock held
around both (Store.locked, as the engine holds it) keeps another writer out between them.
The engine reads and writes through it once per command (store.Store), not per call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from .files import atomic_write
from .gcpause import gc_paused


def backup_of(path: Path) -> Path:
    """Where the previous version of the file is kept: `<name>.bak` beside it."""
    return path.with_name(path.name + ".bak")


class AtomicJSONStorage(Storage):
    def __init__(self, path: str | Path, backup: Path | None = None):
        super().__init__()
        self.path = Path(path)
        self.backup = backup_of(self.path) if backup is None else backup

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The whole file, or None when there is none yet (TinyDB: an empty database).
        Raises orjson.JSONDecodeError, or OSError, when it cannot be read as JSON."""
        try:
            payload = self.path.read_bytes()
        except FileNotFoundError:
            return None
        with gc_paused():
            data: dict[str, dict[str, Any]] = orjson.loads(payload)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the file with `data`, keeping the previous file as the backup."""
        self.write_bytes(orjson.dumps(data))

    def write_bytes(self, payload: bytes) -> None:
        """`write` of data serialised beforehand (the engine serialises the store while
        the sync's plan is still being written)."""
        atomic_write(self.path, payload, backup=self.backup)
