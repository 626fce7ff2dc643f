"""A real HTTP server on 127.0.0.1 that plays a OneRoster 1.2 rostering service, for the
tests.

It serves a district given as a OneRoster 1.2 CSV set (users.csv, roles.csv,
userProfiles.csv, ...) as the 1.2 REST binding shapes it, under
/ims/oneroster/rostering/v1p2: each user with its roles[] (roleType, role, org,
userProfile, beginDate, endDate) and userProfiles[] (their credentials' passwords too,
which a client must drop), preferredFirstName and preferredLastName (the CSV's
preferredGivenName and preferredFamilyName), primaryOrg as a reference.

Auth is OAuth 2 client credentials only (an OAuth 1 request gets 401). A token carries
the scopes asked for, each of which the client must be `allowed` (else invalid_scope);
a collection needs one of its scopes (NEEDS), else 403. Paging, the dateLastModified
filter, faults, `change` (a role's change changes its user) and `serve` are
OneRosterServer's.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

from .oneroster_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    FILES,
    OneRosterServer,
    _refs,
    tojson_answer,
)
from .server import Json

API = "/ims/oneroster/rostering/v1p2"
SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
SCOPE_CORE = SCOPE_PREFIX + "roster-core.readonly"
SCOPE_DEMOGRAPHICS = SCOPE_PREFIX + "roster-demographics.readonly"
SCOPE_ROSTER = SCOPE_PREFIX + "roster.readonly"
SCOPES = frozenset({SCOPE_CORE, SCOPE_DEMOGRAPHICS, SCOPE_ROSTER})
# the scopes that each give access to a collection
NEEDS = {file: (SCOPE_DEMOGRAPHICS if file == "demographics" else SCOPE_CORE, SCOPE_ROSTER)
         for file in FILES}
NESTED = ("roles", "userProfiles")  # sent inside each user object
FILES12 = (*FILES, *NESTED)
RENAMED = {"preferredGivenName": "preferredFirstName", "preferredFamilyName": "preferredLastName"}


class OneRoster12Server(OneRosterServer):
    api = API
    files = FILES12
    collections = FILES

    def __init__(self, fixtures: Path, client_id: str = CLIENT_ID,
                 client_secret: str = CLIENT_SECRET) -> None:
        super().__init__(fixtures, client_id, client_secret)
        self.scope = None          # no one scope to ask for: see allowed
        self.allowed = SCOPES      # the scopes this client may be granted
        self.asked: list[str] = []  # what a test reads: the scope of each token request

    def change(self, file: str, sid: str, **values: str) -> None:
        """As OneRosterServer's; a role or profile is part of its user's object, which
        has then changed too (a quick sync's filter finds it)."""
        super().change(file, sid, **values)
        user = self.rows[file][sid].get("userSourcedId", "") if file in NESTED else ""
        if user in self.rows["users"]:
            super().change("users", user)

    def _grant(self, asked: str) -> str | None:
        self.asked.append(asked)
        scopes = asked.split()
        return " ".join(scopes) if scopes and self.allowed.issuperset(scopes) else None

    def _refusal(self, req: BaseHTTPRequestHandler) -> str | None:
        if req.headers.get("Authorization", "").startswith("OAuth "):
            return "OAuth 1 is not offered: OneRoster 1.2 takes OAuth 2 bearer tokens"
        return super()._refusal(req)

    def _forbidden(self, req: BaseHTTPRequestHandler, file: str) -> str | None:
        if set(self.token_scope(req).split()).isdisjoint(NEEDS[file]):
            return f"insufficient scope: /{file} needs {' or '.join(NEEDS[file])}"
        return None

    def _object(self, file: str, row: dict[str, str]) -> Json:
        if file != "users":
            return super()._object(file, row)
        sid = row["sourcedId"]
        plain = {k: v for k, v in row.items()
                 if k not in ("primaryOrgSourcedId", "resourceSourcedIds")}
        obj = tojson_answer(file, {RENAMED.get(k, k): v for k, v in plain.items()},
                            self.base_url)
        obj["primaryOrg"] = _refs(row.get("primaryOrgSourcedId", ""), "org", False,
                                  self.base_url)
        obj["roles"] = [self._role(r) for r in self.rows["roles"].values()
                        if r["userSourcedId"] == sid and _active(r)]
        obj["userProfiles"] = [_profile(p) for p in self.rows["userProfiles"].values()
                               if p["userSourcedId"] == sid and _active(p)]
        return obj

    def _role(self, row: dict[str, str]) -> Json:
        role: Json = {"roleType": row["roleType"], "role": row["role"],
                      "org": _refs(row["orgSourcedId"], "org", False, self.base_url)}
        for key, column in (("userProfile", "userProfileSourcedId"),
                            ("beginDate", "beginDate"), ("endDate", "endDate")):
            if row.get(column):
                role[key] = row[column]
        return role


def _profile(row: dict[str, str]) -> Json:
    return {"profileId": row["sourcedId"], "profileType": row["profileType"],
            "vendorId": row["vendorId"], "applicationId": row["applicationId"],
            "description": row["description"],
            "credentials": [{"type": row["credentialType"], "username": row["username"],
                             "password": row["password"]}]}


def _active(row: dict[str, str]) -> bool:
    return row.get("status", "").lower() not in ("tobedeleted", "inactive")
