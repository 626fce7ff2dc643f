"""The OneRoster 1.1 REST connector against a real loopback server: the Ed-Fi district
served as REST must equal its CSV import, with either auth; quick syncs through the
engine; paging variants and faults."""

from __future__ import annotations

import re

import pytest
from tinydb import TinyDB

from connectors import make_connector
from connectors.feed import SourceError
from connectors.http import RetryPolicy
from connectors.loopback.oneroster_server import (
    API,
    CLIENT_ID,
    CLIENT_SECRET,
    SCOPE,
    TOKEN_PATH,
    tojson_answer,
)
from connectors.oneroster_csv import OneRosterCsvConnector
from connectors.oneroster_rest import OneRosterRestConnector, flatten
from rostertui import clock
from rostertui.config import describe_source
from rostertui.engine import Engine
from rostertui.errors import RosterError
from rostertui.model import TABLES
from rostertui.store import META_TABLE

from ..support.feeds import config
from ..support.paths import FIXTURES

FAST = RetryPolicy(attempts=3, base=0.01, max_wait=0.05)
EDFI = FIXTURES / "oneroster-csv" / "edfi-v1p1"
USERS, CLASSES, ENROLLMENTS = (f"{API}/{f}" for f in ("users", "classes", "enrollments"))
COLLECTIONS = ["orgs", "academicSessions", "courses", "classes", "users", "demographics",
               "enrollments"]
ALG = "25590100102Trad220ALG112011"
KYLE, PETER, MICHEAL = "604874", "604918", "605015"  # students; Micheal is not in ALG


def connector(server, auth: str = "oauth1", **options) -> OneRosterRestConnector:
    options.setdefault("page_size", 3)
    options.setdefault("demographics", True)
    if auth == "oauth2":
        options.setdefault("token_url", server.token_url)
        options.setdefault("scope", SCOPE)
    return OneRosterRestConnector(server.base_url, auth, options.pop("client_id", CLIENT_ID),
                                  options.pop("client_secret", CLIENT_SECRET), retry=FAST,
                                  **options)


def fails(call) -> str:
    with pytest.raises(SourceError) as err:
        call()
    message = str(err.value)
    assert CLIENT_SECRET not in message
    return message


def snapshot(feed) -> dict:
    """What must match between the REST and CSV feeds, in a stable order."""
    return {"types": {t: (f.complete, sorted(f.records, key=lambda r: r["source_id"]),
                          sorted(f.deleted)) for t, f in feed.types.items()},
            "membership": (feed.membership.complete, sorted(feed.membership.rows)),
            "district": feed.district}


CSV_FEED = snapshot(OneRosterCsvConnector(EDFI).fetch("full", None))


def stored(engine, type_: str) -> dict[str, dict]:
    return {d["source_id"]: d for d in TinyDB(engine.store.path).table(TABLES[type_]).all()}


# -- full: the same district as the CSV import ----------------------------------------------

@pytest.mark.parametrize("auth, scheme", [("oauth1", "OAuth"), ("oauth2", "Bearer")])
def test_rest_gives_the_same_records_as_the_csv_import(oneroster_server, auth, scheme):
    server = oneroster_server
    feed = connector(server, auth).fetch("full", None)
    assert snapshot(feed) == CSV_FEED
    assert feed.source == "oneroster_rest" and feed.mode == "full"
    pages = server.queries("users")
    assert [q["offset"] for q in pages] == ["0", "3", "6", "9"]
    assert all(q["limit"] == "3" and q["sort"] == "sourcedId" and q["orderBy"] == "asc"
               and "filter" not in q for q in pages)
    assert [len(server.queries(f)) for f in COLLECTIONS] == [1, 1, 1, 1, 4, 3, 8]
    assert set(server.schemes) == {scheme} and server.refusals == []
    assert server.hits(TOKEN_PATH) == (1 if auth == "oauth2" else 0)


def test_demographics_are_read_only_when_asked_for(oneroster_server):
    feed = connector(oneroster_server, demographics=False).fetch("full", None)
    assert oneroster_server.queries("demographics") == []
    assert all(not r["dob"] for r in feed.types["student"].records)


def test_the_cursor_is_the_fetch_start_and_progress_has_totals(oneroster_server):
    seen = []
    before = clock.stamp()
    feed = connector(oneroster_server).fetch("full", None, lambda *a: seen.append(a))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", feed.cursor)
    assert before <= feed.cursor <= clock.stamp()
    assert [s for s in seen if s[0] == "users"] == [("users", 3, 10), ("users", 6, 10),
                                                    ("users", 9, 10), ("users", 10, 10)]


def test_flatten_turns_classlink_json_into_csv_rows():
    user = {"sourcedId": "12345", "status": "active", "enabledUser": "true",
            "userIds": [{"type": "Fed", "identifier": "12345"},
                        {"type": "StateID", "identifier": "12494640776"}],
            "agents": [{"href": "https://x/users/G3", "sourcedId": "G3", "type": "user"},
                       {"href": "https://x/users/G4", "sourcedId": "G4", "type": "user"}],
            "orgs": [{"href": "https://x/orgs/2", "sourcedId": "2", "type": "org"}],
            "grades": ["11"], "password": "hunter2", "identifier": 22222, "sms": None}
    assert flatten(user) == {"sourcedId": "12345", "status": "active", "enabledUser": "true",
                             "userIds": "{Fed:12345},{StateID:12494640776}",
                             "agentSourcedIds": "G3,G4", "orgSourcedIds": "2", "grades": "11",
                             "identifier": "22222", "sms": ""}
    klass = {"course": {"href": "h", "sourcedId": "7_1111", "type": "course"},
             "school": {"href": "h", "sourcedId": "7", "type": "org"},
             "terms": [{"href": "h", "sourcedId": "FY", "type": "academicSession"}],
             "subjects": ["Science (grade 5)"], "periods": [], "metadata": {"room": "201"}}
    assert flatten(klass) == {"courseSourcedId": "7_1111", "schoolSourcedId": "7",
                              "termSourcedIds": "FY", "subjects": "Science (grade 5)",
                              "periods": "", "metadata.room": "201"}
    course = {"schoolYear": {"href": "h", "sourcedId": "SY", "type": "academicSession"},
              "org": {"href": "h", "sourcedId": "7", "type": "org"}}
    assert flatten(course) == {"schoolYearSourcedId": "SY", "orgSourcedId": "7"}
    session = {"schoolYear": "2021", "parent": None}
    assert flatten(session) == {"schoolYear": "2021", "parent": ""}
    assert flatten({"hispanicOrLatinoEthnicity": True, "white": False}) == {
        "hispanicOrLatinoEthnicity": "true", "white": "false"}


def test_a_password_is_never_kept(oneroster_server):
    oneroster_server.change("users", PETER, password="hunter2-secret")
    assert "hunter2-secret" not in repr(connector(oneroster_server).fetch("full", None))


# -- paging -------------------------------------------------------------------------------

@pytest.mark.parametrize("options, offsets", [
    ({"total_headers": ("x-total-count", "x-count")}, ["0", "3", "6", "9"]),  # ClassLink
    ({"total_headers": ("x-count",)}, ["0", "3", "6", "9"]),
    ({"total_headers": (), "links": False}, ["0", "3", "6", "9"]),  # short page ends it
    ({"links": False}, ["0", "3", "6", "9"]),
    ({"max_limit": 2}, ["0", "2", "4", "6", "8"]),  # fewer than asked: the total goes on
    ({"max_limit": 2, "links": False}, ["0", "2", "4", "6", "8"]),
])
def test_paging_variants_give_the_whole_district(oneroster_server, options, offsets):
    for name, value in options.items():
        setattr(oneroster_server, name, value)
    assert snapshot(connector(oneroster_server).fetch("full", None)) == CSV_FEED
    assert [q["offset"] for q in oneroster_server.queries("users")] == offsets


def test_without_a_total_an_exact_last_page_is_followed_by_an_empty_one(oneroster_server):
    oneroster_server.total_headers, oneroster_server.links = (), False
    feed = connector(oneroster_server, page_size=5).fetch("full", None)
    assert snapshot(feed) == CSV_FEED
    assert [q["offset"] for q in oneroster_server.queries("users")] == ["0", "5", "10"]


def test_a_page_short_of_the_announced_total_is_an_error(oneroster_server):
    oneroster_server.fault(USERS, "body", nth=2, body={"users": []})
    message = fails(lambda: connector(oneroster_server).fetch("full", None))
    assert message == f"GET {USERS}: the server announced 10 records but sent 3"


@pytest.mark.parametrize("nth", [1, 2])
@pytest.mark.parametrize("body", [{}, {"user": {"sourcedId": "604863"}}, {"users": None}])
def test_an_answer_without_the_envelope_is_an_error_not_an_empty_roster(
        oneroster_server, nth, body):
    oneroster_server.fault(USERS, "body", nth=nth, body=body)
    message = fails(lambda: connector(oneroster_server).fetch("full", None))
    assert message.startswith(f'GET {USERS}: the answer has no "users" list')


def test_a_page_that_is_a_list_is_an_error(oneroster_server):
    oneroster_server.fault(USERS, "body", body=[{"sourcedId": KYLE}])
    message = fails(lambda: connector(oneroster_server).fetch("full", None))
    assert message.startswith(f'GET {USERS}: the answer has no "users" list')


@pytest.mark.parametrize("record, expected", [
    ({"sourcedId": 604874}, "record 1 of the page has no sourcedId ('sourcedId' is a number, "
                            "not text)"),
    (KYLE, "record 1 of the page is text, not an object"),
    ({"sourcedId": KYLE, "givenName": 5}, f"record {KYLE}: 'givenName' is a number, not text"),
    ({"sourcedId": KYLE, "givenName": {"first": "Kyle"}},
     f"record {KYLE}: 'givenName' is an object without a text sourcedId, not a reference"),
    ({"sourcedId": KYLE, "orgs": [{"sourcedId": 2}]},
     f"record {KYLE}: 'orgs' holds a reference whose sourcedId is a number, not text"),
    ({"sourcedId": KYLE, "org": {"sourcedId": 2}},
     f"record {KYLE}: 'org' has a sourcedId that is a number, not text"),
    ({"sourcedId": KYLE, "grades": [["09"]]},
     f"record {KYLE}: 'grades' holds a list, not text or a reference"),
    ({"sourcedId": KYLE, "metadata": ["room"]}, f"record {KYLE}: 'metadata' is a list, not an "
                                                "object"),
    ({"sourcedId": KYLE, "metadata": {"room": {"n": [{"x": 1}]}}},
     f"record {KYLE}: 'metadata' holds an object at 'room.n', where plain values belong"),
    ({"sourcedId": KYLE, "metadata": {"a": {"b": {"c": {"d": 1}}}}},
     f"record {KYLE}: 'metadata' nests objects deeper than 3 at 'a.b.c'"),
    ({"sourcedId": KYLE, "userIds": [{"type": "LDAP", "identifier": 12}]},
     f"record {KYLE}: 'userIds' holds an id whose 'identifier' is a number, not text"),
])
def test_a_record_of_the_wrong_shape_is_named_not_flattened(oneroster_server, record, expected):
    """Before, a number sourcedId or name became text and an object became ""."""
    oneroster_server.fault(USERS, "body", body={"users": [record]})
    message = fails(lambda: connector(oneroster_server).fetch("full", None))
    assert message == f"GET {USERS}: {expected}"


def test_metadata_may_hold_numbers(oneroster_server):
    """Extensions are the vendor's to type: a number there is kept as its text."""
    users = [tojson_answer("users", row, oneroster_server.base_url)
             for row in oneroster_server.rows["users"].values()]
    next(u for u in users if u["sourcedId"] == KYLE)["metadata"] = {"gpa": 3.5, "n": [1, 2]}
    oneroster_server.fault(USERS, "body", body={"users": users})
    feed = connector(oneroster_server, page_size=20).fetch("full", None)
    kyle = next(r for r in feed.types["student"].records if r["source_id"] == KYLE)
    assert (kyle["extra"]["gpa"], kyle["extra"]["n"]) == ("3.5", "1,2")


def test_nested_metadata_reads_as_dotted_names_and_gives_legacy_ids(oneroster_server):
    """Infinite Campus keeps a renumbered user's old id in metadata.ic.legacysourceId; a
    server may send it nested ({"ic": {"legacysourceId": ...}}) rather than dotted."""
    users = [tojson_answer("users", row, oneroster_server.base_url)
             for row in oneroster_server.rows["users"].values()]
    user = next(u for u in users if u["sourcedId"] == KYLE)
    user["metadata"] = {"ic": {"legacysourceId": "old-kyle", "school": {"room": "4"}}}
    oneroster_server.fault(USERS, "body", body={"users": users})
    feed = connector(oneroster_server, page_size=20).fetch("full", None)
    kyle = next(r for r in feed.types["student"].records if r["source_id"] == KYLE)
    assert kyle["legacy_ids"] == ["old-kyle"]
    assert kyle["extra"]["ic.school.room"] == "4"
    assert "ic.legacysourceId" not in kyle["extra"]  # legacy_ids only


def test_a_looping_next_link_is_an_error(oneroster_server):
    oneroster_server.fault(USERS, "loop", nth=2)
    message = fails(lambda: connector(oneroster_server).fetch("full", None))
    assert message == (f"GET {USERS}: the server's next link repeats (limit=3&sort=sourcedId&"
                       "orderBy=asc&offset=3); stopped to avoid a loop")


def test_a_server_that_ignores_offset_is_stopped(oneroster_server):
    oneroster_server.links = False
    page = [{"sourcedId": sid} for sid in ("a", "b", "c")]
    oneroster_server.fault(USERS, "body", times=2, body={"users": page})
    message = fails(lambda: connector(oneroster_server).fetch("full", None))
    assert message == f"GET {USERS}: the server sent the same page twice; stopped to avoid a loop"


def test_a_next_link_to_another_host_is_not_followed(oneroster_server):
    oneroster_server.fault(USERS, "loop", to="https://evil.example/ims/oneroster/v1p1/users")
    message = fails(lambda: connector(oneroster_server).fetch("full", None))
    assert message == (f"GET {USERS}: the server's next link leads away from the base URL "
                       "(https://evil.example); stopped")
    assert len(oneroster_server.queries("users")) == 1


# -- failures -----------------------------------------------------------------------------

@pytest.mark.parametrize("auth", ["oauth1", "oauth2"])
def test_a_429_a_502_and_a_dropped_connection_while_paging_are_survived(
        oneroster_server, auth):
    server = oneroster_server
    server.fault(USERS, 429, nth=2, reset=0)
    server.fault(USERS, 429, nth=4, retry_after=0)
    server.fault(ENROLLMENTS, 502, nth=3)
    server.fault(CLASSES, "drop")
    assert snapshot(connector(server, auth).fetch("full", None)) == CSV_FEED
    assert server.refusals == []  # each retry was signed afresh (a new nonce)
    assert server.hits(USERS) == 6 and server.hits(ENROLLMENTS) == 9


@pytest.mark.parametrize("fault, expected", [
    ("html", f"GET {USERS}: the server answered HTML, not JSON (HTTP 200); check the base URL"),
    ("truncated", f"GET {USERS}: the answer is not valid JSON, perhaps cut short ("),
    (502, f"GET {USERS}: the server failed (HTTP 502); gave up after 3 attempts"),
])
def test_a_broken_page_is_a_clear_error(oneroster_server, fault, expected):
    oneroster_server.fault(USERS, fault, nth=2, times=3)
    assert fails(lambda: connector(oneroster_server).fetch("full", None)).startswith(expected)


@pytest.mark.parametrize("options, refusal", [
    ({"client_secret": "not-the-secret"}, "invalid signature"),
    ({"client_id": "someone-else"}, "unknown consumer key"),
    ({}, "stale timestamp"),  # the server's clock is an hour ahead
])
def test_a_refused_signature_is_rejected_and_stages_nothing(
        tmp_path, oneroster_server, options, refusal):
    if not options:
        oneroster_server.skew = 3600
    con = connector(oneroster_server, **options)
    engine = Engine(config(tmp_path), connector=con)
    with pytest.raises(RosterError) as err:
        engine.sync(commit=True)
    assert str(err.value) == (f"GET {API}/orgs: the token was rejected (HTTP 401); check the "
                              f"credentials in the config [server: {refusal}]")
    assert oneroster_server.refusals == [refusal]
    assert engine.history()[0]["status"] == "failed"
    assert all(stored(engine, t) == {} for t in TABLES)


def test_the_secret_is_scrubbed_from_what_the_server_says(oneroster_server):
    oneroster_server.fault(USERS, "body", status=401,
                           body={"error": f"secret {CLIENT_SECRET} is not valid"})
    message = fails(lambda: connector(oneroster_server).fetch("full", None))
    assert message.endswith("[server: secret *** is not valid]")


CHECK = "; check source.client_id, client_secret and scope"


@pytest.mark.parametrize("options, expected", [
    ({"client_secret": "not-the-secret"}, f"(invalid_client: client authentication failed){CHECK}"),
    ({"client_id": "someone-else"}, f"(invalid_client: client authentication failed){CHECK}"),
    ({"scope": "roster.write"}, "(invalid_scope) asking for the scope roster.write; name the "
                                "scopes this client has in source.scope"),
])
def test_a_rejected_oauth2_client_is_a_clear_error(oneroster_server, options, expected):
    message = fails(lambda: connector(oneroster_server, "oauth2", **options).fetch("full", None))
    assert message == f"POST {TOKEN_PATH}: the OAuth 2 client was rejected {expected}"
    assert oneroster_server.queries("orgs") == []


@pytest.mark.parametrize("fault, expected", [
    ({"kind": "body", "status": 401, "body": {"error": "invalid_client",
                                              "error_description": f"bad {CLIENT_SECRET}"}},
     "the OAuth 2 client was rejected (invalid_client: bad ***)"),
    ({"kind": 502}, "the token endpoint failed (HTTP 502)"),
    ({"kind": "html"}, "the token endpoint did not answer a JSON token"),
])
def test_a_failing_token_endpoint_is_a_clear_error(oneroster_server, fault, expected):
    oneroster_server.fault(TOKEN_PATH, **fault)
    message = fails(lambda: connector(oneroster_server, "oauth2").fetch("full", None))
    assert message.startswith(f"POST {TOKEN_PATH}: {expected}")


def test_an_expired_oauth2_token_is_fetched_again(oneroster_server):
    oneroster_server.expires_in = 1  # inside authlib's 60 s leeway: stale at once
    assert snapshot(connector(oneroster_server, "oauth2").fetch("full", None)) == CSV_FEED
    api_calls = len(oneroster_server.requests) - oneroster_server.hits(TOKEN_PATH)
    assert oneroster_server.hits(TOKEN_PATH) == api_calls == 19


# -- quick ----------------------------------------------------------------------------------

def test_quick_without_a_stored_time_asks_for_a_full_sync(tmp_path, oneroster_server):
    engine = Engine(config(tmp_path), connector=connector(oneroster_server))
    with pytest.raises(RosterError, match="^no previous sync time is stored: run a full sync "
                                          "first"):
        engine.sync(mode="quick")
    message = fails(lambda: connector(oneroster_server).fetch("quick", "start:1000"))
    assert message.startswith("the quick sync start 'start:1000' is not an ISO 8601 time")
    assert oneroster_server.requests == []


@pytest.mark.parametrize("since, sent", [
    ("2026-01-31T08:15:00Z", "2026-01-31T08:15:00Z"),
    ("2026-01-31", "2026-01-31T00:00:00Z"),
    ("2026-01-31T09:15:00.750+01:00", "2026-01-31T08:15:00Z"),
])
def test_a_quick_sync_start_is_sent_as_utc(oneroster_server, since, sent):
    connector(oneroster_server).fetch("quick", since)
    assert oneroster_server.queries("users")[0]["filter"] == f"dateLastModified>'{sent}'"


def test_quick_reads_the_changes_as_deltas(oneroster_server):
    server = oneroster_server
    cursor = "2025-06-01T00:00:00Z"
    server.change("users", KYLE, status="tobedeleted")
    server.change("classes", ALG, status="tobedeleted")
    server.change("enrollments", "D43AAE29-B248-4CF1-AE68-9F326DBCC7E8", status="tobedeleted")
    feed = connector(server).fetch("quick", cursor)
    assert feed.mode == "quick" and feed.cursor > cursor
    assert all(not f.complete for f in feed.types.values())
    assert feed.types["student"].deleted == [KYLE] and feed.types["section"].deleted == [ALG]
    # orgs are read whole (a user moved to a department is placed as a full sync would)
    assert not any(f.records for t, f in feed.types.items() if t != "school")
    assert feed.membership.complete is False
    assert feed.membership.rows == [(ALG, "student", KYLE, False)]
    assert {path.rsplit("/", 1)[1]: q.get("filter") for path, q in server.requests} == {
        **dict.fromkeys(COLLECTIONS, f"dateLastModified>'{cursor}'"), "orgs": None,
        "demographics": None}


def test_engine_full_sync_then_a_quick_sync_stages_exactly_the_changes(
        tmp_path, oneroster_server):
    server = oneroster_server
    engine = Engine(config(tmp_path), connector=connector(server, "oauth2"))
    before = clock.stamp()
    report = engine.sync(commit=True)
    assert report["status"] == "committed" and len(stored(engine, "student")) == 8
    cursor = TinyDB(engine.store.path).table(META_TABLE).get(doc_id=1)["cursor"]
    assert before <= cursor <= clock.stamp()

    server.change("users", KYLE, status="tobedeleted")
    server.change("users", PETER, email="peter.nash@new.example.org")
    server.change("enrollments", "NEW-ENROLLMENT-1", classSourcedId=ALG, role="student",
                  schoolSourcedId="255901001", userSourcedId=MICHEAL, status="active")
    server.requests.clear()
    report = engine.sync(mode="quick")
    assert report["status"] == "staged" and report["mode"] == "quick"
    actions = {a["id"]: a for a in engine.plan(report["sync_id"])["actions"]}
    assert {i: a["kind"] for i, a in actions.items()} == {
        f"student:{KYLE}": "archive", f"student:{PETER}": "update", f"section:{ALG}": "update"}
    assert actions[f"student:{PETER}"]["changes"] == {
        "email": ["Peter.Nash@studentgps.org", "peter.nash@new.example.org"]}
    assert actions[f"section:{ALG}"]["members"] == {
        "student_ids": {"added": [MICHEAL], "removed": []}}
    filters = {path.rsplit("/", 1)[1]: q.get("filter") for path, q in server.requests
               if path != TOKEN_PATH}
    assert filters == {**dict.fromkeys(COLLECTIONS, f"dateLastModified>'{cursor}'"),
                       "orgs": None,  # read whole: every org's type is known
                       "demographics": None}  # read whole: Peter keeps his demographics

    engine.commit()
    assert stored(engine, "student")[KYLE]["status"] == "archived"
    assert stored(engine, "student")[PETER]["email"] == "peter.nash@new.example.org"
    assert MICHEAL in stored(engine, "section")[ALG]["student_ids"]
    assert TinyDB(engine.store.path).table(META_TABLE).get(doc_id=1)["cursor"] >= cursor


# -- check, describe, config -----------------------------------------------------------------

COUNTS = {"orgs": 2, "academicSessions": 3, "courses": 2, "classes": 2, "users": 10,
          "demographics": 8, "enrollments": 24}


def test_check_names_the_district_and_counts_cheaply(oneroster_server):
    result = connector(oneroster_server, "oauth2").check()
    assert result == {"district": "Grand Bend ISD", "schools": ["Grand Bend High School"],
                      "counts": COUNTS, "version": "OneRoster 1.1"}
    assert [q["limit"] for q in oneroster_server.queries("users")] == ["1"]


def test_check_pages_to_count_when_no_total_is_sent(oneroster_server):
    oneroster_server.total_headers = ()
    assert connector(oneroster_server).check()["counts"] == COUNTS
    assert [q["limit"] for q in oneroster_server.queries("users")] == ["1", "3", "3", "3", "3"]


def test_make_connector_and_describe_source_keep_the_secret_out(oneroster_server):
    source = {"kind": "oneroster_rest", "base_url": oneroster_server.base_url,
              "auth": "oauth2", "client_id": CLIENT_ID,
              "client_secret": CLIENT_SECRET, "token_url": oneroster_server.token_url,
              "scope": SCOPE, "page_size": 4, "timeout": 5.0, "demographics": True}
    con = make_connector(source)
    assert isinstance(con, OneRosterRestConnector) and con.page_size == 4
    assert (con.base_url, con.auth, con.client_id) == (oneroster_server.base_url, "oauth2",
                                                       CLIENT_ID)
    assert CLIENT_SECRET not in repr(describe_source(source))
    assert con.check()["counts"] == COUNTS


@pytest.mark.parametrize("args, expected", [
    (("https://sis.example/ims/oneroster/v1p1", "oauth3"), "source.auth must be oauth1 or"),
    (("https://sis.example/ims/oneroster/v1p1", "oauth2"), "source.token_url is required"),
    (("http://sis.example/ims/oneroster/v1p1", "oauth1"), "source.base_url must start with "
                                                          "https://"),
])
def test_settings_are_checked(args, expected):
    with pytest.raises(SourceError, match=expected):
        OneRosterRestConnector(*args, CLIENT_ID, CLIENT_SECRET)
