"""OneRoster 1.1 CSV connector: real sample sets, plus variants of the Ed-Fi set that
each break or stretch one rule."""

from __future__ import annotations

import csv
import io
import shutil
import stat
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from connectors import oneroster_csv
from connectors.feed import SourceError
from connectors.oneroster_csv import OneRosterCsvConnector
from connectors.oneroster_map import SPEC_COLUMNS
from rostertui import model

from ..support import paths

FIXTURES = paths.FIXTURES / "oneroster-csv"
EDFI = FIXTURES / "edfi-v1p1"
DIRTY = FIXTURES / "oneroster-net-dirty"

ENG = "25590100101Trad120ENG112011"
ALG = "25590100102Trad220ALG112011"
FALL, SPRING = "255901001_2021_2020-2021_Fall", "255901001_2021_2020-2021_Spring"
FIRST_ENROLLMENT = "6F4283DC-F831-4437-A9A3-E030C7AF0493"  # enrollments.csv line 2


def fetch(path: Path, progress=None):
    return OneRosterCsvConnector(path).fetch("full", None, progress)


def rejected(path: Path) -> str:
    with pytest.raises(SourceError) as info:
        fetch(path)
    return str(info.value)


def record(feed, type_: str, source_id: str) -> dict:
    return next(r for r in feed.types[type_].records if r["source_id"] == source_id)


def edit(folder: Path, name: str, old: str, new: str) -> None:
    """Replace the first `old` in a file of the set."""
    path = folder / name
    text = path.read_bytes().decode()
    assert old in text, f"{old!r} not in {name}"
    path.write_bytes(text.replace(old, new, 1).encode())


def append(folder: Path, name: str, lines: list[str]) -> None:
    path = folder / name
    text = path.read_bytes().decode()
    path.write_bytes((text.rstrip("\n") + "\n" + "\n".join(lines) + "\n").encode())


def zip_set(folder: Path, dest: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, path.name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return dest


@pytest.fixture
def edfi(tmp_path: Path) -> Path:
    folder = tmp_path / "edfi"
    shutil.copytree(EDFI, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


# -- the real sets ----------------------------------------------------------------

def test_edfi_set_imports_every_type():
    feed = fetch(EDFI)

    assert (feed.source, feed.mode, feed.cursor) == ("oneroster_csv", "full", None)
    assert feed.warnings == []
    assert {t: len(tf.records) for t, tf in feed.types.items()} == {
        "school": 1, "term": 3, "course": 2, "section": 2,
        "teacher": 2, "student": 8, "staff": 0, "contact": 0}
    assert all(tf.complete and not tf.deleted for tf in feed.types.values())
    assert feed.district == {"source_id": "255901", "name": "Grand Bend ISD"}
    # Fall and Spring enrollments of the same person in a class make one roster row.
    assert feed.membership.complete
    assert sorted(feed.membership.rows) == sorted(
        [(ENG, "student", s, True) for s in ("604863", "604874", "604969", "604974", "605015")]
        + [(ALG, "student", s, True) for s in ("604863", "604874", "604918", "604927", "604938")]
        + [(ENG, "teacher", "207268", True), (ALG, "teacher", "207270", True)])


def test_edfi_records_fields():
    feed = fetch(EDFI)

    assert record(feed, "student", "604918") == model.make(
        "student", source_id="604918", first_name="Peter", middle_name="Ivan", last_name="Nash",
        email="Peter.Nash@studentgps.org", username="Peter Ivan Nash",
        school_ids=["255901001"], grade="09", dob="1997-01-18", gender="male",
        extra={"user_ids": "{Local:918}", "enabled": "true", "phone": "(950) 434 7904",
               "americanIndianOrAlaskaNative": "false", "asian": "true",
               "blackOrAfricanAmerican": "false", "nativeHawaiianOrOtherPacificIslander": "false",
               "white": "false", "demographicRaceTwoOrMoreRaces": "false",
               "hispanicOrLatinoEthnicity": "true"})
    # a teacher row with a stray trailing comma
    assert record(feed, "teacher", "207268") == model.make(
        "teacher", source_id="207268", first_name="Sara", middle_name="Stacy",
        last_name="Preston", email="Sara.Preston@studentgps.org", username="Sara Stacy Preston",
        school_ids=["255901001"], extra={"enabled": "true"})
    assert record(feed, "section", ALG) == model.make(
        "section", source_id=ALG, name="ALG-1", school_id="255901001", course_id="03100500",
        term_ids=[FALL, SPRING], section_number="Algebra I", subject="Algebra I", period="2",
        grades=["09"], class_type="scheduled", location="220", course_code="ALG-1")
    assert record(feed, "course", "03100500") == model.make(
        "course", source_id="03100500", name="Algebra I", code="ALG-1", grades=["09"],
        subject="English/Language Arts I (9th grade)", school_id="255901",
        school_year_id="255901001_2021_2020-2021_SchoolYear")
    assert record(feed, "term", FALL) == model.make(
        "term", source_id=FALL, name="2020-2021 Fall Semester", type="semester",
        start_date="2020-08-17", end_date="2020-12-18", school_year="2021")
    assert record(feed, "school", "255901001") == model.make(
        "school", source_id="255901001", name="Grand Bend High School")


def test_zip_gives_the_same_feed(tmp_path):
    assert fetch(zip_set(EDFI, tmp_path / "edfi.zip")) == fetch(EDFI)


def test_dirty_set_is_rejected_with_every_problem():
    message = rejected(DIRTY)
    lines = message.splitlines()

    assert lines[0] == f"{DIRTY}: {lines[1]} (and 23 more, listed below)"
    assert len(lines) == 25
    assert "manifest.csv: missing" in lines
    # OneRoster 1.1 columns the files lack, optional ones included: their rows are still
    # read for their own problems, since every required column is there
    assert "orgs.csv line 1: missing column(s) parentSourcedId" in lines
    assert ("users.csv line 1: missing column(s) userIds, identifier, sms, phone, "
            "agentSourcedIds, grades") in lines
    assert ("academicSessions.csv line 2 (academicSession 001_FYT_2019): "
            "startDate '8/27/2018' is not YYYY-MM-DD") in lines
    assert "users.csv line 2 (user 14043): org Sch_000002 not found in orgs" in lines
    assert "classes.csv line 2 (class 3221301): school Sch_000002 not found in orgs" in lines
    assert ("classes.csv line 4 (class 3221342): "
            "term 267_FYT_2019 not found in academicSessions") in lines
    # the toBeDeleted class of this (bulk) set is not there, so is not checked
    assert "3221347" not in message
    assert "secret1" not in message  # the users' password column


# -- passwords --------------------------------------------------------------------

def test_password_is_never_kept(edfi):
    edit(edfi, "users.csv", "(950) 336 6601,,09,", "(950) 336 6601,,09,Hunter2-Secret")
    edit(edfi, "users.csv", "Preston@studentgps.org,,,,,,", "Preston@studentgps.org,,,,,Pa55-Teach")
    feed = fetch(edfi)
    assert len(feed.types["student"].records) == 8
    assert "Hunter2" not in repr(feed) and "Pa55" not in repr(feed)

    edit(edfi, "users.csv", "604863,,,true,255901001,", "604863,,,true,NOWHERE,")
    message = rejected(edfi)
    assert "users.csv line 2 (user 604863): org NOWHERE not found in orgs" in message
    assert "Hunter2" not in message


# -- tolerated variations ---------------------------------------------------------

def test_bom_and_crlf_are_accepted(edfi):
    for path in edfi.iterdir():
        text = path.read_bytes().decode()
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert fetch(edfi) == fetch(EDFI)


def test_utf16_files_are_decoded(edfi):
    for name in ("users.csv", "manifest.csv"):
        path = edfi / name
        path.write_bytes(path.read_bytes().decode().encode("utf-16"))  # with its BOM
    assert fetch(edfi) == fetch(EDFI)


def test_invalid_utf8_is_a_problem(edfi):
    path = edfi / "users.csv"
    path.write_bytes(path.read_bytes().replace(b"Archer", b"Arch\xffer", 1))
    assert "users.csv near line 1: not utf-8 text (invalid start byte)" in rejected(edfi)


def test_columns_are_mapped_by_name(edfi):
    rows = list(csv.reader(io.StringIO((edfi / "classes.csv").read_text())))
    rows = [["vendor.color", *reversed(row)] for row in rows]
    with (edfi / "classes.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    assert fetch(edfi).types["section"] == fetch(EDFI).types["section"]


def test_metadata_columns_go_to_extra(edfi):
    edit(edfi, "orgs.csv", "Grand Bend High School,school,,255901,,,,,",
         "Grand Bend High School,school,GBHS,255901,12 Main St,,Grand Bend,,TX")
    school = record(fetch(edfi), "school", "255901001")
    assert school["sis_id"] == "GBHS"
    assert school["extra"] == {"address1": "12 Main St", "city": "Grand Bend", "state": "TX"}


def test_enums_and_booleans_in_any_case(edfi):
    edit(edfi, "classes.csv", "English I,scheduled,", "English I,Scheduled,")
    edit(edfi, "users.csv", "604863,,,true,255901001,student,",
         "604863,Active,,TRUE,255901001,Student,")
    edit(edfi, "orgs.csv", ",school,", ",SCHOOL,")
    edit(edfi, "enrollments.csv", ",teacher,true,", ",Teacher,TRUE,")
    feed = fetch(edfi)
    assert record(feed, "section", ENG)["class_type"] == "scheduled"
    assert record(feed, "student", "604863")["extra"]["enabled"] == "true"
    assert len(feed.types["school"].records) == 1
    assert (ALG, "teacher", "207270", True) in feed.membership.rows


def test_blank_header_columns(edfi):
    path = edfi / "orgs.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b",\n"))  # a blank column, empty
    assert fetch(edfi) == fetch(EDFI)
    edit(edfi, "orgs.csv", "255901001,,,Grand Bend High School,school,,255901,,,,,,",
         "255901001,,,Grand Bend High School,school,,255901,,,,,,oops")
    assert ("orgs.csv line 3 (org 255901001): a value in a column without a header"
            in rejected(edfi))


def test_a_row_with_an_extra_value_is_a_problem(edfi):
    edit(edfi, "users.csv", "Preston@studentgps.org,,,,,,", "Preston@studentgps.org,,,,,,x")
    assert "users.csv line 11 (user 207268): 19 fields, the header has 18" in rejected(edfi)


# -- bulk and delta ---------------------------------------------------------------

def test_delta_files_give_upserts_and_deletes(edfi):
    edit(edfi, "manifest.csv", "file.users,bulk", "file.users,delta")
    edit(edfi, "manifest.csv", "file.enrollments,bulk", "file.enrollments,delta")
    edit(edfi, "users.csv", "604863,,", "604863,inactive,")
    edit(edfi, "users.csv", "604874,,", "604874,toBeDeleted,")
    for sid in ("B33133EB-251C-4950-A13F-432BA4E4EABF", "C9294C83-3A30-48EC-9ABE-A8D6719ED7CB",
                FIRST_ENROLLMENT):  # 604918 leaves ALG (both terms), 604863 ENG Fall only
        edit(edfi, "enrollments.csv", f"{sid},,", f"{sid},tobedeleted,")
    feed = fetch(edfi)

    assert feed.mode == "quick"
    students = feed.types["student"]
    assert not students.complete and students.deleted == ["604863", "604874"]
    assert len(students.records) == 6
    assert feed.types["school"].complete
    assert not feed.membership.complete
    assert (ALG, "student", "604918", False) in feed.membership.rows
    assert (ENG, "student", "604863", True) in feed.membership.rows  # still in for Spring
    # users is a delta, so enrollments naming its deleted users are not checked against it
    assert (ALG, "student", "604874", True) in feed.membership.rows


def test_deleted_rows_of_a_bulk_file_are_not_there(edfi):
    edit(edfi, "users.csv", "605015,,", "605015,tobedeleted,")
    edit(edfi, "enrollments.csv", "892C018C-0D54-4433-B5B2-5E4D1322B58D,,",
         "892C018C-0D54-4433-B5B2-5E4D1322B58D,inactive,")
    feed = fetch(edfi)
    assert len(feed.types["student"].records) == 7 and feed.types["student"].deleted == []
    assert all(user != "605015" for _, _, user, _ in feed.membership.rows)
    # an active enrollment still names the deleted user: left out, with a warning
    [warning] = [w for w in feed.warnings if w["code"] == "deleted_reference"]
    assert warning["type"] == "section" and warning["message"].startswith(
        "enrollments.csv line ")
    assert warning["message"].endswith(
        "(enrollment 808E0D17-2E02-436B-A73C-02DCC5B1E623): user 605015 is marked "
        "tobedeleted in users; the enrollment is left out")


def test_a_reference_to_a_deleted_org_keeps_the_row_and_warns(edfi):
    school = record(fetch(edfi), "student", "604863")["school_ids"][0]
    edit(edfi, "orgs.csv", f"{school},,", f"{school},tobedeleted,")
    feed = fetch(edfi)
    assert record(feed, "student", "604863")["school_ids"] == [school]
    assert school not in {r["source_id"] for r in feed.types["school"].records}
    warned = {(w["type"], w["source_id"]) for w in feed.warnings
              if w["code"] == "deleted_reference"}
    assert ("student", "604863") in warned
    assert not any("not found" in w["message"] for w in feed.warnings)


def test_references_into_a_delta_file_are_not_checked(edfi):
    edit(edfi, "manifest.csv", "file.users,bulk", "file.users,delta")
    edit(edfi, "enrollments.csv", f"{FIRST_ENROLLMENT},,,{ENG},255901001,604863",
         f"{FIRST_ENROLLMENT},,,{ENG},255901001,999999")
    assert (ENG, "student", "999999", True) in fetch(edfi).membership.rows


def test_absent_file_is_ignored(edfi):
    edit(edfi, "manifest.csv", "file.demographics,bulk", "file.demographics,absent")
    (edfi / "demographics.csv").write_text("not,a,valid,header\n\n")  # a header alone
    feed = fetch(edfi)
    assert record(feed, "student", "604918")["dob"] == ""


# -- problems ---------------------------------------------------------------------

def test_missing_manifest_still_lists_other_problems(edfi):
    (edfi / "manifest.csv").unlink()
    edit(edfi, "users.csv", "604927,,", "604918,,")
    message = rejected(edfi)
    assert "manifest.csv: missing" in message
    assert "users.csv line 5 (user 604918): duplicate sourcedId" in message


@pytest.mark.parametrize("old, new, problem", [
    ("file.demographics,bulk", "file.demographics,bulk\nfile.roles,delta",
     "roles.csv: missing, but manifest.csv lists it as delta"),
    ("file.users,bulk", "file.users,everything",
     "manifest.csv line 10: file.users is 'everything', not bulk|delta|absent"),
    ("file.courses,bulk\n", "", "courses.csv: not listed in manifest.csv"),
    ("file.users,bulk", "file.users,absent",  # found by attack: the day's users dropped
     "users.csv: has rows, but manifest.csv marks it absent: one of the two is wrong"),
])
def test_manifest_problems(edfi, old, new, problem):
    edit(edfi, "manifest.csv", old, new)
    assert problem in rejected(edfi)


def test_missing_column(edfi):
    edit(edfi, "users.csv", "givenName,familyName", "first,familyName")
    assert "users.csv line 1: missing column(s) givenName" in rejected(edfi)


@pytest.mark.parametrize("name, old, new, problem", [
    ("orgs.csv", "Grand Bend High School,school,", "Grand Bend High School,campus,",
     "orgs.csv line 3 (org 255901001): unknown org type 'campus'"),
    ("users.csv", "255901001,student,Mary", "255901001,pupil,Mary",
     "users.csv line 2 (user 604863): unknown role 'pupil'"),
    ("classes.csv", "English I,scheduled,", "English I,lecture,",
     f"classes.csv line 2 (class {ENG}): unknown classType 'lecture'"),
    ("enrollments.csv", "604863,student,", "604863,learner,",
     f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): unknown role 'learner'"),
    ("academicSessions.csv", f"{FALL},,", f"{FALL},archived,",
     f"academicSessions.csv line 3 (academicSession {FALL}): unknown status 'archived'"),
])
def test_unknown_enum_values(edfi, name, old, new, problem):
    edit(edfi, name, old, new)
    assert problem in rejected(edfi)


@pytest.mark.parametrize("value", ["2020-8-17", "20200817", "2020-02-30", "08/17/2020",
                                   "2020-08-17T00:00:00Z"])
def test_dates_must_be_iso(edfi, value):
    edit(edfi, "academicSessions.csv", "2020-08-17,2020-12-18", f"{value},2020-12-18")
    assert (f"academicSessions.csv line 3 (academicSession {FALL}): startDate {value!r} "
            "is not YYYY-MM-DD") in rejected(edfi)


@pytest.mark.parametrize("name, old, new, problem", [
    ("enrollments.csv", f"{ENG},255901001,604863", f"{ENG},255901001,999999",
     f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): user 999999 not found in users"),
    ("enrollments.csv", f"{ENG},255901001,604863", "NOPE,255901001,604863",
     f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): class NOPE not found in classes"),
    ("enrollments.csv", f"{ENG},255901001,604863", f"{ENG},999,604863",
     f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): school 999 not found in orgs"),
    ("classes.csv", "ALG-1,09,03100500,", "ALG-1,09,MISSING,",
     f"classes.csv line 3 (class {ALG}): course MISSING not found in courses"),
    ("classes.csv", f"{FALL},{SPRING}", f"{FALL},T9",
     f"classes.csv line 2 (class {ENG}): term T9 not found in academicSessions"),
    ("users.csv", "604874,,,true,255901001", '604874,,,true,"255901001,Sch_9"',
     "users.csv line 3 (user 604874): org Sch_9 not found in orgs"),
    ("courses.csv", "03100500,,,255901001_2021_2020-2021_SchoolYear", "03100500,,,SY_X",
     "courses.csv line 2 (course 03100500): school year SY_X not found in academicSessions"),
])
def test_broken_references(edfi, name, old, new, problem):
    edit(edfi, name, old, new)
    assert problem in rejected(edfi)


def test_unclosed_quote(edfi):
    edit(edfi, "users.csv", "604938,,,true,255901001,student,Roland",
         '604938,,,true,255901001,student,"Roland')
    assert "users.csv line 6: unexpected end of data" in rejected(edfi)


def test_oversized_field(edfi):
    edit(edfi, "classes.csv", ",scheduled,120,", f",scheduled,{'x' * 200_000},")
    assert "classes.csv line 2: field larger than field limit" in rejected(edfi)


def test_problems_are_capped_at_50_lines(edfi):
    append(edfi, "enrollments.csv",
           [f"extra{i},,,{ENG},255901001,ghost{i},student,,," for i in range(60)])
    lines = rejected(edfi).splitlines()
    assert lines[0].endswith("(and 59 more, listed below)")
    assert len(lines) == 52 and lines[-1] == "... and 10 more"


# -- zip safety ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../evil.csv", "/etc/users.csv", "a/../../b.csv"])
def test_zip_slip_is_rejected(tmp_path, name):
    zipped = zip_set(EDFI, tmp_path / "set.zip", {name: b"x"})
    assert f"{name}: unsafe path in the zip" in rejected(zipped)


def test_zip_members_in_folders_are_not_read(tmp_path):
    zipped = zip_set(EDFI, tmp_path / "set.zip", {"old/users.csv": b"garbage"})
    assert fetch(zipped) == fetch(EDFI)


def test_zip_bomb_is_refused(tmp_path, edfi):
    path = edfi / "demographics.csv"
    path.write_bytes(path.read_bytes() + b"\n" * (11 * 1024 * 1024))  # packs 1000:1
    message = rejected(zip_set(edfi, tmp_path / "bomb.zip"))
    assert "demographics.csv line 1: looks like a zip bomb" in message


def test_file_size_is_bounded(tmp_path, edfi, monkeypatch):
    monkeypatch.setattr(oneroster_csv, "MAX_FILE_BYTES", 1000)
    # a zip member says its size up front; a loose file is cut off while read
    zipped = zip_set(edfi, tmp_path / "set.zip")
    assert "enrollments.csv line 1: declares 2885 bytes" in rejected(zipped)
    assert "enrollments.csv line 1: larger than 1000 bytes" in rejected(edfi)


def test_not_a_set(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    notes = tmp_path / "notes.txt"
    assert rejected(notes) == f"{notes}: not a folder or a .zip file"
    assert rejected(tmp_path / "nothing") == f"{tmp_path / 'nothing'}: not found"


# -- strict headers: every column OneRoster 1.1 defines --------------------------------

def set_cell(folder: Path, name: str, line: int, column: str, value: str) -> None:
    """Set one value of a file (the header being line 1), by column name."""
    path = folder / name
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode(), newline="")))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def keep_header(folder: Path, name: str) -> None:
    path = folder / name
    path.write_bytes(path.read_bytes().split(b"\n")[0] + b"\n")


def problems(message: str) -> list[str]:
    """The problems an error lists (the first alone on one line when it is the only one)."""
    lines = message.splitlines()
    return lines[1:] if len(lines) > 1 else [lines[0].split(": ", 1)[1]]


@pytest.mark.parametrize("file, column", [
    ("orgs", "parentSourcedId"), ("academicSessions", "schoolYear"), ("courses", "subjectCodes"),
    ("classes", "periods"), ("users", "sms"), ("demographics", "cityOfBirth"),
    ("enrollments", "primary")])
def test_an_optional_column_missing_rejects_the_set(edfi, file, column):
    path = edfi / f"{file}.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    at = rows[0].index(column)
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([r[:at] + r[at + 1:] for r in rows])
    assert problems(rejected(edfi)) == [f"{file}.csv line 1: missing column(s) {column}"]


def test_renamed_email_and_username_columns_reject_the_set(edfi):
    """Found: such a users.csv committed with exit 0 and wiped every email."""
    edit(edfi, "users.csv", ",username,", ",login,")
    edit(edfi, "users.csv", ",email,", ",mail,")
    assert problems(rejected(edfi)) == ["users.csv line 1: missing column(s) username, email"]


def test_a_near_miss_says_did_you_mean(edfi):
    edit(edfi, "users.csv", ",username,", ",user_name,")
    edit(edfi, "users.csv", ",email,", ",E-Mail,")
    edit(edfi, "enrollments.csv", ",beginDate,", ",BeginDate,")
    assert problems(rejected(edfi)) == [
        "users.csv line 1: column 'user_name' is not defined by OneRoster 1.1; "
        "did you mean username?",
        "users.csv line 1: column 'E-Mail' is not defined by OneRoster 1.1; did you mean email?",
        "enrollments.csv line 1: column 'BeginDate' is not defined by OneRoster 1.1; "
        "did you mean beginDate?"]


def add_columns(folder: Path, name: str, before: list[str], after: list[str]) -> None:
    """Columns added around a file's own, empty in every row."""
    path = folder / name
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    width = len(rows[0])
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([before + rows[0] + after] + [
            [""] * len(before) + row[:width] + [""] * len(after) for row in rows[1:]])


def test_undefined_columns_give_one_warning_per_file(edfi):
    add_columns(edfi, "users.csv", ["vendor.a"], ["vendor.b", "extra"])
    add_columns(edfi, "classes.csv", ["vendor.color"], [])
    feed = fetch(edfi)
    assert [(w["code"], w["type"], w["source_id"]) for w in feed.warnings] == [
        ("unknown_columns", "file", "classes.csv"), ("unknown_columns", "file", "users.csv")]
    assert feed.warnings[1]["message"] == (
        "users.csv line 1: 3 column(s) 'vendor.a', 'vendor.b', 'extra': "
        "not defined by OneRoster 1.1 (nor metadata.*)")
    assert feed.types["section"] == fetch(EDFI).types["section"]


def test_metadata_columns_are_not_warned(edfi):
    assert "metadata." in (edfi / "orgs.csv").read_text()
    assert fetch(edfi).warnings == []


@pytest.mark.parametrize("file", ["orgs", "classes", "users", "enrollments"])
def test_a_header_only_bulk_roster_file_is_rejected(edfi, file):
    """Found: an enrollments.csv reduced to its header, still bulk, emptied every section."""
    keep_header(edfi, f"{file}.csv")
    message = rejected(edfi)
    assert (f"{file}.csv: a header and no rows in a bulk file, which would remove every "
            f"{'class' if file == 'classes' else file[:-1]}; a file with nothing to send is "
            "marked absent in manifest.csv") in problems(message)


def test_a_header_only_delta_or_demographics_file_passes(edfi):
    keep_header(edfi, "demographics.csv")  # bulk: left to the engine's guards
    keep_header(edfi, "enrollments.csv")
    edit(edfi, "manifest.csv", "file.enrollments,bulk", "file.enrollments,delta")
    feed = fetch(edfi)
    assert feed.membership.rows == [] and not feed.membership.complete
    assert record(feed, "student", "604918")["dob"] == ""


def test_a_header_over_1000_columns_is_one_clear_problem(edfi):
    """Found: a 62,000-column header took 37 s (the repeat check was quadratic)."""
    edit(edfi, "users.csv", ",password\n", ",password" + ",x" * 62_000 + "\n")
    assert problems(rejected(edfi)) == [
        "users.csv line 1: 62,018 columns, over the limit of 1,000"]


def test_repeated_columns_are_found_in_one_pass():
    header = ["a", "b", "a", "", ""] + [f"c{i}" for i in range(200_000)] + ["a"]
    assert oneroster_csv._repeated(header) == [("a", 3)]


# -- dates and date-times --------------------------------------------------------------

DATETIME = "YYYY-MM-DDTHH:MM:SS[.sss]Z (ISO 8601, UTC)"


@pytest.mark.parametrize("file", list(SPEC_COLUMNS))
def test_date_last_modified_is_checked_in_every_file(edfi, file):
    set_cell(edfi, f"{file}.csv", 2, "dateLastModified", "2025-13-45T25:61:00Z")
    sid = next(csv.reader(io.StringIO((edfi / f"{file}.csv").read_text())))
    row = list(csv.reader(io.StringIO((edfi / f"{file}.csv").read_text())))[1]
    noun = {"classes": "class", "demographics": "demographics"}.get(file, file[:-1])
    assert (f"{file}.csv line 2 ({noun} {row[sid.index('sourcedId')]}): dateLastModified "
            f"'2025-13-45T25:61:00Z' is not {DATETIME}") in problems(rejected(edfi))


@pytest.mark.parametrize("value", ["2025-08-11", "2025-08-11 06:00:00Z", "2025-08-11T06:00:00",
                                   "2025-08-11T06:00:00+02:00", "2025-02-30T00:00:00Z",
                                   "2025-08-11T24:00:00Z", "2025-08-11T06:60:00Z",
                                   "2025-08-11T06:00:00.Z", "２０２５-08-11T06:00:00Z"])
def test_date_last_modified_must_be_iso_utc(edfi, value):
    set_cell(edfi, "users.csv", 2, "dateLastModified", value)
    assert problems(rejected(edfi)) == [
        f"users.csv line 2 (user 604863): dateLastModified {value!r} is not {DATETIME}"]


@pytest.mark.parametrize("value", ["2025-08-11T06:00:00Z", "2025-08-11T06:00:00.000Z",
                                   "2024-02-29T23:59:59.123456Z"])
def test_good_date_times_pass(edfi, value):
    set_cell(edfi, "users.csv", 2, "dateLastModified", value)
    assert len(fetch(edfi).types["student"].records) == 8


def test_dates_of_deleted_rows_are_checked_in_bulk_and_delta(edfi):
    edit(edfi, "manifest.csv", "file.enrollments,bulk", "file.enrollments,delta")
    set_cell(edfi, "enrollments.csv", 2, "status", "tobedeleted")
    set_cell(edfi, "enrollments.csv", 2, "dateLastModified", "2025-13-45T25:61:00Z")
    set_cell(edfi, "users.csv", 3, "status", "tobedeleted")  # users stays bulk
    set_cell(edfi, "users.csv", 3, "dateLastModified", "yesterday")
    assert problems(rejected(edfi)) == [
        f"users.csv line 3 (user 604874): dateLastModified 'yesterday' is not {DATETIME}",
        f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): dateLastModified "
        f"'2025-13-45T25:61:00Z' is not {DATETIME}"]


def test_a_bad_date_in_a_large_delta_is_found(edfi):
    """Enrollments are mapped a batch at a time; a bad value anywhere sends the batch
    row by row, so the problem names its line."""
    edit(edfi, "manifest.csv", "file.enrollments,bulk", "file.enrollments,delta")
    append(edfi, "enrollments.csv",
           [f"x{i},active,2025-08-11T06:00:00Z,{ENG},255901001,604863,student,,,"
            for i in range(12_000)]
           + [f"late,tobedeleted,2025-08-11T06:00:99Z,{ENG},255901001,604863,student,,,"])
    assert problems(rejected(edfi)) == [
        f"enrollments.csv line 12026 (enrollment late): dateLastModified "
        f"'2025-08-11T06:00:99Z' is not {DATETIME}"]


# -- one set, one meaning ------------------------------------------------------------------

def test_a_zip_holding_a_member_twice_is_rejected(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        zipped = zip_set(EDFI, tmp_path / "set.zip", {"users.csv": b"sourcedId\n"})
    assert problems(rejected(zipped)) == [
        "users.csv: the zip holds 2 members of this name (in any case)"]


def test_a_zip_holding_a_member_in_two_cases_is_rejected(tmp_path):
    """Found by attack: users.csv and USERS.csv are one file once unpacked on many disks."""
    zipped = zip_set(EDFI, tmp_path / "set.zip", {"USERS.csv": b"sourcedId\n"})
    assert problems(rejected(zipped)) == [
        "users.csv: the zip holds 2 members of this name (in any case)"]


def test_a_symbolic_link_in_the_zip_is_rejected(tmp_path):
    info = zipfile.ZipInfo("notes.csv")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    zipped = zip_set(EDFI, tmp_path / "set.zip")
    with zipfile.ZipFile(zipped, "a") as zf:
        zf.writestr(info, "/etc/passwd")
    assert problems(rejected(zipped)) == ["notes.csv: a symbolic link in the zip"]


def test_a_symlinked_file_is_rejected_but_a_symlinked_folder_is_not(edfi, tmp_path):
    elsewhere = tmp_path / "elsewhere.csv"
    (edfi / "users.csv").rename(elsewhere)
    (edfi / "users.csv").symlink_to(elsewhere)
    assert problems(rejected(edfi)) == [
        "users.csv: a symbolic link, not a file of the set's folder"]
    (edfi / "users.csv").unlink()
    elsewhere.rename(edfi / "users.csv")
    (tmp_path / "current").symlink_to(edfi)
    assert fetch(tmp_path / "current") == fetch(EDFI)


def test_a_file_swapped_for_a_link_after_listing_is_not_followed(edfi, tmp_path):
    (tmp_path / "other.csv").write_text("x")
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "other.csv")
    with pytest.raises(OSError):
        oneroster_csv._open_file(link)


@pytest.mark.parametrize("entry", ["file.../users", "file.sub/users", "file.\\\\srv\\users"])
def test_a_manifest_entry_leading_outside_the_set_is_rejected(edfi, entry):
    append(edfi, "manifest.csv", [f"{entry},bulk"])
    assert problems(rejected(edfi)) == [
        f"manifest.csv line 19: {entry} leads outside the set"]


def test_a_manifest_property_listed_twice_is_rejected(edfi):
    append(edfi, "manifest.csv", ["file.users,delta"])
    assert problems(rejected(edfi)) == [
        "manifest.csv line 19: file.users is listed again (first on line 10)"]


def test_another_oneroster_version_is_rejected_before_its_files(edfi):
    edit(edfi, "manifest.csv", "oneroster.version,1.1", "oneroster.version,2.0")
    edit(edfi, "users.csv", ",role,", ",roleType,")  # not reported: the version comes first
    assert problems(rejected(edfi)) == [
        "manifest.csv line 3: oneroster.version is '2.0', not 1.1 or 1.2"]


def test_a_manifest_without_a_version_is_rejected(edfi):
    edit(edfi, "manifest.csv", "oneroster.version,1.1\n", "")
    assert problems(rejected(edfi)) == [
        "manifest.csv: no oneroster.version (this reader takes OneRoster 1.1 and 1.2 sets)"]


# -- warnings that name the real problem ---------------------------------------------------

def test_a_teacher_enrolled_as_a_student_is_a_role_mismatch(edfi):
    append(edfi, "enrollments.csv", [f"odd,,,{ALG},255901001,207268,student,false,,"])
    feed = fetch(edfi)
    assert feed.warnings == [model.warning(
        "role_mismatch", "section", ALG,
        f"enrollments.csv line 26 (enrollment odd): user 207268 is enrolled as student in "
        f"class {ALG}, but users gives their role as teacher; the enrollment is left out")]
    assert (ALG, "student", "207268", True) not in feed.membership.rows
    assert (ENG, "teacher", "207268", True) in feed.membership.rows


def test_a_role_mismatch_is_found_in_a_large_file(edfi):
    append(edfi, "enrollments.csv",
           [f"x{i},,,{ENG},255901001,604863,student,,," for i in range(12_000)]
           + [f"odd,,,{ENG},255901001,604863,teacher,,,"])
    [warning] = fetch(edfi).warnings
    assert warning["code"] == "role_mismatch" and warning["message"].startswith(
        "enrollments.csv line 12026 (enrollment odd): user 604863 is enrolled as teacher")


def test_a_deleted_row_with_an_odd_role_does_not_upset_a_bulk_batch(edfi):
    """Found in review: a bulk file's inactive rows are not checked, so their role
    was missing from the batch's normalised roles (a KeyError)."""
    set_cell(edfi, "enrollments.csv", 2, "status", "tobedeleted")
    set_cell(edfi, "enrollments.csv", 2, "role", "wizard")
    edit(edfi, "enrollments.csv", ",teacher,", ",Teacher,")
    assert (ALG, "teacher", "207270", True) in fetch(edfi).membership.rows


def test_a_department_is_replaced_by_its_school(edfi):
    append(edfi, "orgs.csv", ["dept1,,,Maths Department,department,,255901001,,,,,"])
    set_cell(edfi, "users.csv", 2, "orgSourcedIds", "dept1")
    set_cell(edfi, "classes.csv", 2, "schoolSourcedId", "dept1")
    feed = fetch(edfi)
    assert feed.warnings == []
    assert record(feed, "student", "604863")["school_ids"] == ["255901001"]
    assert record(feed, "section", ENG)["school_id"] == "255901001"


def test_a_district_where_a_school_is_meant_warns_not_a_school(edfi):
    set_cell(edfi, "users.csv", 2, "orgSourcedIds", "255901")
    set_cell(edfi, "classes.csv", 2, "schoolSourcedId", "255901")
    feed = fetch(edfi)
    assert record(feed, "student", "604863")["school_ids"] == []
    assert record(feed, "section", ENG)["school_id"] == "255901"
    assert feed.warnings == [
        model.warning("not_a_school", "section", ENG,
                      f"classes.csv line 2: ENG-1 ({ENG}) belongs to district 255901, "
                      "which is not a school and has no school above it in orgs"),
        model.warning("not_a_school", "student", "604863",
                      "users.csv line 2: Mary Archer (604863) belongs to district 255901, "
                      "which is not a school and has no school above it in orgs")]


# -- people, warnings, progress, check ----------------------------------------------

def test_contacts_and_staff(edfi):
    edit(edfi, "users.csv", "(950) 336 6601,,09,", '(950) 336 6601,"g1,g2",09,')
    edit(edfi, "users.csv", "(950) 413 3235,,09,", "(950) 413 3235,g1,09,")
    append(edfi, "users.csv", [
        "g1,,,true,255901,parent,,,Ann,Archer,,,ann@example.org,,555-0101,,,",
        "g2,,,true,255901,relative,,,Bob,Archer,,,,,,,,",
        "a1,,,true,\"255901,255901001\",Administrator,pat,,Pat,Lee,,E77,pat@example.org,,,,,",
    ])
    feed = fetch(edfi)

    assert record(feed, "contact", "g1") == model.make(
        "contact", source_id="g1", first_name="Ann", last_name="Archer", email="ann@example.org",
        phone="555-0101", extra={"enabled": "true"},
        relationships=[{"student_id": s, "relationship": "parent", "type": "parent"}
                       for s in ("604863", "604874")])
    assert record(feed, "contact", "g2")["relationships"] == [
        {"student_id": "604863", "relationship": "relative", "type": "relative"}]
    assert record(feed, "staff", "a1") == model.make(
        "staff", source_id="a1", sis_id="E77", first_name="Pat", last_name="Lee",
        email="pat@example.org", username="pat", role="administrator",
        school_ids=["255901001"], extra={"enabled": "true"})  # not the district


def test_missing_email_and_username_are_warnings(edfi):
    edit(edfi, "users.csv", "Kyle Hughes,{Local:874},Kyle,Hughes,,,Kyle.Hughes@studentgps.org",
         ",{Local:874},Kyle,Hughes,,,")
    feed = fetch(edfi)
    assert record(feed, "student", "604874")["email"] == ""
    assert feed.warnings == [
        model.warning("missing_email", "student", "604874",
                      "users.csv line 3: Kyle Hughes (604874) has no email"),
        model.warning("missing_username", "student", "604874",
                      "users.csv line 3: Kyle Hughes (604874) has no username"),
    ]


def test_progress_per_file_and_every_10000_rows(edfi):
    append(edfi, "demographics.csv", [f"nobody{i},,,,,,,,,,,,,,," for i in range(20_000)])
    calls = []
    fetch(edfi, lambda *args: calls.append(args))
    assert {c[0] for c in calls} == {"orgs", "academicSessions", "courses", "classes",
                                     "users", "demographics", "enrollments"}
    # the total: the file's rows, counted before they are read (the CLI draws a bar)
    assert [c for c in calls if c[0] == "demographics"] == [
        ("demographics", 10_000, 20_008), ("demographics", 20_000, 20_008),
        ("demographics", 20_008, 20_008)]


def test_check():
    connector = OneRosterCsvConnector(EDFI)
    assert connector.kind == "oneroster_csv"
    assert connector.check() == {
        "district": "Grand Bend ISD", "schools": ["Grand Bend High School"],
        "counts": {"school": 1, "term": 3, "course": 2, "section": 2, "teacher": 2,
                   "student": 8, "staff": 0, "contact": 0},
        "version": "OneRoster 1.1"}
    with pytest.raises(SourceError):
        OneRosterCsvConnector(DIRTY).check()


# -- scale ------------------------------------------------------------------------

def write_district(folder: Path, students: int) -> None:
    """A synthetic bulk set: 7 classes per student, a guardian each, 1 teacher per 16."""
    folder.mkdir()
    schools, classes, teachers = students // 1000, students // 4, students // 16

    def write(name: str, header: str, rows) -> None:
        """Every column the spec defines, `header`'s filled from `rows`."""
        columns = SPEC_COLUMNS.get(name[:-4], header.split(","))
        with (folder / name).open("w", newline="") as f:
            out = csv.DictWriter(f, columns, restval="")
            out.writeheader()
            out.writerows(dict(zip(header.split(","), row)) for row in rows)

    files = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
    write("manifest.csv", "propertyName,value",
          [("oneroster.version", "1.1")] + [(f"file.{f}", "bulk") for f in files])
    write("orgs.csv", "sourcedId,status,dateLastModified,name,type",
          [("d", "", "", "D", "district")] + [(f"s{i}", "", "", f"S{i}", "school")
                                              for i in range(schools)])
    write("academicSessions.csv", "sourcedId,title,type,startDate,endDate",
          [("y", "Year", "schoolYear", "2025-08-01", "2026-06-30")])
    write("courses.csv", "sourcedId,title,schoolYearSourcedId,orgSourcedId",
          [(f"c{i}", f"C{i}", "y", "d") for i in range(100)])
    write("classes.csv", "sourcedId,title,courseSourcedId,classType,schoolSourcedId,termSourcedIds",
          [(f"k{i}", f"K{i}", f"c{i % 100}", "scheduled", f"s{i % schools}", "y")
           for i in range(classes)])
    write("users.csv", "sourcedId,role,givenName,familyName,orgSourcedIds,email,username,"
          "agentSourcedIds,grades",
          [(f"u{i}", "student", "A", f"B{i}", f"s{i % schools}", f"u{i}@x", f"u{i}", f"g{i}", "09")
           for i in range(students)]
          + [(f"g{i}", "guardian", "G", f"B{i}", "d", "", "", "", "") for i in range(students)]
          + [(f"t{i}", "teacher", "T", f"T{i}", f"s{i % schools}", f"t{i}@x", f"t{i}", "", "")
             for i in range(teachers)])
    write("enrollments.csv", "sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role,"
          "beginDate,endDate",
          [(f"e{i}.{j}", f"k{(i * 7 + j) % classes}", f"s{i % schools}", f"u{i}", "student",
            "2025-08-01", "2026-06-30") for i in range(students) for j in range(7)])


@pytest.mark.slow
def test_a_large_district_parses_in_seconds(tmp_path):
    write_district(tmp_path / "big", 20_000)  # a fifth of a 100,000-student district
    start = time.perf_counter()
    feed = fetch(tmp_path / "big")
    elapsed = time.perf_counter() - start
    assert len(feed.types["student"].records) == 20_000
    assert len(feed.membership.rows) == 140_000
    assert elapsed < 10, f"{elapsed:.1f} s"
