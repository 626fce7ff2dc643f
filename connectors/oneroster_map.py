"""OneRoster 1.1 flat rows -> our records, for the CSV and REST connectors.

A row is the list of a record's strings in its file's column order, as in the CSV files
(lists as "a,b"); the REST connector flattens its JSON into the same rows, so every value
rule lives here. A set is
mapped file by file in FILES order, since each file only references files before it.
Problems are collected, never raised one by one: `Roster.finish` raises them all at once.
What a version defines is its Spec (V11 here; oneroster12 holds 1.2's and its Roster).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from itertools import compress, repeat
from operator import add, and_, itemgetter
from typing import ClassVar

from connectors.feed import Feed, Membership, SourceError, TypeFeed
from rostertui import model
from rostertui.records import Record
from rostertui.text import safe

Row = list[str]  # one record's values, in its file's column order

FILES = ("orgs", "academicSessions", "courses", "classes", "users", "demographics", "enrollments")
# The types each file's records become (OneRoster 1.2's roles and userProfiles: none,
# they complete its users).
FILE_TYPES = {"orgs": ("school",), "academicSessions": ("term",), "courses": ("course",),
              "classes": ("section",), "users": ("teacher", "student", "staff", "contact"),
              "demographics": (), "enrollments": (), "roles": (), "userProfiles": ()}
REQUIRED = {
    "orgs": ("sourcedId", "name", "type"),
    "academicSessions": ("sourcedId", "title", "type"),
    "courses": ("sourcedId", "title"),
    "classes": ("sourcedId", "title", "schoolSourcedId"),
    "users": ("sourcedId", "role", "givenName", "familyName"),
    "demographics": ("sourcedId",),
    "enrollments": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
}
# Every column OneRoster 1.1 defines for each file, optional ones included, in spec order
# (sis-reference.md section 2; demographics from the 1.1 CSV binding). A CSV set must
# carry them all (oneroster_csv checks the headers); a REST object may leave any out.
SPEC_COLUMNS = {name: tuple(cols.split(",")) for name, cols in {
    "orgs": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
                        "parentSourcedId,schoolYear",
    "courses": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
               "orgSourcedId,subjects,subjectCodes",
    "classes": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
               "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
             "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
             "password",
    "demographics": "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,"
                    "asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
                    "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,"
                    "stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus",
    "enrollments": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
                   "userSourcedId,role,primary,beginDate,endDate",
}.items()}
NOUNS = {"orgs": "org", "academicSessions": "academicSession", "courses": "course",
         "classes": "class", "users": "user", "demographics": "demographics",
         "enrollments": "enrollment", "roles": "role", "userProfiles": "userProfile"}

STATUSES = {"": True, "active": True, "tobedeleted": False, "inactive": False}
ORG_TYPES = frozenset({"department", "school", "district", "local", "state", "national"})
USER_TYPES = {"student": "student", "teacher": "teacher", "administrator": "staff",
              "aide": "staff", "proctor": "staff", "guardian": "contact", "parent": "contact",
              "relative": "contact"}
CLASS_TYPES = frozenset({"homeroom", "scheduled"})
ENROLLMENT_ROLES = frozenset({"administrator", "aide", "proctor", "student", "teacher"})
SESSION_TYPES = {t.lower(): t for t in ("gradingPeriod", "semester", "schoolYear", "term")}
# file -> (column, what, referenced file): each value must be a sourcedId present in the
# referenced file, which can only be checked when that file is bulk. An empty value is
# allowed unless the column is REQUIRED.
REFERENCES = {
    "courses": (("orgSourcedId", "org", "orgs"),
                ("schoolYearSourcedId", "school year", "academicSessions")),
    "classes": (("schoolSourcedId", "school", "orgs"), ("courseSourcedId", "course", "courses"),
                ("termSourcedIds", "term", "academicSessions")),
    "users": (("orgSourcedIds", "org", "orgs"),),
    "enrollments": (("classSourcedId", "class", "classes"), ("userSourcedId", "user", "users"),
                    ("schoolSourcedId", "school", "orgs")),
}
LIST_COLUMNS = frozenset({"orgSourcedIds", "termSourcedIds"})
DATES = {"academicSessions": ("startDate", "endDate"), "demographics": ("birthDate",),
         "enrollments": ("beginDate", "endDate"), "roles": ("beginDate", "endDate")}
DATETIME = "dateLastModified"  # in every file; checked when Roster(datetimes=True)
DATE_FORMAT, DATETIME_FORMAT = "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.sss]Z (ISO 8601, UTC)"
# Warn when these are empty: other systems key accounts on them.
WARN_EMPTY = {"student": ("email", "username"), "teacher": ("email", "username")}
# Demographics columns mapped to fields rather than copied into `extra`.
DEMOGRAPHIC_BASE = frozenset({"sourcedId", "status", "dateLastModified", "birthDate", "sex"})
MAX_PROBLEMS = 50
DEMOGRAPHIC_FIELDS = frozenset({"dob", "gender", "extra.*"})
SCHOOLS_UNSENT = frozenset({"school_ids"})


def split_list(value: str) -> list[str]:
    """A OneRoster list ("a,b") as its non-empty items."""
    if "," in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    value = value.strip()
    return [value] if value else []


# norm, flag and is_date are cached: few distinct values over millions of rows.
@lru_cache(maxsize=4096)
def norm(value: str) -> str:
    """An enum or boolean for comparison: OneRoster sources send `Scheduled`, `TRUE`."""
    return value.strip().lower()


@lru_cache(maxsize=4096)
def flag(value: str) -> str:
    """A boolean as "true"/"false"; any other value unchanged."""
    low = norm(value)
    return low if low in ("true", "false") else value


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits: \d takes any script's
_DATETIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                       r"(\.[0-9]{1,9})?Z")


@lru_cache(maxsize=4096)
def is_date(value: str) -> bool:
    """True for a real YYYY-MM-DD date."""
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4096)
def is_datetime(value: str) -> bool:
    """True for a real date and time in UTC as OneRoster 1.1 writes it:
    2025-08-11T06:00:00Z, with or without fractions of a second."""
    match = _DATETIME.fullmatch(value)
    return match is not None and is_date(match[1]) and int(match[2]) < 24 \
        and int(match[3]) < 60 and int(match[4]) < 60


class Problems:
    """Every problem found in a source; the first MAX_PROBLEMS are kept for the message."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def add(self, text: str) -> None:
        self.count += 1
        if self.count <= MAX_PROBLEMS:
            self.lines.append(safe(text))  # a value with a newline never forges a line

    def error(self, where: str) -> SourceError:
        """One line naming the first problem; with more, every problem on the lines after."""
        first = f"{where}: {self.lines[0]}"
        if self.count == 1:
            return SourceError(first)
        lines = [f"{first} (and {self.count - 1} more, listed below)", *self.lines]
        if self.count > len(self.lines):
            lines.append(f"... and {self.count - len(self.lines)} more")
        return SourceError("\n".join(lines))


# A person's columns as Roster._add_person takes them, in users.csv (1.1 and 1.2 alike).
PERSON_COLUMNS = ("identifier", "givenName", "middleName", "familyName", "email", "username",
                  "userIds", "enabledUser", "sms", "phone", "grades", "agentSourcedIds")
# The columns each mapper reads, in the order it unpacks them.
COLUMNS = {
    "orgs": ("sourcedId", "status", "type", "name", "identifier", "parentSourcedId"),
    "academicSessions": ("sourcedId", "status", "title", "type", "startDate", "endDate",
                         "schoolYear", "parentSourcedId"),
    "courses": ("sourcedId", "status", "title", "courseCode", "grades", "subjects",
                "orgSourcedId", "schoolYearSourcedId"),
    "classes": ("sourcedId", "status", "title", "schoolSourcedId", "courseSourcedId",
                "termSourcedIds", "classCode", "subjects", "periods", "grades", "classType",
                "location"),
    "users": ("sourcedId", "status", "role", "orgSourcedIds", *PERSON_COLUMNS),
    "demographics": ("sourcedId", "status", "birthDate", "sex"),
    "enrollments": ("sourcedId", "status", "classSourcedId", "userSourcedId", "role"),
}


@dataclass(frozen=True)
class Spec:
    """What one OneRoster version defines for the files a roster is read from."""

    version: str
    files: tuple[str, ...]  # read in this order: a file references only files before it
    # every column a CSV file must carry, optional ones included, in spec order
    columns: Mapping[str, tuple[str, ...]]
    required: Mapping[str, tuple[str, ...]]  # without these a file's rows are not read
    read: Mapping[str, tuple[str, ...]]  # the columns each row mapper reads, in its order
    # file -> (column, what, referenced file): see REFERENCES
    references: Mapping[str, tuple[tuple[str, str, str], ...]]
    # columns defined but left out by some exporters: not required in a header
    optional: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # header cell -> the column meant (another binding's name), for "did you mean"
    aliases: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def referenced(self) -> frozenset[str]:
        return frozenset(target for refs in self.references.values() for _, _, target in refs)

    @cached_property
    def defined(self) -> dict[str, frozenset[str]]:
        return {file: frozenset((*cols, *self.optional.get(file, ())))
                for file, cols in self.columns.items()}


V11 = Spec("1.1", FILES, SPEC_COLUMNS, REQUIRED, COLUMNS, REFERENCES)


class Roster:
    """Builds one Feed from a OneRoster set.

    modes: file -> "bulk" | "delta" for each file present (absent files left out).
    Use: for each file in FILES order, `add = begin(file, columns, label)`, then
    `add(row, line)` per row, a row being the list of its values in `columns` order
    (`add` may append to it); finally `finish(where)`.

    Rows are lists, read by column position: at a million rows a dict per row (and a
    dict lookup per value) cost more than reading the file.

    Memory, at a million students: every value the csv module reads is a new string, so
    an id an enrollment names is the object of the record it names (`_known` maps each id
    to it), and the values many records repeat (names, schools, grades, roles, dates) are
    interned: one object each rather than one per row.
    """

    spec: ClassVar[Spec] = V11
    ROLE_GIVEN: ClassVar[str] = "users gives their role as"  # a role mismatch's source

    def __init__(self, source: str, modes: dict[str, str], problems: Problems,
                 datetimes: bool = False) -> None:
        """`datetimes`: check each row's dateLastModified too (a CSV set's is text)."""
        self.modes = modes
        self.problems = problems
        self.datetimes = datetimes
        full = bool(modes) and all(m == "bulk" for m in modes.values())
        self.feed = Feed(source=source, mode="full" if full else "quick")
        for file, mode in modes.items():
            for type_ in FILE_TYPES[file]:
                self.feed.types[type_] = TypeFeed(complete=mode == "bulk")
        if "enrollments" in modes:
            self.feed.membership = Membership(complete=modes["enrollments"] == "bulk")
        # bulk file -> the ids present (each to itself: the one object the feed keeps)
        self._known: dict[str, dict[str, str]] = {}
        self._deleted: dict[str, set[str]] = {}  # bulk file -> ids it marks tobedeleted
        self._org_types: dict[str, str] = {}
        self._org_parents: dict[str, str] = {}
        self._not_schools: set[str] = set()  # orgs of another type than school
        self._user_roles: dict[str, str] = {}  # active user -> OneRoster role
        # "student" and "teacher" -> the active users of that type
        self._of_type: dict[str, set[str]] = {role: set() for role in ROSTERED}
        self._course_codes: dict[str, str] = {}
        self._students: dict[str, Record] = {}
        self._with_demographics: set[str] = set()
        self._contacts: dict[str, tuple[Record, str]] = {}  # id -> (record, role)
        self._agents: dict[str, list[str]] = {}  # contact id -> student ids naming it
        self._members: dict[tuple[str, str, str], bool] = {}
        # files the reader refused whole (a problem says why): what needs them adds no
        # problem of its own (1.2: no user is "without a role" when roles.csv is refused)
        self.refused: set[str] = set()

    # -- per file ------------------------------------------------------------------

    _seen: set[str]  # the sourcedIds of the file `begin` started, so far

    def begin(self, file: str, columns: list[str],
              label: str) -> Callable[[Row, int], None] | None:
        """Start `file`, whose rows have `columns`; `label` names it in messages ("users.csv").
        Returns the function taking each (row, line), or None when required columns are
        missing (a problem is recorded and the file is skipped)."""
        spec = self.spec
        missing = [c for c in spec.required[file] if c not in columns]
        if missing:
            self.problems.add(f"{label} line 1: missing column(s) {', '.join(missing)}")
            self.refused.add(file)
            return None
        self._label, self._noun, self._seen = label, NOUNS[file], set()
        self._bulk = self.modes[file] == "bulk"
        self._present = (self._known.setdefault(file, {})
                         if self._bulk and file in spec.referenced else None)
        self._gone = self._deleted.setdefault(file, set()) if self._present is not None \
            else None
        # A column the file lacks reads as "": its index is that of the "" every row
        # gets appended (at position len(columns)). A repeated column reads as its last.
        where = {c: i for i, c in enumerate(columns)}
        def ix(col: str) -> int:
            return where.get(col, len(columns))
        picked = [ix(col) for col in spec.read[file]]
        self._pick = itemgetter(*picked)
        self._dates = [(col, ix(col), is_date, DATE_FORMAT) for col in DATES.get(file, ())]
        if self.datetimes:
            self._dates.append((DATETIME, ix(DATETIME), is_datetime, DATETIME_FORMAT))
        self._sid_col, self._class_col, self._role_col = (ix("sourcedId"), ix("classSourcedId"),
                                                          ix("role"))
        refs = [(col, ix(col), what, target, self._known[target], col in spec.required[file],
                 self._deleted[target])
                for col, what, target in spec.references.get(file, ())
                if target in self._known]
        self._refs = [r for r in refs if r[0] not in LIST_COLUMNS]
        self._list_refs = [r for r in refs if r[0] in LIST_COLUMNS]
        self._checked = bool(refs)
        if file == "demographics":
            extras = [(ix(c), c.removeprefix("metadata.")) for c in where
                      if c and c not in DEMOGRAPHIC_BASE]
        else:
            extras = [(ix(c), c[9:]) for c in where if c.startswith("metadata.")]
        # metadata.*legacy* fills legacy_ids (users.csv's give a student's): never extra,
        # where a source that stops sending it once a renumbering is done would clear it
        legacy = [(i, key) for i, key in extras if "legacy" in key.lower()]
        self._extra_cols = [col for col in extras if col not in legacy]
        self._legacy_cols = [i for i, _ in legacy] if file != "demographics" else []
        self._add = self._mappers()[file]
        self._batch = (self._enrollments if file == "enrollments" and self._present is None
                       and not self._list_refs
                       and all(i < len(columns) for i in picked) else None)
        return self._add

    def _mappers(self) -> dict[str, Callable[[Row, int], None]]:
        """The row mapper of each file."""
        return {"orgs": self._org, "academicSessions": self._session, "courses": self._course,
                "classes": self._class, "users": self._user, "demographics": self._demographics,
                "enrollments": self._enrollment}

    def add_many(self, rows: list[Row], lines: list[int]) -> None:
        """`add(row, line)` for each row of the current file, in order. Enrollments (most
        of a set's rows) are mapped in C-level passes over the whole batch when no row in
        it has a problem; otherwise row by row, for the exact messages."""
        if self._batch is None or not self._batch(rows):
            add = self._add
            for row, line in zip(rows, lines):
                add(row, line)

    def finish(self, where: str) -> Feed:
        """The Feed, or SourceError listing every problem (`where` names the source)."""
        if self.problems.count:
            raise self.problems.error(where)
        self._seen = set()  # the last file's ids (7 million enrollments): needed no more
        for contact_id, (rec, role) in self._contacts.items():
            rec["relationships"] = [{"student_id": s, "relationship": role, "type": role}
                                    for s in sorted(set(self._agents.get(contact_id, ())))]
        if self.feed.membership is not None:
            self.feed.membership.rows = self._membership_rows()
        self._mark_unsent_demographics()
        return self.feed

    def _membership_rows(self) -> list[tuple[str, str, str, bool]]:
        """The enrollments as (section, role, user, active) rows, in the order read (C-level
        passes; the keys go with the dict once the rows are made)."""
        rows = list(map(add, self._members.keys(), zip(self._members.values())))
        self._members = {}
        return rows

    def _mark_unsent_demographics(self) -> None:
        """Without a bulk demographics file, a student with no row in this set keeps the
        demographics already stored rather than having them cleared."""
        if self.modes.get("demographics") == "bulk" or "student" not in self.feed.types:
            return
        unsent = self.feed.types["student"].unsent
        for sid in self._students.keys() - self._with_demographics:
            unsent[sid] = unsent[sid] | DEMOGRAPHIC_FIELDS if sid in unsent \
                else DEMOGRAPHIC_FIELDS

    # -- helpers -------------------------------------------------------------------

    def _problem(self, line: int, sid: str, text: str) -> None:
        self.problems.add(f"{self._label} line {line} ({self._noun} {sid}): {text}")

    def _head(self, sid: str, status: str, row: Row, line: int) -> bool | None:
        """Whether the row is active; None to skip it (a problem, or deleted in bulk)."""
        active = STATUSES.get(norm(status))
        if not sid or sid in self._seen:
            self._problem(line, sid, "duplicate sourcedId" if sid else "no sourcedId")
            return None
        self._seen.add(sid)
        if active is None:
            self._problem(line, sid, f"unknown status {_show(status)}")
            return None
        if self._dates:
            self._check_dates(row, line, sid)
        if not active and self._bulk:
            if self._gone is not None:
                self._gone.add(sid)
            return None
        if self._present is not None:
            self._present[sid] = sid
        if active and self._checked and not self._check(row, line, sid):
            return None
        return active

    def _check_dates(self, row: Row, line: int, sid: str) -> None:
        """The date and date-time columns of any row, active or not, bulk or delta."""
        for col, i, valid, form in self._dates:
            value = row[i]
            if value and not valid(value):
                self._problem(line, sid, f"{col} {_show(value)} is not {form}")

    def _check(self, row: Row, line: int, sid: str) -> bool:
        """References of an active row (the hot path of a large district).
        False when the row is to be left out: an enrollment naming a record that this
        set marks tobedeleted (the SIS removed the record before its enrollments)."""
        keep = True
        for col, i, what, target, known, required, deleted in self._refs:
            value = row[i]
            if value in known or not (value or required):
                continue
            if not value:
                self._problem(line, sid, f"no {what} ({col} is empty; it is required)")
            elif value in deleted:
                keep = self._refers_to_deleted(line, sid, row, what, value, target) and keep
            else:
                self._problem(line, sid, f"{what} {value} not found in {target}")
        for _col, i, what, target, known, _, deleted in self._list_refs:
            for value in split_list(row[i]):
                if value in deleted:
                    self._refers_to_deleted(line, sid, row, what, value, target)
                elif value not in known:
                    self._problem(line, sid, f"{what} {value} not found in {target}")
        return keep

    def _refers_to_deleted(self, line: int, sid: str, row: Row, what: str, value: str,
                           target: str) -> bool:
        """A warning, not a problem; True to keep the row (all but an enrollment)."""
        enrollment = self._noun == "enrollment"
        if enrollment:  # the warning is the section's: its roster loses someone
            type_, ref = "section", row[self._class_col]
        else:
            type_, ref = self._row_type(row), sid
        outcome = "the enrollment is left out" if enrollment else "kept as it is"
        self.feed.warnings.append(model.warning(
            "deleted_reference", type_, ref,
            f"{self._label} line {line} ({self._noun} {sid}): {what} {value} is marked "
            f"tobedeleted in {target}; {outcome}"))
        return not enrollment

    def _row_type(self, row: Row) -> str:
        if self._noun == "user":
            return USER_TYPES.get(norm(row[self._role_col]), "student")
        return {"course": "course", "class": "section"}[self._noun]

    def _enum(self, line: int, sid: str, what: str, value: str,
              allowed: Container[str]) -> str | None:
        """The normalised value, or None (and a problem) when it is not in `allowed`."""
        low = norm(value)
        if low in allowed:
            return low
        self._problem(line, sid, f"unknown {what} {_show(value)}")
        return None

    def _legacy(self, row: Row) -> list[str]:
        """The ids the row's metadata.*legacy* columns name: a record's earlier source ids
        (Infinite Campus keeps a renumbered record's old id in metadata.ic.legacysourceId)."""
        return list(dict.fromkeys(v for i in self._legacy_cols for v in split_list(row[i])))

    def _extra(self, row: Row, extra: dict[str, str] | None = None) -> dict[str, str]:
        """`extra` (or a new dict) with the row's non-empty extra columns added."""
        extra = {} if extra is None else extra
        for i, key in self._extra_cols:
            if row[i]:
                extra[key] = row[i]
        return extra

    def _delete(self, type_: str, sid: str) -> None:
        self.feed.types[type_].deleted.append(sid)

    # -- orgs that are not schools -------------------------------------------------
    # A person or class may name a department (or a district) where a school is meant.
    # It is attached to the school above that org when the set's orgs give one.

    def _school_of(self, org: str) -> str | None:
        """The nearest school at or above `org` by parentSourcedId, or None."""
        seen = set()
        while org and org not in seen:
            if self._org_types.get(org) == "school":
                return org
            seen.add(org)
            org = self._org_parents.get(org, "")
        return None

    def _schools(self, orgs: list[str]) -> tuple[list[str], list[str]]:
        """(the schools of `orgs`, the orgs with no school at or above them)."""
        schools, lost = [], []
        for org in orgs:
            school = self._school_of(org) if org in self._not_schools else org
            if school is None:
                lost.append(org)
            elif school not in schools:
                schools.append(school)
        return schools, lost

    def _class_school(self, org: str, sid: str, title: str, line: int) -> str:
        """A class's school when its schoolSourcedId is no school: the school above it,
        else the org as given, with a warning."""
        school = self._school_of(org)
        if school is None:
            self._not_a_school("section", sid, f"{title} ({sid}) belongs to", [org], line)
        return school or org

    def _not_a_school(self, type_: str, sid: str, who: str, orgs: list[str],
                      line: int, kept: bool = False) -> None:
        """`kept`: the record keeps the schools stored (a delta's school_ids unsent)."""
        named = ", ".join(f"{self._org_types[o]} {o}" for o in orgs)
        self.feed.warnings.append(model.warning(
            "not_a_school", type_, sid,
            f"{self._label} line {line}: {who} {named}, which is not a school and has no "
            "school above it in orgs" + ("; the schools stored are kept" if kept else "")))

    # -- row mappers: each takes (row, line) and reads COLUMNS[file] by self._pick ---

    def _org(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, type_, name, identifier, parent = self._pick(row)
        active = self._head(sid, status, row, line)
        type_ = active is not None and self._enum(line, sid, "org type", type_, ORG_TYPES)
        if not type_:
            return
        self._org_types[sid] = type_
        if parent:
            self._org_parents[sid] = parent
        if type_ != "school":
            self._not_schools.add(sid)
        if type_ == "school" and not active:
            self._delete("school", sid)
        elif type_ == "school":
            self.feed.types["school"].records.append(model.make(
                "school", source_id=sid, sis_id=identifier, name=name,
                legacy_ids=self._legacy(row), extra=self._extra(row)))
        elif type_ == "district" and active and self.feed.district is None:
            self.feed.district = {"source_id": sid, "name": name}

    def _session(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, title, type_, start, end, year, parent = self._pick(row)
        active = self._head(sid, status, row, line)
        if active is None:
            return
        if not active:
            return self._delete("term", sid)
        self.feed.types["term"].records.append(model.make(
            "term", source_id=sid, name=title, type=SESSION_TYPES.get(norm(type_), type_),
            start_date=start, end_date=end, school_year=year, parent_id=parent))

    def _course(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, title, code, grades, subjects, org, year = self._pick(row)
        active = self._head(sid, status, row, line)
        if active is None:
            return
        if not active:
            return self._delete("course", sid)
        self._course_codes[sid] = code
        self.feed.types["course"].records.append(model.make(
            "course", source_id=sid, name=title, code=code, grades=split_list(grades),
            subject=(split_list(subjects) or [""])[0], school_id=org, school_year_id=year))

    def _class(self, row: Row, line: int) -> None:
        row.append("")
        (sid, status, title, school, course, terms, code, subjects, periods, grades,
         class_type, location) = self._pick(row)
        active = self._head(sid, status, row, line)
        if active is None:
            return
        if not active:
            return self._delete("section", sid)
        if class_type:
            class_type = self._enum(line, sid, "classType", class_type, CLASS_TYPES)
        if school in self._not_schools:
            school = self._class_school(school, sid, title, line)
        self.feed.types["section"].records.append(model.make(
            "section", source_id=sid, name=title, school_id=school, course_id=course,
            term_ids=split_list(terms), section_number=code,
            subject=", ".join(split_list(subjects)), period=", ".join(split_list(periods)),
            grades=split_list(grades), class_type=class_type or "", location=location,
            course_code=self._course_codes.get(course, ""), legacy_ids=self._legacy(row),
            extra=self._extra(row)))

    def _user(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, role, orgs, *person = self._pick(row)
        active = self._head(sid, status, row, line)
        role = active is not None and self._enum(line, sid, "role", role, USER_TYPES)
        if not role:
            return
        type_ = USER_TYPES[role]
        if not active:
            return self._delete(type_, sid)
        self._add_person(row, line, sid, role, type_, split_list(orgs), person)

    def _add_person(self, row: Row, line: int, sid: str, role: str, type_: str,
                    orgs: list[str], person: Sequence[str]) -> Record:
        """An active user's record of `type_`, added to the feed; `person` holds the
        values of PERSON_COLUMNS, `orgs` the orgs the user belongs to."""
        (identifier, given, middle, family, email, username, user_ids, enabled, sms, phone,
         grades, agents) = person
        extra: dict[str, str] = {}
        if user_ids:
            extra["user_ids"] = user_ids
        enabled = flag(enabled)
        if enabled:
            extra["enabled"] = enabled
        if sms:
            extra["sms"] = sms
        if phone:
            extra["phone"] = phone
        school_ids, lost = list(map(intern, orgs)), None
        if not self._not_schools.isdisjoint(school_ids):
            school_ids, lost = self._schools(school_ids)
        rec = _person(type_, sid, identifier, intern(given), intern(middle), intern(family),
                      email, username,
                      school_ids, self._extra(row, extra) if self._extra_cols else extra)
        if self._legacy_cols:
            rec["legacy_ids"] = self._legacy(row)
        self._user_roles[sid] = role
        if type_ in ROSTERED:
            self._of_type[type_].add(sid)
        if lost and not school_ids and type_ != "contact":
            # a delta (a quick sync) moves no one out of their schools on this: only a
            # full set, which names every school, says the user is in none
            kept = not self._bulk
            if kept:
                self.feed.types[type_].unsent[sid] = SCHOOLS_UNSENT
            self._not_a_school(type_, sid, f"{model.label(type_, rec)} belongs to", lost,
                               line, kept)
        if type_ == "student":
            rec["grade"] = intern((split_list(grades) or [""])[0])
            self._students[sid] = rec
            if agents:
                for agent in split_list(agents):
                    self._agents.setdefault(agent, []).append(sid)
        elif type_ == "staff":
            rec["role"] = role
        elif type_ == "contact":
            rec["phone"] = rec["extra"].pop("phone", "")
            self._contacts[sid] = (rec, role)
        for key in WARN_EMPTY.get(type_, ()):
            if not rec[key]:
                self.feed.warnings.append(model.warning(
                    f"missing_{key}", type_, sid,
                    f"{self._label} line {line}: {model.label(type_, rec)} has no {key}"))
        self.feed.types[type_].records.append(rec)
        return rec

    def _demographics(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, birth, sex = self._pick(row)
        if not self._head(sid, status, row, line):
            return
        student = self._students.get(sid)
        if student is not None:
            self._with_demographics.add(sid)
            student["dob"] = intern(birth)
            student["gender"] = intern(sex)
            extra = student["extra"]
            for i, key in self._extra_cols:
                if row[i]:
                    extra[key] = flag(row[i])

    def _enrollments(self, rows: list[Row]) -> bool:
        """Map a batch of enrollment rows as `_enrollment` would, if no row has a problem
        (then True); False, having changed nothing, when one does."""
        if not rows:
            return True
        cols = list(zip(*rows))
        sids, statuses, sections, users, roles = self._pick(cols)
        ids = set(sids)
        if len(ids) != len(sids) or "" in ids or not self._seen.isdisjoint(ids):
            return False
        status_of: dict[str, bool] = {}
        for text in set(statuses):  # the few distinct statuses, not each row
            state = STATUSES.get(norm(text))
            if state is None:
                return False
            status_of[text] = state
        active = list(map(status_of.__getitem__, statuses))
        # bulk: inactive rows are skipped before any check; delta: kept, as removals
        kept = active if self._bulk else [True] * len(rows)
        checked = list(compress(range(len(rows)), active))

        def values(i: int) -> set[str]:
            """The distinct values of column i over the rows checked (a column the file
            lacks reads as "")."""
            if i >= len(cols):
                return {""} if checked else set()
            if len(checked) == len(rows):
                return set(cols[i])
            return set(map(cols[i].__getitem__, checked))

        for _, i, valid, _ in self._dates:  # every row's, active or not
            col = cols[i] if i < len(cols) else ("",)
            # a set costs a hash per value; most batches carry one date throughout
            distinct = (col[0],) if col.count(col[0]) == len(col) else set(col)
            if not all(not v or valid(v) for v in distinct):
                return False
        for _, i, _, _, known, required, _ in self._refs:
            bad = values(i).difference(known)
            if any(bad) or (required and bad):
                return False
        role_of = {r: norm(r) for r in set(compress(roles, kept))}
        if not ENROLLMENT_ROLES.issuperset(role_of.values()):
            return False
        # (role_of.get: a bulk file's inactive rows are not checked, so not in role_of;
        # its values are norm's, one object per role)
        roles = list(map(role_of.get, roles, roles))
        if self._user_roles and self._role_clash(users, roles, active):
            return False
        # no problem anywhere: apply the batch
        self._seen.update(ids)
        rostered = list(map(ROSTERED.__contains__, roles))
        keys = zip(self._same("classes", sections), roles, self._same("users", users))
        members = self._members
        if self._bulk:  # every kept row is active, and active wins
            members.update(zip(compress(keys, map(and_, active, rostered)), repeat(True)))
        else:
            for key, is_active in compress(zip(keys, active), rostered):
                members[key] = members.get(key, False) or is_active
        return True

    def _enrollment(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, section, user, role = self._pick(row)
        active = self._head(sid, status, row, line)
        if active is None:
            return
        role = ENROLLMENT_ROLE.get(role) or self._enum(line, sid, "role", role,
                                                       ENROLLMENT_ROLES)
        if role == "teacher" or role == "student":  # aides, proctors, admins: not rostered
            if active and self._enrolled_as_other(user, role, section, sid, line):
                return
            key = (self._known.get("classes", {}).get(section, section), role,
                   self._known.get("users", {}).get(user, user))
            self._members[key] = self._members.get(key, False) or active  # active wins

    def _same(self, file: str, ids: Sequence[str]) -> Sequence[str]:
        """`ids` as the objects `file`'s records hold (when it is bulk), so that the
        millions of enrollments hold no string of their own (a C-level pass)."""
        known = self._known.get(file)
        return ids if known is None else list(map(known.get, ids, ids))

    def _role_clash(self, users: Sequence[str], roles: Sequence[str],
                    active: list[bool]) -> bool:
        """Whether an active row of the batch enrols a user of this set as a student or
        teacher when users gives that user another role."""
        listed = self._user_roles.keys()
        for role, of_type in self._of_type.items():
            enrolled = set(compress(users, map(and_, active, map(role.__eq__, roles))))
            if (enrolled & listed) - of_type:
                return True
        return False

    def _enrolled_as_other(self, user: str, role: str, section: str, sid: str,
                           line: int) -> bool:
        """A role_mismatch warning, and True, when users gives `user` a role other than
        the enrollment's (a teacher enrolled as a student): the enrollment is left out,
        since the roster would otherwise name someone the store holds as another type."""
        listed = self._user_roles.get(user)
        if listed is None or user in self._of_type[role]:
            return False
        self.feed.warnings.append(model.warning(
            "role_mismatch", "section", section,
            f"{self._label} line {line} ({self._noun} {sid}): user {user} is enrolled as "
            f"{role} in class {section}, but {self.ROLE_GIVEN} {listed}; the "
            "enrollment is left out"))
        return True


# The common spellings of an enrollment role, without a call per row.
ENROLLMENT_ROLE = {r: r for r in ENROLLMENT_ROLES}
intern = sys.intern  # values many records repeat: one object each (see Roster)
ROSTERED = frozenset({"teacher", "student"})  # aides, proctors, admins: not rostered


def _person(type_: str, sid: str, sis_id: str, first: str, middle: str, last: str,
            email: str, username: str, school_ids: list[str],
            extra: dict[str, str]) -> Record:
    """model.make(type_, ...) for a person, without its per-call checks (a hot path):
    the same keys in the same order, every other source field blank."""
    rec = {"source_id": sid, "sis_id": sis_id, "legacy_ids": [], "extra": extra,
           "first_name": first, "middle_name": middle, "last_name": last, "email": email,
           "username": username, "school_ids": school_ids, "state_id": ""}
    rec.update(_PERSON_TAILS[type_])
    if type_ == "contact":
        rec["relationships"] = []
    return rec


_PERSON_HEAD = ("source_id", "sis_id", "legacy_ids", "extra", "first_name", "middle_name",
                "last_name", "email", "username", "school_ids", "state_id")
_PERSON_TAILS = {t: {f: v for f, v in model.blank(t).items() if f not in _PERSON_HEAD}
                 for t in model.PEOPLE_TYPES}
# Only "" may be shared between records (_person makes the one list afresh), and the
# head must be the model's: a change to model.SOURCE_FIELDS fails here, not silently.
assert all(v == "" or (t, f) == ("contact", "relationships")
           for t, tail in _PERSON_TAILS.items() for f, v in tail.items()) \
    and all(model.SOURCE_FIELDS[t][:len(_PERSON_HEAD)] == _PERSON_HEAD
            for t in model.PEOPLE_TYPES)


def _show(value: str) -> str:
    """A source value quoted for a message, cut short."""
    return repr(value if len(value) <= 40 else value[:40] + "...")
