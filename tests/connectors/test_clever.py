"""The Clever connector against a real loopback server, alone and through the engine."""

from __future__ import annotations

import socket

import pytest
from tinydb import TinyDB

from connectors import make_connector
from connectors.clever import CleverConnector
from connectors.feed import SourceError
from connectors.http import RetryPolicy
from connectors.loopback.clever_server import TOKEN
from rostertui.config import describe_source, from_dict
from rostertui.engine import Engine
from rostertui.errors import RosterError
from rostertui.model import ACTION_TYPES, TABLES, make
from rostertui.store import META_TABLE

from ..support.feeds import config

FAST = RetryPolicy(attempts=3, base=0.01, max_wait=0.05)
DISTRICT = "5a0c91b95c7cc000010d417c"
HIGH, ELEMENTARY, MIDDLE = (f"5a25ff950a5f62110900000{n}" for n in (4, 5, 6))
STEVE = "5a25ffb0c1bc2a00360003ed"        # a kindergarten student at the elementary school
TEACHER = "603ebb2ab452fb006c76396d"
CONTACT = "603ebb2bb452fb006c7639cd"
ADMIN = "603ebb2ab452fb006c7639ca"
HOMEROOM = "5a25ffc265e950634b00017c"
USERS, SECTIONS, EVENTS = "/v3.0/users", "/v3.0/sections", "/v3.0/events"
DEMO = {"school": 3, "student": 1004, "teacher": 89, "contact": 1002, "staff": 3,
        "section": 378, "term": 5, "course": 343}


def connector(server, **options) -> CleverConnector:
    options.setdefault("page_size", 100)
    return CleverConnector(server.url, options.pop("token", TOKEN), retry=FAST, **options)


def counts(feed) -> dict[str, int]:
    return {t: len(f.records) for t, f in feed.types.items()}


def by_id(feed, type_: str) -> dict[str, dict]:
    return {r["source_id"]: r for r in feed.types[type_].records}


def stored(engine, type_: str) -> dict[str, dict]:
    return {d["source_id"]: d for d in TinyDB(engine.store.path).table(TABLES[type_]).all()}


def stored_cursor(engine) -> str | None:
    return TinyDB(engine.store.path).table(META_TABLE).get(doc_id=1)["cursor"]


def fails(fetch) -> str:
    with pytest.raises(SourceError) as err:
        fetch()
    message = str(err.value)
    assert TOKEN not in message
    return message


# -- full ----------------------------------------------------------------------------------

def test_full_fetch_reads_the_demo_district_page_by_page(clever_server):
    seen = []
    feed = connector(clever_server).fetch("full", None, lambda *a: seen.append(a))
    assert counts(feed) == DEMO
    assert all(f.complete and not f.deleted for f in feed.types.values())
    assert feed.source == "clever" and feed.mode == "full" and feed.membership is None
    assert feed.district == {"source_id": DISTRICT, "name": "#DEMO_DISTRICT"}
    pages = [q for path, q in clever_server.requests if path == USERS and q["role"] == "student"]
    assert len(pages) == 11 and all(q["limit"] == "100" for q in pages)
    assert [q.get("starting_after") for q in pages][:2] == [None, "5a25ffb0c1bc2a0036000450"]
    assert ("student", 1004, None) in seen and seen[-1] == ("course", 343, None)


def test_full_fetch_maps_every_field(clever_server):
    feed = connector(clever_server).fetch("full", None)
    assert by_id(feed, "student")[STEVE] == make(
        "student", source_id=STEVE, sis_id="100095233", first_name="Steve", middle_name="G",
        last_name="Ziemann", email="z.steve@example.net", username="stevez33",
        school_ids=[ELEMENTARY], state_id="231786324", grade="Kindergarten", dob="2/11/2007",
        gender="M", student_number="100095233",
        extra={"race": "Black or African American", "hispanic_ethnicity": "Y", "zip": "10459"})
    assert by_id(feed, "teacher")[TEACHER] == make(
        "teacher", source_id=TEACHER, sis_id="47", legacy_ids=["5a25ff9fa178276346000082"],
        first_name="Braeden", middle_name="L", last_name="Glover",
        email="braeden_glover@example.net",
        username="braeden.gloverbraeden.gloverbraeden.gloverbraeden.glover",
        school_ids=[HIGH, ELEMENTARY], state_id="751884748", title="Grade 9 English Teacher",
        teacher_number="230186")
    assert by_id(feed, "contact")[CONTACT] == make(
        "contact", source_id=CONTACT, last_name="Aaron Berge", email="aaron.berge@example.com",
        phone_type="Other", relationships=[{"student_id": "5a25ffb2c1bc2a00360007bf",
                                            "relationship": "Other", "type": "Other"}])
    assert by_id(feed, "staff")[ADMIN] == make(
        "staff", source_id=ADMIN, legacy_ids=["5a0c91b96296d60001fe053e"], first_name="Vicky",
        last_name="E", email="vicky.enalen@clever.com", role="district_admin")
    sec = by_id(feed, "section")[HOMEROOM]
    assert sec["teacher_ids"] == [f"603ebb2ab452fb006c76398{c}" for c in "9abc"]
    assert len(sec["student_ids"]) == 16 and sec["student_ids"] == sorted(sec["student_ids"])
    assert {k: sec[k] for k in ("name", "sis_id", "school_id", "course_id", "term_ids", "period",
                                "grades", "subject", "class_type")} == {
        "name": "Group Guidance - Greene - 0", "sis_id": "581", "school_id": HIGH,
        "course_id": "5a25ff963829500a3400020f", "term_ids": ["603ebb2ab452fb006c763964"],
        "period": "0", "grades": ["Kindergarten"], "subject": "homeroom/advisory",
        "class_type": "homeroom"}
    assert {s["class_type"] for s in feed.types["section"].records} == {"homeroom", "scheduled"}
    assert by_id(feed, "school")[MIDDLE] == make(
        "school", source_id=MIDDLE, sis_id="sch-06", name="#DEMO Middle School",
        school_number="06", state_id="NY-06", nces_id="360000000006", low_grade="6",
        high_grade="8", phone="(555) 010-0006", principal_name="Cleo Principal",
        principal_email="cleo.principal@example.org")
    assert by_id(feed, "term")["603ebb2ab452fb006c763964"]["start_date"] == "2020-08-17"
    assert by_id(feed, "course")["5a25ff963829500a3400020f"]["code"].startswith("C")


def test_a_user_with_several_roles_gives_one_record_per_type(clever_server):
    user = clever_server.get("users", TEACHER)
    user["roles"]["staff"] = {"staff_id": "st-9", "department": "Math", "schools": [HIGH]}
    user["roles"]["district_admin"] = {"title": "Admin"}
    clever_server.add_event("users.updated", user)
    feed = connector(clever_server).fetch("full", None)
    assert TEACHER in by_id(feed, "teacher")
    assert by_id(feed, "staff")[TEACHER]["role"] == "staff"
    assert by_id(feed, "staff")[TEACHER]["sis_id"] == "st-9"
    assert counts(feed)["staff"] == 4


def test_full_cursor_is_the_newest_event(clever_server):
    ids = [clever_server.add_event("sections.updated", clever_server.get("sections", HOMEROOM))
           for _ in range(150)]
    feed = connector(clever_server).fetch("full", None)
    assert feed.cursor == ids[-1]
    assert [q.get("starting_after") for path, q in clever_server.requests
            if path == EVENTS] == [None, ids[99]]


def test_full_cursor_without_any_event_reads_every_event_next_time(clever_server):
    con = connector(clever_server)
    cursor = con.fetch("full", None).cursor
    assert cursor.startswith("start:")
    assert con.fetch("quick", cursor).cursor == cursor  # still no event: position kept
    eid = clever_server.add_event("users.deleted", clever_server.get("users", STEVE))
    feed = con.fetch("quick", cursor)
    assert feed.cursor == eid and feed.types["student"].deleted == [STEVE]


@pytest.mark.parametrize("status", [403, 404])
def test_full_sync_without_secure_sync_has_no_cursor(clever_server, status):
    clever_server.fault(EVENTS, status)
    feed = connector(clever_server).fetch("full", None)
    assert feed.cursor is None and counts(feed) == DEMO


# -- through the engine ----------------------------------------------------------------------

def test_engine_commits_a_full_sync_then_stages_quick_changes(tmp_path, clever_server):
    server = clever_server
    first = server.add_event("sections.updated", server.get("sections", HOMEROOM))
    engine = Engine(config(tmp_path), connector=connector(server))
    report = engine.sync(commit=True)
    assert report["status"] == "committed"
    assert {t: len(stored(engine, t)) for t in DEMO} == DEMO
    assert stored_cursor(engine) == first

    events = changes(server)
    report = engine.sync(mode="quick")
    assert report["status"] == "staged" and report["mode"] == "quick"
    assert report["counts"]["student"] == {"add": 1, "update": 1, "archive": 1, "reactivate": 0}
    assert report["counts"]["section"] == {"add": 0, "update": 1, "archive": 0, "reactivate": 0}
    assert all(sum(report["counts"][t].values()) == 0
               for t in ("school", "teacher", "staff", "contact"))
    actions = {a["id"]: a for a in engine.plan(report["sync_id"])["actions"]}
    assert set(actions) == {f"student:{NEW}", f"student:{STEVE}", f"student:{GONE}",
                            f"section:{HOMEROOM}"}
    assert actions[f"student:{STEVE}"]["changes"] == {"last_name": ["Ziemann", "Zed"]}
    assert actions[f"section:{HOMEROOM}"]["members"] == {
        "student_ids": {"added": [], "removed": [events["removed"]]}}
    assert stored_cursor(engine) == first  # staged, not committed

    engine.discard()
    assert stored_cursor(engine) == first
    report = engine.sync(mode="quick")
    assert sum(sum(c.values()) for c in report["counts"].values()) == 4  # the same again
    engine.commit()
    assert stored_cursor(engine) == events["last"]
    assert stored(engine, "student")[GONE]["status"] == "archived"
    assert stored(engine, "student")[STEVE]["last_name"] == "Zed"

    for event in server.events[-4:]:  # the same changes, delivered again
        server.add_event(event["type"], event["data"]["object"])
    report = engine.sync(mode="quick", commit=True)
    assert sum(sum(c.values()) for c in report["counts"].values()) == 0
    report = engine.sync(mode="full")  # and a full sync agrees with the quick ones
    assert sum(sum(report["counts"][t].values()) for t in ACTION_TYPES) == 0


NEW = "5f0000000000000000000001"
GONE = "5a25ffb0c1bc2a0036000449"


def changes(server) -> dict:
    """Four events: a student renamed, one created, one deleted, one left the homeroom."""
    steve = server.get("users", STEVE)
    old_name = dict(steve["name"])
    steve["name"]["last"] = "Zed"
    server.add_event("users.updated", steve, {"name": old_name})
    new = server.get("users", STEVE)
    new.update(id=NEW, name={"first": "Nova", "last": "Newcomer"}, email="nova@example.net")
    new["roles"]["student"]["sis_id"] = "900000001"
    server.add_event("users.created", new)
    homeroom = server.get("sections", HOMEROOM)
    before = list(homeroom["students"])
    removed = homeroom["students"].pop()
    server.add_event("sections.updated", homeroom, {"students": before}, beside=True)
    last = server.add_event("users.deleted", server.get("users", GONE))
    return {"removed": removed, "last": last}


def test_quick_sync_without_a_cursor_asks_for_a_full_sync(tmp_path, clever_server):
    engine = Engine(config(tmp_path), connector=connector(clever_server))
    with pytest.raises(RosterError, match="no event position is stored: run a full sync"):
        engine.sync(mode="quick")
    assert clever_server.requests == []


@pytest.mark.parametrize("break_events", [
    lambda server: server.expire_events(),
    lambda server: server.fault(EVENTS, 404),
])
def test_quick_sync_with_events_unavailable_suggests_a_full_sync(clever_server, break_events):
    clever_server.add_event("sections.updated", clever_server.get("sections", HOMEROOM))
    con = connector(clever_server)
    cursor = con.fetch("full", None).cursor
    break_events(clever_server)
    message = fails(lambda: con.fetch("quick", cursor))
    assert message.startswith("Clever events are unavailable (GET /v3.0/events: ")
    assert message.endswith("); run a full sync: rostertui sync --full")


def test_a_start_cursor_older_than_the_events_kept_is_unavailable(clever_server):
    message = fails(lambda: connector(clever_server).fetch("quick", "start:1000"))
    assert "older than the 30 days Clever keeps events" in message


def test_quick_feed_collapses_events_to_each_objects_final_state(clever_server):
    server = clever_server
    con = connector(server, page_size=2)
    cursor = server.add_event("districts.updated", server.get("districts", DISTRICT))
    steve = server.get("users", STEVE)
    for last in ("One", "Two"):
        steve["name"]["last"] = last
        server.add_event("users.updated", steve, {"name": {"last": "before"}})
    gone = server.get("users", GONE)
    server.add_event("users.updated", gone)
    server.add_event("users.deleted", gone)
    back = server.get("users", TEACHER)
    server.add_event("users.deleted", back)
    back["roles"] = {"staff": {"staff_id": "st-1", "schools": [HIGH]}}  # no longer a teacher
    last = server.add_event("users.created", back)
    feed = con.fetch("quick", cursor)
    assert feed.mode == "quick" and feed.cursor == last
    assert all(not f.complete for f in feed.types.values())
    assert [r["last_name"] for r in feed.types["student"].records] == ["Two"]
    assert set(feed.types["student"].deleted) == {GONE, TEACHER}
    assert [r["source_id"] for r in feed.types["staff"].records] == [TEACHER]
    assert TEACHER in feed.types["teacher"].deleted
    assert set(feed.types) == {"teacher", "student", "staff", "contact"}


def test_a_malformed_event_is_an_error(clever_server):
    cursor = clever_server.add_event("districts.updated", {"id": DISTRICT})
    clever_server.add_event("users.updated", {"name": {"last": "no id"}})
    message = fails(lambda: connector(clever_server).fetch("quick", cursor))
    assert "carries no object with an id" in message


# -- failures ------------------------------------------------------------------------------

def test_a_429_and_a_502_while_paging_are_survived(clever_server):
    clever_server.fault(USERS, 429, nth=3)
    clever_server.fault(USERS, 502, nth=7)
    clever_server.fault(SECTIONS, "drop", nth=2)
    feed = connector(clever_server).fetch("full", None)
    assert counts(feed) == DEMO


def test_a_rejected_token_stages_nothing(tmp_path, clever_server):
    con = connector(clever_server, token="not-the-token-4242")
    message = fails(lambda: con.fetch("full", None))
    assert message.startswith("GET /v3.0/districts: the token was rejected (HTTP 401)")
    assert "not-the-token-4242" not in message
    engine = Engine(config(tmp_path), connector=con)
    with pytest.raises(RosterError, match="token was rejected") as err:
        engine.sync(commit=True)
    assert "not-the-token-4242" not in str(err.value)
    assert all(stored(engine, t) == {} for t in DEMO)
    assert engine.history()[0]["status"] == "failed"


@pytest.mark.parametrize("fault, expected", [
    ("html", "GET /v3.0/users: the server answered HTML, not JSON (HTTP 200); check the base URL"),
    ("truncated", "GET /v3.0/users: the answer is not valid JSON, perhaps cut short"),
    ("loop", "GET /v3.0/users: the server's next link repeats (role=student&limit=100&"
             "starting_after=5a25ffb0c1bc2a0036000450); stopped to avoid a loop"),
])
def test_a_broken_page_is_a_clear_error(clever_server, fault, expected):
    clever_server.fault(USERS, fault, nth=2)
    assert fails(lambda: connector(clever_server).fetch("full", None)).startswith(expected)


# -- the shape of each record: a wrong type is named, never mapped or a traceback ---------

ROW = {"id": STEVE, "roles": {"student": {}}}


@pytest.mark.parametrize("path, body, expected", [
    (USERS, [{"data": ROW}], "the answer has no data list; is this the Clever API?"),
    (USERS, {"data": [{"data": ROW}, {"data": {**ROW, "id": 604863}}]},
     "record 2 of the page has no id ('id' is a number, not text)"),
    (USERS, {"data": [{"data": {**ROW, "id": {"$oid": STEVE}}}]},
     "record 1 of the page has no id ('id' is an object, not text)"),
    (USERS, {"data": [ROW]}, "record 1 of the page is not an object with data"),
    (USERS, {"data": [{"data": {**ROW, "roles": {"student": {"grade": 5}}}}]},
     f"record {STEVE}: 'roles.student.grade' is a number, not text"),
    (USERS, {"data": [{"data": {**ROW, "name": ["Steve", "Ziemann"]}}]},
     f"record {STEVE}: 'name' is a list, not an object"),
    (USERS, {"data": [{"data": {**ROW, "roles": {"student": {"schools": [HIGH, 6]}}}}]},
     f"record {STEVE}: 'roles.student.schools[1]' is a number, not text"),
    (USERS, {"data": [{"data": {**ROW, "roles": {"student": "yes"}}}]},
     f"record {STEVE}: 'roles.student' is text, not an object"),
    (USERS, {"data": [{"data": ROW}], "links": {"rel": "next"}},
     "the page: 'links' is an object, not a list"),
    (USERS, {"data": [{"data": ROW}], "links": [{"rel": "next", "uri": 2}]},
     "the page: 'links[0].uri' is a number, not text"),
    (SECTIONS, {"data": [{"data": {"id": HOMEROOM, "students": [{"id": STEVE}]}}]},
     f"record {HOMEROOM}: 'students[0]' is an object, not text"),
])
def test_a_record_of_the_wrong_shape_is_named_not_mapped(clever_server, path, body, expected):
    """Before, an int id became a record keyed 604863, a number became text, and a list
    where an object belongs was an AttributeError traceback."""
    clever_server.fault(path, "body", body=body)
    message = fails(lambda: connector(clever_server).fetch("full", None))
    assert message == f"GET {path}: {expected}"


def test_an_event_object_of_the_wrong_shape_is_named(clever_server):
    cursor = clever_server.add_event("districts.updated", {"id": DISTRICT})
    user = clever_server.get("users", STEVE)
    user["roles"]["student"]["dob"] = 20070211
    clever_server.add_event("users.updated", user)
    message = fails(lambda: connector(clever_server).fetch("quick", cursor))
    assert message == (f"GET {EVENTS}: record {STEVE}: 'data.object.roles.student.dob' is a "
                       "number, not text")


def test_a_429_storm_beyond_the_budget_is_a_clear_error(clever_server):
    clever_server.fault(SECTIONS, 429, times=50)
    message = fails(lambda: connector(clever_server).fetch("full", None))
    assert message == ("GET /v3.0/sections: still rate limited (HTTP 429) after 5 retries; "
                       "try again in a few minutes")


def test_a_closed_port_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    con = CleverConnector(f"http://127.0.0.1:{port}", TOKEN, retry=FAST)
    message = fails(lambda: con.fetch("full", None))
    assert message.startswith(f"GET /v3.0/districts: cannot connect to 127.0.0.1:{port} (")


def test_an_empty_page_ends_paging_even_with_a_next_link(clever_server):
    clever_server.fault("/v3.0/schools", "empty_next", nth=2)
    result = connector(clever_server, page_size=3).check()
    assert len(result["schools"]) == 3 and clever_server.hits("/v3.0/schools") == 2


@pytest.mark.parametrize("page_size", [0, 10001])
def test_page_size_is_checked(page_size):
    with pytest.raises(SourceError, match="page_size must be 1 to 10000"):
        CleverConnector("https://api.clever.com", TOKEN, page_size=page_size)


# -- district and schools ------------------------------------------------------------------

def test_a_token_of_another_district_is_refused(clever_server):
    message = fails(lambda: connector(clever_server, district_id="other").fetch("full", None))
    assert message == (f"the token belongs to district {DISTRICT}, not the configured other; "
                       "check source.district_id")


def test_the_schools_filter_keeps_one_schools_sections_and_people(clever_server):
    """The engine's school rule (staging/pipeline.py): every school, the selected schools'
    sections, the people of a selected school or of none, the contacts of kept students."""
    feed = connector(clever_server, schools=[MIDDLE], district_id=DISTRICT).fetch("full", None)
    full = connector(clever_server).fetch("full", None)
    assert list(by_id(feed, "school")) == list(by_id(full, "school"))
    assert counts(feed)["section"] == 86
    assert {s["school_id"] for s in feed.types["section"].records} == {MIDDLE}
    for type_ in ("student", "teacher", "staff"):
        expected = {sid for sid, r in by_id(full, type_).items()
                    if MIDDLE in r["school_ids"] or not r["school_ids"]}
        assert set(by_id(feed, type_)) == expected
    students = set(by_id(feed, "student"))
    expected = {sid for sid, r in by_id(full, "contact").items()
                if any(rel["student_id"] in students for rel in r["relationships"])}
    assert set(by_id(feed, "contact")) == expected and expected
    assert counts(feed)["student"] and counts(feed)["teacher"]


def test_quick_sync_applies_the_schools_filter(clever_server):
    server = clever_server
    con = connector(server, schools=[ELEMENTARY])
    cursor = server.add_event("districts.updated", server.get("districts", DISTRICT))
    high_only = next(u for u in server.data["users"].values()
                     if u["roles"].get("student", {}).get("schools") == [HIGH])
    server.add_event("users.updated", high_only)
    server.add_event("users.updated", server.get("users", STEVE))
    parent = next(u for u in server.data["users"].values() if "contact" in u["roles"] and
                  u["roles"]["contact"]["student_relationships"][0]["student"] == STEVE)
    server.add_event("users.updated", parent)
    feed = con.fetch("quick", cursor)
    assert [r["source_id"] for r in feed.types["student"].records] == [STEVE]
    assert high_only["id"] in feed.types["student"].deleted
    assert [r["source_id"] for r in feed.types["contact"].records] == [parent["id"]]


def test_an_unknown_school_in_the_filter_is_named(clever_server):
    message = fails(lambda: connector(clever_server, schools=["nope"]).fetch("full", None))
    assert message.startswith("source.schools names nope, which is not a school shared by "
                              "this district (known: ")


# -- check, describe, config -----------------------------------------------------------------

def test_check_counts_what_is_shared(clever_server):
    result = connector(clever_server).check()
    assert result == {"district": "#DEMO_DISTRICT",
                      "schools": ["#DEMO High School", "#DEMO Elementary School",
                                  "#DEMO Middle School"],
                      "counts": {"student": 1004, "teacher": 89, "staff": 0,
                                 "district_admin": 3, "contact": 1002, "section": 378}}
    assert {q["limit"] for path, q in clever_server.requests if path == USERS} == {"10000"}


def test_make_connector_builds_clever_from_the_config(tmp_path, clever_server):
    cfg = from_dict({"source": {"kind": "clever", "base_url": clever_server.url + "/",
                                "token": TOKEN, "district_id": DISTRICT, "schools": [HIGH],
                                "timeout": 5}}, base_dir=tmp_path)
    con = make_connector(cfg.source)
    assert isinstance(con, CleverConnector) and con.page_size == 1000 and con.timeout == 5
    assert (con.base_url, con.district_id, con.schools) == (clever_server.url, DISTRICT, [HIGH])
    assert con.check()["schools"] == ["#DEMO High School"]
    default = make_connector({"kind": "clever", "token": TOKEN})
    assert default.base_url == "https://api.clever.com"
    assert TOKEN not in repr(describe_source(cfg.source))


def test_quick_sync_since_a_date_reads_the_events_created_since(tmp_path, clever_server):
    from datetime import timedelta

    from rostertui import clock
    engine = Engine(config(tmp_path), connector=connector(clever_server))
    engine.sync(commit=True)
    steve = clever_server.get("users", STEVE)
    steve["name"] = {**steve["name"], "last": "Since"}
    clever_server.add_event("users.updated", steve)
    yesterday = clock.stamp(clock.now() - timedelta(days=1))
    report = engine.sync(mode="quick", since=yesterday)
    assert report["counts"]["student"]["update"] == 1
    later = engine.sync(mode="quick", since=clock.stamp(clock.now() + timedelta(hours=1)))
    assert sum(sum(c.values()) for c in later["counts"].values()) == 0
    with pytest.raises(RosterError, match="older than the 30 days"):
        engine.sync(mode="quick", since="2000-01-01T00:00:00Z")
