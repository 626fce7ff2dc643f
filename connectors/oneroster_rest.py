"""OneRoster 1.1 and 1.2 REST (an SIS, or ClassLink Roster Server): a full snapshot, or
the records changed since the last committed sync (filter=dateLastModified>'<cursor>').

`source.version` picks the service: 1.1 at /ims/oneroster/v1p1 (OAuth 1 or 2), 1.2's
rostering service at /ims/oneroster/rostering/v1p2 (OAuth 2 only, with the 1.2 scopes),
whose users carry their roles[] and userProfiles[] (oneroster12 maps them).

Each JSON object is flattened into the CSV row oneroster_map reads, so both OneRoster
connectors share every value rule and a district read over REST equals the same district
read as CSV. The cursor is the fetch's own start time, taken before the first request:
a record changed while a sync reads is fetched again by the next quick sync, never lost.

Before it is flattened, every record is checked against what the JSON binding allows
(`check_record`): a sourcedId that is a number, or a name that is an object, is a
SourceError naming the endpoint, the record and the field, never a traceback and never
a value quietly turned into text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import warnings
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from itertools import chain
from typing import Any, cast

import httpx
from authlib.common.errors import AuthlibBaseError

with warnings.catch_warnings():
    # authlib 1.9 warns on import that its httpx client moves to an "httpx2" package;
    # rostertui uses httpx itself, and the warning would reach every admin's terminal.
    # authlib.deprecate installs an "always" filter when imported: import it first.
    import authlib.deprecate  # noqa: F401
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import OAuth1Auth, OAuth2Client
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape
from authlib.oauth1.rfc5849.wrapper import OAuth1Request

from rostertui import clock
from rostertui.invocation import command
from rostertui.records import Record
from rostertui.redact import scrub

from . import http, oneroster12
from .feed import Feed, Progress, SourceCheck, SourceError
from .http import (
    DEFAULT_MAX_RESPONSE_MB,
    DEFAULT_TIMEOUT,
    JsonClient,
    PageBudget,
    RetryPolicy,
    client_options,
    json_kind,
    label,
    require_secure,
    whole_number,
)
from .oneroster12 import ROSTERS, SCOPE_CORE, SCOPE_DEMOGRAPHICS
from .oneroster_map import FILES, Problems, Roster
from .options import ONEROSTER_VERSIONS, Option, OptionError, given, oneroster_version

AUTHS = ("oauth1", "oauth2")
ROOT = "/ims/oneroster/v1p1"   # where a OneRoster 1.1 server's base URL ends
ROOTS = {"1.1": ROOT, "1.2": "/ims/oneroster/rostering/v1p2"}
HMAC_SHA256 = "HMAC-SHA256"
SORT = {"sort": "sourcedId", "orderBy": "asc"}
# A reference (or list of references) -> the CSV column holding its sourcedId(s). A key
# holding a plain value keeps its name: an academicSession's schoolYear is a year, a
# course's schoolYear is a reference.
REF_COLUMNS = {"parent": "parentSourcedId", "schoolYear": "schoolYearSourcedId",
               "org": "orgSourcedId", "orgs": "orgSourcedIds", "course": "courseSourcedId",
               "school": "schoolSourcedId", "terms": "termSourcedIds",
               "agents": "agentSourcedIds", "user": "userSourcedId",
               "class": "classSourcedId", "primaryOrg": "primaryOrgSourcedId",
               "resources": "resourceSourcedIds"}
DROPPED = frozenset({"password"})
# Read whole by a quick sync too. Orgs (a few hundred): a user a quick sync moves to a
# department is placed in the school above it, as a full sync does, only when every
# org's type is known. Demographics: a changed student's row has usually not changed,
# and without it the student would lose them (the roster applies demographics only to
# the students in the feed).
UNFILTERED = frozenset({"orgs", "demographics"})


class OneRosterRestConnector:
    kind = "oneroster_rest"
    options = (
        Option("base_url", str, required=True,
               help=f"the server root, ending in {ROOT} (version 1.2: {ROOTS['1.2']}; https, "
                    "or plain http to this machine)"),
        oneroster_version(ONEROSTER_VERSIONS[0], "the OneRoster version the server speaks"),
        Option("auth", str, "oauth1", choices=AUTHS,
               help="oauth1 (two-legged HMAC-SHA256) or oauth2 (client credentials; the "
                    "only one of version 1.2)"),
        Option("client_id", str, required=True, help="the OAuth client id (key)"),
        Option("client_secret", str, required=True, secret=True, help="the OAuth secret"),
        Option("token_url", str, help="with oauth2: the token endpoint"),
        Option("scope", str, help="with oauth2: the scope asked for, if any (version 1.2: "
                                  "by default its roster-core scope, and its demographics "
                                  "scope with demographics: true)"),
        Option("page_size", int, help="records per page; default 1000"),
        Option("demographics", bool, False, help="also fetch /demographics"),
        *http.OPTIONS,
    )

    @staticmethod
    def check_options(options: dict[str, Any]) -> None:
        version = options.get("version") or ONEROSTER_VERSIONS[0]
        problem = _setting_problem(version, options["auth"], options.get("token_url"),
                                   options["base_url"])
        if problem:
            raise OptionError(*problem)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> OneRosterRestConnector:
        return cls(options["base_url"], options["auth"], options["client_id"],
                   options["client_secret"],
                   **given(options, ("token_url", "scope", "page_size", "demographics",
                                     "version")),
                   **client_options(options))

    def __init__(self, base_url: str, auth: str, client_id: str, client_secret: str,
                 token_url: str | None = None, scope: str | None = None,
                 page_size: int = 1000, timeout: float = DEFAULT_TIMEOUT,
                 demographics: bool = False,
                 max_response_mb: float = DEFAULT_MAX_RESPONSE_MB,
                 max_pages: int | None = None, retry: RetryPolicy | None = None,
                 version: str = ONEROSTER_VERSIONS[0]) -> None:
        if auth not in AUTHS:
            raise SourceError(f"source.auth must be oauth1 or oauth2, not {auth!r}")
        if version not in ROSTERS:
            raise SourceError(f"source.version must be {' or '.join(ROSTERS)}, not {version!r}")
        if page_size < 1:
            raise SourceError(f"source.page_size must be at least 1, not {page_size}")
        problem = _setting_problem(version, auth, token_url, base_url, path_only=True)
        if problem:
            raise SourceError(f"source.{problem[0]} {problem[1]}")
        require_secure(base_url, "base_url")
        require_secure(token_url, "token_url")
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.auth = auth
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_url = token_url
        if version == "1.2" and not scope:
            scope = " ".join((SCOPE_CORE, SCOPE_DEMOGRAPHICS) if demographics else (SCOPE_CORE,))
        self.scope = scope
        self.page_size = page_size
        self.timeout = timeout
        self.max_response_mb = max_response_mb
        self.max_pages = max_pages
        self.retry = retry
        self.files = [f for f in FILES if f != "demographics" or demographics]
        self._root = httpx.URL(self.base_url).path
        self._roster = ROSTERS[version]
        # the files the roster reads: 1.2's roles and userProfiles come with /users
        self._modes = [f for f in self._roster.spec.files
                       if f in self.files or f in oneroster12.NESTED]

    def fetch(self, mode: str, cursor: str | None, progress: Progress | None = None) -> Feed:
        """Every collection as bulk files ("full"), or what changed after `cursor` as delta
        files ("quick"); `cursor` is the last committed sync's start, or a time the admin
        gave."""
        if mode not in ("full", "quick"):
            raise ValueError(f"unknown sync mode {mode!r}")
        if mode == "quick" and cursor is None:
            raise SourceError("no previous sync time is stored: run a full sync first "
                              f"({command('sync --full')})")
        started = clock.stamp()
        params = {"filter": _since(cursor)} if mode == "quick" and cursor is not None else {}
        file_mode = "bulk" if mode == "full" else "delta"
        roster = self._roster(self.kind, dict.fromkeys(self._modes, file_mode), Problems())
        with self._session() as client:
            for file in self.files:
                self._read(client, roster, file, {} if file in UNFILTERED else params,
                           progress)
        feed = roster.finish(self.base_url)
        feed.cursor = started
        return feed

    def check(self) -> SourceCheck:
        """District and schools from /orgs; counts from X-Total-Count of a one-record page,
        or by paging when the server sends no total."""
        roster = self._roster(self.kind, {"orgs": "bulk"}, Problems())
        with self._session() as client:
            self._read(client, roster, "orgs", {}, None)
            counts = {file: self._count(client, file) for file in self.files}
        feed = roster.finish(self.base_url)
        return {"district": feed.district["name"] if feed.district else None,
                "schools": [r["name"] for r in feed.types["school"].records],
                "counts": counts, "version": f"OneRoster {self.version}"}

    # -- reading -----------------------------------------------------------------------

    def _read(self, client: JsonClient, roster: Roster, file: str, params: dict[str, str],
              progress: Progress | None) -> None:
        """A whole collection into the roster: its columns (and so its metadata and
        demographics extras) are known only once every record is in."""
        objects: list[Record] = []
        for page, total in self._pages(client, file, params):
            objects.extend(page)
            if progress:
                progress(file, len(objects), total)
        if file == "users" and self.version == "1.2":
            for part, rows, lines in oneroster12.user_parts(objects, flatten):
                add_rows(roster, part, rows, f"/{file}", lines)
        else:
            add_rows(roster, file, list(map(flatten, objects)))

    def _count(self, client: JsonClient, file: str) -> int:
        _, total = next(self._pages(client, file, {}, limit=1))
        if total is not None:
            return total
        return sum(len(objects) for objects, _ in self._pages(client, file, {}))

    def _pages(self, client: JsonClient, file: str, params: dict[str, str],
               limit: int | None = None) -> Iterator[tuple[list[Record], int | None]]:
        """(objects, total) of each page, sorted by sourcedId: limit/offset, or the
        server's Link rel="next" when it sends one. Ends on a short or empty page, or
        when the total is reached (a server may send fewer than `limit` per page)."""
        limit = limit or self.page_size
        where = f"GET {self._root}/{file}"
        query = {**params, "limit": limit, **SORT}
        url = f"/{file}"
        page_query: dict[str, Any] | None = {**query, "offset": 0}
        done, first = 0, None
        seen: set[str] = set()
        budget = PageBudget(where, self.max_pages)
        while True:
            budget.take()
            payload, headers = client.get_json(url, page_query)
            objects = page_records(payload, file, where, self.version)
            total = _total(headers)
            budget.announce(total, len(objects))
            page_first = objects[0].get("sourcedId") if objects else None
            if page_first is not None and page_first == first:
                raise SourceError(f"{where}: the server sent the same page twice; stopped "
                                  "to avoid a loop")
            first = page_first
            done += len(objects)
            yield objects, total
            if _last_page(len(objects), limit, done, total, where):
                return
            link = _next_link(headers)
            if link:
                url, page_query = _follow(client, link, seen, where), None
            else:
                url, page_query = f"/{file}", {**query, "offset": done}

    # -- auth --------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[JsonClient]:
        with ExitStack() as stack:
            if self.auth == "oauth1":
                auth: httpx.Auth = _OAuth1(self.client_id, self.client_secret,
                                           signature_method=HMAC_SHA256)
            else:
                oauth = stack.enter_context(OAuth2Client(
                    self.client_id, self.client_secret, scope=self.scope,
                    token_endpoint=self.token_url, grant_type="client_credentials",
                    timeout=self.timeout))
                auth = _ClientCredentials(oauth, self.client_secret, self.scope)
            yield stack.enter_context(JsonClient(
                self.base_url, auth=auth, timeout=self.timeout,
                max_response_mb=self.max_response_mb, retry=self.retry,
                secrets=[self.client_secret]))


def _setting_problem(version: str, auth: str, token_url: str | None, base_url: str,
                     path_only: bool = False) -> tuple[str, str] | None:
    """(key, what is wrong) with a combination of settings, or None. `path_only`: the base
    URL's path is not checked (a connector built in code may serve any path)."""
    if version == "1.2" and auth != "oauth2":
        return "auth", "must be oauth2 with version 1.2: OneRoster 1.2 takes OAuth 2 only"
    if auth == "oauth2" and not token_url:
        return "token_url", "is required with auth: oauth2"
    root = ROOTS.get(version, ROOT)
    if not path_only and not base_url.rstrip("/").endswith(root):
        return "base_url", f"must end in {root}" + (f" with version {version}"
                                                     if version != "1.1" else "")
    return None


def _sign_hmac_sha256(client: OAuth1Auth, request: OAuth1Request) -> str:
    """RFC 5849's HMAC-SHA1 signature with SHA-256, as OneRoster 1.1 requires; authlib
    builds the base string (every query and oauth_* parameter) but ships only SHA-1."""
    key = f"{escape(client.client_secret or '')}&{escape(client.token_secret or '')}"
    base_string = generate_signature_base_string(request)
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class _OAuth1(OAuth1Auth):  # type: ignore[misc]  # authlib has no types: OAuth1Auth is Any
    """authlib's two-legged OAuth 1.0a signer (no token), with HMAC-SHA256."""

    SIGNATURE_METHODS = {**OAuth1Auth.SIGNATURE_METHODS, HMAC_SHA256: _sign_hmac_sha256}


class _ClientCredentials(httpx.Auth):
    """OAuth 2 client credentials: authlib's OAuth2Client fetches a bearer token from the
    token URL on the first request and again once it expires."""

    def __init__(self, oauth: OAuth2Client, secret: str, scope: str | None = None):
        self.oauth = oauth
        self.secret = secret
        self.scope = scope
        self.where = f"POST {httpx.URL(oauth.metadata['token_endpoint']).path}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        try:
            if self.oauth.token:
                self.oauth.ensure_active_token()
            else:
                self.oauth.fetch_token()
        except (AuthlibBaseError, httpx.HTTPError, ValueError) as exc:
            raise SourceError(scrub(f"{self.where}: {_token_failure(exc, self.scope)}",
                                    [self.secret])) from None
        yield from self.oauth.token_auth.auth_flow(request)


def _token_failure(exc: Exception, scope: str | None = None) -> str:
    if isinstance(exc, AuthlibBaseError):
        detail = f"{exc.error}: {exc.description}" if exc.description else exc.error
        rejected = f"the OAuth 2 client was rejected ({' '.join(str(detail).split())[:200]})"
        if exc.error == "invalid_scope" and scope:
            return f"{rejected} asking for the scope {scope}; {_scope_hint(scope)}"
        return f"{rejected}; check source.client_id, client_secret and scope"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"the token endpoint failed (HTTP {exc.response.status_code})"
    if isinstance(exc, httpx.HTTPError):
        return f"cannot reach the token endpoint ({type(exc).__name__}: {exc})"
    return "the token endpoint did not answer a JSON token; check source.token_url"


def _scope_hint(scope: str) -> str:
    """What to change when the server refuses the scope asked for."""
    if SCOPE_DEMOGRAPHICS in scope.split():
        return ("if this client may not read demographics, set source.demographics: false "
                "(or name the scopes it has in source.scope)")
    return "name the scopes this client has in source.scope"


# -- paging ------------------------------------------------------------------------------

def _since(cursor: str) -> str:
    """The quick sync's filter. The cursor is a stored start time, or a time the admin
    gave (any ISO 8601; without a zone it is UTC), sent as UTC to the second."""
    try:
        moment = datetime.fromisoformat(cursor)
    except ValueError:
        raise SourceError(f"the quick sync start {cursor!r} is not an ISO 8601 time "
                          "(like 2026-01-31T00:00:00Z); or run a full sync") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"dateLastModified>'{clock.stamp(moment)}'"


def _follow(client: JsonClient, link: str, seen: set[str], where: str) -> str:
    """The next page's absolute URL; it must stay on the base URL's origin (the
    credentials go with it) and must not repeat."""
    url = client.check_link(link, where)
    if url in seen:
        raise SourceError(f"{where}: the server's next link repeats "
                          f"({httpx.URL(url).query.decode()}); stopped to avoid a loop")
    seen.add(url)
    return url


def page_records(payload: object, file: str, where: str,
                 version: str = ONEROSTER_VERSIONS[0]) -> list[Record]:
    """The records under the collection's key, each checked; a 200 without the key is an
    error, never an empty collection."""
    objects = payload.get(file) if isinstance(payload, dict) else None
    if not isinstance(objects, list):
        raise SourceError(f"{where}: the answer has no \"{file}\" list; is the base URL a "
                          f"OneRoster {version} REST server?")
    for n, obj in enumerate(objects, 1):
        check_record(obj, n, where)
    return cast("list[Record]", objects)  # each checked above: an object


def _total(headers: httpx.Headers) -> int | None:
    return whole_number(headers.get("x-total-count") or headers.get("x-count"))


def _last_page(count: int, limit: int, done: int, total: int | None, where: str) -> bool:
    if total is None:
        return count < limit
    if done >= total:
        return True
    if not count:
        raise SourceError(f"{where}: the server announced {total} records but sent {done}")
    return False


def _next_link(headers: httpx.Headers) -> str | None:
    """The rel="next" target of an RFC 5988 Link header."""
    links: list[tuple[str, str]] = re.findall(r"<([^>]*)>([^<]*)", headers.get("link", ""))
    for target, params in links:
        if re.search(r'rel\s*=\s*"?[^"]*\bnext\b', params):
            return target
    return None


def add_rows(roster: Roster, file: str, rows: list[dict[str, str]], label: str = "",
             lines: list[int] | None = None) -> None:
    """A whole collection's flattened rows into the roster: its columns (and so its
    metadata and demographics extras) are known only once every record is in. `label`
    names the collection in messages (default "/<file>"); `lines`: each row's "line", by
    default its place in the collection."""
    required = roster.spec.required[file]
    columns = list(dict.fromkeys(chain(required, (k for row in rows for k in row))))
    add = roster.begin(file, columns, label or f"/{file}")
    assert add is not None  # begin refuses only a file missing a required column
    for line, row in zip(lines or range(1, len(rows) + 1), rows):
        add([row.get(c, "") for c in columns], line)


# -- checking: what a record of the JSON binding may hold ----------------------------------

def check_record(obj: object, n: int, where: str) -> None:
    """A record must be an object with a text sourcedId, each value one the JSON binding
    allows (see _value_problem; metadata and userIds have their own rules). A wrong type
    is a SourceError naming the endpoint, the record and the field."""
    if not isinstance(obj, dict):
        raise SourceError(f"{where}: record {n} of the page is {json_kind(obj)}, not an object")
    sid = obj.get("sourcedId")
    if not isinstance(sid, str) or not sid:
        what = "" if sid in (None, "") else f" ('sourcedId' is {json_kind(sid)}, not text)"
        raise SourceError(f"{where}: record {n} of the page has no sourcedId{what}")
    for key, value in obj.items():
        problem = None if key in DROPPED else CHECKS.get(key, _value_problem)(value)
        if problem:
            raise SourceError(f"{where}: record {label(sid)}: '{label(key)}' {problem}")


def _value_problem(value: object) -> str | None:
    """Text, true/false, null, a reference ({"sourcedId": text, ...}), or a list of text
    and references. Never a number: the binding sends every value as text."""
    if isinstance(value, list):
        bad = [v for v in value if not (isinstance(v, str) or _is_reference(v))]
        if not bad:
            return None
        kind = oneroster12.id_kind(bad[0])
        return (f"holds a reference whose sourcedId is {kind}, not text" if kind
                else f"holds {json_kind(bad[0])}, not text or a reference")
    if value is None or isinstance(value, (str, bool)) or _is_reference(value):
        return None
    kind = oneroster12.id_kind(value)
    if kind:
        return f"has a sourcedId that is {kind}, not text"
    if isinstance(value, dict):
        return "is an object without a text sourcedId, not a reference"
    return f"is {json_kind(value)}, not text"


def _is_reference(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("sourcedId"), str)


METADATA_DEPTH = 3  # {"ic": {"legacysourceId": ...}}: Infinite Campus nests its own


def _metadata_problem(value: object) -> str | None:
    """Extensions: an object of plain values (numbers too: vendors define them), lists of
    them, or objects of them nested up to METADATA_DEPTH (read as dotted names). A name
    given both dotted and nested ({"ic.legacysourceId": "A", "ic": {"legacysourceId":
    "B"}}) must say the same both times: which of two old ids is meant cannot be told."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"is {json_kind(value)}, not an object"
    texts: dict[str, str] = {}
    for key, item in _metadata_items(value):
        if isinstance(item, dict):
            return f"nests objects deeper than {METADATA_DEPTH} at '{label(key)}'"
        bad = [v for v in (item if isinstance(item, list) else [item])
               if isinstance(v, (dict, list))]
        if bad:
            return f"holds {json_kind(bad[0])} at '{label(key)}', where plain values belong"
        if texts.setdefault(key, _text(item)) != _text(item):
            return (f"gives '{label(key)}' both dotted and nested, as {label(texts[key])!r} "
                    f"and {label(_text(item))!r}: which one is meant?")
    return None


def _metadata_items(value: dict[str, object], depth: int = 1) -> Iterator[tuple[str, object]]:
    """(dotted name, value) of a metadata object, nested objects followed to METADATA_DEPTH
    (deeper ones are yielded as they are, for _metadata_problem to refuse)."""
    for key, item in value.items():
        if isinstance(item, dict) and depth < METADATA_DEPTH:
            yield from ((f"{key}.{k}", v) for k, v in _metadata_items(item, depth + 1))
        else:
            yield key, item


def _user_ids_problem(value: object) -> str | None:
    """[{"type": text, "identifier": text}, ...], or the CSV's text form."""
    problem = None if isinstance(value, str) else oneroster12.objects_problem(value)
    if problem or not isinstance(value, list):
        return problem
    for item in value:
        bad = [k for k in ("type", "identifier")
               if not isinstance(item.get(k), (str, type(None)))]
        if bad:
            return f"holds an id whose '{bad[0]}' is {json_kind(item[bad[0]])}, not text"
    return None


CHECKS: dict[str, Callable[[object], str | None]] = {
    "metadata": _metadata_problem, "userIds": _user_ids_problem,
    "roles": oneroster12.nested_problem, "userProfiles": oneroster12.nested_problem}


# -- flattening: a REST object -> the CSV row of oneroster_map ----------------------------

def flatten(obj: Record) -> dict[str, str]:
    """A checked REST object as its CSV row (header -> text); `password` is never kept."""
    row: dict[str, str] = {}
    for key, value in obj.items():
        if key not in DROPPED:
            row.update(FLATTENERS.get(key, _plain)(key, value))
    return row


def _plain(key: str, value: object) -> dict[str, str]:
    column = REF_COLUMNS.get(key, key) if isinstance(value, (dict, list)) else key
    return {column: _text(value)}


def _metadata(key: str, value: object) -> dict[str, str]:
    """{"metadata": {"city": ...}} -> the CSV's metadata.city column; {"ic":
    {"legacysourceId": ...}} -> metadata.ic.legacysourceId."""
    if not isinstance(value, dict):
        return {}
    return {f"metadata.{k}": _text(v) for k, v in _metadata_items(value)}


def _user_ids(key: str, value: object) -> dict[str, str]:
    """[{"type": "LDAP", "identifier": "12"}, ...] -> "{LDAP:12},..." as in the CSV."""
    if not isinstance(value, list):
        return {key: _text(value)}
    return {key: ",".join(f"{{{_text(i.get('type'))}:{_text(i.get('identifier'))}}}"
                          for i in value if isinstance(i, dict))}


def _text(value: object) -> str:
    """A value as its CSV text: a reference as its sourcedId, a list as "a,b"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _text(value.get("sourcedId"))
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


def _renamed(key: str, value: object) -> dict[str, str]:
    """1.2 REST's preferredFirstName and preferredLastName: the CSV's preferredGivenName
    and preferredFamilyName."""
    return {oneroster12.REST_NAMES[key]: _text(value)}


FLATTENERS: dict[str, Callable[[str, object], dict[str, str]]] = {
    "metadata": _metadata, "userIds": _user_ids, **dict.fromkeys(oneroster12.REST_NAMES, _renamed)}
