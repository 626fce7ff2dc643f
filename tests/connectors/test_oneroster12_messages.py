"""What a OneRoster CSV set that breaks one rule is told, found by a hostile tester:
each fault is one line naming the file, line and record (never a cascade of what follows
from it); what the roster can still be made from but looks wrong is a data warning with
a code; files a roster sync does not read never stop it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.oneroster_csv import OneRosterCsvConnector
from rostertui import model
from rostertui.engine import Engine

from ..support.feeds import config as engine_config
from ..support.oneroster12_sets import (
    BULK,
    DELTA,
    SAME_11,
    copy,
    edit,
    fetch,
    problems,
    read_rows,
    record,
    warnings_of,
    write_rows,
)

Edit = Callable[[Path], None]


def replace(name: str, old: str, new: str) -> Edit:
    return lambda folder: edit(folder, name, old, new)


def add_11_columns(role: Callable[[str], str], orgs: str) -> Edit:
    """users.csv with 1.1's role and orgSourcedIds columns too (role: by sourcedId)."""
    def change(folder: Path) -> None:
        rows = read_rows(folder / "users.csv")
        write_rows(folder / "users.csv", [rows[0] + ["role", "orgSourcedIds"]]
                   + [row + [role(row[0]), orgs] for row in rows[1:]])
    return change


def without_version(folder: Path) -> None:
    edit(folder, "manifest.csv", "oneroster.version,1.2\n", "")


def without_roles(folder: Path) -> None:
    (folder / "roles.csv").unlink()


# -- one line each ------------------------------------------------------------------

@pytest.mark.parametrize("change, expected", [
    # a 1.2-only file's header is never "the columns of a OneRoster 1.1 roles.csv"
    (replace("roles.csv", ",roleType,", ",roletype,"),
     "roles.csv line 1: column 'roletype' is not defined by OneRoster 1.2; did you mean "
     "roleType?"),
    (replace("roles.csv", "r-novak,,,s-novak,primary", "r-novak,,,s-novak,Primray"),
     "roles.csv line 10 (role r-novak): unknown roleType 'Primray'"),
    (replace("roles.csv", "r-novak,,,s-novak,primary,student", "r-novak,,,s-novak,primary,studnet"),
     "roles.csv line 10 (role r-novak): unknown role 'studnet'"),
    (replace("roles.csv", "r-novak,,,s-novak,", "r-novak,,,,"),
     "roles.csv line 10 (role r-novak): no user (userSourcedId is empty; it is required)"),
    (replace("roles.csv", "student,,,mv-high,\nr-brennan", "student,,,,\nr-brennan"),
     "roles.csv line 10 (role r-novak): no org (orgSourcedId is empty; it is required)"),
    (replace("roles.csv", "student,,,mv-high,\nr-brennan", "student,,,mv-high,up-chen-canvas\n"
                                                           "r-brennan"),
     "roles.csv line 10 (role r-novak): user profile up-chen-canvas is user s-chen's, not "
     "s-novak's"),
    (without_roles, "roles.csv: missing, but manifest.csv lists it as bulk"),
    (without_version,
     "manifest.csv: no oneroster.version (this reader takes OneRoster 1.1 and 1.2 sets; it "
     "holds userProfiles.csv, roles.csv, of OneRoster 1.2)"),
    (add_11_columns(lambda sid: "student", "mv-high"),
     "users.csv: 6 user(s) with OneRoster 1.1's role and orgSourcedIds columns, which "
     "contradict roles.csv (first: line 2, user t-okafor: role 'student', orgSourcedIds "
     "'mv-high'; roles: teacher at mv-high); a 1.2 users.csv has neither column: one of the "
     "two is wrong"),
], ids=["roletype-header", "roleType-typo", "role-typo", "no-user", "no-org",
        "another-users-profile", "roles-missing", "no-version", "contradicting-1.1-columns"])
def test_a_fault_is_one_line(tmp_path, change, expected):
    folder = copy(BULK, tmp_path / "set")
    change(folder)
    assert problems(folder) == [expected]


def test_1_1_columns_that_agree_with_the_roles_are_only_unknown_columns(tmp_path):
    folder = copy(BULK, tmp_path / "set")
    kinds = {"t-okafor": "teacher", "t-lindqvist": "teacher", "p-ward": "administrator",
             "g-chen": "guardian"}
    add_11_columns(lambda sid: kinds.get(sid, "student"), "")(folder)
    feed = fetch(folder)
    assert feed.types == fetch(BULK).types
    assert [w["message"] for w in warnings_of(feed, "unknown_columns")] == [
        "users.csv line 1: 2 column(s) 'role', 'orgSourcedIds': not defined by OneRoster 1.2 "
        "(nor metadata.*)"]


# -- warnings: the record is made, and what looks wrong is said ------------------------

def test_two_primary_roles_of_one_kind_warn_and_keep_both_schools(tmp_path):
    folder = copy(BULK, tmp_path / "set")
    with (folder / "roles.csv").open("a") as f:
        f.write("r-chen-cms,,,s-chen,primary,student,,,mv-middle,\n")
    feed = fetch(folder)
    assert record(feed, "student", "s-chen")["school_ids"] == ["mv-high", "mv-middle"]
    assert warnings_of(feed, "primary_roles") == [model.warning(
        "primary_roles", "student", "s-chen",
        "users.csv line 5 (user s-chen): 2 primary roles in roles.csv, where one is expected: "
        "student at mv-high (primary); student at mv-middle (primary); the first is taken")]


def test_a_role_ending_before_it_begins_warns(tmp_path):
    folder = copy(BULK, tmp_path / "set")
    edit(folder, "roles.csv", "2025-08-01,2026-06-30", "2027-01-01,2026-06-30")
    assert warnings_of(fetch(folder), "reversed_dates") == [model.warning(
        "reversed_dates", "teacher", "t-okafor",
        "roles.csv line 3 (role r-okafor-admin): beginDate 2027-01-01 is after endDate "
        "2026-06-30; the role is kept as sent")]


def test_a_primary_org_where_the_user_has_no_role_warns(tmp_path):
    """s-novak's role is at mv-high: mv-middle is no org of hers. s-garcia's role is in
    mv-high's science department, her primaryOrg mv-high: the school above it, no warning."""
    folder = copy(BULK, tmp_path / "set")
    edit(folder, "users.csv", "MV-40003,,,,,mv-high,", "MV-40003,,,,,mv-middle,")
    feed = fetch(folder)
    assert record(feed, "student", "s-novak")["school_ids"] == ["mv-high"]
    assert warnings_of(feed, "primary_org_without_role") == [model.warning(
        "primary_org_without_role", "student", "s-novak",
        "users.csv line 7 (user s-novak): primaryOrgSourcedId mv-middle is an org where the "
        "user has no role in roles.csv; their schools are those of their roles")]
    assert not warnings_of(fetch(BULK), "primary_org_without_role")


# -- gradebook and resource files never stop a roster sync --------------------------

def test_a_gradebook_file_listed_but_missing_or_sent_but_marked_absent_is_a_note(tmp_path):
    folder = copy(BULK, tmp_path / "set")
    edit(folder, "manifest.csv", "file.results,absent", "file.results,bulk")
    (folder / "scoreScales.csv").write_text("sourcedId,title\nss-1,Letter grades\n")
    feed = fetch(folder)
    assert feed.types == fetch(BULK).types
    assert [w["message"] for w in warnings_of(feed, "files_not_read")] == [
        "manifest.csv: 3 file(s) not read, being no roster data (gradebook, resources): "
        "categories.csv, lineItems.csv, results.csv (listed, not in the set)"]


# -- a delta moving a user to a department ---------------------------------------------

def department_delta(tmp_path: Path, parent: str) -> Path:
    """The 1.2 delta set, with s-novak's role moved to the science department and orgs.csv
    sent as a delta naming it and the high school (`parent`: the org above it)."""
    folder = copy(DELTA, tmp_path / "delta")
    edit(folder, "roles.csv", "s-novak,primary,student,,,mv-high,",
         "s-novak,primary,student,,,mv-science,")
    edit(folder, "manifest.csv", "file.orgs,absent", "file.orgs,delta")
    orgs = read_rows(BULK / "orgs.csv")
    write_rows(folder / "orgs.csv", [orgs[0]] + [
        r[:-1] + [parent] if r[0] == "mv-science" else r for r in orgs
        if r[0] in ("mv-high", "mv-science")])
    return folder


def test_a_delta_places_a_user_in_a_department_in_the_school_above_it(tmp_path):
    feed = fetch(department_delta(tmp_path, "mv-high"))
    assert record(feed, "student", "s-novak")["school_ids"] == ["mv-high"]
    assert not warnings_of(feed, "not_a_school")


def test_a_delta_to_a_department_without_a_school_warns_and_keeps_the_schools(tmp_path):
    bulk = copy(BULK, tmp_path / "bulk")
    engine = Engine(engine_config(tmp_path), connector=OneRosterCsvConnector(bulk))
    assert engine.sync(commit=True)["status"] == "committed"
    engine = Engine(engine_config(tmp_path),
                    connector=OneRosterCsvConnector(department_delta(tmp_path, "")))
    report = engine.sync(mode="quick")
    actions = {a["id"]: a for a in engine.plan(report["sync_id"])["actions"]}
    assert actions["student:s-novak"]["changes"] == {
        "email": ["", "anovak@students.maplevalley.example.org"]}  # school_ids kept
    assert model.warning(
        "not_a_school", "student", "s-novak",
        "users.csv line 3: Ana Novak (40003) belongs to department mv-science, which is not "
        "a school and has no school above it in orgs; the schools stored are kept"
    ) in report["warnings"]


def test_a_1_1_delta_to_a_department_is_placed_as_a_full_set_places_it(tmp_path):
    folder = tmp_path / "delta11"
    folder.mkdir()
    users = read_rows(SAME_11 / "users.csv")
    garcia = next(r for r in users if r[0] == "s-garcia")
    garcia[1:3] = ["active", "2025-10-01T06:00:00Z"]
    garcia[users[0].index("orgSourcedIds")] = "mv-science"
    write_rows(folder / "users.csv", [users[0], garcia])
    orgs = read_rows(SAME_11 / "orgs.csv")
    write_rows(folder / "orgs.csv", [orgs[0]] + [r for r in orgs
                                                 if r[0] in ("mv-high", "mv-science")])
    write_rows(folder / "manifest.csv", [
        ["propertyName", "value"], ["oneroster.version", "1.1"], ["file.orgs", "delta"],
        ["file.users", "delta"]])
    feed = fetch(folder)
    assert record(feed, "student", "s-garcia")["school_ids"] == ["mv-high"]
    edit(folder, "orgs.csv", ",mv-high", ",")
    feed = fetch(folder)
    assert (record(feed, "student", "s-garcia")["school_ids"],
            feed.types["student"].unsent["s-garcia"] >= {"school_ids"}) == ([], True)
    assert [w["source_id"] for w in warnings_of(feed, "not_a_school")] == ["s-garcia"]
