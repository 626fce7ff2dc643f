"""Clever Data API v3.0: a full snapshot, or the changes since an event id.

Event position: a full sync pages /events to the end before it reads the data and keeps
the newest event id as its cursor. `ending_before=last&limit=1` would be cheaper, but it
is not documented; a server that ignored it would hand back the *oldest* event and a
later quick sync would silently replay a month of changes. Paging to the end costs a few
requests (events are kept 30 days) and is right on any server. Events that arrive while
the full sync reads the data are replayed by the next quick sync, which is harmless:
each object's final state is applied, not the steps. When there are no events yet, the
cursor is "start:<unix time>": the next quick sync reads every event kept.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import partial
from urllib.parse import parse_qsl, urlencode, urlsplit

from rostertui.model import ALL_TYPES, PEOPLE_TYPES, make

from .feed import Feed, Progress, SourceError, TypeFeed
from .http import HttpError, JsonClient, RetryPolicy

API = "/v3.0"
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

    def __init__(self, base_url: str | None = DEFAULT_BASE_URL, token: str = "",
                 district_id: str | None = None, schools=(), page_size: int = 1000,
                 timeout: float = 30, retry: RetryPolicy | None = None):
        if not 1 <= page_size <= MAX_PAGE:
            raise SourceError(f"source.page_size must be 1 to {MAX_PAGE} for Clever, "
                              f"not {page_size}")
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.token = token
        self.district_id = district_id or None
        self.schools = list(schools)
        self.page_size = page_size
        self.timeout = timeout
        self.retry = retry

    def describe(self) -> dict:
        return {"kind": self.kind, "base_url": self.base_url, "district_id": self.district_id,
                "schools": list(self.schools)}

    def fetch(self, mode: str, cursor: str | None, progress: Progress | None = None) -> Feed:
        if mode not in ("full", "quick"):
            raise ValueError(f"unknown sync mode {mode!r}")
        if mode == "quick" and cursor is None:
            raise SourceError("no event position is stored: run a full sync first "
                              "(rostertui sync --full)")
        with self._client() as client:
            if mode == "full":
                return self._full(client, progress or _quiet)
            return self._quick(client, cursor, progress or _quiet)

    def check(self) -> dict:
        """District, schools, and counts per role and of sections. Counting pages the
        ids at Clever's largest page (10,000), so a typical district costs one request
        per role; Clever has no count endpoint."""
        with self._client() as client:
            district = self._district(client)
            schools = self._schools(client)
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
        found: dict[str, dict[str, dict]] = {t: {} for t in ALL_TYPES}
        found["school"] = {s["source_id"]: s for s in schools}
        scope = Scope(self.schools)
        for type_, path, params, to_record in FULL_PLAN:
            into = found[type_]
            for rows in self._pages(client, path, params):
                for rec in filter(None, map(to_record, rows)):
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
        scope = Scope(self.schools, lambda sid: self._student_kept(client, sid))
        if self.schools:
            self._schools(client)  # checks the filter names known schools
        final: dict[tuple[str, str], tuple[str, dict]] = {}
        last, read = cursor, 0
        since = _iso(cursor)
        for rows in self._events(client, cursor):
            for row in rows:
                if since is None or str(row.get("created") or "") >= since:
                    _collapse(final, row)
            last, read = rows[-1]["id"], read + len(rows)
            progress("events", read, None)
        return Feed(source=self.kind, mode="quick", types=_changes(final, scope),
                    district=district, cursor=last)

    def _events(self, client: JsonClient, cursor: str):
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
            params = {}
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
        user = payload.get("data") if isinstance(payload, dict) else None
        rec = role_record("student", user) if isinstance(user, dict) else None
        return rec is not None and Scope(self.schools).keeps("student", rec)

    # -- shared ------------------------------------------------------------------------

    def _client(self) -> JsonClient:
        return JsonClient(self.base_url, headers={"Authorization": f"Bearer {self.token}"},
                          timeout=self.timeout, retry=self.retry, secrets=[self.token])

    def _district(self, client: JsonClient) -> dict:
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
        return {"source_id": row["id"], "name": row.get("name") or ""}

    def _schools(self, client: JsonClient) -> list[dict]:
        """The district's schools, only those of the filter; a filter id must exist."""
        schools = [school(row) for rows in self._pages(client, "/schools") for row in rows]
        known = {s["source_id"] for s in schools}
        unknown = [sid for sid in self.schools if sid not in known]
        if unknown:
            raise SourceError(f"source.schools names {unknown[0]}, which is not a school "
                              f"shared by this district (known: {', '.join(sorted(known))})")
        return [s for s in schools if not self.schools or s["source_id"] in self.schools]

    def _count(self, client: JsonClient, path: str, params: dict | None = None) -> int:
        return sum(len(rows) for rows in self._pages(client, path, params, MAX_PAGE))

    def _pages(self, client: JsonClient, path: str, params: dict | None = None,
               limit: int | None = None):
        """Each non-empty page of records, following rel=next links until none is left."""
        limit = limit or self.page_size
        url = f"{API}{path}?{urlencode({**(params or {}), 'limit': limit})}"
        seen = {url}
        while url:
            payload, _ = client.get_json(url)
            rows = _rows(payload, f"GET {API}{path}")
            if not rows:
                return
            yield rows
            url = _next_link(payload, limit)
            if url in seen:
                raise SourceError(f"GET {API}{path}: the server's next link repeats "
                                  f"({urlsplit(url).query}); stopped to avoid a loop")
            seen.add(url)


class Scope:
    """The source.schools filter: which records a sync keeps (all when it is empty)."""

    def __init__(self, schools, lookup_student=None):
        self.schools = set(schools)
        self.students: dict[str, bool] = {}  # student id -> kept, as seen in this sync
        self._lookup = lookup_student        # asks the source about a student not seen

    def keeps(self, type_: str, rec: dict) -> bool:
        if not self.schools or type_ in ("term", "course"):
            return True
        if type_ == "school":
            return rec["source_id"] in self.schools
        if type_ == "section":
            return rec["school_id"] in self.schools
        if type_ == "contact":
            return any(self._student(r["student_id"]) for r in rec["relationships"])
        kept = bool(self.schools & set(rec["school_ids"]))
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
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _collapse(final: dict, row: dict) -> None:
    """Fold one event into `final`: (collection, id) -> (verb, object), the last one winning.
    previous_attributes (inside data or beside it) are not needed: the object is whole."""
    collection, _, verb = str(row.get("type", "")).partition(".")
    if verb not in ("created", "updated", "deleted") or (
            collection != "users" and collection not in OTHER_TYPES):
        return  # districts.* and unknown kinds change no roster record
    data = row.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not obj.get("id"):
        raise SourceError(f"GET {API}/events: event {row['id']} ({collection}.{verb}) "
                          "carries no object with an id")
    key = (collection, obj["id"])
    final.pop(key, None)  # re-insert: keep the order of each object's last event
    final[key] = (verb, obj)


def _changes(final: dict, scope: Scope) -> dict[str, TypeFeed]:
    """The quick feed: upserts for objects that exist (and pass the filter), deletes for
    the rest. A user's update also deletes the person types whose role it no longer has;
    deleting an id the store does not hold stages nothing."""
    upserts, deletes = [], []
    for (collection, oid), (verb, obj) in final.items():
        types = PEOPLE_TYPES if collection == "users" else (OTHER_TYPES[collection],)
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


def _object_records(collection: str, obj: dict) -> dict[str, dict]:
    if collection == "users":
        return user_records(obj)
    type_ = OTHER_TYPES[collection]
    return {type_: MAPPERS[type_](obj)}


def _unavailable(reason: str) -> SourceError:
    return SourceError(f"Clever events are unavailable ({reason}); run a full sync: "
                       "rostertui sync --full")


# -- paging --------------------------------------------------------------------------------

def _rows(payload: object, where: str) -> list[dict]:
    """The records of a list answer: {"data": [{"data": {...}}, ...]}."""
    items = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise SourceError(f"{where}: the answer has no data list; is this the Clever API?")
    rows = [item.get("data") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(row, dict) and row.get("id") for row in rows):
        raise SourceError(f"{where}: a record in the answer has no id")
    return rows


def _next_link(payload: dict, limit: int) -> str | None:
    """The rel=next uri, with `limit` added when the server left it out."""
    links = payload.get("links")
    uri = next((link.get("uri") for link in links if isinstance(link, dict)
                and link.get("rel") == "next"), None) if isinstance(links, list) else None
    if not uri:
        return None
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    if "limit" in query:
        return uri
    return parts._replace(query=urlencode({**query, "limit": limit})).geturl()


def _quiet(type_: str, done: int, total: int | None) -> None:
    pass


# -- mapping -------------------------------------------------------------------------------

def user_records(user: dict, roles=tuple(ROLE_TYPES)) -> dict[str, dict]:
    """A user's records by person type, one per role it has among `roles`."""
    out: dict[str, dict] = {}
    for role in roles:
        data = (user.get("roles") or {}).get(role)
        if isinstance(data, dict):
            out.setdefault(ROLE_TYPES[role], PERSON_MAPPERS[role](user, data))
    return out


def role_record(role: str, user: dict) -> dict | None:
    """The record for one role of a user listed by /users?role=..."""
    return user_records(user, (role,)).get(ROLE_TYPES[role])


def _text(value) -> str:
    return "" if value is None else str(value)


def _person(user: dict, role: dict) -> dict:
    name = user.get("name") or {}
    legacy = role.get("legacy_id")
    return {"source_id": user["id"], "sis_id": _text(role.get("sis_id")),
            "legacy_ids": [legacy] if legacy else [],
            "first_name": _text(name.get("first")), "middle_name": _text(name.get("middle")),
            "last_name": _text(name.get("last")),
            "email": _text(user.get("email") or role.get("email")),
            "username": _text((role.get("credentials") or {}).get("district_username")),
            "school_ids": _school_ids(role), "state_id": _text(role.get("state_id"))}


def _school_ids(role: dict) -> list[str]:
    schools = role.get("schools") or ([role["school"]] if role.get("school") else [])
    return sorted(set(schools))


def student(user: dict, role: dict) -> dict:
    extra = {key: _text(role.get(key)) for key in STUDENT_EXTRA if role.get(key)}
    zip_code = (role.get("location") or {}).get("zip")
    if zip_code:
        extra["zip"] = _text(zip_code)
    return make("student", **_person(user, role), grade=_text(role.get("grade")),
                graduation_year=_text(role.get("graduation_year")), dob=_text(role.get("dob")),
                gender=_text(role.get("gender")),
                student_number=_text(role.get("student_number")), extra=extra)


def teacher(user: dict, role: dict) -> dict:
    return make("teacher", **_person(user, role), title=_text(role.get("title")),
                teacher_number=_text(role.get("teacher_number")))


def staff(user: dict, role: dict, kind: str = "staff") -> dict:
    person = {**_person(user, role), "sis_id": _text(role.get("staff_id"))}
    return make("staff", **person, role=kind, title=_text(role.get("title")),
                department=_text(role.get("department")))


def district_admin(user: dict, role: dict) -> dict:
    return staff(user, role, "district_admin")


def contact(user: dict, role: dict) -> dict:
    relationships = sorted(
        ({"student_id": _text(r.get("student")), "relationship": _text(r.get("relationship")),
          "type": _text(r.get("type"))}
         for r in role.get("student_relationships") or () if isinstance(r, dict)),
        key=lambda r: r["student_id"])
    return make("contact", **_person(user, role), phone=_text(role.get("phone")),
                phone_type=_text(role.get("phone_type")), relationships=relationships)


def school(obj: dict) -> dict:
    principal = obj.get("principal") or {}
    return make("school", source_id=obj["id"], sis_id=_text(obj.get("sis_id")),
                name=_text(obj.get("name")), school_number=_text(obj.get("school_number")),
                state_id=_text(obj.get("state_id")), nces_id=_text(obj.get("nces_id")),
                low_grade=_text(obj.get("low_grade")), high_grade=_text(obj.get("high_grade")),
                phone=_text(obj.get("phone")), principal_name=_text(principal.get("name")),
                principal_email=_text(principal.get("email")))


def section(obj: dict) -> dict:
    teachers = {*(obj.get("teachers") or ()), obj.get("teacher")} - {None, ""}
    subject = _text(obj.get("subject"))
    return make("section", source_id=obj["id"], sis_id=_text(obj.get("sis_id")),
                name=_text(obj.get("name")), section_number=_text(obj.get("section_number")),
                period=_text(obj.get("period")), subject=subject,
                grades=[_text(obj["grade"])] if obj.get("grade") else [],
                school_id=_text(obj.get("school")), course_id=_text(obj.get("course")),
                term_ids=[_text(obj["term_id"])] if obj.get("term_id") else [],
                teacher_ids=sorted(teachers), student_ids=sorted(set(obj.get("students") or ())),
                class_type="homeroom" if subject == "homeroom/advisory" else "scheduled")


def term(obj: dict) -> dict:
    return make("term", source_id=obj["id"], name=_text(obj.get("name")),
                start_date=_text(obj.get("start_date")), end_date=_text(obj.get("end_date")))


def course(obj: dict) -> dict:
    return make("course", source_id=obj["id"], name=_text(obj.get("name")),
                code=_text(obj.get("number")), subject=_text(obj.get("subject")))


PERSON_MAPPERS = {"student": student, "teacher": teacher, "staff": staff,
                  "district_admin": district_admin, "contact": contact}
MAPPERS = {"school": school, "section": section, "term": term, "course": course}
# The full sync's reads after districts, events and schools, in order: students before
# contacts, so that the schools filter can keep a contact by its students.
FULL_PLAN = [(ROLE_TYPES[role], "/users", {"role": role}, partial(role_record, role))
             for role in ROLE_TYPES] + [("section", "/sections", {}, section),
                                        ("term", "/terms", {}, term),
                                        ("course", "/courses", {}, course)]
