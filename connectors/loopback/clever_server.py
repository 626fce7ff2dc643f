"""A real HTTP server on 127.0.0.1 that plays Clever's Data API v3.0, for the tests and
the benchmarks.

It serves a district laid out as the demo one (tests/fixtures/clever-v3-demo) with real paging
(starting_after + limit, next links carrying the limit), Bearer token checks,
X-Ratelimit-* headers on every answer, an /events feed that tests append to, faults a
test arms for the Nth request to a path, and records sent changed (`serve`: e.g.
serve("users", fn) to blank every email, or leave every user out).
"""

from __future__ import annotations

import copy
import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlencode

from .server import Answer, Fault, Json, LoopbackServer, Query, apply, json_answer

API = "/v3.0"
TOKEN = "tok-demo-5a0c91b95c7c-secret"
RATE_LIMIT = 1200
MAX_LIMIT = 10000
DEFAULT_LIMIT = 100
FIRST_EVENT = 0x603F00000000000000000000  # event ids: 24 hex digits, ascending
__all__ = ["API", "MAX_LIMIT", "TOKEN", "Answer", "CleverServer", "Fault", "load"]


class CleverServer(LoopbackServer):
    """Besides the common faults: "loop" (next link = this page), "empty_next" (an empty
    page with a next link), "exhausted" (X-Ratelimit-Remaining 0 with reset=),
    "foreign_next" (the next link on the server `to=`, same path and query), "pages"
    (a full page of made-up records with a next link, every time: paging never ends)."""

    def __init__(self, fixtures: Path, token: str = TOKEN, tls: bool = False) -> None:
        super().__init__(tls)
        self.token = token
        self.data = load(fixtures)
        self.events: list[Json] = []
        self.event_ids: set[str] = set()   # every event id ever served (expired ones too)

    # -- what tests call ---------------------------------------------------------------

    def get(self, collection: str, oid: str) -> Json:
        """A copy of a stored object, to edit and send back as an event."""
        return copy.deepcopy(self.data[collection][oid])

    def add_event(self, type_: str, obj: Json, previous_attributes: Json | None = None,
                  beside: bool = False) -> str:
        """Append an event and apply it to the data; previous_attributes go inside
        data (as Clever sends them) or, with `beside`, next to it (as the spec shows)."""
        with self._lock:
            eid = f"{FIRST_EVENT + len(self.event_ids):024x}"
            body = {"object": copy.deepcopy(obj)}
            event = {"id": eid, "type": type_, "created": _now(), "data": body}
            if previous_attributes is not None:
                (event if beside else body)["previous_attributes"] = previous_attributes
            self.events.append(event)
            self.event_ids.add(eid)
            collection, _, verb = type_.partition(".")
            store = self.data.get(collection) if "id" in obj else None
            if store is not None and verb == "deleted":
                store.pop(obj["id"], None)
            elif store is not None:
                store[obj["id"]] = copy.deepcopy(obj)
        return eid

    def expire_events(self) -> None:
        """Drop every stored event, as Clever does after 30 days."""
        with self._lock:
            self.events.clear()

    # -- serving -----------------------------------------------------------------------

    def _headers(self, served: int) -> dict[str, str]:
        return {"X-Ratelimit-Limit": str(RATE_LIMIT),
                "X-Ratelimit-Remaining": str(RATE_LIMIT - served % RATE_LIMIT),
                "X-Ratelimit-Reset": str(int(time.time()) + 60)}

    def _apply(self, fault: Fault, answer: Answer, req: BaseHTTPRequestHandler, path: str,
               query: Query) -> Answer:
        uri = req.path
        if fault.kind == "loop":
            body = json.loads(answer.body)
            body["links"] = [{"rel": "self", "uri": uri}, {"rel": "next", "uri": uri}]
            answer.body = json.dumps(body).encode()
        elif fault.kind == "empty_next":
            return json_answer(200, {"data": [], "links": [{"rel": "next", "uri": uri}]})
        elif fault.kind == "exhausted":
            answer.headers = {"X-Ratelimit-Remaining": "0",
                              "X-Ratelimit-Reset": str(fault.opts["reset"])}
        elif fault.kind == "foreign_next":
            body = json.loads(answer.body)
            body["links"] = [{"rel": "next", "uri": fault.opts["to"] + uri}]
            answer.body = json.dumps(body).encode()
        elif fault.kind == "pages":
            after = int(query.get("starting_after", "0"), 16)
            rows = [{"id": f"{after + n:024x}", "name": f"Made up {after + n}"}
                    for n in range(1, int(query.get("limit", DEFAULT_LIMIT)) + 1)]
            return _page(path, query, rows)
        else:
            return apply(fault, answer)
        return answer

    def _answer(self, req: BaseHTTPRequestHandler, path: str, query: Query) -> Answer:
        presented = req.headers.get("Authorization", "")
        if presented != f"Bearer {self.token}":
            return json_answer(401, {"error": f"invalid credentials: {presented or 'none'}"})
        name = path.removeprefix(API + "/")
        if name.startswith("users/"):
            user = self.data["users"].get(name.removeprefix("users/"))
            user = next(iter(self._served("users", [user] if user else [])), None)
            if user is None:
                return json_answer(404, {"error": "Not Found"})
            return json_answer(200, {"data": user})
        if name == "events":
            return self._events(path, query)
        if name not in self.data:
            return json_answer(404, {"error": "Not Found"})
        rows = self._served(name, sorted(self.data[name].values(), key=lambda r: r["id"]))
        if name == "users" and query.get("role"):
            rows = [r for r in rows if query["role"] in r["roles"]]
        return _page(path, query, rows)

    def _events(self, path: str, query: Query) -> Answer:
        after = query.get("starting_after")
        if after and after not in self.event_ids:
            return json_answer(404, {"error": f"no event {after}"})
        if after and after < min((e["id"] for e in self.events), default="~"):
            return json_answer(400, {"error": "starting_after is older than the 30 days of "
                                        "events kept"})
        return _page(path, query, self.events)


def load(fixtures: Path) -> dict[str, dict[str, Json]]:
    """The demo district by collection and id; /terms and /courses come from sections."""
    data = {name: {item["data"]["id"]: item["data"]
                   for item in json.loads((fixtures / f"{name}.json").read_text())["data"]}
            for name in ("districts", "schools", "users", "sections")}
    data["terms"], data["courses"] = {}, {}
    for sec in data["sections"].values():
        terms, courses = data["terms"], data["courses"]
        terms.setdefault(sec["term_id"], {
            "id": sec["term_id"], "district": sec["district"], "name": f"Term {len(terms) + 1}",
            "start_date": "2020-08-17", "end_date": "2021-06-18"})
        courses.setdefault(sec["course"], {
            "id": sec["course"], "district": sec["district"],
            "name": sec["name"].split(" - ")[0], "number": f"C{len(courses) + 1:03}",
            "subject": sec["subject"]})
    return data


def _page(path: str, query: Query, rows: list[Json]) -> Answer:
    limit = int(query.get("limit", DEFAULT_LIMIT))
    if limit > MAX_LIMIT:
        return json_answer(413, {"error": f"limit must be at most {MAX_LIMIT}"})
    after = query.get("starting_after")
    page = [r for r in rows if not after or r["id"] > after][:limit]
    links = [{"rel": "self", "uri": f"{path}?{urlencode(query)}"}]
    if len(page) == limit:  # like Clever: a full page has a next link, even at the end
        links.append({"rel": "next",
                      "uri": f"{path}?{urlencode({**query, 'starting_after': page[-1]['id']})}"})
    return json_answer(200, {"data": [{"data": r, "uri": f"{path}/{r['id']}"} for r in page],
                       "links": links})


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
