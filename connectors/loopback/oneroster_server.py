"""A real HTTP server on 127.0.0.1 that plays a OneRoster 1.1 REST server, for the tests.

It serves a district given as OneRoster CSV rows (tests/fixtures/oneroster-csv/edfi-v1p1)
as REST JSON shaped like ClassLink's (references as {href, sourcedId, type}, enabledUser
the string "true"), with limit/offset/sort paging, X-Total-Count and Link headers, the
dateLastModified filter, OAuth 1 HMAC-SHA256 signature checks, an OAuth 2 client
credentials token endpoint, faults a test arms for the Nth request to a path, and
records sent changed (`serve`, on the JSON objects: e.g. serve("enrollments", fn) to
leave out every student's enrollment).
Plumbing (server, handler, answers, the common faults) is server.py's; a OneRoster 1.2
server (oneroster12_server.py) is this one with another path, files and scopes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, unquote_plus, urlencode

from authlib.common.errors import AuthlibBaseError
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape
from authlib.oauth1.rfc5849.wrapper import OAuth1Request

from .server import Answer, Fault, Json, LoopbackServer, Query, apply, json_answer

API = "/ims/oneroster/v1p1"
TOKEN_PATH = "/oauth2/token"
CLIENT_ID = "or-test-key-5d1e"
CLIENT_SECRET = "or-test-secret-9b7c41e2f0a8"
SCOPE = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly"
FILES = ("orgs", "academicSessions", "courses", "classes", "users", "demographics",
         "enrollments")
OLD = "2021-01-04T00:00:00.000Z"  # dateLastModified of the rows the CSV leaves empty
DEFAULT_LIMIT = 100
MAX_SKEW = 300                    # seconds an OAuth 1 timestamp may be off
FILTER = re.compile(r"dateLastModified>'([^']+)'")
# CSV column -> (JSON key, type referenced; None: the row's own type)
REFS = {"parentSourcedId": ("parent", None),
        "schoolYearSourcedId": ("schoolYear", "academicSession"),
        "orgSourcedId": ("org", "org"), "orgSourcedIds": ("orgs", "org"),
        "courseSourcedId": ("course", "course"), "schoolSourcedId": ("school", "org"),
        "termSourcedIds": ("terms", "academicSession"), "agentSourcedIds": ("agents", "user"),
        "userSourcedId": ("user", "user"), "classSourcedId": ("class", "class")}
COLLECTIONS = {"org": "orgs", "academicSession": "academicSessions", "course": "courses",
               "class": "classes", "user": "users"}
TYPES = {"orgs": "org", "academicSessions": "academicSession"}
LISTS = frozenset({"grades", "subjects", "subjectCodes", "periods"})


class OneRosterServer(LoopbackServer):
    """Besides the common faults: "loop" (Link next = this page, or to=), "short" (only
    the page's first record, the headers kept)."""

    api = API                                     # where the collections are served
    files: tuple[str, ...] = FILES                # the CSV files of the district served
    collections: tuple[str, ...] = FILES          # the collections served

    def __init__(self, fixtures: Path, client_id: str = CLIENT_ID,
                 client_secret: str = CLIENT_SECRET) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.rows = load(fixtures, self.files)
        # Options a test may change:
        self.total_headers = ("X-Total-Count",)  # ClassLink: ("x-total-count", "x-count")
        self.links = True                         # send Link rel="next"
        self.max_limit: int | None = None         # serve at most this many per page
        self.expires_in = 3600                    # OAuth 2 token lifetime, seconds
        self.skew = 0                             # seconds the server's clock is ahead
        self.scope: str | None = SCOPE            # the scope a token request must ask for
        # What a test reads (and self.requests, the (path, query) of each request):
        self.schemes: list[str] = []                # auth scheme of each accepted API call
        self.refusals: list[str] = []               # why each 401 was sent
        self._tokens: dict[str, tuple[float, str]] = {}  # bearer token -> (expiry, scope)
        self._nonces: set[tuple[str, str]] = set()

    @property
    def base_url(self) -> str:
        return self.url + self.api

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    # -- what tests call ---------------------------------------------------------------

    def change(self, file: str, sid: str, **values: str) -> None:
        """Add a row or change one (status="tobedeleted" marks it), modified now."""
        with self._lock:
            row = dict(self.rows[file].get(sid, {"sourcedId": sid}), **values)
            row["dateLastModified"] = _now()
            self.rows[file][sid] = row

    def queries(self, file: str) -> list[Query]:
        return [q for path, q in self.requests if path == f"{self.api}/{file}"]

    # -- serving -----------------------------------------------------------------------

    def _apply(self, fault: Fault, answer: Answer, req: BaseHTTPRequestHandler, path: str,
               query: Query) -> Answer:
        if fault.kind == "loop":
            uri = f"{self.url}{path}?{urlencode(query)}"
            answer.headers["Link"] = f'<{fault.opts.get("to", uri)}>; rel="next"'
            return answer
        if fault.kind == "short":
            file = path.removeprefix(self.api + "/")
            return json_answer(200, {file: json.loads(answer.body)[file][:1]}, answer.headers)
        return apply(fault, answer)

    def _answer(self, req: BaseHTTPRequestHandler, path: str, query: Query) -> Answer:
        if path == TOKEN_PATH:
            return self._token(req)
        refusal = self._refusal(req)
        if refusal:
            self.refusals.append(refusal)
            return json_answer(401, {"imsx_codeMajor": "failure", "error": refusal})
        file = path.removeprefix(self.api + "/")
        if req.command != "GET" or file not in self.collections:
            return json_answer(404, {"imsx_codeMajor": "failure", "error": "Not Found"})
        forbidden = self._forbidden(req, file)
        if forbidden:
            return json_answer(403, {"imsx_codeMajor": "failure", "error": forbidden})
        return self._page(path, file, query)

    def _forbidden(self, req: BaseHTTPRequestHandler, file: str) -> str | None:
        """Why good credentials may not read `file`, or None."""
        return None

    def _object(self, file: str, row: dict[str, str]) -> Json:
        """A row of the district as the REST object sent."""
        return tojson_answer(file, row, self.base_url)

    def _page(self, path: str, file: str, query: Query) -> Answer:
        rows = list(self.rows[file].values())
        if query.get("sort") == "sourcedId":
            rows.sort(key=lambda r: r["sourcedId"], reverse=query.get("orderBy") == "desc")
        if "filter" in query:
            since = FILTER.fullmatch(query["filter"])
            if not since:
                return json_answer(400, {"error": f"unsupported filter {query['filter']}"})
            rows = [r for r in rows if _time(r["dateLastModified"]) > _time(since[1])]
        if file in self._serve:  # every row sent changed (or left out) before paging
            rows = self._served(file, [self._object(file, r) for r in rows])
        limit, offset = int(query.get("limit", DEFAULT_LIMIT)), int(query.get("offset", 0))
        page = rows[offset:offset + min(limit, self.max_limit or limit)]
        if file not in self._serve:
            page = [self._object(file, r) for r in page]
        headers = {name: str(len(rows)) for name in self.total_headers}
        if self.links and offset + len(page) < len(rows):
            after = urlencode({**query, "offset": offset + len(page)})
            first = urlencode({**query, "offset": 0})
            headers["Link"] = (f'<{self.url}{path}?{after}>; rel="next", '
                               f'<{self.url}{path}?{first}>; rel="first"')
        return json_answer(200, {file: page}, headers)

    # -- auth --------------------------------------------------------------------------

    def _refusal(self, req: BaseHTTPRequestHandler) -> str | None:
        """Why the request's credentials fail, or None when they are good."""
        presented = req.headers.get("Authorization", "")
        scheme = presented.split(" ", 1)[0]
        if scheme == "Bearer":
            good = self._tokens.get(presented[7:], (0.0, ""))[0] > time.time()
            refusal = None if good else "invalid or expired token"
        elif scheme == "OAuth":
            refusal = self._oauth1_refusal(req)
        else:
            refusal = "no credentials"
        if refusal is None:
            self.schemes.append(scheme)
        return refusal

    def _oauth1_refusal(self, req: BaseHTTPRequestHandler) -> str | None:
        """Recompute the signature from the request as received: method, URL, every query
        parameter and the oauth_* parameters, keyed with the consumer secret."""
        try:
            request = OAuth1Request(req.command, self.url + req.path, headers=req.headers)
        except (AuthlibBaseError, ValueError):
            return "malformed OAuth header"
        nonce = (request.timestamp or "", request.oauth_params.get("oauth_nonce", ""))
        if request.client_id != self.client_id:
            return "unknown consumer key"
        if request.signature_method != "HMAC-SHA256":
            return f"unsupported signature method {request.signature_method}"
        if not nonce[0].isdigit() or abs(time.time() + self.skew - int(nonce[0])) > MAX_SKEW:
            return "stale timestamp"
        if nonce in self._nonces:
            return "nonce used before"
        key = f"{escape(self.client_secret)}&"
        digest = hmac.new(key.encode(), generate_signature_base_string(request).encode(),
                          hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), request.signature or ""):
            return "invalid signature"
        self._nonces.add(nonce)
        return None

    def _token(self, req: BaseHTTPRequestHandler) -> Answer:
        """The client credentials grant, the client by HTTP Basic or in the form."""
        if req.command != "POST":
            return json_answer(405, {"error": "invalid_request"})
        length = int(req.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(req.rfile.read(length).decode()))
        client = (form.get("client_id"), form.get("client_secret"))
        basic = req.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            pair = base64.b64decode(basic[6:]).decode().partition(":")
            client = (unquote_plus(pair[0]), unquote_plus(pair[2]))
        if client != (self.client_id, self.client_secret):
            return json_answer(401, {"error": "invalid_client",
                               "error_description": "client authentication failed"})
        if form.get("grant_type") != "client_credentials":
            return json_answer(400, {"error": "unsupported_grant_type"})
        scope = self._grant(form.get("scope", ""))
        if scope is None:
            return json_answer(400, {"error": "invalid_scope"})
        token = secrets.token_hex(16)
        self._tokens[token] = (time.time() + self.expires_in, scope)
        return json_answer(200, {"access_token": token, "token_type": "bearer",
                           "expires_in": self.expires_in, "scope": scope})

    def _grant(self, asked: str) -> str | None:
        """The scope a token is granted for the scope asked, or None to refuse it."""
        return None if self.scope and asked != self.scope else asked

    def token_scope(self, req: BaseHTTPRequestHandler) -> str:
        """The scope of the request's bearer token ("" for none)."""
        presented = req.headers.get("Authorization", "")
        return self._tokens.get(presented[7:], (0.0, ""))[1] if presented[:7] == "Bearer " \
            else ""


def load(fixtures: Path, files: tuple[str, ...] = FILES) -> dict[str, dict[str, dict[str, str]]]:
    """Each CSV file's rows by sourcedId (a stray trailing comma dropped), last modified
    at OLD unless the row says when; a file the set lacks holds no rows."""
    data: dict[str, dict[str, dict[str, str]]] = {}
    for file in files:
        if not (fixtures / f"{file}.csv").exists():
            data[file] = {}
            continue
        with (fixtures / f"{file}.csv").open(encoding="utf-8-sig", newline="") as f:
            rows = [{k: v for k, v in row.items() if k is not None}
                    for row in csv.DictReader(f)]
        data[file] = {row["sourcedId"]: {**row, "dateLastModified": row["dateLastModified"]
                                         or OLD} for row in rows}
    return data


def tojson_answer(file: str, row: dict[str, str], root: str) -> Json:
    """A CSV row as the REST object ClassLink would send."""
    obj: Json = {"metadata": {}}
    for column, value in row.items():
        if column.startswith("metadata."):
            obj["metadata"][column.removeprefix("metadata.")] = value
        elif column in REFS:
            key, type_ = REFS[column]
            obj[key] = _refs(value, type_ or TYPES[file], column.endswith("s"), root)
        elif column in LISTS:
            obj[column] = _split(value)
        elif column == "userIds":
            obj[column] = [{"type": t, "identifier": i}
                           for t, i in re.findall(r"\{([^:}]*):([^}]*)\}", value)]
        elif file == "demographics" and value in ("true", "false"):
            obj[column] = value == "true"
        else:
            obj[column] = value
    obj["status"] = row.get("status") or "active"
    return obj


def _refs(value: str, type_: str, many: bool, root: str) -> list[Json] | Json | None:
    refs = [{"href": f"{root}/{COLLECTIONS[type_]}/{sid}", "sourcedId": sid, "type": type_}
            for sid in _split(value)]
    return refs if many else (refs[0] if refs else None)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
