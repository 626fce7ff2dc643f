"""What keeps a million-student CSV set within memory, held to the feed it always gave:
an enrollment names the very id objects of the records it links (not strings of its own),
and values many records repeat are one object each."""

from __future__ import annotations

from connectors.oneroster_csv import OneRosterCsvConnector
from rostertui import demo_data


def test_enrollments_hold_the_ids_of_the_records_they_name(tmp_path):
    demo_data.generate(tmp_path, students=300, seed=3)
    feed = OneRosterCsvConnector(tmp_path).fetch("full", None)
    ids = {id(r["source_id"]) for t in ("teacher", "student", "section")
           for r in feed.types[t].records}
    rows = feed.membership.rows
    assert rows and all(id(section) in ids and id(user) in ids
                        for section, _, user, _ in rows)
    assert len({id(role) for _, role, _, _ in rows}) == 2  # teacher, student


def test_names_schools_and_grades_are_shared_between_records(tmp_path):
    demo_data.generate(tmp_path, students=300, seed=3)
    students = OneRosterCsvConnector(tmp_path).fetch("full", None).types["student"].records
    for field in ("first_name", "last_name", "grade", "gender"):
        values = [s[field] for s in students]
        assert len({id(v) for v in values}) == len(set(values)), field
    schools = [sid for s in students for sid in s["school_ids"]]
    assert len({id(v) for v in schools}) == len(set(schools))
