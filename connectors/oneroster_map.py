"""OneRoster 1.1 flat rows -> our records, for the CSV and REST connectors.

A row is a dict of header -> string as in the CSV files (lists as "a,b"); the REST
connector flattens its JSON into the same rows, so every value rule lives here. A set is
mapped file by file in FILES order, since each file only references files before it.
Problems are collected, never raised one by one: `Roster.finish` raises them all at once.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Callable

from connectors.feed import Feed, Membership, SourceError, TypeFeed
from rostertui import model

FILES = ("orgs", "academicSessions", "courses", "classes", "users", "demographics", "enrollments")
FILE_TYPES = {"orgs": ("school",), "academicSessions": ("term",), "courses": ("course",),
              "classes": ("section",), "users": ("teacher", "student", "staff", "contact"),
              "demographics": (), "enrollments": ()}
REQUIRED = {
    "orgs": ("sourcedId", "name", "type"),
    "academicSessions": ("sourcedId", "title", "type"),
    "courses": ("sourcedId", "title"),
    "classes": ("sourcedId", "title", "schoolSourcedId"),
    "users": ("sourcedId", "role", "givenName", "familyName"),
    "demographics": ("sourcedId",),
    "enrollments": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
}
NOUNS = {"orgs": "org", "academicSessions": "academicSession", "courses": "course",
         "classes": "class", "users": "user", "demographics": "demographics",
         "enrollments": "enrollment"}

STATUSES = {"": True, "active": True, "tobedeleted": False, "inactive": False}
ORG_TYPES = frozenset({"department", "school", "district", "local", "state", "national"})
NOT_SCHOOLS = frozenset({"district", "state", "national"})
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
REFERENCED = frozenset(target for refs in REFERENCES.values() for _, _, target in refs)
LIST_COLUMNS = frozenset({"orgSourcedIds", "termSourcedIds"})
DATES = {"academicSessions": ("startDate", "endDate"), "demographics": ("birthDate",),
         "enrollments": ("beginDate", "endDate")}
# Warn when these are empty: other systems key accounts on them.
WARN_EMPTY = {"student": ("email", "username"), "teacher": ("email", "username")}
# Demographics columns mapped to fields rather than copied into `extra`.
DEMOGRAPHIC_BASE = frozenset({"sourcedId", "status", "dateLastModified", "birthDate", "sex"})
MAX_PROBLEMS = 50
DEMOGRAPHIC_FIELDS = frozenset({"dob", "gender", "extra.*"})


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


@lru_cache(maxsize=4096)
def is_date(value: str) -> bool:
    """True for a real YYYY-MM-DD date."""
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


class Problems:
    """Every problem found in a source; the first MAX_PROBLEMS are kept for the message."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def add(self, text: str) -> None:
        self.count += 1
        if self.count <= MAX_PROBLEMS:
            self.lines.append(text)

    def error(self, where: str) -> SourceError:
        lines = [f"{where}: rejected, {self.count} problem(s):", *self.lines]
        if self.count > len(self.lines):
            lines.append(f"... and {self.count - len(self.lines)} more")
        return SourceError("\n".join(lines))


class Roster:
    """Builds one Feed from a OneRoster set.

    modes: file -> "bulk" | "delta" for each file present (absent files left out).
    Use: for each file in FILES order, `add = begin(file, columns, label)`, then
    `add(row, line)` per row; finally `finish(where)`.
    """

    def __init__(self, source: str, modes: dict[str, str], problems: Problems) -> None:
        self.modes = modes
        self.problems = problems
        full = bool(modes) and all(m == "bulk" for m in modes.values())
        self.feed = Feed(source=source, mode="full" if full else "quick")
        for file, mode in modes.items():
            for type_ in FILE_TYPES[file]:
                self.feed.types[type_] = TypeFeed(complete=mode == "bulk")
        if "enrollments" in modes:
            self.feed.membership = Membership(complete=modes["enrollments"] == "bulk")
        self._known: dict[str, set[str]] = {}  # bulk file -> ids present, for references
        self._org_types: dict[str, str] = {}
        self._course_codes: dict[str, str] = {}
        self._students: dict[str, dict] = {}
        self._with_demographics: set[str] = set()
        self._contacts: dict[str, tuple[dict, str]] = {}  # id -> (record, role)
        self._agents: dict[str, set[str]] = {}  # contact id -> student ids naming it
        self._members: dict[tuple[str, str, str], bool] = {}

    # -- per file ------------------------------------------------------------------

    def begin(self, file: str, columns: list[str],
              label: str) -> Callable[[dict, int], None] | None:
        """Start `file`, whose rows have `columns`; `label` names it in messages ("users.csv").
        Returns the function taking each (row, line), or None when required columns are
        missing (a problem is recorded and the file is skipped)."""
        missing = [c for c in REQUIRED[file] if c not in columns]
        if missing:
            self.problems.add(f"{label} line 1: missing column(s) {', '.join(missing)}")
            return None
        self._label, self._noun, self._seen = label, NOUNS[file], set()
        self._bulk = self.modes[file] == "bulk"
        self._present = (self._known.setdefault(file, set())
                         if self._bulk and file in REFERENCED else None)
        self._dates = DATES.get(file, ())
        refs = [(col, what, target, self._known[target], col in REQUIRED[file])
                for col, what, target in REFERENCES.get(file, ()) if target in self._known]
        self._refs = [r for r in refs if r[0] not in LIST_COLUMNS]
        self._list_refs = [r for r in refs if r[0] in LIST_COLUMNS]
        self._checked = bool(self._dates or refs)
        if file == "demographics":
            self._extra_cols = [(c, c.removeprefix("metadata.")) for c in columns
                                if c and c not in DEMOGRAPHIC_BASE]
        else:
            self._extra_cols = [(c, c[9:]) for c in columns if c.startswith("metadata.")]
        return {"orgs": self._org, "academicSessions": self._session, "courses": self._course,
                "classes": self._class, "users": self._user, "demographics": self._demographics,
                "enrollments": self._enrollment}[file]

    def finish(self, where: str) -> Feed:
        """The Feed, or SourceError listing every problem (`where` names the source)."""
        if self.problems.count:
            raise self.problems.error(where)
        for contact_id, (rec, role) in self._contacts.items():
            rec["relationships"] = [{"student_id": s, "relationship": role, "type": role}
                                    for s in sorted(self._agents.get(contact_id, ()))]
        if self.feed.membership is not None:
            self.feed.membership.rows = [(c, r, u, a) for (c, r, u), a in self._members.items()]
        self._mark_unsent_demographics()
        return self.feed

    def _mark_unsent_demographics(self) -> None:
        """Without a bulk demographics file, a student with no row in this set keeps the
        demographics already stored rather than having them cleared."""
        if self.modes.get("demographics") == "bulk" or "student" not in self.feed.types:
            return
        unsent = self.feed.types["student"].unsent
        for sid in self._students.keys() - self._with_demographics:
            unsent[sid] = DEMOGRAPHIC_FIELDS

    # -- helpers -------------------------------------------------------------------

    def _problem(self, line: int, sid: str, text: str) -> None:
        self.problems.add(f"{self._label} line {line} ({self._noun} {sid}): {text}")

    def _head(self, row: dict, line: int) -> tuple[str, bool] | None:
        """(sourcedId, active) of a row; None to skip it (a problem, or deleted in bulk)."""
        sid = row["sourcedId"]
        active = STATUSES.get(norm(row.get("status", "")))
        if not sid or sid in self._seen:
            self._problem(line, sid, "duplicate sourcedId" if sid else "no sourcedId")
            return None
        self._seen.add(sid)
        if active is None:
            self._problem(line, sid, f"unknown status {_show(row['status'])}")
            return None
        if not active and self._bulk:
            return None
        if self._present is not None:
            self._present.add(sid)
        if active and self._checked:
            self._check(row, line, sid)
        return sid, active

    def _check(self, row: dict, line: int, sid: str) -> None:
        """Dates and references of an active row (the hot path of a large district)."""
        for col in self._dates:
            value = row.get(col)
            if value and not is_date(value):
                self._problem(line, sid, f"{col} {_show(value)} is not YYYY-MM-DD")
        for col, what, target, known, required in self._refs:
            value = row.get(col, "")
            if value not in known and (value or required):
                self._problem(line, sid, f"{what} {value} not found in {target}")
        for col, what, target, known, _ in self._list_refs:
            for value in split_list(row.get(col, "")):
                if value not in known:
                    self._problem(line, sid, f"{what} {value} not found in {target}")

    def _enum(self, line: int, sid: str, what: str, value: str, allowed) -> str | None:
        """The normalised value, or None (and a problem) when it is not in `allowed`."""
        low = norm(value)
        if low in allowed:
            return low
        self._problem(line, sid, f"unknown {what} {_show(value)}")
        return None

    def _extra(self, row: dict, **values: str) -> dict:
        extra = {k: v for k, v in values.items() if v}
        for col, key in self._extra_cols:
            if row.get(col):
                extra[key] = row[col]
        return extra

    def _delete(self, type_: str, sid: str) -> None:
        self.feed.types[type_].deleted.append(sid)

    # -- row mappers: each takes (row, line) ---------------------------------------

    def _org(self, row: dict, line: int) -> None:
        head = self._head(row, line)
        type_ = head and self._enum(line, head[0], "org type", row["type"], ORG_TYPES)
        if not type_:
            return
        sid, active = head
        self._org_types[sid] = type_
        if type_ == "school" and not active:
            self._delete("school", sid)
        elif type_ == "school":
            self.feed.types["school"].records.append(model.make(
                "school", source_id=sid, sis_id=row.get("identifier", ""), name=row["name"],
                extra=self._extra(row)))
        elif type_ == "district" and active and self.feed.district is None:
            self.feed.district = {"source_id": sid, "name": row["name"]}

    def _session(self, row: dict, line: int) -> None:
        head = self._head(row, line)
        if not head:
            return
        sid, active = head
        if not active:
            return self._delete("term", sid)
        self.feed.types["term"].records.append(model.make(
            "term", source_id=sid, name=row["title"],
            type=SESSION_TYPES.get(norm(row["type"]), row["type"]),
            start_date=row.get("startDate", ""), end_date=row.get("endDate", ""),
            school_year=row.get("schoolYear", ""), parent_id=row.get("parentSourcedId", "")))

    def _course(self, row: dict, line: int) -> None:
        head = self._head(row, line)
        if not head:
            return
        sid, active = head
        if not active:
            return self._delete("course", sid)
        code = self._course_codes[sid] = row.get("courseCode", "")
        self.feed.types["course"].records.append(model.make(
            "course", source_id=sid, name=row["title"], code=code,
            grades=split_list(row.get("grades", "")),
            subject=(split_list(row.get("subjects", "")) or [""])[0],
            school_id=row.get("orgSourcedId", ""),
            school_year_id=row.get("schoolYearSourcedId", "")))

    def _class(self, row: dict, line: int) -> None:
        head = self._head(row, line)
        if not head:
            return
        sid, active = head
        if not active:
            return self._delete("section", sid)
        class_type = row.get("classType", "")
        if class_type:
            class_type = self._enum(line, sid, "classType", class_type, CLASS_TYPES)
        course = row.get("courseSourcedId", "")
        self.feed.types["section"].records.append(model.make(
            "section", source_id=sid, name=row["title"], school_id=row["schoolSourcedId"],
            course_id=course, term_ids=split_list(row.get("termSourcedIds", "")),
            section_number=row.get("classCode", ""),
            subject=", ".join(split_list(row.get("subjects", ""))),
            period=", ".join(split_list(row.get("periods", ""))),
            grades=split_list(row.get("grades", "")), class_type=class_type or "",
            location=row.get("location", ""), course_code=self._course_codes.get(course, ""),
            extra=self._extra(row)))

    def _user(self, row: dict, line: int) -> None:
        head = self._head(row, line)
        role = head and self._enum(line, head[0], "role", row["role"], USER_TYPES)
        if not role:
            return
        sid, active = head
        type_ = USER_TYPES[role]
        if not active:
            return self._delete(type_, sid)
        orgs = split_list(row.get("orgSourcedIds", ""))
        rec = model.make(
            type_, source_id=sid, sis_id=row.get("identifier", ""), first_name=row["givenName"],
            middle_name=row.get("middleName", ""), last_name=row["familyName"],
            email=row.get("email", ""), username=row.get("username", ""),
            school_ids=[o for o in orgs if self._org_types.get(o) not in NOT_SCHOOLS],
            extra=self._extra(row, user_ids=row.get("userIds", ""),
                              enabled=flag(row.get("enabledUser", "")),
                              sms=row.get("sms", ""), phone=row.get("phone", "")))
        if type_ == "student":
            rec["grade"] = (split_list(row.get("grades", "")) or [""])[0]
            self._students[sid] = rec
            for agent in split_list(row.get("agentSourcedIds", "")):
                self._agents.setdefault(agent, set()).add(sid)
        elif type_ == "staff":
            rec["role"] = role
        elif type_ == "contact":
            rec["phone"] = rec["extra"].pop("phone", "")
            self._contacts[sid] = (rec, role)
        for field in WARN_EMPTY.get(type_, ()):
            if not rec[field]:
                self.feed.warnings.append(model.warning(
                    f"missing_{field}", type_, sid,
                    f"{self._label} line {line}: {model.label(type_, rec)} has no {field}"))
        self.feed.types[type_].records.append(rec)

    def _demographics(self, row: dict, line: int) -> None:
        head = self._head(row, line)
        if not head or not head[1]:
            return
        sid = head[0]
        student = self._students.get(sid)
        if student is not None:
            self._with_demographics.add(sid)
            student["dob"] = row.get("birthDate", "")
            student["gender"] = row.get("sex", "")
            student["extra"].update((k, flag(v)) for k, v in self._extra(row).items())

    def _enrollment(self, row: dict, line: int) -> None:
        head = self._head(row, line)
        role = head and self._enum(line, head[0], "role", row["role"], ENROLLMENT_ROLES)
        if not role:
            return
        if role in ("teacher", "student"):  # aides, proctors, administrators: not rostered
            key = (row["classSourcedId"], role, row["userSourcedId"])
            self._members[key] = self._members.get(key, False) or head[1]  # active wins


def _show(value: str) -> str:
    """A source value quoted for a message, cut short."""
    return repr(value if len(value) <= 40 else value[:40] + "...")
