"""The OneRoster 1.2 REST connector against a real loopback 1.2 rostering service
(connectors/loopback/oneroster12_server.py) serving the hand-written 1.2 bulk set: the
same records as the CSV set, OAuth 2 with the 1.2 scopes, paging, quick syncs."""

from __future__ import annotations

import re

import httpx
import pytest
from tinydb import TinyDB

from connectors import make_connector
from connectors.feed import SourceError
from connectors.http import RetryPolicy
from connectors.loopback.oneroster12_server import (
    API,
    SCOPE_CORE,
    SCOPE_DEMOGRAPHICS,
    SCOPE_ROSTER,
    OneRoster12Server,
)
from connectors.loopback.oneroster_server import CLIENT_ID, CLIENT_SECRET, TOKEN_PATH
from connectors.oneroster12 import user_parts
from connectors.oneroster_csv import OneRosterCsvConnector
from connectors.oneroster_rest import OneRosterRestConnector, flatten
from rostertui import config
from rostertui.engine import Engine
from rostertui.errors import RosterError
from rostertui.model import TABLES

from ..support.feeds import config as engine_config
from ..support.paths import FIXTURES

BULK = FIXTURES / "oneroster12-bulk"
FAST = RetryPolicy(attempts=2, base=0.01, max_wait=0.05)
COLLECTIONS = ["orgs", "academicSessions", "courses", "classes", "users", "demographics",
               "enrollments"]


@pytest.fixture
def server():
    with OneRoster12Server(BULK) as served:
        yield served


def connector(server, **options) -> OneRosterRestConnector:
    options.setdefault("page_size", 3)
    options.setdefault("demographics", True)
    return OneRosterRestConnector(server.base_url, "oauth2", CLIENT_ID, CLIENT_SECRET,
                                  token_url=server.token_url, retry=FAST, version="1.2",
                                  **options)


def records(feed) -> dict:
    return {t: (f.complete, sorted(f.records, key=lambda r: r["source_id"]), sorted(f.deleted))
            for t, f in feed.types.items()}


def fails(call) -> str:
    with pytest.raises(SourceError) as err:
        call()
    assert CLIENT_SECRET not in str(err.value)
    return str(err.value)


def test_rest_gives_the_records_of_the_csv_set(server):
    feed = connector(server).fetch("full", None)
    csv_feed = OneRosterCsvConnector(BULK).fetch("full", None)
    assert records(feed) == records(csv_feed)
    assert sorted(feed.membership.rows) == sorted(csv_feed.membership.rows)
    assert feed.district == csv_feed.district and feed.source == "oneroster_rest"
    assert "s3cret" not in repr(feed)  # a profile's password, sent by the server
    assert [(w["code"], w["source_id"]) for w in feed.warnings] == [("missing_email", "s-novak")]


def test_paging_sorting_and_the_1_2_paths(server):
    connector(server).fetch("full", None)
    users = server.queries("users")
    assert [q["offset"] for q in users] == ["0", "3", "6"]
    assert all(q["limit"] == "3" and q["sort"] == "sourcedId" and q["orderBy"] == "asc"
               for q in users)
    assert {path for path, _ in server.requests} == {TOKEN_PATH} | {
        f"{API}/{c}" for c in COLLECTIONS}
    assert server.schemes and set(server.schemes) == {"Bearer"}


def test_the_1_2_scopes_are_asked_for_by_default(server):
    connector(server).fetch("full", None)
    connector(server, demographics=False).fetch("full", None)
    connector(server, scope=SCOPE_ROSTER).fetch("full", None)
    assert server.asked == [f"{SCOPE_CORE} {SCOPE_DEMOGRAPHICS}", SCOPE_CORE, SCOPE_ROSTER]


def test_a_token_without_the_roster_scope_gets_403_for_users(server):
    token = httpx.post(server.token_url, data={
        "grant_type": "client_credentials", "scope": SCOPE_DEMOGRAPHICS},
        auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    users = httpx.get(f"{server.base_url}/users", headers=bearer)
    assert users.status_code == 403 and "insufficient scope" in users.json()["error"]
    assert httpx.get(f"{server.base_url}/demographics", headers=bearer).status_code == 200
    message = fails(lambda: connector(server, scope=SCOPE_DEMOGRAPHICS).fetch("full", None))
    assert message.startswith(f"GET {API}/orgs: access denied (HTTP 403): the credentials do "
                              "not give access to this data [server: insufficient scope: ")


def test_a_scope_the_client_may_not_have_is_refused_at_the_token(server):
    server.allowed = frozenset({SCOPE_CORE})
    message = fails(lambda: connector(server).fetch("full", None))
    assert message.startswith(f"POST {TOKEN_PATH}: the OAuth 2 client was rejected "
                              "(invalid_scope)")
    assert connector(server, demographics=False).fetch("full", None).types


def test_oauth_1_is_refused_by_a_1_2_server(server):
    oauth1 = OneRosterRestConnector(server.base_url, "oauth1", CLIENT_ID, CLIENT_SECRET,
                                    retry=FAST)
    assert "[server: OAuth 1 is not offered" in fails(lambda: oauth1.fetch("full", None))


@pytest.mark.parametrize("values, problem", [
    ({}, "'source.auth' must be oauth2 with version 1.2: OneRoster 1.2 takes OAuth 2 only"),
    ({"auth": "oauth2", "token_url": "https://sis.example/token",
      "base_url": "https://sis.example/ims/oneroster/v1p1"},
     "'source.base_url' must end in /ims/oneroster/rostering/v1p2 with version 1.2"),
    ({"auth": "oauth2", "token_url": "https://sis.example/token", "version": "1.1"},
     "'source.base_url' must end in /ims/oneroster/v1p1"),
])
def test_the_config_holds_version_auth_and_path_together(tmp_path, values, problem):
    source = {"kind": "oneroster_rest", "version": "1.2", "client_id": "id",
              "client_secret": "secret",
              "base_url": "https://sis.example/ims/oneroster/rostering/v1p2", **values}
    with pytest.raises(RosterError) as err:
        config.from_dict({"source": source}, base_dir=tmp_path)
    assert str(err.value).endswith(problem)


def test_the_config_builds_a_1_2_connector(tmp_path, server):
    cfg = config.from_dict({"source": {
        "kind": "oneroster_rest", "version": "1.2", "auth": "oauth2", "base_url":
        server.base_url, "token_url": server.token_url, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET}}, base_dir=tmp_path)
    built = make_connector(cfg.source)
    assert isinstance(built, OneRosterRestConnector) and built.version == "1.2"
    assert built.scope == SCOPE_CORE
    assert config.from_dict({"source": {"kind": "oneroster_rest", "client_id": "i",
                                        "client_secret": "s", "base_url":
                                        "https://x/ims/oneroster/v1p1"}},
                            base_dir=tmp_path).source["version"] == "1.1"


def test_check_counts_the_collections(server):
    found = connector(server).check()
    assert found["version"] == "OneRoster 1.2"
    assert found["district"] == "Maple Valley Unified"
    assert found["schools"] == ["Maple Valley High School", "Cedar Middle School"]
    assert found["counts"] == {"orgs": 4, "academicSessions": 3, "courses": 3, "classes": 3,
                               "users": 8, "demographics": 2, "enrollments": 9}


def test_a_quick_sync_filters_by_date_and_gets_each_users_roles(tmp_path, server):
    engine = Engine(engine_config(tmp_path), connector=connector(server))
    assert engine.sync(commit=True)["status"] == "committed"
    server.change("roles", "r-okafor-admin", status="tobedeleted")
    server.change("users", "t-okafor", pronouns="they/them")
    server.requests.clear()
    report = engine.sync(mode="quick")
    filters = {q.get("filter") for path, q in server.requests if path != TOKEN_PATH
               and not path.endswith(("/demographics", "/orgs"))}
    assert len(filters) == 1 and re.fullmatch(
        r"dateLastModified>'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'", filters.pop())
    [action] = engine.plan(report["sync_id"])["actions"]
    assert action["id"] == "teacher:t-okafor"
    assert action["changes"] == {
        "extra.pronouns": ["she/her", "they/them"],
        "extra.roles": ["teacher at mv-high (primary); siteAdministrator at mv-middle from "
                        "2025-08-01 to 2026-06-30", None]}
    stored = {d["source_id"]: d for d in TinyDB(engine.store.path).table(TABLES["teacher"]).all()}
    assert stored["t-okafor"]["extra"]["pronouns"] == "she/her"  # staged, not committed


def test_a_bad_role_names_the_user_it_came_with(server):
    def pupil(user):
        if user["sourcedId"] == "s-chen":
            user["roles"][0]["role"] = "pupil"
        return user
    server.serve("users", pupil)
    message = fails(lambda: connector(server).fetch("full", None))
    # one line: that s-chen has then no role would only repeat it
    assert message == (f"{server.base_url}: /users line 4 (role s-chen roles[1]): unknown "
                       "role 'pupil'")


@pytest.mark.parametrize("roles, problem", [
    ("teacher", "'roles' is text, not a list"),
    (["teacher"], "'roles' holds text, not an object"),
    ([{"role": 1}], "'roles' holds an item whose 'role' is a number, not text"),
])
def test_roles_of_the_wrong_shape_name_the_record_and_field(server, roles, problem):
    def broken(user):
        if user["sourcedId"] == "s-chen":
            user["roles"] = roles
        return user
    server.serve("users", broken)
    assert fails(lambda: connector(server).fetch("full", None)) == (
        f"GET {API}/users: record s-chen: {problem}")


def test_user_parts_split_a_1_2_user_into_csv_rows():
    user = {"sourcedId": "u1", "givenName": "Dee", "preferredFirstName": "D",
            "preferredLastName": "G", "primaryOrg": {"href": "h", "sourcedId": "o1",
                                                     "type": "org"},
            "roles": [{"roleType": "primary", "role": "student",
                       "org": {"href": "h", "sourcedId": "o1", "type": "org"},
                       "userProfile": "p1", "beginDate": "2025-08-01"}],
            "userProfiles": [{"profileId": "p1", "profileType": "lms", "vendorId": "v",
                              "credentials": [{"type": "username", "username": "dee",
                                               "password": "pw"}]}]}
    assert user_parts([user], flatten) == [
        ("userProfiles", [{"sourcedId": "p1", "userSourcedId": "u1", "profileType": "lms",
                           "vendorId": "v", "applicationId": "", "username": "dee"}], [1]),
        ("roles", [{"sourcedId": "u1 roles[1]", "userSourcedId": "u1", "roleType": "primary",
                    "role": "student", "orgSourcedId": "o1", "userProfileSourcedId": "p1",
                    "beginDate": "2025-08-01", "endDate": ""}], [1]),
        ("users", [{"sourcedId": "u1", "givenName": "Dee", "preferredGivenName": "D",
                    "preferredFamilyName": "G", "primaryOrgSourcedId": "o1"}], [1])]


# -- faults found by a hostile tester: one line each, naming what is wrong ---------------

def a_role(change):
    """serve("users", ...): s-chen's first role changed by `change`."""
    def serve(user):
        if user["sourcedId"] == "s-chen":
            change(user["roles"][0])
        return user
    return serve


@pytest.mark.parametrize("field, problem", [
    ("org", "no org (orgSourcedId is empty; it is required)"),
    ("roleType", "roleType is empty; it is required"),
])
def test_a_role_without_a_required_field_says_it_is_empty(server, field, problem):
    server.serve("users", a_role(lambda role: role.pop(field)))
    assert fails(lambda: connector(server).fetch("full", None)) == (
        f"{server.base_url}: /users line 4 (role s-chen roles[1]): {problem}")


def test_a_reference_whose_sourced_id_is_a_number_is_named_so(server):
    server.serve("users", a_role(lambda role: role.update(org={"sourcedId": 5})))
    assert fails(lambda: connector(server).fetch("full", None)) == (
        f"GET {API}/users: record s-chen: 'roles' holds an item whose 'org' has a sourcedId "
        "that is a number, not text")


def test_a_refused_demographics_scope_suggests_demographics_false(server):
    server.allowed = frozenset({SCOPE_CORE})
    assert fails(lambda: connector(server).fetch("full", None)) == (
        f"POST {TOKEN_PATH}: the OAuth 2 client was rejected (invalid_scope) asking for the "
        f"scope {SCOPE_CORE} {SCOPE_DEMOGRAPHICS}; if this client may not read demographics, "
        "set source.demographics: false (or name the scopes it has in source.scope)")


@pytest.mark.parametrize("nested, problem", [
    ("7101", None),
    ("L-OLD", "record s-chen: 'metadata' gives 'ic.legacysourceId' both dotted and nested, as "
              "'7101' and 'L-OLD': which one is meant?"),
])
def test_a_legacy_id_given_dotted_and_nested_must_agree(server, nested, problem):
    def both(user):
        if user["sourcedId"] == "s-chen":
            user["metadata"] = {"ic.legacysourceId": "7101", "ic": {"legacysourceId": nested}}
        return user
    server.serve("users", both)
    if problem:
        assert fails(lambda: connector(server).fetch("full", None)) == (
            f"GET {API}/users: {problem}")
        return
    chen = next(r for r in connector(server).fetch("full", None).types["student"].records
                if r["source_id"] == "s-chen")
    assert chen["legacy_ids"] == ["7101"] and "ic.legacysourceId" not in chen["extra"]


def test_a_quick_sync_moving_a_user_to_a_department_places_them_as_a_full_sync(tmp_path,
                                                                               server):
    """/orgs is read whole by a quick sync too: a role moved to mv-high's science
    department leaves the student in mv-high; a department with no school above it is a
    not_a_school warning, and the student keeps the schools stored."""
    engine = Engine(engine_config(tmp_path), connector=connector(server))
    assert engine.sync(commit=True)["status"] == "committed"
    server.change("roles", "r-novak", orgSourcedId="mv-science")
    report = engine.sync(mode="quick")
    assert engine.plan(report["sync_id"])["actions"] == []
    assert not [w for w in report["warnings"] if w["code"] == "not_a_school"]
    server.change("orgs", "mv-science", parentSourcedId="")
    server.change("users", "s-novak", email="anovak@students.maplevalley.example.org")
    report = engine.sync(mode="quick")
    [action] = engine.plan(report["sync_id"])["actions"]
    assert action["changes"] == {"email": ["", "anovak@students.maplevalley.example.org"]}
    assert [w["message"] for w in report["warnings"] if w["code"] == "not_a_school"] == [
        "/users line 1: Ana Novak (40003) belongs to department mv-science, which is not a "
        "school and has no school above it in orgs; the schools stored are kept"]
