"""The store's index: derived files the dashboard reads instead of parsing the store.

A 100,000-student store is 126 MB of JSON. Parsing it is one C call that holds the GIL
for one to two seconds, so the dashboard froze for that long whichever thread parsed it.
`<stem>.index/`, beside the store, holds what the dashboard shows, in pieces that each
parse in a few milliseconds:
- `head.json`: the stamp of the store file it describes, the store's meta and sync
  records (Status, History), where each table's records lie in the store's bytes
  (tinystore.dumps_chunked: a record is parsed alone, when it is opened) and each type's
  list file;
- `<type>-<digest>.list`: a type's list (lists.py). Named by a digest of the tables it is
  built from, so a write that leaves a table as it was keeps its list file. A header
  line (its counts, per school too, and where each part lies), then parts of PART
  entries, one JSON line each;
- `records-<digest>.json`, only for a store file rostertui did not write (TinyDB's own
  storage, an edit by hand): its records again, laid out as rostertui writes them.

Derived and regenerable: written at every store write (Store.write), and when missing
or stale rebuilt from the store in a child process (rostertui/store_reindex.py), so the
dashboard's process never parses the store whole. Never trusted over the store: used
only while the store file is the one the head names (its mtime and size, taken from the
descriptor its records are then read through, and checked again before each read), a
record read through it must be the one its list names, and a load through its layout
checks the layout fits the file (tinystore.loads_chunked). Deleting it loses nothing.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson

from . import children, files, lists
from .errors import RosterError
from .invariants import META_TABLE, SYNCS_TABLE
from .lists import Row
from .model import ALL_TYPES, TABLES
from .records import Record, StoreData
from .tinystore import CHUNK, Layout, load_chunk

FORMAT = 2
PART = 2_000  # entries per part of a list file: a part parses in a few milliseconds
KEPT_CHUNKS = 16  # record chunks kept parsed per table (each CHUNK records)
STALE_TEMP = 600  # seconds: a temp file this old was left by a writer that was killed

Version = tuple[int, int, int]  # a file's (inode, mtime_ns, size): Store.version
Stamp = tuple[int, int]  # (mtime_ns, size)
Lists = dict[str, str]  # type -> its list file's name
Part = tuple[list[Row], list[int]]  # entries' rows, and each one's place in its table


class StaleIndex(RosterError):
    """The index no longer describes the store (changed in place, or a file of it broken):
    it is removed, and read again from a rebuilt one."""


def version_of(st: os.stat_result) -> Version:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def stamp_of(version: Version) -> Stamp:
    """What the index is stamped with: the store file's mtime and size, not its inode, so
    that a copy keeping times (cp -a, a restored backup of the folder) keeps its index."""
    return (version[1], version[2])


class StoreView(Protocol):
    """One version of the store as the dashboard reads it: its meta and syncs, counts,
    and each type's list a part at a time, with a record read on demand."""

    version: Version | None  # None: a store with no file yet

    def light(self) -> StoreData:
        """The meta and syncs tables (the record tables may be left out)."""
        ...

    def counts(self, type_: str) -> dict[str, int]: ...

    def per_school(self, type_: str) -> dict[str, int]: ...

    def fields(self, type_: str) -> list[str]:
        """The fields of the rows `parts` yields."""
        ...

    def parts(self, type_: str) -> Iterator[Part]: ...

    def record(self, type_: str, position: int) -> Record:
        """The whole record at `position` in its table (file order)."""
        ...


# -- writing -----------------------------------------------------------------------------

class StoreIndex:
    def __init__(self, store_path: Path):
        self.store_path = store_path
        self.folder = store_path.with_name(store_path.stem + ".index")
        self.head_path = self.folder / "head.json"

    def write_lists(self, data: StoreData, payload: bytes | bytearray, layout: Layout,
                    reuse: bool = True) -> Lists | None:
        """Each type's list file for `data`, serialised as `payload` with `layout`: written
        before the store file is replaced (they name no version), so that its head
        follows the store within milliseconds; one already there for the same tables is
        kept, unless not to `reuse` it (a rebuild, after one was found broken). None if
        they cannot be written (a full disk): there is no index then, and the next
        reader rebuilds it."""
        try:
            files.private_dir(self.folder, own=True)
            return {t: self._list(t, data, payload, layout, reuse) for t in ALL_TYPES}
        except Exception:  # a derived file never fails the store write that makes it
            self.remove()
            return None

    def write_head(self, data: StoreData, layout: Layout, version: Version | None,
                   lists: Lists | None, records: str | None = None) -> None:
        """Describe the store file just written, at `version`, with `lists`; `records`:
        the file in the index's folder holding its records, if not the store itself.
        Never fails the write: without a head there is no index, and readers rebuild it."""
        if version is None or lists is None:
            self.remove()
            return
        head = {"format": FORMAT, "chunk": CHUNK, "store": stamp_of(version),
                "records": records, "layout": layout, "lists": lists,
                "meta": data[META_TABLE], "syncs": data[SYNCS_TABLE]}
        try:
            files.atomic_write(self.head_path, orjson.dumps(head))
        except Exception:  # a derived file never fails the store write that makes it
            self.remove()
            return
        self._sweep({*lists.values(), records})

    def write_mirror(self, data: StoreData, payload: bytes | bytearray, layout: Layout,
                     version: Version) -> None:
        """Index a store file rostertui did not lay out (a TinyDB script, an edit): its
        records, serialised as `payload` with `layout`, are kept as the records file."""
        records = f"records-{_digest(memoryview(payload))}.json"
        lists = self.write_lists(data, payload, layout, reuse=False)
        try:
            files.atomic_write(self.folder / records, payload)
        except RosterError:
            lists = None
        self.write_head(data, layout, version, lists, records)

    def _list(self, type_: str, data: StoreData, payload: bytes | bytearray, layout: Layout,
              reuse: bool) -> str:
        """The list file of `type_`, written unless the one of its tables' bytes is there."""
        view = memoryview(payload)
        tables = [TABLES[t] for t in (type_, lists.NAMED_BY.get(type_)) if t]
        spans = [(s[0][0], s[-1][1]) if (s := layout[t]) else (0, 0) for t in tables]
        name = f"{type_}-{_digest(*(view[a:b] for a, b in spans))}.list"
        if not (reuse and (self.folder / name).exists()):
            files.atomic_write(self.folder / name, _list_file(type_, lists.build(type_, data)))
        return name

    def _sweep(self, keep: set[str | None]) -> None:
        """Remove the files no head names any more (a reader has them open if it still
        reads them), and temp files of writers that were killed. Another process may be
        sweeping too: whatever is gone meanwhile is left alone."""
        for path in self.folder.iterdir():
            with suppress(OSError):
                stale = path.name.startswith(".") and path.name.endswith(".tmp") and \
                    time.time() - path.stat().st_mtime > STALE_TEMP
                derived = path.suffix == ".list" or path.name.startswith("records-")
                if stale or (derived and path.name not in keep):
                    path.unlink()

    def remove(self) -> None:
        """Drop the head: whatever it described, the next reader rebuilds the index."""
        with suppress(OSError):
            self.head_path.unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------

    def present(self) -> bool:
        """Whether an index was ever written here (stale or not)."""
        return self.head_path.exists()

    def light(self, version: Version) -> StoreData | None:
        """The meta and syncs tables of the store file at `version`, if the index has it."""
        head = self._head(version)
        return None if head is None else {SYNCS_TABLE: head["syncs"], META_TABLE: head["meta"]}

    def layout(self, version: Version) -> Layout | None:
        """Where the records lie in the store file at `version`, if the index says."""
        head = self._head(version)
        if head is None or head["records"] is not None:
            return None
        layout: Layout = {t: [(s, e) for s, e in spans] for t, spans in head["layout"].items()}
        return layout

    def _head(self, version: Version) -> dict[str, Any] | None:
        """The head, if it describes the store file at `version`."""
        try:
            head: dict[str, Any] = orjson.loads(files.read_private(self.head_path))
        except (RosterError, orjson.JSONDecodeError):
            return None
        fits = isinstance(head, dict) and head.get("format") == FORMAT and \
            head.get("chunk") == CHUNK and head.get("store") == list(stamp_of(version))
        return head if fits else None

    def open(self) -> FileView | None:
        """The index of the store file as it is now; None if missing, stale or unreadable."""
        stack = ExitStack()
        try:
            store = stack.enter_context(open(self.store_path, "rb", buffering=0))
            version = version_of(os.fstat(store.fileno()))
            head = self._head(version)
            if head is None:
                stack.close()
                return None
            listed = {t: _ListFile(stack, self._file(head["lists"][t])) for t in ALL_TYPES}
            records = store if head["records"] is None else stack.enter_context(os.fdopen(
                files.open_private(self._file(head["records"]), os.O_RDONLY), "rb", 0))
        except (OSError, RosterError, orjson.JSONDecodeError, KeyError, TypeError):
            stack.close()
            return None
        return FileView(self, version, head, listed, records, stack)


    def _file(self, name: str) -> Path:
        """A file the head names: in the index's folder, never elsewhere."""
        if Path(name).name != name or name.startswith("."):
            raise KeyError(name)
        return self.folder / name


def _digest(*pieces: memoryview) -> str:
    """Names a list file by what it is built from; not a security measure."""
    digest = hashlib.sha1(f"{FORMAT}/{CHUNK}/{PART}".encode(), usedforsecurity=False)
    for piece in pieces:
        digest.update(b"%d:" % len(piece))
        digest.update(piece)
    return digest.hexdigest()[:24]


def _list_file(type_: str, built: lists.TypeList) -> bytes:
    n = len(built.rows)
    parts = [orjson.dumps([built.rows[i:i + PART], built.order[i:i + PART]])
             for i in range(0, n, PART)]
    spans, at = [], 0
    for part in parts:
        spans.append((at, len(part)))
        at += len(part) + 1
    header = {"type": type_, "n": n, "fields": built.fields, "counts": built.counts,
              "schools": built.schools, "parts": spans}
    return b"\n".join([orjson.dumps(header), *parts]) + b"\n"


class _ListFile:
    """An open list file: its header, and its parts read by offset."""

    def __init__(self, stack: ExitStack, path: Path):
        fd = files.open_private(path, os.O_RDONLY)
        self.file: BinaryIO = stack.enter_context(os.fdopen(fd, "rb"))
        line = self.file.readline()
        self.header: dict[str, Any] = orjson.loads(line)
        self.body = len(line)
        self.path = path


class FileView:
    """One version of the store, through its index: the files stay open while it is used
    (a newer write may remove them meanwhile), and are closed when it is dropped."""

    def __init__(self, index: StoreIndex, version: Version, head: dict[str, Any],
                 listed: dict[str, _ListFile], records: BinaryIO, stack: ExitStack):
        self.version: Version | None = version
        self._index = index
        self._head = head
        self._lists = listed
        self._records = records
        self._from_store = head["records"] is None
        self._chunks: dict[str, dict[int, list[Record]]] = {}  # per table, oldest first
        self._reading = threading.Lock()
        self._finalizer = weakref.finalize(self, stack.close)

    def light(self) -> StoreData:
        return {SYNCS_TABLE: self._head["syncs"], META_TABLE: self._head["meta"]}

    def counts(self, type_: str) -> dict[str, int]:
        counts: dict[str, int] = self._lists[type_].header["counts"]
        return counts

    def per_school(self, type_: str) -> dict[str, int]:
        schools: dict[str, int] = self._lists[type_].header["schools"]
        return schools

    def fields(self, type_: str) -> list[str]:
        fields: list[str] = self._lists[type_].header["fields"]
        return fields

    def parts(self, type_: str) -> Iterator[Part]:
        listed = self._lists[type_]
        width = len(self.fields(type_))
        for offset, length in listed.header["parts"]:
            try:
                rows, order = orjson.loads(
                    os.pread(listed.file.fileno(), length, listed.body + offset))
            except (OSError, orjson.JSONDecodeError, ValueError) as exc:
                raise self.broken(f"{listed.path} cannot be read ({exc})") from None
            if len(rows) != len(order) or any(len(row) != width for row in rows):
                raise self.broken(f"{listed.path} is broken")
            yield rows, order

    def record(self, type_: str, position: int) -> Record:
        docs = self._chunk(TABLES[type_], position // CHUNK)
        try:
            doc: Record = docs[position % CHUNK]
        except IndexError:
            raise self.broken(f"its {type_} record {position} is not in the store") from None
        return doc

    def _chunk(self, table: str, number: int) -> list[Record]:
        """One chunk of a table's records, parsed (the last few of each table kept: a
        list on screen names the same teachers and schools again and again). The UI
        thread and a worker may both ask."""
        with self._reading:
            return self._kept_chunk(table, number)

    def _kept_chunk(self, table: str, number: int) -> list[Record]:
        kept = self._chunks.setdefault(table, {})
        if number not in kept:
            fd = self._records.fileno()
            if self._from_store and self.version is not None and \
                    stamp_of(version_of(os.fstat(fd))) != stamp_of(self.version):
                raise self.broken("the store file was changed in place since it was read")
            try:
                start, end = self._head["layout"][table][number]
                kept[number] = list(load_chunk(os.pread(fd, end - start, start)).values())
            except (OSError, orjson.JSONDecodeError, IndexError, ValueError) as exc:
                raise self.broken(f"the records of {table} cannot be read ({exc})") from None
            while len(kept) > KEPT_CHUNKS:
                del kept[next(iter(kept))]
        return kept[number]

    def broken(self, why: str) -> StaleIndex:
        """Drop the index (it is rebuilt on the next read) and say why."""
        with suppress(OSError):
            self._index.remove()
        return StaleIndex(f"the store's index is out of date: {why}; it is read again")

    def close(self) -> None:
        self._finalizer()


class DataView:
    """A store already in memory, seen as the index shows it: for a store with no file
    yet, and for Engine.catalog (the CLI and tests)."""

    def __init__(self, data: StoreData):
        self.version: Version | None = None
        self._data = data
        self._lists = {t: lists.build(t, data) for t in ALL_TYPES}
        self._tables: dict[str, list[Record]] = {}

    def light(self) -> StoreData:
        return self._data

    def counts(self, type_: str) -> dict[str, int]:
        return self._lists[type_].counts

    def per_school(self, type_: str) -> dict[str, int]:
        return self._lists[type_].schools

    def fields(self, type_: str) -> list[str]:
        return self._lists[type_].fields

    def parts(self, type_: str) -> Iterator[Part]:
        built = self._lists[type_]
        yield built.rows, built.order

    def record(self, type_: str, position: int) -> Record:
        if type_ not in self._tables:
            self._tables[type_] = list(self._data[TABLES[type_]].values())
        return self._tables[type_][position]


# -- rebuilding --------------------------------------------------------------------------

def rebuild_in_child(store_path: Path) -> None:
    """Index the store in a child process (rostertui.store_reindex): the parse, a second or
    two at 100,000 students, holds that process's GIL, not this one's."""
    proc = children.run("store_reindex", str(store_path.absolute()))
    if proc.returncode:
        raise RosterError(children.last_line(proc.stderr) or
                          f"{store_path}: the store could not be indexed (exit {proc.returncode})")
