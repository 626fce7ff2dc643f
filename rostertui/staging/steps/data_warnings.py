"""Data warnings, computed at staging over the roster as it will be after the commit
(commit.after_state: the store with the plan's enabled actions applied).

Impero's three (student email, student username, teacher email), Enriching Students'
required fields and graduation year (all in sync.required_fields), duplicate usernames
and emails, sections without a teacher, rosters naming unknown people, and people who
sit in a synced school's sections but belong to no synced school (as NEO reports).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import chain, compress, repeat
from operator import countOf, methodcaller, not_, or_
from typing import TYPE_CHECKING, Any, TypeAlias

from ...commit import after_state
from ...model import is_empty, label, warning
from ...records import DataWarning, Plan, Record, StoreData

if TYPE_CHECKING:
    from ..pipeline import StageConfig

# The roster after the commit: type -> source id -> record (commit.after_state).
After: TypeAlias = dict[str, dict[str, Record]]
# sync.required_fields: type -> the fields a record of it must have.
Required: TypeAlias = Mapping[str, Sequence[str]]

ACCOUNT_TYPES = ("teacher", "student", "staff")


def check_data(plan: Plan, data: StoreData,
               cfg: StageConfig) -> tuple[Plan, list[DataWarning]]:
    """The plan as it is, and the data warnings of the roster it would leave."""
    required = cfg.sync.required_fields
    after = after_state(plan["actions"], data, cfg.indexes, types_read(required))
    return plan, compute(after, required, cfg.schools.left_out)


def _empty_at(values: list[Any]) -> list[int]:
    """The positions of the empty values (model.is_empty), found by C-level passes: only
    a falsy value, or text of only spaces or with an unprintable (invisible) character,
    can be empty, and only those few are looked at."""
    try:
        odd = map(or_, map(str.isspace, values), map(not_, map(str.isprintable, values)))
        suspects = list(compress(range(len(values)), map(or_, map(not_, values), odd)))
    except TypeError:  # not all text: look at each
        suspects = list(range(len(values)))
    return [i for i in suspects if is_empty(values[i])]


def compute(after: After, required: Required,
            left_out: Mapping[str, Record]) -> list[DataWarning]:
    """`left_out`: people the school selection left out, by source id.

    Runs over the whole district at every sync, so each rule first finds the few records
    it applies to with C-level passes (map, Counter) and only builds messages for those."""
    columns = Columns(after)
    out: list[DataWarning] = []
    for type_, fields in required.items():
        recs = columns.records(type_)
        lacking: set[int] = set()  # positions of the records missing a required field
        for f in fields:
            lacking.update(_empty_at(columns.values(type_, f)))
        for rec in map(recs.__getitem__, sorted(lacking)):
            out += [warning(f"missing_{f}", type_, rec["source_id"],
                            f"{label(type_, rec)} has no {f.replace('_', ' ')}")
                    for f in fields if is_empty(rec.get(f))]
    out += _duplicates(columns, "username") + _duplicates(columns, "email")
    out += _sections(after, left_out)
    return out


class Columns:
    """The after-state's records of a type, and one field's values over them, each read
    once: a pass over 100,000 records costs 20-40 ms (a memory read per record), and the
    required fields and the duplicate checks read the same emails and usernames."""

    def __init__(self, after: After):
        self.after = after
        self._records: dict[str, list[Record]] = {}
        self._values: dict[tuple[str, str], list[Any]] = {}

    def records(self, type_: str) -> list[Record]:
        if type_ not in self._records:
            self._records[type_] = list(self.after.get(type_, {}).values())
        return self._records[type_]

    def values(self, type_: str, field: str) -> list[Any]:
        """Each record's `field` (None when absent)."""
        if (type_, field) not in self._values:
            self._values[type_, field] = list(map(methodcaller("get", field),
                                                  self.records(type_)))
        return self._values[type_, field]


def types_read(required: Required) -> set[str]:
    """The record types `compute` reads from the after-state."""
    return {*required, *ACCOUNT_TYPES, "section"}


def _duplicates(columns: Columns, field: str) -> list[DataWarning]:
    typed = [(t, columns.records(t)) for t in ACCOUNT_TYPES]
    recs = list(chain.from_iterable(records for _, records in typed))
    keys = _keys(list(chain.from_iterable(columns.values(t, field) for t in ACCOUNT_TYPES)))
    counts = Counter(keys)
    counts.pop("", None)
    if len(counts) == len(keys) - countOf(keys, ""):
        return []  # every value is distinct (the usual case): no per-record pass
    shared = {k for k, n in counts.items() if n > 1}
    types = list(chain.from_iterable(repeat(t, len(records)) for t, records in typed))
    holders: dict[str, list[tuple[str, Record]]] = {}
    for i in compress(range(len(keys)), map(shared.__contains__, keys)):
        holders.setdefault(keys[i], []).append((types[i], recs[i]))
    out: list[DataWarning] = []
    for value, held in holders.items():
        names = "; ".join(label(t, r) for t, r in held)
        out += [warning(f"duplicate_{field}", t, r["source_id"],
                        f"{field} {value} is shared by {names}") for t, r in held]
    return out


def _keys(values: list[Any]) -> list[str]:
    """Each value stripped and lower-cased ("" when empty or absent)."""
    try:
        return list(map(str.lower, map(str.strip, values)))
    except TypeError:  # a None (or absent) value somewhere: the slow way
        return [(v or "").strip().lower() for v in values]


def _sections(after: After, left_out: Mapping[str, Record]) -> list[DataWarning]:
    """Sections without a teacher, and rosters naming people the roster does not hold.
    Every member of every section is looked up in C first: when all are known (the
    usual case), only the sections without a teacher are visited."""
    people = {"teacher_ids": after.get("teacher", {}), "student_ids": after.get("student", {})}
    sections = list(after.get("section", {}).values())
    members = {f: list(map(methodcaller("get", f), sections)) for f in people}
    if all(map(_all_known, members.values(), people.values())):
        return [warning("section_without_teacher", "section", sec["source_id"],
                        f"{label('section', sec)} has no teacher")
                for sec in compress(sections, map(not_, members["teacher_ids"]))]
    return _each_section(sections, people, left_out)


def _all_known(members: list[list[str] | None], known: Mapping[str, Record]) -> bool:
    """Whether every member of every section is in `known`."""
    return all(map(known.__contains__, chain.from_iterable(filter(None, members))))


def _each_section(sections: list[Record], people: dict[str, dict[str, Record]],
                  left_out: Mapping[str, Record]) -> list[DataWarning]:
    out: list[DataWarning] = []
    for sec in sections:
        sid = sec["source_id"]
        if not sec.get("teacher_ids"):
            out.append(warning("section_without_teacher", "section", sid,
                               f"{label('section', sec)} has no teacher"))
        for field, known in people.items():
            members = sec.get(field) or ()
            if all(map(known.__contains__, members)):
                continue
            role = field[:-4]
            for member in members:
                if member in known:
                    continue
                if member in left_out:
                    out.append(warning("outside_synced_schools", role, member,
                                       f"{label(role, left_out[member])} is in "
                                       f"{label('section', sec)} but belongs to no synced "
                                       "school, so was not synced"))
                else:
                    out.append(warning("unknown_reference", "section", sid,
                                       f"{label('section', sec)} names {role} {member}, "
                                       "who is not in the roster"))
    return out
