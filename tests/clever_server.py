"""A real HTTP server on 127.0.0.1 that plays Clever's Data API v3.0 for the tests.

It serves the demo district (tests/fixtures/clever-v3-demo) with real paging
(starting_after + limit, next links carrying the limit), Bearer token checks,
X-Ratelimit-* headers on every answer, an /events feed that tests append to, and
faults a test arms for the Nth request to a path.
"""

from __future__ import annotations

import copy
import json
import socket
import socketserver
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

API = "/v3.0"
TOKEN = "tok-demo-5a0c91b95c7c-secret"
RATE_LIMIT = 1200
MAX_LIMIT = 10000
DEFAULT_LIMIT = 100
FIRST_EVENT = 0x603F00000000000000000000  # event ids: 24 hex digits, ascending
HTML = b"<!DOCTYPE html><html><head><title>Clever</title></head><body>Sign in</body></html>"


@dataclass
class Fault:
    path: str
    kind: str | int      # an HTTP status, or one of the named faults
    first: int           # the path's request numbers it applies to, inclusive
    last: int
    opts: dict = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    drop: bool = False   # send half the body, then close the connection
    delay: float = 0.0


class CleverServer:
    def __init__(self, fixtures: Path, token: str = TOKEN):
        self.token = token
        self.data = load(fixtures)
        self.events: list[dict] = []
        self.event_ids: set[str] = set()   # every event id ever served (expired ones too)
        self.requests: list[tuple[str, dict]] = []
        self._hits: Counter = Counter()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> CleverServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- what tests call ---------------------------------------------------------------

    def get(self, collection: str, oid: str) -> dict:
        """A copy of a stored object, to edit and send back as an event."""
        return copy.deepcopy(self.data[collection][oid])

    def add_event(self, type_: str, obj: dict, previous_attributes: dict | None = None,
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

    def fault(self, path: str, kind: str | int, nth: int = 1, times: int = 1, **opts) -> None:
        """Answer requests nth .. nth+times-1 (counted from now) to `path` with a fault.

        kind: an HTTP status (429 takes retry_after= and reset=), "html", "truncated",
        "drop" (connection closed mid-body), "loop" (next link = this page),
        "empty_next" (empty page with a next link), "exhausted" (X-Ratelimit-Remaining 0
        with reset=), "slow" (answer after seconds=)."""
        with self._lock:
            first = self._hits[path] + nth
            self._faults.append(Fault(path, kind, first, first + times - 1, opts))

    def hits(self, path: str) -> int:
        return self._hits[path]

    # -- serving -----------------------------------------------------------------------

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        path, query = parts.path, dict(parse_qsl(parts.query))
        with self._lock:
            self.requests.append((path, query))
            self._hits[path] += 1
            fault = next((f for f in self._faults
                          if f.path == path and f.first <= self._hits[path] <= f.last), None)
            served = len(self.requests)
            answer = self._answer(req, path, query)
        if fault is not None:
            answer = _apply(fault, answer, req.path)
        answer.headers = {"X-Ratelimit-Limit": str(RATE_LIMIT),
                          "X-Ratelimit-Remaining": str(RATE_LIMIT - served % RATE_LIMIT),
                          "X-Ratelimit-Reset": str(int(time.time()) + 60), **answer.headers}
        _write(req, answer)

    def _answer(self, req: BaseHTTPRequestHandler, path: str, query: dict) -> Answer:
        presented = req.headers.get("Authorization", "")
        if presented != f"Bearer {self.token}":
            return _json(401, {"error": f"invalid credentials: {presented or 'none'}"})
        name = path.removeprefix(API + "/")
        if name.startswith("users/"):
            user = self.data["users"].get(name.removeprefix("users/"))
            return _json(200, {"data": user}) if user else _json(404, {"error": "Not Found"})
        if name == "events":
            return self._events(path, query)
        if name not in self.data:
            return _json(404, {"error": "Not Found"})
        rows = sorted(self.data[name].values(), key=lambda r: r["id"])
        if name == "users" and query.get("role"):
            rows = [r for r in rows if query["role"] in r["roles"]]
        return _page(path, query, rows)

    def _events(self, path: str, query: dict) -> Answer:
        after = query.get("starting_after")
        if after and after not in self.event_ids:
            return _json(404, {"error": f"no event {after}"})
        if after and after < min((e["id"] for e in self.events), default="~"):
            return _json(400, {"error": "starting_after is older than the 30 days of "
                                        "events kept"})
        return _page(path, query, self.events)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow offline)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up, or a "drop" fault: nothing to report


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeClever/3.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.app.handle(self)

    def log_message(self, *args) -> None:
        pass


def load(fixtures: Path) -> dict[str, dict[str, dict]]:
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


def _page(path: str, query: dict, rows: list[dict]) -> Answer:
    limit = int(query.get("limit", DEFAULT_LIMIT))
    if limit > MAX_LIMIT:
        return _json(413, {"error": f"limit must be at most {MAX_LIMIT}"})
    after = query.get("starting_after")
    page = [r for r in rows if not after or r["id"] > after][:limit]
    links = [{"rel": "self", "uri": f"{path}?{urlencode(query)}"}]
    if len(page) == limit:  # like Clever: a full page has a next link, even at the end
        links.append({"rel": "next",
                      "uri": f"{path}?{urlencode({**query, 'starting_after': page[-1]['id']})}"})
    return _json(200, {"data": [{"data": r, "uri": f"{path}/{r['id']}"} for r in page],
                       "links": links})


def _apply(fault: Fault, answer: Answer, uri: str) -> Answer:
    kind, opts = fault.kind, fault.opts
    if isinstance(kind, int):
        headers = {}
        if kind == 429:
            headers["X-Ratelimit-Remaining"] = "0"
            headers["X-Ratelimit-Reset"] = str(opts.get("reset", int(time.time())))
            if "retry_after" in opts:
                headers["Retry-After"] = str(opts["retry_after"])
        return _json(kind, {"error": HTTPStatus(kind).phrase}, headers)
    if kind == "html":
        return Answer(200, HTML, content_type="text/html; charset=utf-8")
    if kind == "truncated":
        answer.body = answer.body[:len(answer.body) // 2]
    elif kind == "drop":
        answer.drop = True
    elif kind == "loop":
        body = json.loads(answer.body)
        body["links"] = [{"rel": "self", "uri": uri}, {"rel": "next", "uri": uri}]
        answer.body = json.dumps(body).encode()
    elif kind == "empty_next":
        return _json(200, {"data": [], "links": [{"rel": "next", "uri": uri}]})
    elif kind == "exhausted":
        answer.headers = {"X-Ratelimit-Remaining": "0",
                          "X-Ratelimit-Reset": str(opts["reset"])}
    elif kind == "slow":
        answer.delay = opts["seconds"]
    else:
        raise ValueError(f"unknown fault {kind}")
    return answer


def _json(status: int, body: dict, headers: dict | None = None) -> Answer:
    return Answer(status, json.dumps(body).encode(), headers or {})


def _write(req: BaseHTTPRequestHandler, answer: Answer) -> None:
    time.sleep(answer.delay)
    req.send_response(answer.status)
    req.send_header("Content-Type", answer.content_type)
    req.send_header("Content-Length", str(len(answer.body)))
    for name, value in answer.headers.items():
        req.send_header(name, value)
    req.end_headers()
    if answer.drop:
        req.wfile.write(answer.body[:len(answer.body) // 2])
        req.wfile.flush()
        req.connection.shutdown(socket.SHUT_RDWR)
        return
    req.wfile.write(answer.body)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
