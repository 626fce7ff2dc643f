"""What must hold of a store's data before it is read as a store or written to disk.

The last line of defence: staging, the plan checks and the lifecycle keep these true, so a
failure here means a bug or a file edited by hand. Checked before every write (a write
that would break them is refused and the file stays as it was), and when a store is
loaded (a file of the wrong shape is an error, never an empty store), unless the file is
the very one a checked write left: each pass is tens of milliseconds per 100,000
records, and a quick sync would otherwise pay the checks twice, 0.3-0.9 s at 100,000
students.

What a write checked is vouched for by its stamp, `<store>.checked` beside it: the
file's size, mtime (in nanoseconds) and CRC-32 just after the write. A load skips the
checks only when the bytes it read, and the size and mtime of the descriptor it read them
through, are those (a CRC of the bytes in memory costs 0.03 s per 100 MB; mtimes tick
coarsely, so an edit in place right after a write may keep them). Any other writer (a
TinyDB script, an editor, a restore) leaves another file, checked in full; a copy that
keeps the mtime (cp -p) is the same bytes, vouched for as well. The stamp is derived:
deleting it costs a full check. The field types (`shapes`), which the engine's own writes
keep, are checked when a file is read and not vouched for.
"""

from __future__ import annotations

import zlib
from contextlib import suppress
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import cast

import orjson

from . import files
from .errors import RosterError
from .lifecycle import KNOWN as SYNC_STATUSES
from .lifecycle import SyncStatus
from .model import ACTIVE, ALL_TYPES, ARCHIVED, LIST_FIELDS, SOURCE_FIELDS, TABLES
from .records import (
    META_FIELDS,
    SYNC_FIELDS,
    Meta,
    StoreData,
    SyncRecord,
    Table,
    wrong_field,
)

META_TABLE = "meta"
SYNCS_TABLE = "syncs"
RECORD_STATUSES = frozenset({ACTIVE, ARCHIVED})
_TYPED_FIELDS = {t: [(f, list if f in LIST_FIELDS else dict) for f in SOURCE_FIELDS[t]
                     if f in LIST_FIELDS or f == "extra"] for t in ALL_TYPES}
LISTED = 5


Version = tuple[int, int, int]  # a file's (inode, mtime_ns, size): store.Store.version


class BrokenStoreError(RosterError):
    """The store's data breaks an invariant."""


# -- what a write checked -------------------------------------------------------------------

def stamp_of(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def vouch(path: Path, version: Version | None, payload: bytes | bytearray) -> None:
    """Stamp the file at `path`, just written with `payload` from data `require` passed,
    as of `version`. Without a version (the file gone again) no stamp stays; a stamp that
    cannot be written is only a full check at the next load."""
    stamp = stamp_of(path)
    try:
        if version is None:
            stamp.unlink(missing_ok=True)
        else:
            files.overwrite_private(stamp, orjson.dumps(_stamp(version, zlib.crc32(payload))))
    except (OSError, RosterError):
        with suppress(OSError):
            stamp.unlink(missing_ok=True)


def vouched(path: Path, payload: bytes, version: Version) -> bool:
    """Whether `payload`, read from `path` at `version` (the stat of the descriptor it was
    read through, after the read), is what a checked write left: the stamped version and
    the stamped bytes."""
    try:
        stamp = orjson.loads(files.read_private(stamp_of(path)))
        return (isinstance(stamp, dict) and stamp == _stamp(version, stamp.get("crc32"))
                and stamp["crc32"] == zlib.crc32(payload))
    except (OSError, RosterError, orjson.JSONDecodeError):
        return False


def _stamp(version: Version, crc32: object) -> dict[str, object]:
    _, mtime_ns, size = version  # not the inode: a copy keeping the mtime is the same bytes
    return {"size": size, "mtime_ns": mtime_ns, "crc32": crc32}


# The store's own records, typed. A store's data is JSON: these casts hold because every
# store is checked here when it is read (require) and filled in (records.with_defaults).

def syncs_of(data: StoreData) -> dict[str, SyncRecord]:
    """The `syncs` table: {str(sync id): sync record}."""
    return cast(dict[str, SyncRecord], data[SYNCS_TABLE])


def meta_of(data: StoreData) -> Meta:
    """The store's meta record."""
    return cast(Meta, data[META_TABLE]["1"])


def problems(data: object, shapes: bool = True) -> list[str]:
    """Every broken invariant, each naming the table and records; empty when sound.
    `shapes`: also the type of every field the engine reads as a list or mapping (a
    file's shape, checked once when it is read; the engine's own writes keep them)."""
    if not isinstance(data, dict):
        return [f"the file holds {type(data).__name__}, not a table of tables"]
    meta = data.get(META_TABLE)
    if not isinstance(meta, dict) or not isinstance(meta.get("1"), dict):
        return ["it has no meta table: it is not a rostertui store"]
    wrong = wrong_field(meta["1"], META_FIELDS)
    if wrong:
        return [f"its meta record's '{wrong}' is {type(meta['1'].get(wrong)).__name__}"]
    found: list[str] = []
    for type_ in ALL_TYPES:
        table = data.get(TABLES[type_], {})
        found += _table_problems(TABLES[type_], table)
        if shapes and not found:
            found += _field_types(type_, table)
    found += _sync_problems(data.get(SYNCS_TABLE, {}))
    return found


def require(data: object, where: str, shapes: bool = True) -> None:
    broken = problems(data, shapes)
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        raise BrokenStoreError(f"{where}: {broken[0]}{more}")


def _table_problems(name: str, table: object) -> list[str]:
    if not isinstance(table, dict):
        return [f"table '{name}' is {type(table).__name__}, not a table of records"]
    if not all(map(str.isdigit, table)):
        bad = next(k for k in table if not k.isdigit())
        return [f"table '{name}' has a record under key {bad!r}, not a number"]
    docs = list(table.values())
    try:
        ids = list(map(itemgetter("source_id"), docs))
        statuses = set(map(itemgetter("status"), docs))
    except (KeyError, TypeError):
        return [_first_malformed(name, table)]
    out = []
    distinct = set(ids) if set(map(type, ids)) <= {str} else None
    if distinct is None or "" in distinct:
        bad = next(k for k, d in table.items() if not (isinstance(d["source_id"], str)
                                                      and d["source_id"]))
        out.append(f"table '{name}' record {bad} has a source_id that is not a text id")
    elif len(distinct) != len(ids):
        out.append(f"table '{name}' holds source ids more than once: "
                   f"{', '.join(_repeated(ids)[:LISTED])}")
    unknown = statuses - RECORD_STATUSES
    if unknown:
        out.append(f"table '{name}' has records of unknown status "
                   f"{', '.join(sorted(map(repr, unknown))[:LISTED])}")
    return out


def _field_types(type_: str, table: Table) -> list[str]:
    """The fields of this type that the engine reads as lists or a mapping hold one, or
    are absent (C-level passes: about 10 ms per field per 100,000 records)."""
    docs = list(table.values())
    for field, kind in _TYPED_FIELDS[type_]:
        try:
            kinds = set(map(type, map(itemgetter(field), docs)))
        except KeyError:  # absent in some: a default of the right kind
            kinds = set(map(type, map(methodcaller("get", field, kind()), docs)))
        if kinds - {kind}:
            key = next(k for k, d in table.items() if type(d.get(field, kind())) is not kind)
            return [f"table '{TABLES[type_]}' record {key} has a '{field}' that is not a "
                    f"{kind.__name__}"]
    return []


def _first_malformed(name: str, table: dict[str, object]) -> str:
    for key, doc in table.items():
        if not isinstance(doc, dict):
            return f"table '{name}' record {key} is {type(doc).__name__}, not a record"
        missing = [f for f in ("source_id", "status") if f not in doc]
        if missing:
            return f"table '{name}' record {key} has no {missing[0]}"
    return f"table '{name}' is malformed"


def _repeated(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    twice: list[str] = []
    for i in ids:
        if i in seen and i not in twice:
            twice.append(i)
        seen.add(i)
    return twice


def _sync_problems(syncs: object) -> list[str]:
    if not isinstance(syncs, dict):
        return [f"table '{SYNCS_TABLE}' is {type(syncs).__name__}, not a table of syncs"]
    for key, doc in syncs.items():
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), int) \
                or str(doc["id"]) != key:
            return [f"table '{SYNCS_TABLE}' record {key} is not a sync record"]
        if doc.get("status") not in SYNC_STATUSES:
            return [f"sync {key} has unknown status {doc.get('status')!r}"]
        wrong = wrong_field(doc, SYNC_FIELDS) or _wrong_counts(doc["counts"]) \
            or _dangling(doc, syncs)
        if wrong:
            return [f"sync {key}'s '{wrong}' is not what a sync record holds there"]
    return []


def _dangling(doc: dict[str, object], syncs: dict[str, object]) -> str | None:
    """A link between syncs that leads nowhere: revert and redo walk these links."""
    if doc["status"] == SyncStatus.REVERTED and doc["reverted_by"] is None:
        return "reverted_by"
    for link in ("reverted_by", "reverts"):
        if doc[link] is not None and str(doc[link]) not in syncs:
            return link
    return None


def _wrong_counts(counts: dict[str, object]) -> str | None:
    for kinds in counts.values():
        if not isinstance(kinds, dict) or not all(isinstance(n, int) for n in kinds.values()):
            return "counts"
    return None
