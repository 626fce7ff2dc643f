"""Which schools a sync covers: `schools:` in the config (the district's selection),
narrowed for one sync by the schools picked for it (`Engine.sync(schools=...)`, the Sync
now dialog).

The rule, the one place it is decided (pipeline.py states it too):
- a school is always covered, so the Schools tab can list those left out;
- a section is covered when its school is selected;
- a person (teacher, student, staff) is covered when they belong to a selected school,
  or to no school at all (district admins, staff without a school);
- a contact is covered when one of their students is;
- terms and courses are always covered.

Each selection is applied once, where it belongs:
- the district's selection by the feed step `restrict_to_schools`: what it does not
  cover is left out of the feed, before usernames and unique section names are worked
  out, so those are the same whichever schools one sync picks; a stored record it does
  not cover is archived like any record the source no longer sends (a school dropped
  from `schools:` is no longer synced);
- a sync's own schools by the diff (diff.compare, `Selection.this_sync`): it stages
  nothing for a record, sent or stored, outside them, so narrowing one sync never
  mass-archives.

`Selection` is decided once per sync, before any step runs (pipeline.StageConfig).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from connectors.feed import Feed, Membership

from ...model import PEOPLE_TYPES, TABLES
from ...records import DataWarning, Record, StoreData
from ..diff import RecordTest, enrollments_of

if TYPE_CHECKING:
    from ..pipeline import StageConfig


class Selection:
    """The schools this sync covers, as tests of records (per type; a type without one is
    always covered).

    `configured`: the config's `schools:` (empty: every school); `chosen`: the schools
    picked for this sync (None: every school). `feed` and `data` are the fetched feed and
    the store: a contact is covered through its students, sent or stored."""

    def __init__(self, feed: Feed, data: StoreData, configured: set[str],
                 chosen: set[str] | None, contacts: bool):
        students = _records(feed, "student")
        # What the district syncs: restrict_to_schools leaves the rest out of the feed.
        self.district: dict[str, RecordTest] = {}
        # What this sync may change, sent or stored: the diff stages nothing else.
        self.this_sync: dict[str, RecordTest] = {}
        # People the district's selection leaves out, by source id: data_warnings names
        # them where a synced section lists them.
        self.left_out: dict[str, Record] = {}
        if configured:
            self.district = _tests(students, data, configured)
            students = list(filter(self.district["student"], students))
            people = [t for t in PEOPLE_TYPES if t in feed.types and (contacts or t != "contact")]
            self.left_out = {r["source_id"]: r for t in people for r in feed.types[t].records}
            for type_ in people:
                for rec in filter(self.district[type_], feed.types[type_].records):
                    self.left_out.pop(rec["source_id"], None)
        if chosen is not None:
            self.this_sync = _tests(students, data, chosen)


def restrict_to_schools(feed: Feed, data: StoreData,
                        cfg: StageConfig) -> tuple[Feed, list[DataWarning]]:
    """The feed without the records the district's selection does not cover."""
    tests = cfg.schools.district
    if not tests:
        return feed, []
    types = {t: tf if t not in tests else replace(tf, records=list(filter(tests[t], tf.records)))
             for t, tf in feed.types.items()}
    membership = feed.membership
    if membership is not None:
        rows = enrollments_of(membership.rows, tests["section"], feed.types.get("section"),
                              cfg.indexes["section"])
        membership = Membership(membership.complete, rows)
    return replace(feed, types=types, membership=membership), []


def _records(feed: Feed, type_: str) -> list[Record]:
    tf = feed.types.get(type_)
    return tf.records if tf is not None else []


def _tests(students: list[Record], data: StoreData,
           schools: set[str]) -> dict[str, RecordTest]:
    """The tests of one selection; `students`: those the source sent that are still in."""
    def person(doc: Record) -> bool:
        ids = doc.get("school_ids") or ()
        return not ids or not schools.isdisjoint(ids)

    covered = {r["source_id"] for r in students if person(r)}
    covered.update(d["source_id"] for d in data[TABLES["student"]].values() if person(d))

    def contact(doc: Record) -> bool:
        return any(rel.get("student_id") in covered for rel in doc.get("relationships") or ())

    tests: dict[str, RecordTest] = {t: person for t in PEOPLE_TYPES if t != "contact"}
    tests["contact"] = contact
    tests["section"] = lambda doc: doc.get("school_id") in schools
    return tests
