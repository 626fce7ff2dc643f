"""OneRoster 1.2 CSV sets: the hand-written bulk and delta sets (tests/fixtures/
oneroster12-bulk and oneroster12-delta, written from the 1.2 CSV binding), and variants
that each break one rule. The same strictness as 1.1: a problem names the file, line,
record and column."""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import make_connector
from connectors.feed import SourceError
from connectors.oneroster_csv import OneRosterCsvConnector
from rostertui import config, model
from rostertui.engine import Engine
from rostertui.errors import RosterError

from ..support.feeds import config as engine_config
from ..support.oneroster12_sets import (
    BULK,
    DELTA,
    SAME_11,
    drop_column,
    edit,
    fetch,
    problems,
    record,
)


@pytest.fixture
def bulk(tmp_path: Path) -> Path:
    return Path(shutil.copytree(BULK, tmp_path / "bulk"))


@pytest.fixture
def same11(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SAME_11, tmp_path / "same11"))


# -- the bulk set -------------------------------------------------------------------

def test_the_bulk_set_gives_the_records_of_1_1():
    feed = fetch(BULK)
    assert (feed.source, feed.mode) == ("oneroster_csv", "full")
    assert {t: len(tf.records) for t, tf in feed.types.items()} == {
        "school": 2, "term": 3, "course": 3, "section": 3,
        "teacher": 2, "student": 4, "staff": 1, "contact": 1}
    assert all(tf.complete and not tf.deleted for tf in feed.types.values())
    assert feed.district == {"source_id": "mv-district", "name": "Maple Valley Unified"}
    assert sorted(feed.membership.rows) == sorted([
        ("cls-alg1-p1", "teacher", "t-okafor", True), ("cls-alg1-p1", "student", "s-chen", True),
        ("cls-alg1-p1", "student", "s-garcia", True),
        ("cls-bio-p3", "teacher", "t-lindqvist", True), ("cls-bio-p3", "teacher", "t-okafor", True),
        ("cls-bio-p3", "student", "s-chen", True), ("cls-bio-p3", "student", "s-novak", True),
        ("cls-hr7-a", "teacher", "t-lindqvist", True),
        ("cls-hr7-a", "student", "s-brennan", True)])


def test_a_person_takes_the_type_of_their_primary_role_and_keeps_the_others():
    feed = fetch(BULK)
    # a teacher who is also a site administrator elsewhere, for a year; her
    # metadata.ic.legacysourceId is in legacy_ids, and only there (not in extra)
    assert record(feed, "teacher", "t-okafor") == model.make(
        "teacher", source_id="t-okafor", sis_id="T1001", legacy_ids=["7001"],
        first_name="Ngozi", middle_name="Adaeze", last_name="Okafor",
        email="nokafor@maplevalley.example.org", username="nokafor", school_ids=["mv-high"],
        extra={"user_ids": "{LDAP:nokafor}", "enabled": "true", "pronouns": "she/her",
               "user_master_identifier": "MV-T1001",
               "roles": "teacher at mv-high (primary); siteAdministrator at mv-middle from "
                        "2025-08-01 to 2026-06-30"})
    # a principal (staff) who is also a parent: staff, with the role of their primary
    ward = record(feed, "staff", "p-ward")
    assert (ward["role"], ward["school_ids"]) == ("principal", ["mv-middle"])
    assert ward["extra"]["roles"] == "principal at mv-middle (primary); parent at mv-middle"
    assert "p-ward" not in {r["source_id"] for r in feed.types["contact"].records}


@pytest.mark.parametrize("primary_org, schools", [
    ("mv-middle", ["mv-middle", "mv-high"]), ("", ["mv-middle", "mv-high"]),
    ("mv-high", ["mv-high", "mv-middle"])])
def test_a_teacher_at_two_schools_lists_the_primary_school_first(bulk, primary_org, schools):
    """roles.csv lists the secondary role (at mv-high) first: the primary role's school
    comes first, unless primaryOrgSourcedId names another of the user's schools. Roles of
    one kind say nothing school_ids does not: no "roles"."""
    edit(bulk, "users.csv", "MV-T1002,,,,,mv-middle,", f"MV-T1002,,,,,{primary_org},")
    teacher = record(fetch(bulk), "teacher", "t-lindqvist")
    assert teacher["school_ids"] == schools
    assert "roles" not in teacher["extra"]


def test_preferred_names_pronouns_and_profiles_are_kept_in_extra():
    feed = fetch(BULK)
    garcia = record(feed, "student", "s-garcia")
    assert (garcia["first_name"], garcia["last_name"]) == ("Diego", "Garcia")
    assert {k: garcia["extra"][k] for k in ("preferred_first_name", "preferred_middle_name",
                                            "preferred_last_name", "pronouns")} == {
        "preferred_first_name": "Dee", "preferred_middle_name": "L.",
        "preferred_last_name": "García", "pronouns": "he/him"}
    assert garcia["school_ids"] == ["mv-high"]  # its role is at the science department
    chen = record(feed, "student", "s-chen")
    assert chen["extra"]["profiles"] == "lms at canvas/canvas-mv: mchen.canvas"
    assert "s3cret" not in repr(feed)  # a profile's password is never kept


def test_gradebook_and_resource_files_get_one_note():
    notes = [w for w in fetch(BULK).warnings if w["code"] == "files_not_read"]
    assert notes == [model.warning(
        "files_not_read", "file", "manifest.csv",
        "manifest.csv: 2 file(s) not read, being no roster data (gradebook, resources): "
        "categories.csv, lineItems.csv")]


def test_metadata_legacy_ids_become_legacy_ids_in_1_1_too():
    feed = fetch(SAME_11)
    assert record(feed, "teacher", "t-lindqvist")["legacy_ids"] == ["T-88"]
    assert record(feed, "student", "s-chen")["legacy_ids"] == ["OLD-40001"]
    assert record(feed, "student", "s-garcia")["legacy_ids"] == []
    assert not any("legacy" in key.lower() for tf in feed.types.values()
                   for r in tf.records for key in r.get("extra", {}))


def test_a_source_that_stops_sending_legacy_ids_clears_no_extra_field(tmp_path, bulk):
    """Once a renumbering is done a source may drop metadata.ic.legacysourceId. Were it
    copied into extra too, every record would lose extra.ic.legacysourceId: a clear the
    clear guard counts for the whole district."""
    engine = Engine(engine_config(tmp_path), connector=OneRosterCsvConnector(bulk))
    assert engine.sync(commit=True)["status"] == "committed"
    drop_column(bulk, "users.csv", "metadata.ic.legacysourceId")
    report = engine.sync()
    assert not [key for action in engine.plan(report["sync_id"])["actions"]
                for key in action.get("changes", {}) if key.startswith("extra.")]
    assert report["blocked_reasons"] == []


def test_resource_ids_may_be_left_out_of_users(bulk):
    drop_column(bulk, "users.csv", "resourceSourcedIds")
    assert fetch(bulk).types == fetch(BULK).types


def test_the_configured_version_is_read_from_the_config(tmp_path):
    for value in ("1.2", 1.2):
        cfg = config.from_dict({"source": {"kind": "oneroster_csv", "path": str(BULK),
                                           "version": value}}, base_dir=tmp_path)
        assert cfg.source["version"] == "1.2"
        assert make_connector(cfg.source).fetch("full", None).types == fetch(BULK).types
    with pytest.raises(RosterError, match="'source.version' must be 1.1 or 1.2"):
        config.from_dict({"source": {"kind": "oneroster_csv", "path": "x", "version": "2"}},
                         base_dir=tmp_path)


# -- the delta set ------------------------------------------------------------------

def test_the_delta_set_gives_changes_with_their_roles():
    feed = fetch(DELTA)
    assert feed.mode == "quick" and set(feed.types) == {"teacher", "student", "staff",
                                                        "contact"}
    assert [r["source_id"] for r in feed.types["student"].records] == ["s-novak", "s-ito"]
    assert record(feed, "student", "s-ito")["extra"]["preferred_first_name"] == "Ken"
    # the removed secondary role: nothing left to say beyond the type and school
    assert "roles" not in record(feed, "teacher", "t-okafor")["extra"]
    # a removed user's roles may not be sent: removed whatever their type
    assert all(tf.deleted == ["s-brennan"] and not tf.complete for tf in feed.types.values())
    assert sorted(feed.membership.rows) == [("cls-alg1-p1", "student", "s-ito", True),
                                            ("cls-hr7-a", "student", "s-brennan", False)]


def test_bulk_then_delta_through_the_engine_stages_exactly_the_changes(tmp_path):
    cfg = engine_config(tmp_path)
    assert Engine(cfg, connector=OneRosterCsvConnector(BULK)).sync(
        commit=True)["status"] == "committed"
    engine = Engine(cfg, connector=OneRosterCsvConnector(DELTA))
    report = engine.sync(mode="quick")
    actions = {a["id"]: a for a in engine.plan(report["sync_id"])["actions"]}
    assert sorted(actions) == ["section:cls-alg1-p1", "section:cls-hr7-a", "student:s-brennan",
                               "student:s-ito", "student:s-novak", "teacher:t-okafor"]
    assert actions["student:s-novak"]["changes"] == {
        "email": ["", "anovak@students.maplevalley.example.org"]}
    assert (actions["student:s-ito"]["kind"], actions["student:s-brennan"]["kind"]) == (
        "add", "archive")
    assert actions["teacher:t-okafor"]["changes"] == {"extra.roles": [
        "teacher at mv-high (primary); siteAdministrator at mv-middle from 2025-08-01 to "
        "2026-06-30", None]}
    assert actions["section:cls-hr7-a"]["members"] == {
        "student_ids": {"added": [], "removed": ["s-brennan"]}}


# -- problems -----------------------------------------------------------------------

def test_a_missing_users_column_names_the_file_and_the_column(bulk):
    drop_column(bulk, "users.csv", "pronouns")
    assert problems(bulk) == ["users.csv line 1: missing column(s) pronouns"]
    drop_column(bulk, "users.csv", "familyName")
    assert problems(bulk) == ["users.csv line 1: missing column(s) familyName, pronouns"]


def test_a_role_of_an_unknown_user_names_the_file_line_and_record(bulk):
    edit(bulk, "roles.csv", "r-novak,,,s-novak,", "r-novak,,,s-nowak,")
    assert problems(bulk) == [
        "users.csv line 7 (user s-novak): no role in roles.csv",
        "roles.csv line 10 (role r-novak): user s-nowak not found in users"]


def test_a_1_1_manifest_with_1_2_users_is_a_clear_error(same11):
    shutil.copy(BULK / "users.csv", same11 / "users.csv")
    assert problems(same11) == [
        "users.csv line 1: the columns of a OneRoster 1.2 users.csv, but manifest.csv says "
        "oneroster.version 1.1: one of the two is wrong"]


def test_a_1_2_manifest_with_1_1_users_is_a_clear_error(bulk):
    shutil.copy(SAME_11 / "users.csv", bulk / "users.csv")
    assert "users.csv line 1: the columns of a OneRoster 1.1 users.csv, but manifest.csv " \
           "says oneroster.version 1.2: one of the two is wrong" in problems(bulk)


def test_roles_csv_in_a_1_1_set_is_a_problem(same11):
    shutil.copy(BULK / "roles.csv", same11 / "roles.csv")
    edit(same11, "manifest.csv", "file.users,bulk", "file.users,bulk\nfile.roles,bulk")
    assert problems(same11) == [
        "roles.csv: a file of another OneRoster version than manifest.csv's "
        "oneroster.version 1.1"]


@pytest.mark.parametrize("path, configured, manifest", [(BULK, "1.1", "1.2"),
                                                         (SAME_11, "1.2", "1.1")])
def test_a_version_other_than_the_configured_one_is_refused(path, configured, manifest):
    assert problems(path, configured) == [
        f"manifest.csv line 3: oneroster.version is {manifest}, but source.version is "
        f"{configured}: one of the two is wrong"]
    assert fetch(path, manifest).types == fetch(path).types


def test_a_rest_name_in_a_csv_header_says_did_you_mean(bulk):
    edit(bulk, "users.csv", ",preferredGivenName,", ",preferredFirstName,")
    assert problems(bulk) == [
        "users.csv line 1: column 'preferredFirstName' is not defined by OneRoster 1.2; "
        "did you mean preferredGivenName?"]


@pytest.mark.parametrize("old, new, problem", [
    ("r-novak,,,s-novak,primary", "r-novak,,,s-novak,secondary",
     "users.csv line 7 (user s-novak): no primary role in roles.csv"),
    ("r-novak,,,s-novak,primary,student", "r-novak,,,s-novak,primary,pupil",
     "roles.csv line 10 (role r-novak): unknown role 'pupil'"),
    ("r-novak,,,s-novak,primary", "r-novak,,,s-novak,main",
     "roles.csv line 10 (role r-novak): unknown roleType 'main'"),
    ("r-ward-parent,,,p-ward,secondary", "r-ward-parent,,,p-ward,primary",
     "users.csv line 4 (user p-ward): primary roles of different kinds: principal at "
     "mv-middle (primary); parent at mv-middle (primary)"),
    ("2025-08-01,2026-06-30", "2025-8-1,2026-06-30",
     "roles.csv line 3 (role r-okafor-admin): beginDate '2025-8-1' is not YYYY-MM-DD"),
    ("student,,,mv-high,up-chen-canvas", "student,,,mv-elsewhere,up-chen-canvas",
     "roles.csv line 8 (role r-chen): org mv-elsewhere not found in orgs"),
    ("student,,,mv-high,up-chen-canvas", "student,,,mv-high,up-gone",
     "roles.csv line 8 (role r-chen): user profile up-gone not found in userProfiles"),
])
def test_role_problems_name_the_file_line_and_record(bulk, old, new, problem):
    edit(bulk, "roles.csv", old, new)
    assert problem in problems(bulk)


def test_a_role_may_be_given_in_any_case(bulk):
    edit(bulk, "roles.csv", "secondary,siteAdministrator", "Secondary,SITEADMINISTRATOR")
    assert fetch(bulk).types == fetch(BULK).types


def test_a_profile_of_an_unknown_user_is_a_problem(bulk):
    edit(bulk, "userProfiles.csv", "up-chen-canvas,,,s-chen,", "up-chen-canvas,,,s-chan,")
    assert "userProfiles.csv line 2 (userProfile up-chen-canvas): user s-chan not found in " \
           "users" in problems(bulk)


def test_users_without_roles_csv_is_one_problem(bulk):
    edit(bulk, "manifest.csv", "file.roles,bulk", "file.roles,absent")
    (bulk / "roles.csv").unlink()
    assert problems(bulk) == [
        "users.csv: OneRoster 1.2 gives each user's role in roles.csv, which this set does "
        "not send (manifest.csv: file.roles)"]


def test_a_header_only_bulk_roles_file_is_rejected(bulk):
    """One line: not one more per user, each of whom has then no role."""
    path = bulk / "roles.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert problems(bulk) == [
        "roles.csv: a header and no rows in a bulk file, which would remove every role; a "
        "file with nothing to send is marked absent in manifest.csv"]
    path.write_text("")
    assert problems(bulk) == ["roles.csv: empty file"]


def test_delta_roles_with_bulk_users_is_a_problem(bulk):
    edit(bulk, "manifest.csv", "file.roles,bulk", "file.roles,delta")
    assert problems(bulk)[0] == ("roles.csv: delta while users.csv is bulk: every user's "
                                 "roles are needed, so roles.csv must be bulk too")


def test_an_active_role_of_a_removed_user_is_left_out_with_a_warning(bulk):
    edit(bulk, "users.csv", "s-novak,,,", "s-novak,tobedeleted,,")
    feed = fetch(bulk)
    assert "s-novak" not in {r["source_id"] for r in feed.types["student"].records}
    assert model.warning(
        "deleted_reference", "user", "s-novak",
        "roles.csv line 10 (role r-novak): user s-novak is marked tobedeleted in users; the "
        "role is left out") in feed.warnings


def test_a_delta_user_without_their_roles_names_it(tmp_path):
    delta = Path(shutil.copytree(DELTA, tmp_path / "delta"))
    edit(delta, "roles.csv", "r-novak,active", "r-novak,tobedeleted")
    assert problems(delta) == ["users.csv line 3 (user s-novak): no role in roles.csv"]


def test_delta_roles_of_users_not_sent_are_not_applied_and_said_so(tmp_path):
    delta = Path(shutil.copytree(DELTA, tmp_path / "delta"))
    with (delta / "roles.csv").open("a") as f:
        f.write("r-garcia-aide,active,2025-10-01T06:00:00Z,s-garcia,secondary,aide,,,"
                "mv-high,\n")
    feed = fetch(delta)
    assert [w for w in feed.warnings if w["code"] == "not_applied"] == [model.warning(
        "not_applied", "file", "roles.csv",
        "roles.csv: 1 role(s) of 1 user(s) not in this set's users (s-garcia): not applied; "
        "a change of a user's roles is applied with their row in users")]
    assert "s-garcia" not in {r["source_id"] for r in feed.types["student"].records}


def test_an_enrollment_against_the_primary_role_is_a_role_mismatch(bulk):
    with (bulk / "enrollments.csv").open("a") as f:
        f.write("e-20,,,cls-hr7-a,mv-middle,p-ward,teacher,,,\n")
    feed = fetch(bulk)
    assert model.warning(
        "role_mismatch", "section", "cls-hr7-a",
        "enrollments.csv line 11 (enrollment e-20): user p-ward is enrolled as teacher in "
        "class cls-hr7-a, but roles give their primary role as principal; the enrollment "
        "is left out") in feed.warnings
    assert ("cls-hr7-a", "teacher", "p-ward", True) not in feed.membership.rows


# -- fuzzing: whatever a 1.2 set holds, a Feed or a SourceError naming the set ---------

FUZZ = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
VALUES = st.sampled_from(["", "s-chen", "s-novak", "t-okafor", "mv-high", "mv-science",
                          "mv-elsewhere", "up-chen-canvas", "primary", "secondary", "PRIMARY",
                          "teacher", "student", "parent", "principal", "pupil", "active",
                          "tobedeleted", "2025-08-01", "2025-02-30", "a,b", "x\ny"])


def outcome(path: Path) -> None:
    try:
        fetch(path)
    except SourceError as e:
        assert str(e).startswith(f"{path}: ") and "Traceback" not in str(e)


@FUZZ
@given(file=st.sampled_from(["users.csv", "roles.csv", "userProfiles.csv", "manifest.csv"]),
       rows=st.lists(st.lists(VALUES, min_size=1, max_size=24), max_size=6),
       keep_header=st.booleans())
def test_any_rows_in_a_1_2_file(file, rows, keep_header):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(shutil.copytree(BULK, Path(tmp) / "set"))
        header = (folder / file).read_text().splitlines()[0].split(",")
        with (folder / file).open("w", newline="") as f:
            csv.writer(f).writerows(([header] if keep_header else []) + rows)
        outcome(folder)


@FUZZ
@given(file=st.sampled_from(["users.csv", "roles.csv", "userProfiles.csv"]),
       cuts=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 30),
                               st.sampled_from([b",", b'"', b"\n", b"\0", b"\xff", b"",
                                                b"primary", b"tobedeleted"])),
                     min_size=1, max_size=6))
def test_bytes_spliced_into_a_1_2_file(file, cuts):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(shutil.copytree(BULK, Path(tmp) / "set"))
        data = (folder / file).read_bytes()
        for where, length, inserted in cuts:
            at = int(where * len(data))
            data = data[:at] + inserted + data[at + length:]
        (folder / file).write_bytes(data)
        outcome(folder)


def test_check_names_the_version_the_manifest_declares():
    assert OneRosterCsvConnector(BULK).check()["version"] == "OneRoster 1.2"
    assert OneRosterCsvConnector(SAME_11).check()["version"] == "OneRoster 1.1"
