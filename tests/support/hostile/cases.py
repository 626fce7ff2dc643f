"""The hostile-input corpus: each case derives a broken (or merely unusual) OneRoster CSV
set, or config, from the Ed-Fi set, and says what `rostertui sync --commit` must do with
it on a store that already holds the Ed-Fi district.

Rejected: exit 1, stderr's first line is the error and the problem it names (the first
    problem when several are listed) holds every `where` substring; the roster tables,
    the staged plans and every file outside the store are unchanged; the sync is
    recorded as failed (a config error is refused before any sync: nothing recorded).
Accepted: exit 0, committed with `changes` actions.
Blocked: exit 3, staged as blocked, the roster tables unchanged; with `reasons`, exactly
    that many block reasons, each holding its substring (so the guard meant blocks it).
And for any outcome, the case's `check` holds.

The store holds the Ed-Fi district, or with `base="padded"` the padded one (sets.padded:
100 students, 40 sections), and the case's set starts from the same district: the
clear, enrollment and change guards need at least 10 affected records (safety.MIN_COUNT),
which the Ed-Fi set's 8 students and 2 sections cannot give.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass

from .sets import (
    GIB_2_5,
    Build,
    MiB,
    append,
    delta,
    directory,
    edit,
    edit_rows,
    empty_zip,
    every_file,
    first_enrollments,
    first_students,
    header_only,
    huge_field,
    keep_lines,
    lying_member,
    many_rows,
    members_of,
    not_a_zip,
    pad_student,
    padded,
    remove,
    rewrite,
    steps,
    symlinked,
    wide_header,
    without_enrollments,
    without_users,
    zeros_member,
    zipped,
)
from .workdir import Run, Workdir

ENG = "25590100101Trad120ENG112011"
ALG = "25590100102Trad220ALG112011"
FALL = "255901001_2021_2020-2021_Fall"
FIRST_ENROLLMENT = "6F4283DC-F831-4437-A9A3-E030C7AF0493"  # enrollments.csv line 2
MARY = "604863,,,true,255901001,student,Mary Archer,{Local:863},Mary,Archer"  # users.csv line 2
CONFIG = "source:\n  kind: oneroster_csv\n  path: {source}\nstore:\n  path: store/store.json\n"
# The Ed-Fi set's users have no identifier: requiring one gives a warning naming each
# student, Mary too, for the cases that check how a warning prints her name.
NAMING_MARY = CONFIG + "sync:\n  required_fields:\n    student: [sis_id]\n"

Check = Callable[[Workdir, Run], None]


@dataclass(frozen=True)
class Rejected:
    where: tuple[str, ...]        # in the problem named first: the file, the line or record
    problems: int | None = None   # how many problems are reported, when it is the point
    also: tuple[str, ...] = ()    # anywhere in stderr
    recorded: bool = True         # False: a config error, refused before any sync


@dataclass(frozen=True)
class Accepted:
    changes: int                  # actions committed


@dataclass(frozen=True)
class Blocked:
    reasons: tuple[str, ...] = ()  # one substring per block reason, in order


@dataclass(frozen=True)
class Case:
    id: str
    build: Build
    expect: Rejected | Accepted | Blocked
    config: str = CONFIG          # {source}: the path of the (broken) set
    check: Check | None = None    # more to assert, after the run
    base: str = "edfi"            # the district in the store and the set: a key of BASES


def as_is(folder) -> None:
    """The set unchanged (the case breaks the config instead)."""


BASES: dict[str, Build] = {"edfi": as_is, "padded": padded}


def config_case(id_: str, config: str, *where: str) -> Case:
    return Case(id_, as_is, Rejected(where, recorded=False), config=config)


# -- checks for accepted cases -----------------------------------------------------------

def mary_is(first: str, last: str) -> Check:
    def check(work: Workdir, run: Run) -> None:
        mary = work.table("students")["604863"]
        assert (mary["first_name"], mary["last_name"]) == (first, last)
    return check


def shown_literally(work: Workdir, run: Run) -> None:
    """The store keeps the name as sent; every printout escapes the control characters
    and leaves Rich markup as text."""
    mary_is("[bold]Mary[/]", "\x1b[31mArcher\x07")(work, run)
    shown = {args[0]: work.cli(*args) for args in (("show", run.json["sync_id"]),
                                                     ("warnings",), ("history",))}
    for printed in shown.values():
        assert printed.code == 0, printed.err
        assert "\x1b" not in printed.out and "\x07" not in printed.out
    for printed in (shown["show"].out, shown["warnings"].out):
        assert "[bold]Mary[/] \\x1b[31mArcher\\x07 (604863)" in printed


def exported_neutralised(prefix: str) -> Check:
    def check(work: Workdir, run: Run) -> None:
        out = work.root / "warnings.csv"
        exported = work.cli("warnings", run.json["sync_id"], "--csv", out)
        assert exported.code == 0, exported.err
        with out.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if r["source_id"] == "604863"]
        assert rows and all(r["message"].startswith(f"'{prefix}cmd|") for r in rows)
    return check


def nothing_outside(work: Workdir, run: Run) -> None:
    assert not list(work.root.parent.rglob("*evil*"))


def warned(code: str, *parts: str, absent: str = "not in the roster") -> Check:
    """The sync's warnings include `code`, its message holding each part, and none
    holds `absent`."""
    def check(work: Workdir, run: Run) -> None:
        warnings = run.json["warnings"]
        assert any(w["code"] == code and all(p in w["message"] for p in parts)
                   for w in warnings), warnings
        assert not any(absent in w["message"] for w in warnings), warnings
    return check


def steps_check(*checks: Check) -> Check:
    def check(work: Workdir, run: Run) -> None:
        for each in checks:
            each(work, run)
    return check


def mary_in(*schools: str) -> Check:
    def check(work: Workdir, run: Run) -> None:
        assert work.table("students")["604863"]["school_ids"] == list(schools)
    return check


def padded_students(n: int, field: str, value) -> Check:
    """Padded students 0 .. n-1 hold `value` in `field`; student n does not."""
    def check(work: Workdir, run: Run) -> None:
        students = work.table("students")
        assert [students[pad_student(i)][field] for i in range(n)] == [value] * n
        assert students[pad_student(n)][field] != value
    return check


# -- the corpus --------------------------------------------------------------------------

UTF16 = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
# every line of every file ends in a comma: a column without a header, always empty
trailing_comma = every_file(lambda d: d.rstrip(b"\n").replace(b"\n", b",\n") + b",\n")
INJECTIONS = ("=", "+", "-", "@")

CASES = [
    # the manifest and the files it lists
    Case("missing-manifest", remove("manifest.csv"),
         Rejected(("manifest.csv: missing",), problems=1)),
    Case("listed-file-missing", remove("courses.csv"),
         Rejected(("courses.csv: missing, but manifest.csv lists it as bulk",), problems=1)),
    Case("manifest-mode-sometimes", edit("manifest.csv", "file.users,bulk", "file.users,sometimes"),
         Rejected(("manifest.csv line 10", "file.users is 'sometimes', not bulk|delta|absent"),
                  problems=2, also=("users.csv: not listed in manifest.csv",))),
    Case("file-is-a-directory", directory("users.csv"),
         Rejected(("users.csv: missing",), problems=1)),
    Case("empty-file", rewrite("users.csv", lambda data: b""),
         Rejected(("users.csv: empty file",), problems=1)),
    # a bulk roster file with no rows: refused (the manifest says `absent` for nothing)
    Case("header-only", header_only("users.csv", "enrollments.csv", "demographics.csv"),
         Rejected(("users.csv: a header and no rows in a bulk file, which would remove every "
                   "user",), problems=2,
                  also=("enrollments.csv: a header and no rows in a bulk file",))),
    Case("header-only-enrollments-still-bulk", header_only("enrollments.csv"),
         Rejected(("enrollments.csv: a header and no rows in a bulk file, which would remove "
                   "every enrollment; a file with nothing to send is marked absent in "
                   "manifest.csv",), problems=1)),
    # rows gone but not all: the engine's delete threshold
    Case("every-student-gone", steps(keep_lines("users.csv", lambda r: ",student," not in r),
                                     keep_lines("enrollments.csv",
                                                lambda r: ",student," not in r),
                                     header_only("demographics.csv")),
         Blocked()),
    Case("missing-required-column", edit("users.csv", "givenName,familyName", "first,familyName"),
         Rejected(("users.csv line 1: missing column(s) givenName",), problems=1)),
    Case("column-twice", edit("users.csv", "email,sms,", "email,email,"),
         Rejected(("users.csv line 1: column email appears twice",), problems=2,
                  also=("users.csv line 1: missing column(s) sms",))),
    # found: renamed columns committed with exit 0 and wiped every email
    Case("renamed-email-and-username", steps(edit("users.csv", ",username,", ",login,"),
                                             edit("users.csv", ",email,", ",mail,")),
         Rejected(("users.csv line 1: missing column(s) username, email",), problems=1)),
    Case("optional-column-missing", edit("enrollments.csv", ",primary,", ","),
         Rejected(("enrollments.csv line 1: missing column(s) primary",))),
    Case("column-near-miss", edit("users.csv", ",email,", ",Email,"),
         Rejected(("users.csv line 1: column 'Email' is not defined by OneRoster 1.1; "
                   "did you mean email?",), problems=1)),
    Case("vendor-columns", steps(trailing_comma,
                                 edit("users.csv", "password,", "password,vendor.x"),
                                 edit("classes.csv", "periods,", "periods,vendor.y")),
         Accepted(changes=0), check=warned("unknown_columns", "'vendor.x'")),
    # found: a 62,000-column header took 37 s
    Case("62000-columns", wide_header("users.csv", 62_000),
         Rejected(("users.csv line 1: 62,018 columns, over the limit of 1,000",), problems=1)),

    # rows
    Case("duplicate-sourcedId", append("users.csv", MARY + ",,,Mary@example.org,,,,09,"),
         Rejected(("users.csv line 12 (user 604863): duplicate sourcedId",), problems=1)),
    Case("enrollment-unknown-user",
         edit("enrollments.csv", f"{ENG},255901001,604863", f"{ENG},255901001,999999"),
         Rejected((f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): "
                   "user 999999 not found in users",), problems=1)),
    Case("enrollment-unknown-class",
         edit("enrollments.csv", f"{ENG},255901001,604863", "NOPE,255901001,604863"),
         Rejected((f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): "
                   "class NOPE not found in classes",), problems=1)),
    Case("class-unknown-course", edit("classes.csv", "ALG-1,09,03100500,", "ALG-1,09,MISSING,"),
         Rejected((f"classes.csv line 3 (class {ALG}): course MISSING not found in courses",),
                  problems=1)),
    Case("user-unknown-org", edit("users.csv", "604874,,,true,255901001", "604874,,,true,Sch_9"),
         Rejected(("users.csv line 3 (user 604874): org Sch_9 not found in orgs",), problems=1)),
    Case("role-wizard", edit("users.csv", "255901001,student,Mary", "255901001,wizard,Mary"),
         Rejected(("users.csv line 2 (user 604863): unknown role 'wizard'",), problems=1)),
    Case("status-maybe", edit("users.csv", "604863,,", "604863,maybe,"),
         Rejected(("users.csv line 2 (user 604863): unknown status 'maybe'",))),
    Case("too-many-fields",
         edit("users.csv", "Preston@studentgps.org,,,,,,", "Preston@studentgps.org,,,,,,x"),
         Rejected(("users.csv line 11 (user 207268): 19 fields, the header has 18",))),
    Case("unclosed-quote", edit("users.csv", "604938,,,true,255901001,student,Roland",
                                '604938,,,true,255901001,student,"Roland'),
         Rejected(("users.csv line 6: unexpected end of data",))),
    Case("bad-row-at-the-end-of-200000",
         many_rows("demographics.csv", "nobody{},,,,,,,,,,,,,,,", 200_000,
                   "last,,,1997-13-01,,,,,,,,,,,,"),
         Rejected(("demographics.csv line 200010 (demographics last): "
                   "birthDate '1997-13-01' is not YYYY-MM-DD",), problems=1)),
    Case("date-last-modified-out-of-range",
         edit("users.csv", "604863,,", "604863,,2025-13-45T25:61:00Z"),
         Rejected(("users.csv line 2 (user 604863): dateLastModified '2025-13-45T25:61:00Z' "
                   "is not YYYY-MM-DDTHH:MM:SS[.sss]Z (ISO 8601, UTC)",), problems=1)),
    Case("delta-removal-with-a-bad-stamp",
         steps(delta("enrollments"), edit("enrollments.csv", f"{FIRST_ENROLLMENT},,",
                                          f"{FIRST_ENROLLMENT},tobedeleted,2025-13-45")),
         Rejected((f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): dateLastModified "
                   "'2025-13-45' is not YYYY-MM-DDTHH:MM:SS[.sss]Z",), problems=1)),
    Case("delta-garbage-dates",
         steps(delta("academicSessions", "enrollments"),
               edit("academicSessions.csv", "2020-08-17,2020-12-18", "13/45/2020,2020-12-18"),
               edit("enrollments.csv", "604863,student,,2020-08-17", "604863,student,,13/45/2020")),
         Rejected((f"academicSessions.csv line 3 (academicSession {FALL}): "
                   "startDate '13/45/2020' is not YYYY-MM-DD",), problems=2,
                  also=(f"enrollments.csv line 2 (enrollment {FIRST_ENROLLMENT}): "
                        "beginDate '13/45/2020' is not YYYY-MM-DD",))),

    # bytes and encodings
    Case("binary-garbage", rewrite("users.csv", lambda data: bytes(i * 151 % 256
                                                                   for i in range(10_000))),
         Rejected(("users.csv", "not utf-8 text"), problems=1)),
    # Zoë on line 9, named "near line 1": the decoder fails on a block read ahead
    Case("windows-1252", rewrite("users.csv",
                                 lambda d: d.replace(b"Micheal", "Zoë".encode("cp1252"))),
         Rejected(("users.csv", "not utf-8 text (invalid continuation byte)"), problems=1)),
    Case("nul-in-a-name", edit("users.csv", "Mary,Archer", "Ma\0ry,Archer"),
         Rejected(("users.csv line 2", "NUL character"))),
    Case("utf-16-without-bom", rewrite("users.csv", lambda data: data.decode().encode("utf-16-le")),
         Rejected(("users.csv line 1", "UTF-16 without a byte order mark"), problems=1)),
    *[Case(f"{codec}-with-bom", steps(edit("users.csv", "Mary,Archer", "Zoë,Ångström-Łukasz"),
                                      rewrite("users.csv", lambda d, c=codec: UTF16[c]
                                              + d.decode().encode(c))),
           Accepted(changes=1), check=mary_is("Zoë", "Ångström-Łukasz"))
      for codec in UTF16],
    Case("bom-and-crlf", every_file(lambda d: b"\xef\xbb\xbf" + d.replace(b"\n", b"\r\n")),
         Accepted(changes=0)),
    Case("trailing-commas", trailing_comma,
         Accepted(changes=0)),
    Case("field-of-100-mib", huge_field("classes.csv", ",120,", 100),
         Rejected(("classes.csv line 2", "a line longer than 1,048,576 characters"))),

    # what names may carry
    Case("markup-and-escapes", edit("users.csv", "Mary,Archer", "[bold]Mary[/],\x1b[31mArcher\x07"),
         Accepted(changes=1), check=shown_literally, config=NAMING_MARY),
    *[Case(f"csv-injection-{prefix}", edit("users.csv", "Mary,Archer",
                                           f"{prefix}cmd|' /C calc'!A0,Archer"),
           Accepted(changes=1), check=exported_neutralised(prefix), config=NAMING_MARY)
      for prefix in INJECTIONS],

    # zips
    Case("zip-slip", zipped(extra={"../evil.csv": b"x", "a/../../evil2.csv": b"x"}),
         Rejected(("../evil.csv: unsafe path in the zip",), problems=2,
                  also=("a/../../evil2.csv: unsafe path in the zip",)),
         check=nothing_outside),
    Case("zip-bomb-over-2-gib", zipped(drop=("users.csv",),
                                       raw=zeros_member("users.csv", GIB_2_5)),
         Rejected(("users.csv line 1",
                   f"declares {GIB_2_5 * MiB} bytes, over the {2 * 1024 * MiB}-byte limit"),
                  problems=1)),
    Case("zip-bomb-ratio", zipped(drop=("demographics.csv",),
                                  raw=zeros_member("demographics.csv", 12)),
         Rejected(("demographics.csv line 1", f"looks like a zip bomb: {12 * MiB} bytes"),
                  problems=1)),
    Case("zip-member-longer-than-declared",
         zipped(drop=("users.csv",), raw=lying_member("users.csv", b"x" * MiB, 100)),
         Rejected(("users.csv line 1", "Bad CRC-32 for file 'users.csv'"), problems=1)),
    Case("not-a-zip", not_a_zip, Rejected(("set.zip: not a folder or a .zip file",))),
    Case("empty-zip", empty_zip, Rejected(("manifest.csv: missing",), problems=1)),
    Case("zip-of-the-folder", zipped(inside="edfi/"), Rejected(("manifest.csv: missing",),
                                                                problems=1)),
    Case("zip-member-twice", zipped(extra={"users.csv": b"sourcedId\n"}),
         Rejected(("users.csv: the zip holds 2 members of this name (in any case)",), problems=1)),
    Case("symlinked-member", symlinked("users.csv"),
         Rejected(("users.csv: a symbolic link, not a file of the set's folder",), problems=1)),
    Case("manifest-leads-outside", append("manifest.csv", "file.../../etc/users,bulk"),
         Rejected(("manifest.csv line 19: file.../../etc/users leads outside the set",),
                  problems=1)),
    Case("manifest-says-twice", append("manifest.csv", "file.enrollments,delta"),
         Rejected(("manifest.csv line 19: file.enrollments is listed again (first on line 11)",),
                  problems=1)),
    Case("oneroster-1.2", edit("manifest.csv", "oneroster.version,1.1", "oneroster.version,1.2"),
         Rejected(("users.csv line 1: the columns of a OneRoster 1.1 users.csv, but "
                   "manifest.csv says oneroster.version 1.2: one of the two is wrong",),
                  problems=1)),

    # warnings that name the real problem
    Case("teacher-enrolled-as-student",
         append("enrollments.csv", f"odd,,,{ALG},255901001,207268,student,false,,"),
         Accepted(changes=0),
         check=warned("role_mismatch", "user 207268 is enrolled as student",
                      "users gives their role as teacher")),
    Case("user-in-a-department",
         steps(append("orgs.csv", "dept1,,,Maths,department,,255901001,,,,,"),
               edit("users.csv", "604863,,,true,255901001", "604863,,,true,dept1")),
         Accepted(changes=0), check=mary_in("255901001")),
    Case("user-in-the-district", edit("users.csv", "604863,,,true,255901001",
                                      "604863,,,true,255901"),
         Accepted(changes=1),
         check=steps_check(mary_in(), warned("not_a_school", "Mary Archer (604863) belongs to "
                                             "district 255901"))),
    Case("source-not-found", as_is, Rejected(("nowhere: not found",)),
         config=CONFIG.replace("{source}", "{source}/nowhere")),

    # the guards (rostertui/safety.py), each just under and just over its threshold at the
    # defaults; the reason names the type, field and counts
    Case("delete-percent-at-the-threshold", without_users("604863", "604874"),
         Accepted(changes=4)),  # 2 of 8 students archived (25%), their 2 sections updated
    Case("delete-percent-over", without_users("604863", "604874", "604918"),
         Blocked(("3 of 8 active students (37.5%) would be archived, over "
                  "sync.delete_threshold_percent (25%)",))),
    Case("emails-cleared-at-the-threshold", base="padded",
         build=edit_rows("users.csv", first_students(10), "email", ""),
         expect=Accepted(changes=10), check=padded_students(10, "email", "")),
    Case("emails-cleared-over", base="padded",
         build=edit_rows("users.csv", first_students(11), "email", ""),
         expect=Blocked(("11 of 100 active students (11%) would have email cleared, over "
                         "sync.clear_threshold_percent (10%)",))),
    Case("enrollments-removed-at-the-threshold", base="padded",
         build=without_enrollments(first_enrollments(35)),
         expect=Accepted(changes=35)),  # 35 of 142 (24.6%): one student out of 35 sections
    Case("enrollments-removed-over", base="padded",
         build=without_enrollments(first_enrollments(36)),
         expect=Blocked(("36 of 142 active enrollments (25.4%) would be removed (section "
                         "student_ids and teacher_ids), over "
                         "sync.enrollment_threshold_percent (25%)",))),
    # 5 sections emptied of students and 5 of their teacher: no field is cleared in 10
    # sections (the clear guard's floor), but 10 of 40 sections are left without one
    Case("sections-emptied-at-the-threshold", base="padded",
         build=without_enrollments(members_of("student", range(5)),
                                   members_of("teacher", range(10, 15))),
         expect=Accepted(changes=10)),
    Case("sections-emptied-over", base="padded",
         build=without_enrollments(members_of("student", range(6)),
                                   members_of("teacher", range(10, 15))),
         expect=Blocked(("11 of 40 active sections with members (27.5%) would be left with no "
                         "students (6, student_ids) or no teacher (5, teacher_ids), over "
                         "sync.enrollment_threshold_percent (25%)",))),
    # a school-year rollover: grade 09 to 10
    Case("grades-changed-at-the-threshold", base="padded",
         build=edit_rows("users.csv", first_students(50), "grades", "10"),
         expect=Accepted(changes=50), check=padded_students(50, "grade", "10")),
    Case("grades-changed-over", base="padded",
         build=edit_rows("users.csv", first_students(51), "grades", "10"),
         expect=Blocked(("51 of 100 active students (51%) would be changed (updated, archived, "
                         "reactivated or removed), over sync.change_threshold_percent (50%)",))),

    # the config
    config_case("config-bad-yaml", CONFIG.replace("  path: {source}\n", "  path: [{source}\n"),
                "config.yaml line 4"),
    config_case("config-unknown-key", CONFIG + "sync:\n  delete_treshold: 5\n",
                "config.yaml: unknown key 'sync.delete_treshold'"),
    config_case("config-missing-env-var", CONFIG.replace("{source}", "${ROSTERTUI_HOSTILE_UNSET}"),
                "config.yaml: 'source.path' uses ${ROSTERTUI_HOSTILE_UNSET}, but the "
                "environment variable ROSTERTUI_HOSTILE_UNSET is not set"),
    config_case("config-wrong-type", CONFIG + "sync:\n  delete_threshold: lots\n",
                "config.yaml: 'sync.delete_threshold' must be a whole number, not str"),
    config_case("config-nan-threshold", CONFIG + "sync:\n  delete_threshold_percent: .nan\n",
                "config.yaml: 'sync.delete_threshold_percent' must be a number from 0 to 100, "
                "not nan"),
]
