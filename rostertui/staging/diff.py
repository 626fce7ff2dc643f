"""The diff: compare a feed with the store and list the actions a commit would apply.

Step 6 of the pipeline (pipeline.py): the feed steps have already shaped the feed, the
plan steps work on what this returns. Nothing here writes. An action is a dict
(records.Action):
    id        "<type>:<source_id>" (one action per record per sync)
    type, kind (add|update|archive|reactivate), source_id, label, enabled
    record    the new record (add only)
    changes   {field: [before, after]} for update and reactivate; `extra.<key>` for extras
    members   {"student_ids"|"teacher_ids": {"added": [...], "removed": [...]}} (sections)
A person's update means their own fields changed; roster moves are section updates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from operator import itemgetter
from typing import Any, TypeAlias

from connectors.feed import Feed, Membership, TypeFeed

from ..legacy import FIELD as LEGACY_FIELD
from ..legacy import accumulated
from ..model import (
    ACTION_TYPES,
    ACTIVE,
    ARCHIVED,
    MEMBER_FIELDS,
    REFERENCE_TYPES,
    SOURCE_FIELDS,
    TABLES,
    label,
    warning,
)
from ..records import Action, DataWarning, Plan, Record, StoreData

# Whether a record is one a sync covers (steps/schools.py decides).
RecordTest: TypeAlias = Callable[[Record], bool]
# A membership row: (section_id, role, user_id, active) (connectors.feed.Membership).
Enrollment: TypeAlias = tuple[str, str, str, bool]
Changes: TypeAlias = dict[str, list[Any]]           # field: [before, after]
Members: TypeAlias = dict[str, dict[str, list[str]]]  # field: {"added", "removed"}
NO_SCHOOL: Record = {"school_id": None}


def compare(feed: Feed, indexes: Indexes, covered: Mapping[str, RecordTest]) -> Plan:
    """The plan for `feed` against the store `indexes` were built on: actions, reference
    changes, warnings (the connector's, then the diff's own), cursor and district (its
    `rules` are the pipeline's: empty here).

    `covered`: per type, the records this sync may change (a type without a test: all):
    nothing is staged for a record outside it, whether the feed sends it or the store
    holds it (steps/schools.py, Selection.this_sync)."""
    warnings = list(feed.warnings)
    types = dict(feed.types)
    if feed.membership is not None:
        covers = covered.get("section")
        membership = feed.membership
        if covers is not None:
            rows = enrollments_of(membership.rows, covers, types.get("section"),
                                  indexes["section"])
            membership = Membership(membership.complete, rows)
        types["section"] = _with_members(_only(types.get("section"), covers), membership,
                                         _within(indexes["section"], covers), warnings)
    actions = [a for t in ACTION_TYPES if types.get(t) is not None
               for a in diff_type(t, types[t], indexes[t], covered.get(t))]
    reference = [a for t in REFERENCE_TYPES if types.get(t) is not None
                 for a in diff_type(t, types[t], indexes[t])]
    return {"actions": actions, "reference": reference, "warnings": warnings,
            "cursor": feed.cursor, "district": feed.district, "rules": []}


def index(data: StoreData, type_: str) -> dict[str, Record]:
    """The stored records of a type by source id (built by C-level passes: at 100,000
    records a comprehension costs several times more)."""
    docs = data.get(TABLES[type_], {}).values()
    return dict(zip(map(_SOURCE_ID, docs), docs))


_SOURCE_ID = itemgetter("source_id")


class Indexes(dict[str, dict[str, Record]]):
    """index(data, type) per type, each built on first use. Valid while `data` is not
    changed: one staging pass."""

    def __init__(self, data: StoreData):
        super().__init__()
        self.data = data

    def __missing__(self, type_: str) -> dict[str, Record]:
        self[type_] = built = index(self.data, type_)
        return built


def enrollments_of(rows: list[Enrollment], covers: RecordTest, sections: TypeFeed | None,
                   stored: Mapping[str, Record]) -> list[Enrollment]:
    """The membership rows whose section is covered: the section as the feed sends it
    (`sections`), else as the store holds it; a section known to neither is not."""
    sent = {r["source_id"]: r for r in sections.records} if sections is not None else {}
    return [row for row in rows if covers(sent.get(row[0]) or stored.get(row[0]) or NO_SCHOOL)]


def _within(stored: Mapping[str, Record], covers: RecordTest | None) -> Mapping[str, Record]:
    if covers is None:
        return stored
    return {sid: doc for sid, doc in stored.items() if covers(doc)}


def _only(sent: TypeFeed | None, covers: RecordTest | None) -> TypeFeed | None:
    if sent is None or covers is None:
        return sent
    return replace(sent, records=list(filter(covers, sent.records)))


def diff_type(type_: str, feed: TypeFeed | None, stored: Mapping[str, Record],
              covers: RecordTest | None = None) -> list[Action]:
    """Actions for one type, for the records `covers` (all when None), sent or stored."""
    if feed is None:
        return []
    actions: list[Action] = []
    seen: set[str] = set()
    unsent = feed.unsent
    for rec in feed.records if covers is None else filter(covers, feed.records):
        sid = rec["source_id"]
        seen.add(sid)
        old = stored.get(sid)
        if old is None:  # an add (the whole of a first sync)
            actions.append({"id": f"{type_}:{sid}", "type": type_, "kind": "add",
                            "source_id": sid, "label": label(type_, rec), "enabled": True,
                            "record": rec})
            continue
        action = _compare(type_, old, rec, unsent.get(sid, frozenset()))
        if action:
            actions.append(action)
    candidates = _within(stored, covers)
    gone = (sid for sid in candidates if sid not in seen) if feed.complete else feed.deleted
    for sid in gone:
        old = candidates.get(sid)
        if old is not None and old["status"] == ACTIVE and not old.get("local"):
            actions.append(_action(type_, "archive", old))
    return actions


def _compare(type_: str, old: Record, rec: Record, unsent: frozenset[str]) -> Action | None:
    """The update or reactivation of a stored record, or None when nothing changed."""
    changes = field_changes(type_, old, rec, unsent)
    if old["status"] == ARCHIVED:
        kind = "reactivate"
    elif changes and changes.keys() != _LEGACY_ONLY:  # new legacy ids alone: no update
        kind = "update"
    else:
        return None
    action = _action(type_, kind, rec)
    action["changes"] = changes
    if type_ == "section":
        members = member_changes(changes)
        if members:
            action["members"] = members
    return action


def _action(type_: str, kind: str, rec: Record) -> Action:
    sid = rec["source_id"]
    return {"id": f"{type_}:{sid}", "type": type_, "kind": kind, "source_id": sid,
            "label": label(type_, rec), "enabled": True}


def field_changes(type_: str, old: Record, new: Record,
                  unsent: frozenset[str] = frozenset()) -> Changes:
    """{field: [before, after]} over the fields the source owns and sent. Legacy ids are
    only ever added to (legacy.accumulated); a roster is a set of members, so a change of
    its order or a repeat alone is none."""
    changes: Changes = {}
    before, after = old.get, new.get
    for f in SOURCE_FIELDS[type_]:
        a, b = before(f), after(f)
        if a is b or f in unsent:  # the same object: unchanged (a hot path of syncs)
            continue
        if f == "extra":
            if a != b:  # equal mappings (the usual case) need no key by key pass
                changes.update(_extra_changes(a or {}, b or {},
                                              keep_absent="extra.*" in unsent))
        elif a == b:
            continue
        elif f == LEGACY_FIELD:
            b = accumulated(a, b, new.get("source_id"))
            if b is not a:
                changes[f] = [a, b]
        elif f not in MEMBER_FIELDS or set(a or ()) != set(b or ()):
            changes[f] = [a, b]
    return changes


_LEGACY_ONLY = {LEGACY_FIELD}


def _extra_changes(old: dict[str, Any], new: dict[str, Any], keep_absent: bool) -> Changes:
    keys = new.keys() if keep_absent else old.keys() | new.keys()
    return {f"extra.{k}": [old.get(k), new.get(k)]
            for k in sorted(keys) if old.get(k) != new.get(k)}


def member_changes(changes: Changes) -> Members:
    out: Members = {}
    for f in MEMBER_FIELDS:
        if f in changes:
            before, after = (set(v or ()) for v in changes[f])
            out[f] = {"added": sorted(after - before), "removed": sorted(before - after)}
    return out


def _with_members(sections: TypeFeed | None, membership: Membership,
                  stored: Mapping[str, Record], warnings: list[DataWarning]) -> TypeFeed:
    """Give each section in play its rosters from enrollments.

    A complete membership defines every roster; a delta changes the stored ones. A stored
    section whose roster changed but is not in the sections feed becomes an upsert built
    from its stored fields, so a roster move stages as an update of that section.
    """
    sections = sections or TypeFeed(complete=False)
    records = {r["source_id"]: r for r in sections.records}
    rosters = _rosters(membership, records, stored, warnings)
    # each roster let go once used: at a million students they hold 7 million members
    out = [{**rec, **_sorted(rosters.pop(sid))} for sid, rec in records.items()]
    if not sections.complete:
        deleted = set(sections.deleted)
        for sid, roster in rosters.items():
            doc = stored.get(sid)
            if sid in records or sid in deleted or doc is None or doc["status"] != ACTIVE:
                continue
            after = _sorted(roster)
            if all(doc.get(f) == after[f] for f in MEMBER_FIELDS):
                continue  # moved out and back: no change to stage
            fields = SOURCE_FIELDS["section"]
            out.append({**dict(zip(fields, map(doc.get, fields))), **after})  # C-level
    return TypeFeed(complete=sections.complete, records=out, deleted=sections.deleted)


def _rosters(membership: Membership, records: Mapping[str, Record],
             stored: Mapping[str, Record],
             warnings: list[DataWarning]) -> dict[str, Roster]:
    """Each roster in play: a set per member field, members added and removed row by
    row; or, for a complete membership of active rows only (a full sync), a list each
    rows are appended to (a set per section costs 4 times the memory: 1.5 KB at 27
    students, 375 MB at a million students)."""
    rosters: dict[str, Roster] = {}
    listed = membership.complete and all(map(itemgetter(3), membership.rows))

    def roster(sid: str) -> Roster:
        if sid not in rosters:
            if listed:
                rosters[sid] = {f: [] for f in MEMBER_FIELDS}
            else:
                base: Record = {} if membership.complete else stored.get(sid, {})
                rosters[sid] = {f: set(base.get(f) or ()) for f in MEMBER_FIELDS}
        return rosters[sid]

    for sid in records:
        roster(sid)
    if membership.complete:
        for sid, doc in stored.items():
            if doc["status"] == ACTIVE:
                roster(sid)
    for section_id, role, user_id, active in membership.rows:  # a row per enrollment
        held = rosters.get(section_id)
        if held is None:
            if section_id not in records and section_id not in stored:
                warnings.append(warning("unknown_reference", "section", section_id,
                                        f"an enrollment of {role} {user_id} names "
                                        f"section {section_id}, which is not in the store"))
                continue
            held = roster(section_id)
        members = held[_MEMBER_FIELD[role]]
        if isinstance(members, list):
            members.append(user_id)
        elif active:
            members.add(user_id)
        else:
            members.discard(user_id)
    return rosters


_MEMBER_FIELD = {"teacher": "teacher_ids", "student": "student_ids"}
# A section's members per field: a set, or a list that may hold a member twice
Roster: TypeAlias = dict[str, "set[str] | list[str]"]


def _sorted(roster: Roster) -> dict[str, list[str]]:
    """Each member once, by id."""
    return {f: sorted(set(roster[f]) if isinstance(roster[f], list) else roster[f])
            for f in MEMBER_FIELDS}
