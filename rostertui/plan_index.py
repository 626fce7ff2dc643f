"""A plan's index: the counts, lists and single actions the dashboard shows, read without
parsing the plan.

A 230,000-action plan is 150 MB of JSON. Parsing it takes a second or more in one C call
that holds the GIL, so the dashboard froze for that long whichever thread parsed it.
`sync-N.index`, beside `sync-N.json` (plans.py), holds what a report, its action lists
and a record's sync history need, and where each action lies in the plan's bytes: an
action is parsed from the plan only when it is shown.

Derived and regenerable: written with the plan (PlanFiles.write), and rebuilt from the
plan when it is missing or stale, in a child process (plan_reindex.py) so that the parse
never runs in the dashboard's process. Deleting it loses nothing. It
is never trusted over the plan:
- it names the digest of the plan it was made from and the file's inode, size, mtime
  and ctime, and is used only while the sync's record names that digest and the plan
  file is still that file (any write changes its ctime, which cannot be set back); it
  is only ever made from bytes that had that digest;
- every action read through it is parsed from the plan's own bytes and must carry the
  id the index gives it, or the index is deleted (and rebuilt on the next open).

The file: a body, then a header as its last line (JSON: the stamp, the plan's section
rules, each (type, kind) with its count and links, where each part of the body starts;
then a tab and the CRC-32 of the body and that JSON: a damaged or cut-off index, its
header too, is made again). Last, so that the index is
written a section at a time, never whole in memory. The body:
- each (type, kind) of the plan, in plan order, in parts of at most PART actions, each
  part in three pieces read apart: the actions' ids and links (JSON), their byte spans
  in the plan (int64, little-endian), and their labels and changed fields (JSON);
- the plan's data warnings, one JSON line;
- one line per action, sorted: `<id as JSON>\\t<start>\\t<end>`, for a binary search (a
  record's sync history looks up one id in each applied plan).
The file is read whole when it is opened (the read and the checksum run without the
GIL: 20 ms for a 230,000-action plan's 23 MB); each part is parsed when first asked for.
"""

from __future__ import annotations

import os
import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from . import files
from .errors import RosterError
from .records import Action, DataWarning, Plan

FORMAT = 6
PART = 10_000  # actions per part of a group: a part parses in a few milliseconds
BATCH = 256  # actions parsed from the plan in one call
CLOSE = 4  # spans read with one read when their range is at most this times their size

Span = tuple[int, int]  # an action's bytes in the plan: [start, end)
Group = tuple[str, str]  # (type, kind)


class Unindexable(RosterError):
    """A plan whose actions could not be found in its bytes."""


def index_path(plan_path: Path) -> Path:
    return plan_path.with_suffix(".index")


# -- writing -----------------------------------------------------------------------------

def write(plan_path: Path, plan: Plan, plan_digest: str, spans: array[int] | None) -> None:
    """Index the plan just written to `plan_path` (of `plan_digest`), its actions at
    `spans` (`located` in its bytes, which the caller need not hold meanwhile). Derived:
    when it cannot be written (a full disk, actions not located), there is none, and the
    next reader rebuilds it."""
    path = index_path(plan_path)
    try:
        path.unlink(missing_ok=True)  # an earlier plan's, whatever happens next
        if spans is not None:
            write_index(path, plan, spans, stamp(plan_digest, os.stat(plan_path)))
    except Exception:  # a derived file never fails the sync that writes it
        with suppress(OSError):
            path.unlink(missing_ok=True)


def stamp(plan_digest: str, st: os.stat_result) -> dict[str, Any]:
    """What an index names of the plan it was made from (see open_index)."""
    return {"format": FORMAT, "digest": plan_digest, "file": _file(st)}


def _file(st: os.stat_result) -> list[int]:
    """What changes when the plan file is written or replaced: its inode, size, mtime
    and ctime (which no one can set back, as one can an mtime)."""
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def write_index(path: Path, plan: Plan, spans: array[int], stamp: dict[str, Any]) -> None:
    """Write the index of `plan`, its actions at `spans` in its bytes, to `path`, a
    section at a time: never the whole index in memory (a quarter of a gigabyte at a
    million students). Into a private temp file beside `path` that replaces it once
    whole, and is removed if anything fails: a reader finds a whole index or none. Not
    fsynced: after a power cut, a torn one fails its header or CRC and is made again."""
    tmp = files.temp_path(path)
    try:
        fd = files.open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        with open(fd, "wb", buffering=1 << 20) as fh:
            _fill(_Body(fh), plan, spans, stamp)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise


class _Body:
    """The body of an index being written: where the next section starts, and the
    CRC-32 of all written so far."""

    def __init__(self, fh: BinaryIO):
        self.fh, self.at, self.crc = fh, 0, 0

    def add(self, chunks: Iterable[bytes]) -> list[int]:
        """One section, `chunks` one after another and a newline: where it lies."""
        start = self.at
        for chunk in chunks:
            self._put(chunk)
        self._put(b"\n")
        return [start, self.at - start - 1]

    def _put(self, chunk: bytes) -> None:
        self.fh.write(chunk)
        self.crc = zlib.crc32(chunk, self.crc)
        self.at += len(chunk)


def _fill(body: _Body, plan: Plan, spans: array[int], stamp: dict[str, Any]) -> None:
    """The index's body, then its header line (the last line, written once the body's
    offsets and CRC are known)."""
    actions = plan["actions"]
    members: dict[Group, array[int]] = {}  # positions, 8 bytes each (not int objects)
    for n, action in enumerate(actions):
        members.setdefault((action["type"], action["kind"]), array("q")).append(n)
    groups = [[t, k, len(ns), sum(1 for n in ns if "link" in actions[n]),
               [[body.add((line,)) for line in _part(actions, spans, ns[i:i + PART])]
                for i in range(0, len(ns), PART)]]
              for (t, k), ns in members.items()]
    warnings = body.add((orjson.dumps(plan["warnings"]),))
    table = body.add(_table(actions, spans))
    header = orjson.dumps({**stamp, "rules": plan.get("rules") or [], "groups": groups,
                           "warnings": warnings, "table": table})
    body.fh.write(b"%s\t%d\n" % (header, zlib.crc32(header, body.crc)))


def _table(actions: list[Action], spans: array[int]) -> Iterator[bytes]:
    """The lines `<id as JSON>\\t<start>\\t<end>`, sorted, PART lines a chunk: the
    lines are made a chunk at a time, from the sorted keys. Each key is copied: a small
    bytes that orjson.dumps returns keeps its 4 KB buffer (4 GB for a million kept)."""
    keys = [b"%s" % orjson.dumps(a["id"]) for a in actions]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    for i in range(0, len(order), PART):
        yield (b"\n" if i else b"") + b"\n".join(
            b"%s\t%d\t%d" % (keys[n], spans[2 * n], spans[2 * n + 1])
            for n in order[i:i + PART])


def located(payload: bytes, actions: list[Action]) -> array[int] | None:
    """`locate`, or None when the actions cannot be located (then there is no index: a
    derived file never fails the sync that writes it)."""
    try:
        return locate(payload, actions)
    except Exception:
        return None


def locate(payload: bytes, actions: list[Action]) -> array[int]:
    """Where each action lies in `payload`, start and end, flat: the actions are
    serialised one after another, one separator apart (the plan's own serialiser wrote
    them; each is checked here)."""
    spans = array("q")
    add = spans.append
    at = payload.find(orjson.dumps(actions[0])) if actions else 0
    for action in actions:
        text = orjson.dumps(action)
        if at < 0 or not payload.startswith(text, at):
            raise Unindexable(f"action {action['id']!r} is not where the plan has it")
        add(at)
        at += len(text)
        add(at)
        at += 1
    return spans


def _part(actions: list[Action], spans: array[int], members: array[int]) -> list[bytes]:
    """A part of a group: its ids and links (JSON), its spans (binary), and its search
    keys (JSON: labels, and the changed fields of those that have any), each read alone."""
    chosen = [actions[n] for n in members]
    return [orjson.dumps({"ids": [a["id"] for a in chosen],
                          "links": [[i, link["by"]] for i, a in enumerate(chosen)
                                    if (link := a.get("link"))]}),
            _packed([x for n in members for x in spans[2 * n:2 * n + 2]]),
            orjson.dumps({"labels": [a["label"] for a in chosen],
                          "fields": {str(i): list(a["changes"]) for i, a in enumerate(chosen)
                                     if a.get("changes")}})]


def _packed(values: list[int]) -> bytes:
    out = array("q", values)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def _unpacked(data: memoryview) -> array[int]:
    out = array("q")
    out.frombytes(data)
    if sys.byteorder == "big":
        out.byteswap()
    return out


# -- reading -----------------------------------------------------------------------------

@dataclass
class Actions:
    """One (type, kind) of a plan, in plan order: what a list shows, counts and ticks
    without reading the actions themselves. The labels and changed fields, which only a
    search needs (and the actions linked to an archive), are read on first use
    (PlanIndex.keys)."""

    type_: str
    kind: str
    ids: list[str] = field(default_factory=list)
    links: dict[int, str] = field(default_factory=dict)  # position -> matched by
    spans: array[int] = field(default_factory=lambda: array("q"))  # start, end; flat
    labels: list[str] | None = None
    fields: dict[int, list[str]] = field(default_factory=dict)  # position -> changed

    def span(self, n: int) -> Span:
        return self.spans[2 * n], self.spans[2 * n + 1]


class PlanIndex:
    """A fresh index (see open_index): the plan's counts, section rules and warnings, its
    actions by (type, kind) and by id, each action parsed from the plan when asked for."""

    def __init__(self, path: Path, plan_path: Path, header: dict[str, Any], data: bytes):
        """`data`: the index file, its body (which the header's offsets are into) first."""
        self.path, self.plan_path = path, plan_path
        self.digest: str = header["digest"]
        self._file: list[int] = header["file"]
        self.rules: list[dict[str, Any]] = header["rules"]
        groups = header["groups"]
        self.counts: dict[Group, int] = {(t, k): n for t, k, n, _, _ in groups}
        self.linked: list[Group] = [(t, k) for t, k, _, links, _ in groups if links]
        # each part of a group: where its ids, its spans and its search keys are
        self._parts: dict[Group, list[list[list[int]]]] = {
            (t, k): parts for t, k, _, _, parts in groups}
        self._warnings: list[int] = header["warnings"]
        self._table_at: list[int] = header["table"]
        self._data = data
        self._groups: dict[Group, Actions] = {}

    def fresh(self, plan_digest: str | None) -> bool:
        """Made from the plan this digest names, and the plan file still the one it was."""
        try:
            st = os.stat(self.plan_path)
        except OSError:
            return False
        return plan_digest == self.digest and _file(st) == self._file

    def group(self, type_: str, kind: str) -> Actions:
        """The actions of a type and kind (none if the plan has none), read once."""
        key = (type_, kind)
        if key not in self._groups:
            group = Actions(type_, kind)
            for ids, spans, _ in self._parts.get(key, ()):
                part = orjson.loads(self._section(ids))
                group.links.update((len(group.ids) + i, by) for i, by in part["links"])
                group.ids += part["ids"]
                group.spans += _unpacked(self._section(spans))
            self._groups[key] = group
        return self._groups[key]

    def keys(self, group: Actions) -> Actions:
        """`group` with its labels and changed fields, read on first use."""
        if group.labels is None:
            labels: list[str] = []
            for _, _, keys in self._parts.get((group.type_, group.kind), ()):
                part = orjson.loads(self._section(keys))
                group.fields.update((len(labels) + int(i), f) for i, f in part["fields"].items())
                labels += part["labels"]
            group.labels = labels
        return group

    def warnings(self) -> list[DataWarning]:
        found: list[DataWarning] = orjson.loads(self._section(self._warnings))
        return found

    def find(self, action_id: str) -> Span | None:
        """The action's span in the plan, by a binary search of the sorted table."""
        at = self._table_at[0]
        line = _search(self._data, at, at + self._table_at[1], orjson.dumps(action_id) + b"\t")
        if line is None:
            return None
        _, start, end = line.rsplit(b"\t", 2)
        return int(start), int(end)

    def actions(self, spans: Sequence[Span], ids: Sequence[str]) -> list[Action]:
        """The actions at these spans, each checked to be the one the index names there;
        when one is not, the index is deleted and RosterError raised."""
        out: list[Action] = []
        with open(self.plan_path, "rb") as fh:
            for n in range(0, len(spans), BATCH):
                out += self._batch(fh, spans[n:n + BATCH], ids[n:n + BATCH])
        return out

    def _batch(self, fh: BinaryIO, spans: Sequence[Span], ids: Sequence[str]) -> list[Action]:
        text = b"[" + b",".join(_read(fh, spans)) + b"]"
        try:
            found = orjson.loads(text)
        except orjson.JSONDecodeError:
            found = None
        if not isinstance(found, list) or [a.get("id") if isinstance(a, dict) else None
                                           for a in found] != list(ids):
            self.path.unlink(missing_ok=True)
            raise RosterError(f"{self.plan_path} does not match its index (deleted; it is "
                              "made again from the plan when the sync is opened again)")
        return found

    def _section(self, where: list[int]) -> memoryview:
        at = where[0]
        return memoryview(self._data)[at:at + where[1]]


def _read(fh: BinaryIO, spans: Sequence[Span]) -> list[bytes]:
    """The spans' bytes: with one read when they lie close together (a list's rows, in
    plan order), else one read each."""
    low, high = min(s for s, _ in spans), max(e for _, e in spans)
    if high - low <= CLOSE * sum(e - s for s, e in spans):
        blob = os.pread(fh.fileno(), high - low, low)
        return [blob[s - low:e - low] for s, e in spans]
    return [os.pread(fh.fileno(), e - s, s) for s, e in spans]


def _search(table: bytes, low: int, high: int, key: bytes) -> bytes | None:
    """The line of the sorted lines table[low:high] that starts with `key` (a JSON string
    and a tab: no key is the start of another)."""
    while low < high:
        start = table.rfind(b"\n", 0, (low + high) // 2) + 1
        end = table.find(b"\n", start)
        end = len(table) if end < 0 else end
        line = table[start:end]
        if line.startswith(key):
            return line
        if line < key:
            low = end + 1
        else:
            high = start
    return None


def open_index(plan_path: Path, plan_digest: str | None) -> PlanIndex | None:
    """The plan's index, if it is there, whole (its checksum) and fresh (made from this
    digest, and the plan file still the one it was made from); else None. Read whole:
    the read and the checksum run without the GIL."""
    path = index_path(plan_path)
    try:
        data = path.read_bytes()
        body = data.rindex(b"\n", 0, len(data) - 1) + 1  # the header: the last line
        line, _, crc = data[body:].rstrip(b"\n").rpartition(b"\t")  # JSON holds no tab
        if int(crc) != zlib.crc32(line, zlib.crc32(memoryview(data)[:body])):
            return None
        header = orjson.loads(line)
        if header.get("format") != FORMAT:
            return None
        index = PlanIndex(path, plan_path, header, data)
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    return index if index.fresh(plan_digest) else None
