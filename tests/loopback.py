"""What the loopback test servers share: a threaded HTTP server on 127.0.0.1, faults a
test arms for the Nth request to a path, and writing an answer (or dropping it mid-body).
A server subclasses LoopbackServer and supplies `_answer` (and its own faults in
`_apply`)."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"


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


class LoopbackServer:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []  # (path, query) of each request
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

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fault(self, path: str, kind: str | int, nth: int = 1, times: int = 1, **opts) -> None:
        """Answer requests nth .. nth+times-1 (counted from now) to `path` with a fault:
        an HTTP status (429 takes retry_after= and reset=), "html", "truncated", "drop"
        (connection closed mid-body), "slow" (seconds=), "body" (status= (200) and body=),
        or one the server adds."""
        with self._lock:
            first = self._hits[path] + nth
            self._faults.append(Fault(path, kind, first, first + times - 1, opts))

    def hits(self, path: str) -> int:
        return self._hits[path]

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
            answer = self._apply(fault, answer, req, path, query)
        answer.headers = {**self._headers(served), **answer.headers}
        write(req, answer)

    def _answer(self, req: BaseHTTPRequestHandler, path: str, query: dict) -> Answer:
        raise NotImplementedError

    def _apply(self, fault: Fault, answer: Answer, req, path: str, query: dict) -> Answer:
        return apply(fault, answer)

    def _headers(self, served: int) -> dict:
        """Headers every answer carries (a fault's own headers win)."""
        return {}


def apply(fault: Fault, answer: Answer) -> Answer:
    """The faults every server knows."""
    kind, opts = fault.kind, fault.opts
    if isinstance(kind, int):
        headers = {}
        if kind == 429:
            headers["X-Ratelimit-Remaining"] = "0"
            headers["X-Ratelimit-Reset"] = str(opts.get("reset", int(time.time())))
            if "retry_after" in opts:
                headers["Retry-After"] = str(opts["retry_after"])
        return json_answer(kind, {"error": HTTPStatus(kind).phrase}, headers)
    if kind == "html":
        return Answer(200, HTML, content_type="text/html; charset=utf-8")
    if kind == "body":  # any JSON body, e.g. a 200 without the envelope; headers kept
        return json_answer(opts.get("status", 200), opts["body"], answer.headers)
    if kind == "truncated":
        answer.body = answer.body[:len(answer.body) // 2]
    elif kind == "drop":
        answer.drop = True
    elif kind == "slow":
        answer.delay = opts["seconds"]
    else:
        raise ValueError(f"unknown fault {kind}")
    return answer


def json_answer(status: int, body: dict, headers: dict | None = None) -> Answer:
    return Answer(status, json.dumps(body).encode(), headers or {})


def write(req: BaseHTTPRequestHandler, answer: Answer) -> None:
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow offline)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hung up, or a "drop" fault: nothing to report


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeRosterServer/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.app.handle(self)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args) -> None:
        pass
