"""Legacy ids: the earlier source ids a record names, kept as its past, and the guard
against ids swapped or reused.

A source that renumbers records names each one's earlier id in a legacy field
(sync.legacy_id_fields: `legacy_ids`, which the connectors fill from Clever's
`legacy_id` and OneRoster's `metadata.*legacy*` columns, or an `extra.<key>`). Here:

- `legacy_ids`: the old ids a record names;
- `accumulated`: a stored record's `legacy_ids` with those a sync sends (or a link adds)
  that it does not hold yet. A sync adds to them and never takes one away: a source stops
  sending them once a renumbering is done, and Infinite Campus keeps naming the first id
  through later renumberings, so they are the record's whole past, which a later
  renumbering is matched against (`by_legacy_id`; staging/steps/matching.py);
- `reused`: the adds and updates (links aside) that name as their old id another record
  the store holds active. An update doing so means the source swapped or reused ids (s1
  and s2 exchanged; s1 -> s2 -> s3; an old id given to someone new): applied, it would
  move one person's local data (notes, history) onto another. An add doing so, when that
  record stays active, would add the person twice. Staging warns about the updates
  (matching.py refused those adds, with a warning), and the guards (safety.py) block the
  sync on either until an admin reviews it: unticking those actions unblocks, `--force`
  applies them as they are.

Every pass is over dicts keyed by id, or a C-level one: linear in the actions and in the
records named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import compress, repeat
from operator import itemgetter, not_
from typing import NamedTuple

from .model import ACTION_TYPES, ACTIVE, TABLES
from .records import Action, Record

FIELD = "legacy_ids"  # where a record keeps its old ids (a link adds the id it moves from)
EXTRA = "extra."
LISTED = 10  # record pairs a guard reason names


def legacy_ids(rec: Record, fields: Iterable[str]) -> list[str]:
    """The old source ids `rec` names in `fields` (its own id left out), each once."""
    found: list[str] = []
    for field in fields:
        found += _texts(_value(rec, field))
    own = rec.get("source_id")
    return [v for v in dict.fromkeys(found) if v != own]


def _value(rec: Record, field: str) -> object:
    if field.startswith(EXTRA):
        return (rec.get("extra") or {}).get(field[len(EXTRA):])
    return rec.get(field)


def _texts(value: object) -> list[str]:
    """The non-blank texts of a field's value (one text, or a list), stripped."""
    if not value:
        return []
    values = value if isinstance(value, list) else [value]
    return [t for v in values if isinstance(v, str) and (t := v.strip())]


def accumulated(held: object, sent: object, own: object = None) -> object:
    """A stored `legacy_ids` (`held`) with each id of `sent` it lacks added (never `own`,
    the record's own source id); `held` itself when none is new."""
    kept = held if isinstance(held, list) else []
    new = [v for v in dict.fromkeys(_texts(sent)) if v != own and v not in kept]
    return [*kept, *new] if new else held


def by_legacy_id(stored: Mapping[str, Record], fields: Iterable[str]) -> dict[str, list[str]]:
    """{old id: the source ids of the stored records naming it} over `legacy_ids` and
    `fields` (a C-level pass picks the records naming any in `legacy_ids`)."""
    docs = list(stored.values())
    names = tuple(dict.fromkeys((FIELD, *fields)))
    if names == (FIELD,):
        docs = list(compress(docs, map(dict.get, docs, repeat(FIELD))))
    out: dict[str, list[str]] = {}
    for doc in docs:
        for old in legacy_ids(doc, names):
            out.setdefault(old, []).append(doc["source_id"])
    return out


class Reuse(NamedTuple):
    """An action (`kind` "add", or "update" for an update or reactivation) whose record
    names as its old id `old`, another record the store holds active."""

    type_: str
    source_id: str
    old: str
    kind: str


def reused(actions: list[Action], stored: Mapping[str, Mapping[str, Record]],
           fields: tuple[str, ...]) -> list[Reuse]:
    """The `actions` (the guards give the enabled ones) that name as their old id another
    record the store holds active: an update or reactivation naming any such record
    (swapped or reused ids), an add naming one that `actions` leave active, by its id or
    its legacy ids (a duplicate). `stored`: each type's records by source id, the store
    as it is before `actions`."""
    if not fields:
        return []
    out: list[Reuse] = []
    for type_, named in _named(actions, fields).items():
        records = stored[type_]
        edits = [r for r in named if r.kind != "add" and _active(records.get(r.old))]
        adds = [r for r in named if r.kind == "add"]
        out += edits + (_staying(adds, actions, records, fields) if adds else [])
    return out


def _named(actions: list[Action], fields: tuple[str, ...]) -> dict[str, list[Reuse]]:
    """Per type, each (action, old id) an action newly names: an add's legacy ids, an
    update's added ones; never the record's own id."""
    out: dict[str, list[Reuse]] = {}
    for action in _naming(actions, fields):
        own = action["source_id"]
        if action["kind"] == "add":
            olds = legacy_ids(action["record"], fields)
        else:
            olds = [old for f, (before, after) in action["changes"].items() if f in fields
                    for old in _texts(after) if old not in _texts(before)]
        kind = "add" if action["kind"] == "add" else "update"
        out.setdefault(action["type"], []).extend(
            Reuse(action["type"], action["source_id"], old, kind)
            for old in dict.fromkeys(olds) if old != own)
    return out


_KIND = itemgetter("kind")


def _naming(actions: list[Action], fields: tuple[str, ...]) -> Iterable[Action]:
    """The adds, updates and reactivations that may name an old id (C-level passes pick
    them when the field is `legacy_ids`, as it is by default). Links are not: a link's
    legacy ids name only the record it moves, as the legacy-id round refuses an add
    naming any other stored record (staging/steps/matching.py), and a revert's link takes
    the ids its sync added away again."""
    plain = list(compress(actions, map(not_, map(dict.__contains__, actions, repeat("link")))))
    kinds = list(map(_KIND, plain))
    adds = list(compress(plain, map("add".__eq__, kinds)))
    edits = list(compress(plain, map({"update", "reactivate"}.__contains__, kinds)))
    if fields == (FIELD,):
        adds = list(compress(adds, map(dict.get, map(itemgetter("record"), adds),
                                       repeat(FIELD))))
        edits = list(compress(edits, map(dict.__contains__,
                                         map(itemgetter("changes"), edits), repeat(FIELD))))
    else:
        edits = [a for a in edits if not a["changes"].keys().isdisjoint(fields)]
    return [*adds, *edits]


def _staying(adds: list[Reuse], actions: list[Action], records: Mapping[str, Record],
             fields: tuple[str, ...]) -> list[Reuse]:
    """The `adds` naming a stored record that stays active: not archived, removed or
    moved away by a link among `actions`."""
    type_ = adds[0].type_
    gone = {a["link"]["from"] if "link" in a else a["source_id"] for a in actions
            if a["type"] == type_ and ("link" in a or a["kind"] in ("archive", "remove"))}
    holders = by_legacy_id(records, fields)
    return [r for r in adds if any(sid not in gone and _active(records.get(sid))
                                   for sid in (r.old, *holders.get(r.old, ())))]


def _active(doc: Record | None) -> bool:
    return doc is not None and doc.get("status") == ACTIVE


def reasons(found: list[Reuse]) -> list[str]:
    """The guard's reasons: per type, the updates naming a record held (ids swapped or
    reused), then the adds (added beside it), each listing its records."""
    out: list[str] = []
    for type_ in ACTION_TYPES:
        for kind, why in _REASONS:
            mine = [r for r in found if (r.type_, r.kind) == (type_, kind)]
            if mine:
                n = len(mine)
                what = f"{n} {'new ' if kind == 'add' else ''}{type_ if n == 1 else TABLES[type_]}"
                out.append(f"{what} {'names' if n == 1 else 'name'} as old id another "
                           f"{type_} the store holds ({_pairs(mine)}): {why}; review them")
    return out


_REASONS = (
    ("update", "their ids were swapped or reused at the source, and applying the updates "
     "would move local data (notes, history) from one record to another"),
    ("add", "the store would hold the same person twice, or the id was reused"),
)


def _pairs(found: list[Reuse]) -> str:
    shown = ", ".join(f"{r.source_id} names {r.old}" for r in found[:LISTED])
    return shown + (f" and {len(found) - LISTED} more" if len(found) > LISTED else "")


def message(reuse: Reuse, label: str) -> str:
    """A staging warning for an update naming a record held (see `reused`)."""
    return (f"{label} names {reuse.old} as its old id, but the store holds {reuse.old} as "
            f"another {reuse.type_}: the source swapped or reused their ids, and this "
            "update would move local data from one record to another; the sync is held "
            "for review")
