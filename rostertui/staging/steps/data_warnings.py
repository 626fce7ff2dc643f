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
from operator import countOf, methodcaller
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


def _all_text(values: list[Any]) -> bool:
    """Whether no value is text of only spaces or invisible characters (C-level passes;
    such text, from an export that blanked a column, is no value)."""
    try:
        return not any(map(str.isspace, values)) and all(map(str.isprintable, values))
    except TypeError:  # not all text: look at each
        return False


def compute(after: After, required: Required,
            left_out: Mapping[str, Record]) -> list[DataWarning]:
    """`left_out`: people the school selection left out, by source id.

    Runs over the whole district at every sync, so each rule first finds the few records
    it applies to with C-level passes (map, Counter) and only builds messages for those."""
    out: list[DataWarning] = []
    for type_, fields in required.items():
        recs = list(after.get(type_, {}).values())
        lacking: set[int] = set()  # positions of the records missing a required field
        for f in fields:
            values = list(map(methodcaller("get", f), recs))
            if not all(values) or not _all_text(values):
                lacking.update(i for i, v in enumerate(values) if is_empty(v))
        for rec in map(recs.__getitem__, sorted(lacking)):
            out += [warning(f"missing_{f}", type_, rec["source_id"],
                            f"{label(type_, rec)} has no {f.replace('_', ' ')}")
                    for f in fields if is_empty(rec.get(f))]
    out += _duplicates(after, "username") + _duplicates(after, "email")
    out += _sections(after, left_out)
    return out


def types_read(required: Required) -> set[str]:
    """The record types `compute` reads from the after-state."""
    return {*required, *ACCOUNT_TYPES, "section"}


def _duplicates(after: After, field: str) -> list[DataWarning]:
    typed = [(t, after.get(t, {})) for t in ACCOUNT_TYPES]
    recs = list(chain.from_iterable(records.values() for _, records in typed))
    keys = _keys(recs, field)
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


def _keys(recs: list[Record], field: str) -> list[str]:
    """Each record's `field`, stripped and lower-cased ("" when empty or absent)."""
    values = list(map(methodcaller("get", field), recs))
    try:
        return list(map(str.lower, map(str.strip, values)))
    except TypeError:  # a None (or absent) value somewhere: the slow way
        return [(v or "").strip().lower() for v in values]


def _sections(after: After, left_out: Mapping[str, Record]) -> list[DataWarning]:
    out: list[DataWarning] = []
    people = {"teacher_ids": after.get("teacher", {}), "student_ids": after.get("student", {})}
    for sec in after.get("section", {}).values():
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
