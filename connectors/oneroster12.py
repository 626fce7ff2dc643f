"""OneRoster 1.2 rostering, for the CSV and REST connectors: what 1.2 changed from 1.1
(sis-reference.md section 5, checked against the 1EdTech 1.2 CSV binding), mapped into
the same records as 1.1.

users.csv no longer says a person's role or orgs: roles.csv does, one row per role and
org, primary or secondary, with dates (a REST user carries them as `roles[]`). A person
becomes a record of their primary role's type (teacher, student, staff, contact), in the
schools of their roles of that type, primary first. Their roles are kept, readable, in
the record's extra "roles" when they say more than the type and schools do (a role of
another kind, dates). The preferred names, pronouns, userMasterIdentifier and the
profiles of userProfiles.csv go to extra too: a 1.2 district therefore gives exactly the
records its 1.1 export gives, plus those extras.

Files are read in Spec.files order: roles (and the userProfiles they name) before the
users they complete; that each names a user of the set is checked at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from connectors.feed import Feed
from connectors.http import json_kind
from connectors.oneroster_map import (
    COLUMNS,
    PERSON_COLUMNS,
    REFERENCES,
    REQUIRED,
    SPEC_COLUMNS,
    Problems,
    Roster,
    Row,
    Spec,
    norm,
)
from rostertui import model
from rostertui.model import PEOPLE_TYPES
from rostertui.records import Record

VERSION = "1.2"
# Each 1.2 role (the binding's RoleEnum) -> the type of person it makes.
ROLE_TYPES = {"aide": "staff", "counselor": "staff", "districtAdministrator": "staff",
              "guardian": "contact", "parent": "contact", "principal": "staff",
              "proctor": "staff", "relative": "contact", "siteAdministrator": "staff",
              "student": "student", "systemAdministrator": "staff", "teacher": "teacher"}
ROLE_NAMES = {role.lower(): role for role in ROLE_TYPES}  # as norm() gives them
ROLE_KINDS = frozenset({"primary", "secondary"})
FILES = ("orgs", "academicSessions", "courses", "classes", "userProfiles", "roles", "users",
         "demographics", "enrollments")
USERS = ("sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
         "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
         "userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,"
         "primaryOrgSourcedId,pronouns").split(",")
ROLES = ("sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
         "orgSourcedId,userProfileSourcedId").split(",")
PROFILES = ("sourcedId,status,dateLastModified,userSourcedId,profileType,vendorId,"
            "applicationId,description,credentialType,username,password").split(",")
# users.csv's 1.2-only columns as Roster12._user reads them, after PERSON_COLUMNS; the
# extra key each one goes to (primaryOrgSourcedId only orders the schools).
USER_EXTRAS = {"preferredGivenName": "preferred_first_name",
               "preferredMiddleName": "preferred_middle_name",
               "preferredFamilyName": "preferred_last_name", "pronouns": "pronouns",
               "userMasterIdentifier": "user_master_identifier"}
SPEC = Spec(
    VERSION, FILES,
    columns={**SPEC_COLUMNS, "users": tuple(USERS), "roles": tuple(ROLES),
             "userProfiles": tuple(PROFILES)},
    required={**REQUIRED, "users": ("sourcedId", "givenName", "familyName"),
              "roles": ("sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"),
              "userProfiles": ("sourcedId", "userSourcedId")},
    read={**COLUMNS,
          "users": ("sourcedId", "status", *PERSON_COLUMNS, *USER_EXTRAS,
                    "primaryOrgSourcedId"),
          "roles": ("sourcedId", "status", "userSourcedId", "roleType", "role",
                    "orgSourcedId", "beginDate", "endDate"),
          "userProfiles": ("sourcedId", "status", "userSourcedId", "profileType", "vendorId",
                           "applicationId", "username")},
    references={**REFERENCES, "users": (("primaryOrgSourcedId", "org", "orgs"),),
                "roles": (("orgSourcedId", "org", "orgs"),
                          ("userProfileSourcedId", "user profile", "userProfiles"))},
    # in the binding's users table, not in every exporter's (ManageBac leaves it out)
    optional={"users": ("resourceSourcedIds",)},
    # the REST binding's names, easily written into a CSV
    aliases={"preferredFirstName": "preferredGivenName",
             "preferredLastName": "preferredFamilyName"})
# OAuth 2 scopes of the 1.2 rostering service
SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
SCOPE_CORE = SCOPE_PREFIX + "roster-core.readonly"       # all but demographics
SCOPE_DEMOGRAPHICS = SCOPE_PREFIX + "roster-demographics.readonly"
SCOPE_ROSTER = SCOPE_PREFIX + "roster.readonly"          # all of it


@dataclass(frozen=True)
class Role:
    """An active row of roles.csv (or an item of a REST user's roles[])."""

    sid: str
    role: str       # as ROLE_TYPES spells it
    primary: bool
    org: str
    begin: str
    end: str
    line: int

    def text(self) -> str:
        dates = (f" from {self.begin} to {self.end}" if self.begin and self.end
                 else f" from {self.begin}" if self.begin
                 else f" until {self.end}" if self.end else "")
        return f"{self.role} at {self.org}{' (primary)' if self.primary else ''}{dates}"


class Roster12(Roster):
    """Roster for a OneRoster 1.2 set: roles and userProfiles kept until the users they
    complete are read."""

    spec: ClassVar[Spec] = SPEC
    ROLE_GIVEN: ClassVar[str] = "roles give their primary role as"

    def __init__(self, source: str, modes: dict[str, str], problems: Problems,
                 datetimes: bool = False) -> None:
        super().__init__(source, modes, problems, datetimes)
        self._roles: dict[str, list[Role]] = {}          # user -> active roles, in order
        self._profiles: dict[str, list[tuple[str, int, str]]] = {}  # user -> (id, line, text)
        self._labels: dict[str, str] = {}
        self._user_ids: set[str] = set()                 # every sourcedId of users
        if modes.get("users") == "bulk" and modes.get("roles") == "delta":
            problems.add("roles.csv: delta while users.csv is bulk: every user's roles are "
                         "needed, so roles.csv must be bulk too")

    def begin(self, file: str, columns: list[str],
              label: str) -> Callable[[Row, int], None] | None:
        if file == "users" and "roles" not in self.modes:
            self.problems.add(f"{label}: OneRoster 1.2 gives each user's role in roles.csv, "
                              "which this set does not send (manifest.csv: file.roles)")
            return None
        add = super().begin(file, columns, label)
        self._labels[file] = label
        if file == "users" and add is not None:
            self._user_ids = self._seen
        return add

    def _mappers(self) -> dict[str, Callable[[Row, int], None]]:
        return {**super()._mappers(), "roles": self._role, "userProfiles": self._profile}

    def finish(self, where: str) -> Feed:
        self._unplaced("roles", "role", ((user, r.sid, r.line) for user, roles
                                         in self._roles.items() for r in roles))
        self._unplaced("userProfiles", "userProfile",
                       ((user, sid, line) for user, profiles in self._profiles.items()
                        for sid, line, _ in profiles))
        return super().finish(where)

    # -- row mappers -------------------------------------------------------------------

    def _role(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, user, kind, role, org, begin, end = self._pick(row)
        if not self._head(sid, status, row, line):
            return  # a problem, deleted in a bulk file, or a role a delta removes
        kind = self._enum(line, sid, "roleType", kind, ROLE_KINDS)
        role = self._enum(line, sid, "role", role, ROLE_NAMES)
        if kind and role:
            self._roles.setdefault(user, []).append(
                Role(sid, ROLE_NAMES[role], kind == "primary", org, begin, end, line))

    def _profile(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, user, profile_type, vendor, application, username = self._pick(row)
        if self._head(sid, status, row, line):
            text = f"{profile_type} at {vendor}{f'/{application}' if application else ''}"
            self._profiles.setdefault(user, []).append(
                (sid, line, f"{text}: {username}" if username else text))

    def _user(self, row: Row, line: int) -> None:
        row.append("")
        values = self._pick(row)
        sid, status, person = values[0], values[1], values[2:2 + len(PERSON_COLUMNS)]
        *extras, primary_org = values[2 + len(PERSON_COLUMNS):]
        active = self._head(sid, status, row, line)
        if active is None:
            return
        if not active:  # the roles of a removed user may not be sent: removed as any type
            for type_ in PEOPLE_TYPES:
                self._delete(type_, sid)
            return
        placed = self._placed(sid, line, primary_org)
        if placed is None:
            return
        role, orgs, text = placed
        rec = self._add_person(row, line, sid, role, ROLE_TYPES[role], orgs, person)
        extra = rec["extra"]
        for key, value in zip(USER_EXTRAS.values(), extras):
            if value:
                extra[key] = value
        if text:
            extra["roles"] = text
        if sid in self._profiles:
            extra["profiles"] = "; ".join(p for _, _, p in self._profiles[sid])

    def _placed(self, sid: str, line: int,
                primary_org: str) -> tuple[str, list[str], str] | None:
        """(the primary role, the orgs of the user's roles of its type, the roles as text
        when they say more than those two) for an active user, or None with a problem."""
        roles = self._roles.get(sid, [])
        primaries = [r for r in roles if r.primary]
        if not primaries:
            where = self._labels.get("roles", "roles.csv")
            self._problem(line, sid, f"no {'primary ' if roles else ''}role in {where}")
            return None
        type_ = ROLE_TYPES[primaries[0].role]
        if any(ROLE_TYPES[r.role] != type_ for r in primaries):
            self._problem(line, sid, "primary roles of different kinds: "
                          + "; ".join(r.text() for r in primaries))
            return None
        # primaries first (sorted keeps the file's order otherwise), primaryOrg leading
        same = sorted((r for r in roles if ROLE_TYPES[r.role] == type_),
                      key=lambda r: not r.primary)
        orgs = list(dict.fromkeys(r.org for r in same))
        if primary_org in orgs:
            orgs.remove(primary_org)
            orgs.insert(0, primary_org)
        role = primaries[0].role
        told = all(r.role == role and not (r.begin or r.end) for r in roles)
        ordered = sorted(roles, key=lambda r: not r.primary)
        return role, orgs, "" if told else "; ".join(r.text() for r in ordered)

    def _row_type(self, row: Row) -> str:
        if self._noun == "role":
            return ROLE_TYPES.get(ROLE_NAMES.get(norm(row[self._role_col]), ""), "staff")
        if self._noun == "user":
            primaries = [r for r in self._roles.get(row[self._sid_col], ()) if r.primary]
            return ROLE_TYPES[primaries[0].role] if primaries else "student"
        return super()._row_type(row)

    # -- at the end --------------------------------------------------------------------

    def _unplaced(self, file: str, noun: str,
                  entries: Iterable[tuple[str, str, int]]) -> None:
        """The (user, id, line) of `file` naming a user that users did not send. With a
        bulk users file that is a problem (or, for a user it marks tobedeleted, a warning);
        otherwise the user may be stored already, but their record cannot be rebuilt
        without their row: one warning says what was not applied."""
        label = self._labels.get(file, f"{file}.csv")
        users = self._known.get("users")
        gone = self._deleted.get("users", set())
        left: dict[str, int] = {}
        for user, sid, line in entries:
            if user in gone:
                self.feed.warnings.append(model.warning(
                    "deleted_reference", "user", user,
                    f"{label} line {line} ({noun} {sid}): user {user} is marked tobedeleted "
                    f"in users; the {noun} is left out"))
            elif user in self._user_ids:
                continue
            elif users is None:
                left[user] = left.get(user, 0) + 1
            else:
                self.problems.add(f"{label} line {line} ({noun} {sid}): user {user} not "
                                  "found in users")
        if left:
            shown = ", ".join(list(left)[:5]) + (f" and {len(left) - 5} more"
                                                 if len(left) > 5 else "")
            self.feed.warnings.append(model.warning(
                "not_applied", "file", label,
                f"{label}: {sum(left.values())} {noun}(s) of {len(left)} user(s) not in this "
                f"set's users ({shown}): not applied; a change of a user's {noun}s is "
                "applied with their row in users"))


# The roster that reads each OneRoster version.
ROSTERS: dict[str, type[Roster]] = {"1.1": Roster, VERSION: Roster12}


# -- REST: a 1.2 user object as the rows of userProfiles, roles and users -----------------

Flatten = Callable[[Record], dict[str, str]]
Part = tuple[str, list[dict[str, str]], list[int]]  # (file, rows, the line of each)
# The REST binding's names for users.csv's columns.
REST_NAMES = {"preferredFirstName": "preferredGivenName",
              "preferredLastName": "preferredFamilyName"}
NESTED = ("roles", "userProfiles")


def user_parts(users: list[Record], flatten: Flatten) -> list[Part]:
    """The rows of userProfiles, roles and users (in reading order) that a page of checked
    REST user objects holds; the line of each row is its user's place in the collection.
    A role has no sourcedId in REST: it is named by its user and place."""
    parts: dict[str, Part] = {f: (f, [], []) for f in ("userProfiles", "roles", "users")}
    for n, user in enumerate(users, 1):
        sid = str(user["sourcedId"])
        for file, rows in (("userProfiles", _profile_rows(sid, user.get("userProfiles"))),
                           ("roles", _role_rows(sid, user.get("roles"))),
                           ("users", [flatten({k: v for k, v in user.items()
                                               if k not in NESTED})])):
            parts[file][1].extend(rows)
            parts[file][2].extend([n] * len(rows))
    return list(parts.values())


def _role_rows(user: str, roles: object) -> list[dict[str, str]]:
    return [{"sourcedId": f"{user} roles[{n}]", "userSourcedId": user,
             "roleType": _text(role.get("roleType")), "role": _text(role.get("role")),
             "orgSourcedId": _text(role.get("org")),
             "userProfileSourcedId": _text(role.get("userProfile")),
             "beginDate": _text(role.get("beginDate")), "endDate": _text(role.get("endDate"))}
            for n, role in enumerate(_objects(roles), 1)]


def _profile_rows(user: str, profiles: object) -> list[dict[str, str]]:
    rows = []
    for n, profile in enumerate(_objects(profiles), 1):
        credentials = _objects(profile.get("credentials"))
        rows.append({"sourcedId": _text(profile.get("profileId")) or f"{user} userProfiles[{n}]",
                     "userSourcedId": user, "profileType": _text(profile.get("profileType")),
                     "vendorId": _text(profile.get("vendorId")),
                     "applicationId": _text(profile.get("applicationId")),
                     "username": ",".join(_text(c.get("username")) for c in credentials)})
    return rows


def _objects(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: object) -> str:
    """A checked value as text: a reference as its sourcedId."""
    if isinstance(value, dict):
        value = value.get("sourcedId")
    return "" if value is None else str(value)


def objects_problem(value: object) -> str | None:
    """What is wrong with `value` as a list of objects (None: nothing, or it is absent)."""
    if value is None:
        return None
    if not isinstance(value, list):
        return f"is {json_kind(value)}, not a list"
    bad = [item for item in value if not isinstance(item, dict)]
    return f"holds {json_kind(bad[0])}, not an object" if bad else None


def nested_problem(value: object) -> str | None:
    """roles[] and userProfiles[]: a list of objects, each value text, null or a reference
    (a profile's credentials: objects of text); never a number, as the binding says."""
    problem = objects_problem(value)
    if problem or not isinstance(value, list):
        return problem
    for item in value:
        for key, inner in item.items():
            if key == "credentials":
                problem = nested_problem(inner)
                if problem:
                    return f"holds an item whose 'credentials' {problem}"
            elif not (inner is None or isinstance(inner, str)
                      or (isinstance(inner, dict) and isinstance(inner.get("sourcedId"), str))):
                return f"holds an item whose '{key}' is {json_kind(inner)}, not text"
    return None
