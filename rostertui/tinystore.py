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

The engine serialises the store a chunk of CHUNK records at a time (`dumps_chunked`: the
very bytes orjson.dumps gives) and notes where each chunk lies, in the store's index
(store_index.py): a record is then parsed alone, and the whole file a chunk at a time,
so no call holds the GIL for long (one whole parse of 126 MB holds it for a second or
two). Writes through this storage make no index; the next reader rebuilds it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from .files import atomic_write
from .gcpause import gc_paused

CHUNK = 512  # records per chunk: a chunk parses in a millisecond or two

Span = tuple[int, int]  # [start, end) in the file's bytes
# Where each table's records lie, table by table in file order: the spans of its chunks.
# Each span is the inside of a JSON object, `"1":{...},"2":{...}`, of at most CHUNK records.
Layout = dict[str, list[Span]]


def dumps_chunked(data: dict[str, dict[str, Any]]) -> tuple[bytearray, Layout]:
    """`orjson.dumps(data)`, byte for byte, serialised CHUNK records at a time, and where
    each chunk lies. No one call holds the GIL for long (one whole dumps of a
    100,000-student store holds it for half a second), and a chunk can be parsed alone
    (`load_chunk`): a record is read without parsing the file. The chunks go into one
    growing buffer rather than pieces joined at the end, which would hold the file twice
    (1.27 GB more at a million students, at the sync's peak)."""
    out = bytearray(b"{")
    layout: Layout = {}
    for n, (name, table) in enumerate(data.items()):
        out += b"%s%s:{" % (b"," if n else b"", orjson.dumps(name))
        spans = layout[name] = []
        for k, chunk in enumerate(_chunks(table)):
            if k:
                out += b","
            start = len(out)
            out += memoryview(orjson.dumps(chunk))[1:-1]
            spans.append((start, len(out)))
        out += b"}"
    out += b"}"
    return out, layout


def _chunks(table: dict[str, Any]) -> Iterator[dict[str, Any]]:
    items = iter(table.items())
    while chunk := dict(islice(items, CHUNK)):
        yield chunk


def load_chunk(payload: bytes | memoryview) -> dict[str, Any]:
    """The records of one chunk (`dumps_chunked`'s span of a file), by doc id."""
    chunk: dict[str, Any] = orjson.loads(b"{%s}" % payload)
    return chunk


def loads_chunked(payload: bytes, layout: Layout) -> dict[str, dict[str, Any]]:
    """`orjson.loads(payload)`, a chunk at a time, for a file `dumps_chunked` wrote with
    `layout`: the same tables in the same order, no call holding the GIL for long.
    ValueError if `layout` does not tile `payload` exactly as dumps_chunked lays it out
    (then nothing is read through it)."""
    _require_tiling(payload, layout)
    view = memoryview(payload)
    data: dict[str, dict[str, Any]] = {}
    for name, spans in layout.items():
        table = data[name] = {}
        for start, end in spans:
            table.update(load_chunk(view[start:end]))
    return data


def _require_tiling(payload: bytes, layout: Layout) -> None:
    """Every byte outside the chunks is the punctuation dumps_chunked puts there: then
    parsing the chunks one by one is parsing the file."""
    at = 0

    def expect(text: bytes) -> None:
        nonlocal at
        if not payload.startswith(text, at):
            raise ValueError(f"the layout does not fit the file at byte {at}")
        at += len(text)

    expect(b"{")
    for n, (name, spans) in enumerate(layout.items()):
        expect(b"%s%s:{" % (b"," if n else b"", orjson.dumps(name)))
        for k, (start, end) in enumerate(spans):
            expect(b"," if k else b"")
            if start != at or end < start:
                raise ValueError(f"the layout does not fit the file at byte {at}")
            at = end
        expect(b"}")
    expect(b"}")
    if at != len(payload):
        raise ValueError(f"the layout ends at byte {at} of {len(payload)}")


def read_payload(path: Path) -> tuple[bytes, os.stat_result] | None:
    """The file's bytes and its stat, from one descriptor (so the stat is that of these
    very bytes); None when there is no file."""
    try:
        with open(path, "rb", buffering=0) as fh:
            return fh.read(), os.fstat(fh.fileno())
    except FileNotFoundError:
        return None


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
        read = read_payload(self.path)
        if read is None:
            return None
        payload, _ = read
        with gc_paused():
            data: dict[str, dict[str, Any]] = orjson.loads(payload)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the file with `data`, keeping the previous file as the backup."""
        self.write_bytes(orjson.dumps(data))

    def write_bytes(self, payload: bytes | bytearray) -> None:
        """`write` of data serialised beforehand (the engine serialises the store while
        the sync's plan is still being written)."""
        atomic_write(self.path, payload, backup=self.backup)
