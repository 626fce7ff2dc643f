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

from collections.abc import Callable, Container, Iterable
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
    USER_TYPES,
    Problems,
    Roster,
    Row,
    Spec,
    _show,
    norm,
    split_list,
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
          # role and orgSourcedIds: 1.1's, which a 1.2 users.csv should not carry
          "users": ("sourcedId", "status", *PERSON_COLUMNS, *USER_EXTRAS,
                    "primaryOrgSourcedId", "role", "orgSourcedIds"),
          "roles": ("sourcedId", "status", "userSourcedId", "roleType", "role",
                    "orgSourcedId", "beginDate", "endDate", "userProfileSourcedId"),
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
        self._profile_users: dict[str, str] = {}         # active userProfile -> its user
        # users named by a role row that had a problem ("": a row naming none): their
        # "no role" would only repeat it
        self._faulty: set[str] = set()
        # users whose 1.1 role and orgSourcedIds contradict their roles: (count, first)
        self._contradicted: tuple[int, str] = (0, "")
        if modes.get("users") == "bulk" and modes.get("roles") == "delta":
            problems.add("roles.csv: delta while users.csv is bulk: every user's roles are "
                         "needed, so roles.csv must be bulk too")

    def begin(self, file: str, columns: list[str],
              label: str) -> Callable[[Row, int], None] | None:
        if file == "users" and "roles" not in self.modes.keys() | self.refused:
            self.problems.add(f"{label}: OneRoster 1.2 gives each user's role in roles.csv, "
                              "which this set does not send (manifest.csv: file.roles)")
            return None
        add = super().begin(file, columns, label)
        self._labels[file] = label
        if file == "users" and add is not None:
            self._user_ids = self._seen
        return add

    def _roles_doubtful(self, user: str) -> bool:
        """Whether a user without a role is already accounted for by a problem: roles.csv
        refused whole (a header-only file would otherwise add a line per user), or a role
        row of theirs (or of no one) that had one."""
        return "roles" in self.refused or user in self._faulty or "" in self._faulty

    def _mappers(self) -> dict[str, Callable[[Row, int], None]]:
        return {**super()._mappers(), "roles": self._role, "userProfiles": self._profile}

    def finish(self, where: str) -> Feed:
        count, first = self._contradicted
        if count:
            self.problems.add(
                f"{self._labels['users']}: {count} user(s) with OneRoster 1.1's role and "
                f"orgSourcedIds columns, which contradict {self._labels['roles']} (first: "
                f"{first}); a 1.2 users.csv has neither column: one of the two is wrong")
        self._unplaced("roles", "role", ((user, r.sid, r.line) for user, roles
                                         in self._roles.items() for r in roles))
        self._unplaced("userProfiles", "userProfile",
                       ((user, sid, line) for user, profiles in self._profiles.items()
                        for sid, line, _ in profiles))
        return super().finish(where)

    # -- row mappers -------------------------------------------------------------------

    def _role(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, user, kind, role, org, begin, end, profile = self._pick(row)
        before = self.problems.count
        if self._head(sid, status, row, line):  # else a problem, deleted in a bulk file,
            kind = self._required(line, sid, "roleType", kind, ROLE_KINDS)  # or removed
            role = self._required(line, sid, "role", role, ROLE_NAMES)
            owner = self._profile_users.get(profile, user)
            if not user:
                self._problem(line, sid, "no user (userSourcedId is empty; it is required)")
            elif owner != user:
                self._problem(line, sid, f"user profile {profile} is user {owner}'s, not "
                                         f"{user}'s")
            if kind and role and user:
                self._roles.setdefault(user, []).append(
                    Role(sid, ROLE_NAMES[role], kind == "primary", org, begin, end, line))
        if self.problems.count > before:
            self._faulty.add(user)

    def _required(self, line: int, sid: str, column: str, value: str,
                  allowed: Container[str]) -> str | None:
        """`_enum` of a value the role must have: an empty one is said to be so."""
        if value:
            return self._enum(line, sid, column, value, allowed)
        self._problem(line, sid, f"{column} is empty; it is required")
        return None

    def _profile(self, row: Row, line: int) -> None:
        row.append("")
        sid, status, user, profile_type, vendor, application, username = self._pick(row)
        if self._head(sid, status, row, line):
            self._profile_users[sid] = user
            text = f"{profile_type} at {vendor}{f'/{application}' if application else ''}"
            self._profiles.setdefault(user, []).append(
                (sid, line, f"{text}: {username}" if username else text))

    def _user(self, row: Row, line: int) -> None:
        row.append("")
        values = self._pick(row)
        sid, status, person = values[0], values[1], values[2:2 + len(PERSON_COLUMNS)]
        *extras, primary_org, role_11, orgs_11 = values[2 + len(PERSON_COLUMNS):]
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
        if (role_11 or orgs_11) and not self._agrees(role, orgs, role_11, orgs_11):
            count, first = self._contradicted
            self._contradicted = (count + 1, first or (
                f"line {line}, user {sid}: role {_show(role_11)}, orgSourcedIds "
                f"{_show(orgs_11)}; roles: {role} at {', '.join(orgs)}"))
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
        when they say more than those two) for an active user, or None: a problem says
        why (one of its own, or one of roles.csv that it would only repeat)."""
        roles = self._roles.get(sid, [])
        primaries = [r for r in roles if r.primary]
        if not primaries:
            if not self._roles_doubtful(sid):
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
        if not told or len(primaries) > 1 or primary_org not in (orgs[0], ""):
            self._warn_roles(type_, sid, line, roles, primary_org)  # the few that may
        ordered = sorted(roles, key=lambda r: not r.primary)
        return role, orgs, "" if told else "; ".join(r.text() for r in ordered)

    def _warn_roles(self, type_: str, sid: str, line: int, roles: list[Role],
                    primary_org: str) -> None:
        """Data warnings for roles the record can be made from but that look wrong: two
        primary roles (of one kind: the first is taken), a role that ends before it
        begins, a primaryOrgSourcedId naming no org of the user's roles."""
        where, roles_at = f"{self._label} line {line} (user {sid})", self._labels["roles"]
        primaries = [r for r in roles if r.primary]
        if len(primaries) > 1:
            self.feed.warnings.append(model.warning(
                "primary_roles", type_, sid,
                f"{where}: {len(primaries)} primary roles in {roles_at}, where one is "
                f"expected: {'; '.join(r.text() for r in primaries)}; the first is taken"))
        for r in roles:
            if r.begin and r.end and r.end < r.begin:
                self.feed.warnings.append(model.warning(
                    "reversed_dates", type_, sid,
                    f"{roles_at} line {r.line} (role {r.sid}): beginDate {r.begin} is after "
                    f"endDate {r.end}; the role is kept as sent"))
        if primary_org and self._elsewhere(primary_org, roles):
            self.feed.warnings.append(model.warning(
                "primary_org_without_role", type_, sid,
                f"{where}: primaryOrgSourcedId {primary_org} is an org where the user has "
                f"no role in {roles_at}; their schools are those of their roles"))

    def _elsewhere(self, org: str, roles: list[Role]) -> bool:
        """Whether `org` is neither an org of the roles nor above one (a role in a
        department, primaryOrg its school), as far as this set's orgs tell: an org of a
        type it does not give (a delta without orgs) may be anywhere."""
        if not all(r.org in self._org_types for r in roles):
            return False
        return all(org not in self._above(r.org) for r in roles)

    def _above(self, org: str) -> list[str]:
        """`org` and the orgs above it, by parentSourcedId."""
        chain: list[str] = []
        while org and org not in chain:
            chain.append(org)
            org = self._org_parents.get(org, "")
        return chain

    @staticmethod
    def _agrees(role: str, orgs: list[str], role_11: str, orgs_11: str) -> bool:
        """Whether users.csv's 1.1 role and orgSourcedIds (each when given) say what the
        roles say: the same type of person, in the same orgs."""
        given = norm(role_11)
        type_11 = USER_TYPES.get(given) or ROLE_TYPES.get(ROLE_NAMES.get(given, ""))
        return (not role_11 or type_11 == ROLE_TYPES[role]) and (
            not orgs_11 or set(split_list(orgs_11)) == set(orgs))

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
                kind = id_kind(inner)
                return (f"holds an item whose '{key}' has a sourcedId that is {kind}, not text"
                        if kind else f"holds an item whose '{key}' is {json_kind(inner)}, "
                                     "not text")
    return None


def id_kind(value: object) -> str | None:
    """What a reference's sourcedId is when it is there but not text ("a number"), or None:
    {"sourcedId": 5} is named as such, not as "an object"."""
    if not isinstance(value, dict) or value.get("sourcedId") is None \
            or isinstance(value["sourcedId"], str):
        return None
    return json_kind(value["sourcedId"])
