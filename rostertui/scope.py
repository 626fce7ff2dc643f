"""Which records a sync covers when it is limited to some schools.

Out of scope are the sections of other schools, and people who belong only to other
schools (people with no school, such as district admins, stay in). A contact is in
scope when one of its students is. Schools themselves are always synced, so the
Schools tab can list the ones left out. Stored records out of scope are left alone:
neither updated nor archived, so narrowing the selection never mass-archives.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.feed import Feed, Membership, TypeFeed

from .model import PEOPLE_TYPES, TABLES

InScope = Callable[[dict], bool]


def restrict(feed: Feed, data: dict, schools: set[str]) -> tuple[Feed, dict[str, InScope]]:
    """The feed limited to `schools`, and for each type a test of stored records."""
    tests = _tests(feed, data, schools)
    types = {}
    for type_, tf in feed.types.items():
        test = tests.get(type_)
        if test is None:
            types[type_] = tf
            continue
        kept = [r for r in tf.records if test(r)]
        types[type_] = TypeFeed(tf.complete, kept, tf.deleted, tf.unsent)
    membership = feed.membership
    if membership is not None:
        sections = tests["section"]
        known = {r["source_id"]: r for r in feed.types.get("section", TypeFeed(False)).records}
        stored = {d["source_id"]: d for d in data[TABLES["section"]].values()}
        rows = [row for row in membership.rows
                if sections(known.get(row[0]) or stored.get(row[0]) or {"school_id": None})]
        membership = Membership(membership.complete, rows)
    restricted = Feed(feed.source, feed.mode, types, membership, feed.district, feed.cursor,
                      feed.warnings)
    return restricted, tests


def _tests(feed: Feed, data: dict, schools: set[str]) -> dict[str, InScope]:
    def person(doc: dict) -> bool:
        ids = doc.get("school_ids") or ()
        return not ids or not schools.isdisjoint(ids)

    students = {r["source_id"] for r in feed.types.get("student", TypeFeed(False)).records
                if person(r)}
    students.update(d["source_id"] for d in data[TABLES["student"]].values() if person(d))

    def contact(doc: dict) -> bool:
        return any(rel.get("student_id") in students for rel in doc.get("relationships") or ())

    tests: dict[str, InScope] = {t: person for t in PEOPLE_TYPES if t != "contact"}
    tests["contact"] = contact
    tests["section"] = lambda doc: doc.get("school_id") in schools
    return tests
