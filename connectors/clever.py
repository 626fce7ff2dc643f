"""Clever Data API v3.0: a full snapshot, or the changes since an event id.

Event position: a full sync pages /events to the end before it reads the data and keeps
the newest event id as its cursor. `ending_before=last&limit=1` would be cheaper, but it
is not documented; a server that ignored it would hand back the *oldest* event and a
later quick sync would silently replay a month of changes. Paging to the end costs a few
requests (events are kept 30 days) and is right on any server. Events that arrive while
the full sync reads the data are replayed by the next quick sync, which is harmless:
each object's final state is applied, not the steps. When there are no events yet, the
cursor is "start:<unix time>": the next quick sync reads every event kept.

Every field is read with the type Clever documents (`Fields`): a record whose id is a
number, or whose name is a list, is a SourceError naming the endpoint, the record and the
field, never a traceback and never a record mapped from nonsense.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

from rostertui.invocation import command
from rostertui.model import ALL_TYPES, PEOPLE_TYPES, make
from rostertui.records import Record

from . import http
from .feed import Feed, Progress, SourceCheck, SourceError, TypeFeed
from .http import (
    DEFAULT_MAX_RESPONSE_MB,
    DEFAULT_TIMEOUT,
    HttpError,
    JsonClient,
    PageBudget,
    RetryPolicy,
    client_options,
    json_kind,
    label,
    require_secure,
)
from .options import Option, given

API = "/v3.0"
EVENTS = f"GET {API}/events"      # where event errors are
DEFAULT_BASE_URL = "https://api.clever.com"
MAX_PAGE = 10000             # Clever answers 413 above this
START = "start:"             # cursor prefix: no events existed at the full sync
EVENTS_KEPT = 30 * 86400     # seconds Clever keeps events
# Person type of each user role, in fetch order (staff before district_admin: a user with
# both becomes one staff record).
ROLE_TYPES = {"student": "student", "teacher": "teacher", "staff": "staff",
              "district_admin": "staff", "contact": "contact"}
OTHER_TYPES = {"schools": "school", "sections": "section", "terms": "term", "courses": "course"}
STUDENT_EXTRA = ("race", "hispanic_ethnicity", "ell_status", "home_language",
                 "home_language_code", "frl_status", "iep_status", "gifted_status",
                 "section_504_status", "preferred_name")


class CleverConnector:
    kind = "clever"
    options = (
        Option("base_url", str, DEFAULT_BASE_URL,
               help="the API host; /v3.0 is added (https, or plain http to this machine)"),
        Option("token", str, required=True, secret=True,
               help="the district token (Authorization: Bearer)"),
        Option("district_id", str, help="if set, the token must belong to this district"),
        Option("schools", list, [], help="only these school ids; empty: all shared"),
        Option("page_size", int, help=f"records per page, at most {MAX_PAGE:,}; default 1000"),
        *http.OPTIONS,
    )

    @staticmethod
    def check_options(options: dict[str, Any]) -> None:
        """Nothing beyond `options` (the page size is checked when the connector is built)."""

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> CleverConnector:
        return cls(options.get("base_url"), options["token"],
                   **given(options, ("district_id", "schools", "page_size")),
                   **client_options(options))

    def __init__(self, base_url: str | None = DEFAULT_BASE_URL, token: str = "",
                 district_id: str | None = None, schools: Iterable[str] = (),
                 page_size: int = 1000, timeout: float = DEFAULT_TIMEOUT,
                 max_response_mb: float = DEFAULT_MAX_RESPONSE_MB,
                 max_pages: int | None = None, retry: RetryPolicy | None = None) -> None:
        if not 1 <= page_size <= MAX_PAGE:
            raise SourceError(f"source.page_size must be 1 to {MAX_PAGE} for Clever, "
                              f"not {page_size}")
        require_secure(base_url, "base_url")  # the token goes with every request
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.token = token
        self.district_id = district_id or None
        self.schools = list(schools)
        self.page_size = page_size
        self.timeout = timeout
        self.max_response_mb = max_response_mb
        self.max_pages = max_pages
        self.retry = retry

    def fetch(self, mode: str, cursor: str | None, progress: Progress | None = None) -> Feed:
        if mode not in ("full", "quick"):
            raise ValueError(f"unknown sync mode {mode!r}")
        if mode == "quick" and cursor is None:
            raise SourceError("no event position is stored: run a full sync first "
                              f"({command('sync --full')})")
        with self._client() as client:
            if mode == "quick" and cursor is not None:
                return self._quick(client, cursor, progress or _quiet)
            return self._full(client, progress or _quiet)

    def check(self) -> SourceCheck:
        """District, schools, and counts per role and of sections. Counting pages the
        ids at Clever's largest page (10,000), so a typical district costs one request
        per role; Clever has no count endpoint."""
        with self._client() as client:
            district = self._district(client)
            schools = [s for s in self._schools(client)
                       if not self.schools or s["source_id"] in self.schools]
            counts = {role: self._count(client, "/users", {"role": role}) for role in ROLE_TYPES}
            counts["section"] = self._count(client, "/sections")
        return {"district": district["name"], "schools": [s["name"] for s in schools],
                "counts": counts}

    # -- full --------------------------------------------------------------------------

    def _full(self, client: JsonClient, progress: Progress) -> Feed:
        district = self._district(client)
        cursor = self._newest_event(client)
        schools = self._schools(client)
        progress("school", len(schools), None)
        found: dict[str, dict[str, Record]] = {t: {} for t in ALL_TYPES}
        found["school"] = {s["source_id"]: s for s in schools}
        scope = SchoolFilter(self.schools)
        for type_, path, params, to_record in FULL_PLAN:
            into = found[type_]
            for rows in self._pages(client, path, params):
                for rec in _mapped(rows, to_record, f"GET {API}{path}"):
                    if scope.keeps(type_, rec):
                        into.setdefault(rec["source_id"], rec)
                progress(type_, len(into), None)
        types = {t: TypeFeed(complete=True, records=list(recs.values()))
                 for t, recs in found.items()}
        return Feed(source=self.kind, mode="full", types=types, district=district,
                    cursor=cursor)

    def _newest_event(self, client: JsonClient) -> str | None:
        """The newest event id (see the module doc); None without Secure Sync."""
        newest = f"{START}{int(time.time())}"
        try:
            for rows in self._pages(client, "/events"):
                newest = rows[-1]["id"]
        except HttpError as exc:
            if exc.status in (403, 404):
                return None
            raise
        return newest

    # -- quick -------------------------------------------------------------------------

    def _quick(self, client: JsonClient, cursor: str, progress: Progress) -> Feed:
        district = self._district(client)
        scope = SchoolFilter(self.schools, lambda sid: self._student_kept(client, sid))
        if self.schools:
            self._schools(client)  # checks the filter names known schools
        final: dict[tuple[str, str], tuple[str, Fields]] = {}
        last, read = cursor, 0
        since = _iso(cursor)
        for rows in self._events(client, cursor):
            for row in rows:
                _collapse(final, row, since)
            last, read = rows[-1]["id"], read + len(rows)
            progress("events", read, None)
        return Feed(source=self.kind, mode="quick", types=_changes(final, scope),
                    district=district, cursor=last)

    def _events(self, client: JsonClient, cursor: str) -> Iterator[list[Record]]:
        """Events after an event id; or every kept event, from a "start:" position or an
        ISO time (a quick sync "since a date": _quick keeps those created since then)."""
        iso = _iso(cursor)
        if cursor.startswith(START) or iso:
            since = (datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() if iso
                     else cursor.removeprefix(START))
            if not str(since).replace(".", "", 1).isdigit() \
                    or time.time() - float(since) > EVENTS_KEPT:
                raise _unavailable("the stored position is older than the 30 days "
                                   "Clever keeps events")
            params: dict[str, str] = {}
        else:
            params = {"starting_after": cursor}
        try:
            yield from self._pages(client, "/events", params)
        except HttpError as exc:
            if exc.status in (400, 403, 404, 410):
                raise _unavailable(str(exc)) from None
            raise

    def _student_kept(self, client: JsonClient, student_id: str) -> bool:
        """Whether a student a contact names is in the filtered schools (quick syncs)."""
        try:
            payload, _ = client.get_json(f"{API}/users/{student_id}")
        except HttpError as exc:
            if exc.status == 404:
                return False
            raise
        where = f"GET {API}/users/{label(student_id)}"
        user = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(user, dict):
            raise SourceError(f"{where}: the answer has no user record")
        with reading(where, f"record {label(student_id)}"):
            rec = role_record("student", Fields(user))
        return rec is not None and SchoolFilter(self.schools).keeps("student", rec)

    # -- shared ------------------------------------------------------------------------

    def _client(self) -> JsonClient:
        return JsonClient(self.base_url, headers={"Authorization": f"Bearer {self.token}"},
                          timeout=self.timeout, max_response_mb=self.max_response_mb,
                          retry=self.retry, secrets=[self.token])

    def _district(self, client: JsonClient) -> dict[str, str]:
        rows = [row for rows in self._pages(client, "/districts") for row in rows]
        if not rows:
            raise SourceError(f"GET {API}/districts: the token sees no district; check that "
                              "the district shares data with the app")
        ids = [row["id"] for row in rows]
        if self.district_id and self.district_id not in ids:
            raise SourceError(f"the token belongs to district {', '.join(ids)}, not the "
                              f"configured {self.district_id}; check source.district_id")
        if not self.district_id and len(ids) > 1:
            raise SourceError(f"the token sees {len(ids)} districts; set source.district_id "
                              f"to one of {', '.join(ids)}")
        row = rows[ids.index(self.district_id or ids[0])]
        with reading(f"GET {API}/districts", f"record {label(row['id'])}"):
            return {"source_id": row["id"], "name": Fields(row).text("name")}

    def _schools(self, client: JsonClient) -> list[Record]:
        """The district's schools, all of them (the filter keeps every school, as the
        engine's school selection does); every id the filter names must be one."""
        where = f"GET {API}/schools"
        schools = [rec for rows in self._pages(client, "/schools")
                   for rec in _mapped(rows, school, where)]
        known = {s["source_id"] for s in schools}
        unknown = [sid for sid in self.schools if sid not in known]
        if unknown:
            raise SourceError(f"source.schools names {unknown[0]}, which is not a school "
                              f"shared by this district (known: {', '.join(sorted(known))})")
        return schools

    def _count(self, client: JsonClient, path: str,
               params: dict[str, str] | None = None) -> int:
        return sum(len(rows) for rows in self._pages(client, path, params, MAX_PAGE))

    def _pages(self, client: JsonClient, path: str, params: dict[str, str] | None = None,
               limit: int | None = None) -> Iterator[list[Record]]:
        """Each non-empty page of records, following rel=next links until none is left."""
        limit = limit or self.page_size
        where = f"GET {API}{path}"
        url: str | None = f"{API}{path}?{urlencode({**(params or {}), 'limit': limit})}"
        seen, budget = {url}, PageBudget(where, self.max_pages)
        while url:
            budget.take()
            payload, _ = client.get_json(url)
            rows = _rows(payload, where)
            if not rows:
                return
            yield rows
            # _rows found the page an object
            url = _next_link(cast("dict[str, Any]", payload), limit, where)
            if url is None:
                return
            client.check_link(url, where)
            if url in seen:
                raise SourceError(f"{where}: the server's next link repeats "
                                  f"({urlsplit(url).query}); stopped to avoid a loop")
            seen.add(url)


class SchoolFilter:
    """The source.schools filter: which records a sync keeps (all when it is empty). The
    rule is the engine's (rostertui/staging/pipeline.py): every school, term and course;
    a section of a selected school; a person of a selected school or of no school; a
    contact of a kept student. Filtering here only saves fetching what the engine would
    leave out."""

    def __init__(self, schools: Iterable[str],
                 lookup_student: Callable[[str], bool] | None = None) -> None:
        self.schools = set(schools)
        self.students: dict[str, bool] = {}  # student id -> kept, as seen in this sync
        self._lookup = lookup_student        # asks the source about a student not seen

    def keeps(self, type_: str, rec: Record) -> bool:
        if not self.schools or type_ in ("term", "course", "school"):
            return True
        if type_ == "section":
            return rec["school_id"] in self.schools
        if type_ == "contact":
            return any(self._student(r["student_id"]) for r in rec["relationships"])
        kept = not rec["school_ids"] or bool(self.schools & set(rec["school_ids"]))
        if type_ == "student":
            self.students[rec["source_id"]] = kept
        return kept

    def _student(self, sid: str) -> bool:
        if sid not in self.students:
            self.students[sid] = bool(self._lookup and self._lookup(sid))
        return self.students[sid]


# -- events --------------------------------------------------------------------------------

def _iso(cursor: str) -> str | None:
    """The cursor as a UTC ISO time when it is one (a date the admin chose), else None."""
    if "-" not in cursor:
        return None  # an event id
    try:
        moment = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


# (collection, object id) -> (verb, the object), an object's last event winning
Changes = dict[tuple[str, str], tuple[str, "Fields"]]


def _collapse(final: Changes, row: Record, since: str | None) -> None:
    """Fold one event into `final`: (collection, id) -> (verb, object), the last one winning.
    previous_attributes (inside data or beside it) are not needed: the object is whole.
    With `since` (a quick sync since a date), older events are skipped."""
    event = Fields(row)
    with reading(EVENTS, f"event {label(row['id'])}"):
        if since is not None and event.text("created") < since:
            return
        collection, _, verb = event.text("type").partition(".")
        if verb not in ("created", "updated", "deleted") or (
                collection != "users" and collection not in OTHER_TYPES):
            return  # districts.* and unknown kinds change no roster record
        obj = event.obj("data").obj("object")
        oid = obj.text("id")
    if not oid:
        raise SourceError(f"{EVENTS}: event {label(row['id'])} ({collection}.{verb}) "
                          "carries no object with an id")
    key = (collection, oid)
    final.pop(key, None)  # re-insert: keep the order of each object's last event
    final[key] = (verb, obj)


def _changes(final: Changes, scope: SchoolFilter) -> dict[str, TypeFeed]:
    """The quick feed: upserts for objects that exist (and pass the filter), deletes for
    the rest. A user's update also deletes the person types whose role it no longer has;
    deleting an id the store does not hold stages nothing."""
    upserts: list[tuple[str, Record]] = []
    deletes: list[tuple[str, str]] = []
    for (collection, oid), (verb, obj) in final.items():
        types = PEOPLE_TYPES if collection == "users" else (OTHER_TYPES[collection],)
        with reading(EVENTS, f"record {label(oid)}"):
            records = {} if verb == "deleted" else _object_records(collection, obj)
        for type_ in types:
            if type_ in records:
                upserts.append((type_, records[type_]))
            else:
                deletes.append((type_, oid))
    feeds: dict[str, TypeFeed] = {}
    for type_, rec in sorted(upserts, key=lambda u: ALL_TYPES.index(u[0])):
        feed = feeds.setdefault(type_, TypeFeed(complete=False))
        if scope.keeps(type_, rec):
            feed.records.append(rec)
        else:
            feed.deleted.append(rec["source_id"])
    for type_, oid in deletes:
        feeds.setdefault(type_, TypeFeed(complete=False)).deleted.append(oid)
    return feeds


def _object_records(collection: str, obj: Fields) -> dict[str, Record]:
    if collection == "users":
        return user_records(obj)
    type_ = OTHER_TYPES[collection]
    return {type_: MAPPERS[type_](obj)}


def _unavailable(reason: str) -> SourceError:
    return SourceError(f"Clever events are unavailable ({reason}); run a full sync: "
                       f"{command('sync --full')}")


# -- paging --------------------------------------------------------------------------------

def _rows(payload: object, where: str) -> list[Record]:
    """The records of a list answer: {"data": [{"data": {...}}, ...]}, each with a text id."""
    items = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise SourceError(f"{where}: the answer has no data list; is this the Clever API?")
    rows = [item.get("data") if isinstance(item, dict) else None for item in items]
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise SourceError(f"{where}: record {n} of the page is not an object with data")
        sid = row.get("id")
        if not isinstance(sid, str) or not sid:
            what = "" if sid in (None, "") else f" ('id' is {json_kind(sid)}, not text)"
            raise SourceError(f"{where}: record {n} of the page has no id{what}")
    return cast("list[Record]", rows)  # each checked above: an object


def _next_link(payload: dict[str, Any], limit: int, where: str) -> str | None:
    """The rel=next uri, with `limit` added when the server left it out."""
    with reading(where, "the page"):
        links = Fields(payload).objs("links")
        uri = next((link.text("uri") for link in links if link.text("rel") == "next"), "")
    if not uri:
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise SourceError(f"{where}: the server's next link is not a valid URL") from None
    query = dict(parse_qsl(parts.query))
    if "limit" in query:
        return uri
    return parts._replace(query=urlencode({**query, "limit": limit})).geturl()


def _quiet(type_: str, done: int, total: int | None) -> None:
    pass


# -- reading typed fields ------------------------------------------------------------------

T = TypeVar("T")


class Shape(Exception):
    """A field of the wrong JSON type; `reading` adds the endpoint and the record."""


class Fields:
    """A Clever object read field by field with the type Clever documents: text, an
    object, a list of text or of objects; null or absent is empty. Anything else (a
    number where text belongs, a list for an object) raises Shape naming the field."""

    __slots__ = ("data", "prefix")

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data, self.prefix = data, prefix

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str) -> str:
        return self._get(key, str, "text") or ""

    def obj(self, key: str) -> Fields:
        return Fields(self._get(key, dict, "an object") or {}, f"{self.prefix}{key}.")

    def texts(self, key: str) -> list[str]:
        return [self._item(key, n, v, str, "text")
                for n, v in enumerate(self._get(key, list, "a list") or ())]

    def objs(self, key: str) -> list[Fields]:
        return [Fields(self._item(key, n, v, dict, "an object"), f"{self.prefix}{key}[{n}].")
                for n, v in enumerate(self._get(key, list, "a list") or ())]

    def _get(self, key: str, type_: type[T], expected: str) -> T | None:
        value = self.data.get(key)
        if value is None or isinstance(value, type_):
            return value
        raise Shape(f"'{self.prefix}{key}' is {json_kind(value)}, not {expected}")

    def _item(self, key: str, n: int, value: object, type_: type[T], expected: str) -> T:
        if isinstance(value, type_):
            return value
        raise Shape(f"'{self.prefix}{key}[{n}]' is {json_kind(value)}, not {expected}")


@contextmanager
def reading(where: str, record: str) -> Iterator[None]:
    """A Shape error inside as one SourceError line naming the endpoint and the record."""
    try:
        yield
    except Shape as exc:
        raise SourceError(f"{where}: {record}: {exc}") from None


def _mapped(rows: Iterable[Record], to_record: Callable[[Fields], Record | None],
            where: str) -> Iterator[Record]:
    """Each row's record (None: not one of this role), read with its fields' types checked."""
    for row in rows:
        with reading(where, f"record {label(row['id'])}"):
            rec = to_record(Fields(row))
        if rec is not None:
            yield rec


# -- mapping -------------------------------------------------------------------------------

def user_records(user: Fields, roles: Iterable[str] = tuple(ROLE_TYPES)) -> dict[str, Record]:
    """A user's records by person type, one per role it has among `roles`."""
    out: dict[str, Record] = {}
    granted = user.obj("roles")
    for role in roles:
        if granted.has(role):
            out.setdefault(ROLE_TYPES[role], PERSON_MAPPERS[role](user, granted.obj(role)))
    return out


def role_record(role: str, user: Fields) -> Record | None:
    """The record for one role of a user listed by /users?role=..."""
    return user_records(user, (role,)).get(ROLE_TYPES[role])


def _person(user: Fields, role: Fields) -> Record:
    name = user.obj("name")
    legacy = role.text("legacy_id")
    return {"source_id": user.text("id"), "sis_id": role.text("sis_id"),
            "legacy_ids": [legacy] if legacy else [],
            "first_name": name.text("first"), "middle_name": name.text("middle"),
            "last_name": name.text("last"),
            "email": user.text("email") or role.text("email"),
            "username": role.obj("credentials").text("district_username"),
            "school_ids": _school_ids(role), "state_id": role.text("state_id")}


def _school_ids(role: Fields) -> list[str]:
    schools = role.texts("schools") or [role.text("school")]
    return sorted(set(schools) - {""})


def student(user: Fields, role: Fields) -> Record:
    extra = {key: role.text(key) for key in STUDENT_EXTRA if role.text(key)}
    zip_code = role.obj("location").text("zip")
    if zip_code:
        extra["zip"] = zip_code
    return make("student", **_person(user, role), grade=role.text("grade"),
                graduation_year=role.text("graduation_year"), dob=role.text("dob"),
                gender=role.text("gender"), student_number=role.text("student_number"),
                extra=extra)


def teacher(user: Fields, role: Fields) -> Record:
    return make("teacher", **_person(user, role), title=role.text("title"),
                teacher_number=role.text("teacher_number"))


def staff(user: Fields, role: Fields, kind: str = "staff") -> Record:
    person = {**_person(user, role), "sis_id": role.text("staff_id")}
    return make("staff", **person, role=kind, title=role.text("title"),
                department=role.text("department"))


def district_admin(user: Fields, role: Fields) -> Record:
    return staff(user, role, "district_admin")


def contact(user: Fields, role: Fields) -> Record:
    relationships = sorted(
        ({"student_id": r.text("student"), "relationship": r.text("relationship"),
          "type": r.text("type")} for r in role.objs("student_relationships")),
        key=lambda r: r["student_id"])
    return make("contact", **_person(user, role), phone=role.text("phone"),
                phone_type=role.text("phone_type"), relationships=relationships)


def school(obj: Fields) -> Record:
    principal = obj.obj("principal")
    return make("school", source_id=obj.text("id"), sis_id=obj.text("sis_id"),
                name=obj.text("name"), school_number=obj.text("school_number"),
                state_id=obj.text("state_id"), nces_id=obj.text("nces_id"),
                low_grade=obj.text("low_grade"), high_grade=obj.text("high_grade"),
                phone=obj.text("phone"), principal_name=principal.text("name"),
                principal_email=principal.text("email"))


def section(obj: Fields) -> Record:
    teachers = {*obj.texts("teachers"), obj.text("teacher")} - {""}
    subject, grade, term_id = obj.text("subject"), obj.text("grade"), obj.text("term_id")
    return make("section", source_id=obj.text("id"), sis_id=obj.text("sis_id"),
                name=obj.text("name"), section_number=obj.text("section_number"),
                period=obj.text("period"), subject=subject,
                grades=[grade] if grade else [], school_id=obj.text("school"),
                course_id=obj.text("course"), term_ids=[term_id] if term_id else [],
                teacher_ids=sorted(teachers),
                student_ids=sorted(set(obj.texts("students")) - {""}),
                class_type="homeroom" if subject == "homeroom/advisory" else "scheduled")


def term(obj: Fields) -> Record:
    return make("term", source_id=obj.text("id"), name=obj.text("name"),
                start_date=obj.text("start_date"), end_date=obj.text("end_date"))


def course(obj: Fields) -> Record:
    return make("course", source_id=obj.text("id"), name=obj.text("name"),
                code=obj.text("number"), subject=obj.text("subject"))


PERSON_MAPPERS: dict[str, Callable[[Fields, Fields], Record]] = {
    "student": student, "teacher": teacher, "staff": staff, "district_admin": district_admin,
    "contact": contact}
MAPPERS: dict[str, Callable[[Fields], Record]] = {"school": school, "section": section,
                                                  "term": term, "course": course}
# The full sync's reads after districts, events and schools, in order: students before
# contacts, so that the schools filter can keep a contact by its students. Each is
# (type, path, params, the record of a row: None when the row is not one).
FULL_PLAN: list[tuple[str, str, dict[str, str], Callable[[Fields], Record | None]]] = [
    (ROLE_TYPES[role], "/users", {"role": role}, partial(role_record, role))
    for role in ROLE_TYPES] + [("section", "/sections", {}, section),
                               ("term", "/terms", {}, term),
                               ("course", "/courses", {}, course)]
