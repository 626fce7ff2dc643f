"""A district with every kind of reference (sections naming teachers, students and a
school; contacts naming students; people naming schools), and the same district as a
source sends it after renumbering records: written here by hand, independently of the
engine's own rewriting (rostertui/references.py), so the tests compare two ways."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from connectors.feed import Feed, Membership, TypeFeed
from rostertui.model import ACTION_TYPES, MEMBER_FIELDS, make

from .feeds import full_feed, section, student


def school_district(n_students: int = 30, n_sections: int = 4) -> Feed:
    """Two schools, three teachers, a staff member, `n_students` students (in the first
    school, the last few in both), a contact for every third student and `n_sections`
    sections, each with a teacher and a slice of the students (sorted, as every
    connector sends member lists)."""
    schools = [make("school", source_id=f"sch{i}", name=f"School {i}") for i in (1, 2)]
    teachers = [make("teacher", source_id=f"t{i}", first_name=f"Tea{i}", last_name="Cher",
                     email=f"t{i}@example.org", school_ids=["sch1"]) for i in range(3)]
    staff = [make("staff", source_id="a1", first_name="Ad", last_name="Min",
                  email="a1@example.org", school_ids=["sch1", "sch2"])]
    students = [student(f"s{i:03}", school_ids=["sch1", "sch2"] if i >= n_students - 3
                        else ["sch1"]) for i in range(n_students)]
    sids = [s["source_id"] for s in students]
    contacts = [make("contact", source_id=f"g{i:03}", first_name=f"Guardian{i}",
                     last_name="Parent", email=f"g{i}@example.org", school_ids=["sch1"],
                     relationships=[{"student_id": sid, "relationship": "parent",
                                     "type": "guardian"} for sid in sorted(sids[i:i + 2])])
                for i in range(0, n_students, 3)]
    sections = [section(f"c{k}", sorted(sids[k::n_sections]), teachers=(f"t{k % 3}",))
                for k in range(n_sections)]
    return full_feed(school=schools, teacher=teachers, staff=staff, student=students,
                     contact=contacts, section=sections)


def renumbered(feed: Feed, new_id: Callable[[str], str],
               types: Collection[str] = ACTION_TYPES, legacy: bool = True) -> Feed:
    """`feed` as its source sends it after giving every record of `types` the id
    `new_id(old)`: the old one kept in `legacy_ids` when `legacy`, and every member
    list, school list and relationship naming it rewritten (and sorted again)."""
    ids = {t: {r["source_id"]: new_id(r["source_id"]) for r in feed.types[t].records}
           if t in types else {} for t in ACTION_TYPES}

    def moved(type_: str, sid: str) -> str:
        return ids[type_].get(sid, sid)

    out: dict[str, list[dict]] = {}
    for type_ in ACTION_TYPES:
        records = []
        for rec in feed.types[type_].records:
            new = {**rec, "source_id": moved(type_, rec["source_id"])}
            if legacy and rec["source_id"] in ids[type_]:
                new["legacy_ids"] = [rec["source_id"]]
            records.append(_renamed(new, ids, moved))
        out[type_] = records
    return full_feed(**out)


def _renamed(rec: dict, ids: Mapping[str, Mapping[str, str]],
             moved: Callable[[str, str], str]) -> dict:
    if "school_ids" in rec:
        rec["school_ids"] = sorted(moved("school", s) for s in rec["school_ids"])
    if "student_ids" in rec:  # a section
        rec["student_ids"] = sorted(moved("student", s) for s in rec["student_ids"])
        rec["teacher_ids"] = sorted(moved("teacher", s) for s in rec["teacher_ids"])
        rec["school_id"] = moved("school", rec["school_id"])
    if rec.get("relationships"):
        rec["relationships"] = sorted(({**r, "student_id": moved("student", r["student_id"])}
                                       for r in rec["relationships"]),
                                      key=lambda r: r["student_id"])
    return rec


def as_delta(feed: Feed, types: Collection[str], enrollments: bool = False,
             unsent: frozenset[str] = frozenset()) -> Feed:
    """`feed`'s records of `types` as a quick sync sends them: upserts only, no deletes
    (the old ids are not said to be removed), every other type not sent; with
    `enrollments`, each section's members as delta enrollment rows (the new ids, active);
    `unsent`: the fields the delta did not carry, for every record sent."""
    sent = {t: TypeFeed(complete=False, records=feed.types[t].records,
                        unsent=dict.fromkeys((r["source_id"] for r in feed.types[t].records),
                                             unsent))
            for t in types}
    rows = [(rec["source_id"], field.removesuffix("_ids"), member, True)
            for rec in feed.types["section"].records for field in MEMBER_FIELDS
            for member in rec[field]]
    return Feed(source="test", mode="quick", types=sent,
                membership=Membership(complete=False, rows=rows) if enrollments else None)


def swapped(feed: Feed, ids: Mapping[str, str], type_: str = "student") -> Feed:
    """`feed` after the source gave the `type_` records of `ids` each other's ids (a swap,
    or a chain when a new id is another's old one): each names its old id as a legacy id,
    the others keep theirs and name none."""
    out = renumbered(feed, lambda sid: ids.get(sid, sid), types=(type_,))
    for rec in out.types[type_].records:
        if rec["legacy_ids"] == [rec["source_id"]]:
            rec["legacy_ids"] = []
    return out
