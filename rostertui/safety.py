"""Guards that block a sync (or a revert) until an admin forces it.

A failure at the source often looks like success: a file reduced to its header, a column
renamed, sharing revoked. Each guard measures one kind of loss the ENABLED actions would
cause, so unticking the offending actions in review unblocks:

- deletes: archives (and a revert's removals) over sync.delete_threshold records, or
  over sync.delete_threshold_percent of the active records of a type;
- clears: a source-owned field the store holds (extra.<key> included) made empty by
  updates or reactivations, for more than sync.clear_threshold_percent of the active
  records of a type, per field;
- enrollments: more than sync.enrollment_threshold_percent of the active enrollments
  removed, or of the active sections with members left with no students or no teacher;
- changes: more than sync.change_threshold_percent of the active records of a type
  updated, archived, reactivated or removed (adds and roster-only section updates are
  not counted: see _changes). A link is an update: a source that renumbers a whole
  type archives nothing (no delete guard fires) but changes all of it, so an
  unattended sync stays blocked for review;
- limits: limits.max_sections and limits.max_users after the sync;
- ids reused: an update naming as its old id (a legacy id) another record the store
  holds active, or an add naming one this sync leaves active (legacy.reused): the
  source swapped or reused ids, and applying it would move one record's local data onto
  another, or add a person twice. Any one blocks.

The clear, enrollment and change guards also need at least MIN_COUNT records (or
enrollments, or sections): a share of a handful is no sign of a failure at the source.

Passes over the actions and the store are C-level ones (compress, map, itemgetter,
countOf); Python runs per (type, field) counted, per section archived, and per section
update a revert inverted. So the guards stay cheap at 100,000 students (bench/steps.py,
step `guards`).
"""

from __future__ import annotations

from collections import Counter
from itertools import chain, compress, repeat
from operator import and_, countOf, itemgetter, not_, or_, truth
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from . import legacy
from .model import ACTION_TYPES, ACTIVE, MEMBER_FIELDS, SOURCE_FIELDS, TABLES, is_empty
from .records import Action, Record, StoreData
from .staging.diff import Indexes

if TYPE_CHECKING:
    from .config import Config, Limits, SyncPolicy
    from .staging.diff import Changes, Members

USER_TYPES = ("teacher", "student", "staff")
# A revert's "remove" hard-deletes a record a sync added: a loss like an archive.
LOSS_KINDS = ("archive", "remove")
# Actions whose `changes` overwrite the fields of a record that stays (or comes back).
FIELD_KINDS = frozenset({"update", "reactivate"})
COUNT_STEP = {"add": 1, "reactivate": 1, "archive": -1, "remove": -1}
# Fields a clear is counted on: what the source owns, less the id itself (a link moves
# a record to a new source id, it never empties it), `extra`, diffed as extra.<key>, and
# the legacy ids: the old ids of a renumbering, which a source stops sending once it is
# done (and the revert of a renumbering empties), and whose loss loses nothing.
CLEARABLE = {t: frozenset(SOURCE_FIELDS[t]) - {"source_id", "extra", "legacy_ids"}
             for t in ACTION_TYPES}
ROSTER = frozenset(MEMBER_FIELDS)
# The clear, enrollment and change guards fire only on at least this many records (or
# enrollments, or sections); the delete guards keep their own, sync.delete_threshold.
MIN_COUNT = 10

_STATUS = itemgetter("status")
_ENABLED = itemgetter("enabled")
_TYPE = itemgetter("type")
_KIND = itemgetter("kind")
_CHANGES = itemgetter("changes")
_SOURCE_ID = itemgetter("source_id")
_BEFORE = itemgetter(0)
_AFTER = itemgetter(1)
_REMOVED = itemgetter("removed")
_UNCHANGED = (None, None)

# Enabled actions by (type, kind).
Kinds: TypeAlias = Counter[tuple[str, str]]


def block_reasons(actions: list[Action], data: StoreData, cfg: Config) -> list[str]:
    """Why this sync may not be committed without --force (empty: it may). Only enabled
    actions count; each reason names the type, the field where there is one, the counts
    and the setting it is over."""
    enabled = list(compress(actions, map(_ENABLED, actions)))
    counts: Kinds = Counter(zip(map(_TYPE, enabled), map(_KIND, enabled)))
    active = _Active(data)
    edits = list(compress(enabled, map(FIELD_KINDS.__contains__, map(_KIND, enabled))))
    rosters = _select(edits, "section", ("update",))
    sync = cfg.sync
    return (_deletes(counts, active, sync) + _clears(edits, active, sync)
            + _enrollments(rosters, _select(enabled, "section", LOSS_KINDS), data, sync)
            + _changes(counts, rosters, active, sync) + _limits(counts, active, cfg.limits)
            + legacy.reasons(_reused(enabled, data, sync.legacy_id_fields)))


def _reused(enabled: list[Action], data: StoreData, fields: tuple[str, ...]) -> list[legacy.Reuse]:
    """legacy.reused, skipped when the store holds no record: no id can be reused then,
    and a first import's pass over every add for its legacy ids is most of its guards'
    time (0.18 s of 0.25 s at 100,000 students)."""
    if not any(data.get(TABLES[t]) for t in ACTION_TYPES):
        return []
    return legacy.reused(enabled, Indexes(data), fields)


class _Active(dict[str, int]):
    """Active records per type, each counted on first use: a pass over a table costs
    tens of milliseconds at 100,000 records, and a guard only asks for the types it has
    something to measure in."""

    def __init__(self, data: StoreData):
        super().__init__()
        self.data = data

    def __missing__(self, type_: str) -> int:
        docs = self.data.get(TABLES[type_], {}).values()
        self[type_] = n = countOf(map(_STATUS, docs), ACTIVE)
        return n


def _select(actions: list[Action], type_: str, kinds: tuple[str, ...]) -> list[Action]:
    """The actions of one type and these kinds (one C-level pass)."""
    wanted = {(type_, kind) for kind in kinds}
    return list(compress(actions, map(wanted.__contains__,
                                      zip(map(_TYPE, actions), map(_KIND, actions)))))


def _over(n: int, of: int, percent: float, floor: int = MIN_COUNT) -> bool:
    """More than `percent` of `of`, and at least `floor` of them: a share of a handful
    (the one school renamed, two of three students regraded) is no sign of a failure."""
    return bool(n >= floor and of and n * 100 > percent * of)


def _share(n: int, of: int, what: str) -> str:
    """"101 of 400 active enrollments (25.2%)": one decimal, where there is one, so a
    count just over a threshold never reads as equal to it."""
    percent = f"{n * 100 / of:.1f}".removesuffix(".0")
    return f"{n} of {of} {what} ({percent}%)"


# -- deletes -----------------------------------------------------------------------------

def _deletes(counts: Kinds, active: _Active, sync: SyncPolicy) -> list[str]:
    """Archives, and a revert's removals, over the count or the share of a type."""
    lost = {t: sum(counts[t, k] for k in LOSS_KINDS) for t in ACTION_TYPES}
    removed = sum(counts[t, "remove"] for t in ACTION_TYPES)
    reasons = []
    total, limit = sum(lost.values()), sync.delete_threshold
    if total > limit:
        reasons.append(f"{total} records would be {_lost(removed)}, "
                       f"over sync.delete_threshold ({limit})")
    percent = sync.delete_threshold_percent
    for type_, n in lost.items():
        if n and _over(n, active[type_], percent, floor=1):
            reasons.append(f"{_share(n, active[type_], 'active ' + TABLES[type_])} would be "
                           f"{_lost(counts[type_, 'remove'])}, "
                           f"over sync.delete_threshold_percent ({percent:g}%)")
    return reasons


def _lost(removed: int) -> str:
    return f"archived or removed ({removed} removed)" if removed else "archived"


# -- clears ------------------------------------------------------------------------------

def _clears(edits: list[Action], active: _Active, sync: SyncPolicy) -> list[str]:
    """Per type and field: records whose non-empty stored value the `edits` (updates and
    reactivations) would make empty. Archives and removals are the delete guards'."""
    percent = sync.clear_threshold_percent
    cleared = _cleared(edits)
    return [f"{_share(n, active[t], 'active ' + TABLES[t])} would have {field} cleared, "
            f"over sync.clear_threshold_percent ({percent:g}%)"
            for (t, field), n in sorted(cleared.items(), key=_type_order)
            if n >= MIN_COUNT and _over(n, active[t], percent)]


def _cleared(edits: list[Action]) -> dict[tuple[str, str], int]:
    """{(type, field): clears} over the source-owned fields. Every change is flattened
    in C with its type beside it; only those whose after-value is empty (is_empty: text
    of only spaces counts) and whose before-value was not are counted, and Python sees
    only the counts per (type, field)."""
    changes: list[Changes] = list(map(_CHANGES, edits))
    pairs = list(chain.from_iterable(map(dict.values, changes)))
    emptied = list(map(is_empty, map(_AFTER, pairs)))
    if not any(emptied):
        return {}
    types = chain.from_iterable(map(repeat, map(_TYPE, edits), map(len, changes)))
    keys = compress(zip(types, chain.from_iterable(changes)), emptied)
    held = map(not_, map(is_empty, map(_BEFORE, compress(pairs, emptied))))
    counts = Counter(compress(keys, held))
    return {key: n for key, n in counts.items() if _owned(*key)}


def _owned(type_: str, field: str) -> bool:
    return field in CLEARABLE[type_] or field.startswith("extra.")


def _type_order(item: tuple[tuple[str, str], int]) -> tuple[int, str]:
    (type_, field), _ = item
    return ACTION_TYPES.index(type_), field


# -- enrollments -------------------------------------------------------------------------

def _enrollments(updates: list[Action], gone: list[Action], data: StoreData,
                 sync: SyncPolicy) -> list[str]:
    """Members removed from active sections (by the section `updates`, and every member
    of the sections archived or removed: `gone`) against all active enrollments; and
    sections that had members left with no students or no teacher."""
    percent = sync.enrollment_threshold_percent
    removed = _removed(updates) + _members_of(gone, data)
    emptied = _emptied(updates)
    left = countOf(map(or_, *emptied.values()), True)
    if not removed and not left:
        return []  # the store is only read when something was lost
    total, held = _held(data)
    reasons = []
    if _over(removed, total, percent):
        reasons.append(f"{_share(removed, total, 'active enrollments')} would be removed "
                       "(section student_ids and teacher_ids), over "
                       f"sync.enrollment_threshold_percent ({percent:g}%)")
    if _over(left, held, percent):
        by_field = {f: countOf(emptied[f], True) for f in MEMBER_FIELDS}
        reasons.append(f"{_share(left, held, 'active sections with members')} would "
                       f"be left with no students ({by_field['student_ids']}, student_ids) or "
                       f"no teacher ({by_field['teacher_ids']}, teacher_ids), over "
                       f"sync.enrollment_threshold_percent ({percent:g}%)")
    return reasons


def _removed(updates: list[Action]) -> int:
    """Members the section updates take out, from their `members` (in C): the real
    moves, so a member the source renumbered (a link) is never counted as removed, and a
    revert's inverse carries the moves swapped. An update without `members` (one of
    other fields; an inverse written before they were carried) is diffed."""
    # dict.get in C, so the actions as the plain dicts they are (records.py): a
    # TypedDict is no dict to mypy, and methodcaller("get") costs 2.5 times as much
    plain = cast("list[dict[str, Any]]", updates)
    members: list[Members | None] = list(map(dict.get, plain, repeat("members")))
    held = list(filter(None, members))
    staged = sum(sum(map(len, map(_REMOVED, filter(None, map(dict.get, held, repeat(f))))))
                 for f in MEMBER_FIELDS)
    return staged + sum(map(_diffed, compress(updates, map(not_, members))))


def _diffed(action: Action) -> int:
    changes = action["changes"]
    return sum(len(set(changes[f][0] or ()) - set(changes[f][1] or ()))
               for f in MEMBER_FIELDS if f in changes)


def _members_of(gone: list[Action], data: StoreData) -> int:
    """The enrollments of the active sections these archives or removals take away."""
    if not gone:
        return 0
    docs = data.get(TABLES["section"], {}).values()
    by_id = dict(zip(map(_SOURCE_ID, docs), docs))
    found = (by_id.get(a["source_id"]) for a in gone)
    return sum(_size(d) for d in found if d is not None and d["status"] == ACTIVE)


def _emptied(updates: list[Action]) -> dict[str, list[bool]]:
    """Per member field, per section update: does it empty a list that held members?"""
    changes: list[Changes] = list(map(_CHANGES, updates))
    out: dict[str, list[bool]] = {}
    for f in MEMBER_FIELDS:
        pairs = list(map(dict.get, changes, repeat(f), repeat(_UNCHANGED)))
        out[f] = list(map(and_, map(truth, map(_BEFORE, pairs)), map(not_, map(_AFTER, pairs))))
    return out


def _held(data: StoreData) -> tuple[int, int]:
    """(active enrollments, active sections with at least one member), in C passes."""
    docs = list(data.get(TABLES["section"], {}).values())
    sections = list(compress(docs, map(ACTIVE.__eq__, map(_STATUS, docs))))
    lists = [list(map(dict.get, sections, repeat(f))) for f in MEMBER_FIELDS]
    total = sum(sum(map(len, filter(None, members))) for members in lists)
    return total, countOf(map(any, zip(*lists)), True)


def _size(section: Record) -> int:
    return sum(len(section.get(f) or ()) for f in MEMBER_FIELDS)


# -- changes -----------------------------------------------------------------------------

def _changes(counts: Kinds, rosters: list[Action], active: _Active,
             sync: SyncPolicy) -> list[str]:
    """Records changed in any way: updates (links included), archives, reactivations and
    removals, against the active records of the type. Adds are not counted: a new school
    or a first sync adds much and changes nothing held. A section update that only moves
    members is not counted either: roster churn is the enrollment guard's measure, and a
    normal day moves a few students in most sections. `rosters`: the section updates."""
    percent = sync.change_threshold_percent
    moves = countOf(map(ROSTER.issuperset, map(_CHANGES, rosters)), True)
    reasons = []
    for type_ in ACTION_TYPES:
        n = sum(counts[type_, k] for k in ("update", "archive", "reactivate", "remove"))
        n -= moves if type_ == "section" else 0
        if n >= MIN_COUNT and _over(n, active[type_], percent):
            reasons.append(f"{_share(n, active[type_], 'active ' + TABLES[type_])} would be "
                           "changed (updated, archived, reactivated or removed), over "
                           f"sync.change_threshold_percent ({percent:g}%)")
    return reasons


# -- limits ------------------------------------------------------------------------------

# limits.<key>: what it counts, and of which types
LIMITED = {"max_sections": ("sections", ("section",)),
           "max_users": ("users (teachers, students and staff)", USER_TYPES)}


def _limits(counts: Kinds, active: _Active, limits: Limits) -> list[str]:
    """Active sections, and users, after the sync, over limits.max_sections / max_users
    (the store is only counted for a limit that is set)."""
    reasons = []
    for key, limit in (("max_sections", limits.max_sections), ("max_users", limits.max_users)):
        if limit is None:
            continue
        what, types = LIMITED[key]
        total = sum(active[t] + sum(counts[t, k] * step for k, step in COUNT_STEP.items())
                    for t in types)
        if total > limit:
            reasons.append(f"{total} {what} after this sync, over limits.{key} ({limit})")
    return reasons
