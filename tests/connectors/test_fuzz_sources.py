"""Fuzzing the page mappers of the live sources: whatever JSON a server sends, a Clever or
OneRoster REST page gives records of the right shape or a SourceError, never another
exception (a traceback) and never a record holding a number, an object or a list where
text belongs.

The JSON is mostly of the right shape, with any part of it now and then swapped for any
other JSON value, so that the mapping is reached deep down, not only the envelope check.
"""

from __future__ import annotations

from functools import partial

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import clever
from connectors.feed import Feed, SourceError
from connectors.oneroster_map import FILES, Problems, Roster
from connectors.oneroster_rest import add_rows, flatten, page_records

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

IDS = st.sampled_from(["a1", "a2", "604863", "school-1", " ", "é"])
TEXT = st.one_of(IDS, st.text(max_size=6), st.sampled_from(
    ["student", "teacher", "guardian", "administrator", "active", "tobedeleted", "true",
     "school", "district", "homeroom", "scheduled", "2020-08-17", "homeroom/advisory"]))
LEAF = st.one_of(st.none(), st.booleans(), st.integers(-2, 10**12),
                 st.floats(allow_nan=False, allow_infinity=False), TEXT)
ANY = st.recursive(LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=20)


def maybe(strategy):
    """Mostly `strategy`, one time in 25 any JSON at all: a record has many fields, so
    pages of the right shape (reaching the mapping) and of a wrong one both come up."""
    return st.sampled_from(range(25)).flatmap(lambda n: ANY if n == 24 else strategy)


def fields(texts=(), **others):
    """An object of optional fields: `texts` hold text, `others` their own strategy."""
    return st.fixed_dictionaries({}, optional={**{k: maybe(TEXT) for k in texts},
                                               **{k: maybe(v) for k, v in others.items()}})


def with_id(key: str, strategy):
    return st.builds(lambda obj, sid: {**obj, key: sid}, strategy, maybe(IDS))


def assert_text_record(rec: dict) -> None:
    """A mapped record: a text source_id, and only text (or true/false), lists of text,
    or objects of text (extra, relationships) as values."""
    assert isinstance(rec["source_id"], str) and rec["source_id"]
    for value in rec.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                assert all(isinstance(v, str) for v in item.values()), rec
            else:
                assert isinstance(item, (str, bool)), rec


# -- Clever ----------------------------------------------------------------------------------

ROLE = fields(["sis_id", "student_number", "state_id", "grade", "graduation_year", "dob",
               "gender", "race", "legacy_id", "email", "title", "staff_id", "department",
               "teacher_number", "phone", "phone_type", "school"],
              schools=st.lists(maybe(IDS), max_size=3),
              credentials=fields(["district_username"]), location=fields(["zip"]),
              student_relationships=st.lists(maybe(fields(["student", "relationship",
                                                           "type"])), max_size=2))
USER = fields(["email"], name=fields(["first", "middle", "last"]),
              roles=fields(**dict.fromkeys(clever.ROLE_TYPES, ROLE)))
OTHER = fields(["name", "sis_id", "section_number", "period", "subject", "grade", "school",
                "course", "term_id", "teacher", "start_date", "end_date", "number", "phone",
                "low_grade", "high_grade"],
               teachers=st.lists(maybe(IDS), max_size=3),
               students=st.lists(maybe(IDS), max_size=3), principal=fields(["name", "email"]))
# Each kind of listing: its records, and the mappers the full sync reads them with.
LISTINGS = {"users": (USER, [partial(clever.role_record, role) for role in clever.ROLE_TYPES]),
            "others": (OTHER, [clever.school, clever.section, clever.term, clever.course])}


def clever_page(record):
    return maybe(st.fixed_dictionaries(
        {"data": maybe(st.lists(maybe(st.fixed_dictionaries({"data": with_id("id", record)})),
                                min_size=1, max_size=4))},
        optional={"links": maybe(st.lists(maybe(fields(
            rel=st.just("next"), uri=st.just("/v3.0/users?starting_after=a1"))),
            max_size=2))}))


def clever_records(payload, mappers) -> list[dict]:
    """A page as _pages and _full read it: its rows, its next link, the records."""
    where = "GET /v3.0/users"
    rows = clever._rows(payload, where)
    clever._next_link(payload, 100, where)
    return [rec for to_record in mappers for rec in clever._mapped(rows, to_record, where)]


@FUZZ
@given(st.data(), st.sampled_from(sorted(LISTINGS)))
def test_a_clever_page_maps_or_fails_cleanly(data, listing):
    record, mappers = LISTINGS[listing]
    payload = data.draw(clever_page(record), label="payload")
    try:
        records = clever_records(payload, mappers)
    except SourceError:
        return
    for rec in records:
        assert_text_record(rec)


EVENT = st.builds(
    lambda eid, type_, obj, created: {"id": eid, "type": type_, "created": created,
                                      "data": {"object": obj}},
    maybe(IDS), maybe(st.sampled_from(["users.updated", "users.deleted", "sections.created",
                                       "schools.updated", "terms.deleted", "courses.updated",
                                       "districts.updated"])),
    maybe(with_id("id", st.one_of(USER, OTHER))), maybe(TEXT))
EVENTS_PAGE = maybe(st.fixed_dictionaries(
    {"data": st.lists(maybe(st.fixed_dictionaries({"data": EVENT})), min_size=1,
                      max_size=4)}))


@FUZZ
@given(EVENTS_PAGE, st.booleans())
def test_a_clever_events_page_folds_or_fails_cleanly(payload, filtered):
    """A quick sync: each event folded, then the changes, through the schools filter."""
    try:
        final: dict = {}
        for row in clever._rows(payload, clever.EVENTS):
            clever._collapse(final, row, None)
        scope = clever.SchoolFilter(["a1"] if filtered else [], lambda sid: sid == "a2")
        feeds = clever._changes(final, scope)
    except SourceError:
        return
    for feed in feeds.values():
        for rec in feed.records:
            assert_text_record(rec)
        assert all(isinstance(sid, str) for sid in feed.deleted)


# -- OneRoster REST ---------------------------------------------------------------------------

REFERENCE = st.fixed_dictionaries({"sourcedId": maybe(IDS)},
                                  optional={"href": maybe(TEXT), "type": maybe(TEXT)})
REFERENCES = st.lists(maybe(REFERENCE), max_size=2)
OR_RECORD = with_id("sourcedId", fields(
    ["status", "dateLastModified", "name", "type", "identifier", "title", "startDate",
     "endDate", "courseCode", "classCode", "classType", "location", "role", "username",
     "givenName", "familyName", "middleName", "email", "sms", "phone", "enabledUser",
     "birthDate", "sex", "beginDate", "primary", "password"],
    parent=REFERENCE, org=REFERENCE, school=REFERENCE, course=REFERENCE, user=REFERENCE,
    schoolYear=st.one_of(TEXT, REFERENCE), orgs=REFERENCES, terms=REFERENCES,
    agents=REFERENCES, subjects=st.lists(maybe(TEXT), max_size=2),
    grades=st.lists(maybe(TEXT), max_size=2), metadata=st.dictionaries(TEXT, LEAF, max_size=2),
    userIds=st.lists(maybe(fields(["type", "identifier"])), max_size=2),
    white=st.booleans(), **{"class": REFERENCE}))


def oneroster_page(file: str):
    return maybe(st.fixed_dictionaries({file: maybe(st.lists(maybe(OR_RECORD), min_size=1,
                                                             max_size=4))}))


@FUZZ
@given(st.data(), st.sampled_from(FILES))
def test_a_oneroster_page_maps_or_fails_cleanly(data, file):
    """A collection as _read maps it: checked, flattened, into the shared CSV roster."""
    payload = data.draw(oneroster_page(file), label="payload")
    roster = Roster("oneroster_rest", {file: "bulk"}, Problems())
    try:
        add_rows(roster, file, [flatten(obj) for obj in page_records(payload, file, "GET /x")])
        feed = roster.finish("https://sis.example/ims/oneroster/v1p1")
    except SourceError:
        return
    assert isinstance(feed, Feed)
    for type_feed in feed.types.values():
        for rec in type_feed.records:
            assert_text_record(rec)
