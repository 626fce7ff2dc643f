"""What the loopback servers share: a threaded HTTP server on 127.0.0.1, faults a
test arms for the Nth request to a path, records a test has the server send changed
(`serve`), and writing an answer (or dropping it mid-body, or streaming it: a gzip bomb,
an endless body, a byte at a time). A server subclasses LoopbackServer and supplies
`_answer` (and its own faults in `_apply`), passing each collection's records through
`_served` before it pages them."""

from __future__ import annotations

import atexit
import copy
import datetime
import gzip
import ipaddress
import itertools
import json
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self, cast
from urllib.parse import parse_qsl, urlsplit

Json = dict[str, Any]     # a JSON object as a server sends it
Query = dict[str, str]    # a request's query parameters
Headers = dict[str, str]

HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"


@dataclass
class Fault:
    path: str
    kind: str | int      # an HTTP status, or one of the named faults
    first: int           # the path's request numbers it applies to, inclusive
    last: int
    opts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: Headers = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    drop: bool = False   # send half the body, then close the connection
    delay: float = 0.0
    # Streamed instead of `body` (chunked, HTTP/1.1): each piece after `interval` seconds;
    # with trickle_head the status line and headers go one byte per interval as well.
    pieces: Iterable[bytes] | None = None
    interval: float = 0.0
    trickle_head: bool = False


class LoopbackServer:
    """With `tls`, https with the certificate of `tls_files()` (a client trusts it with
    SSL_CERT_FILE set to that file)."""

    def __init__(self, tls: bool = False) -> None:
        self.requests: list[tuple[str, Query]] = []  # (path, query) of each request
        self._hits: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._serve: dict[str, Callable[[Json], Json | None]] = {}
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        self.scheme = "https" if tls else "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls_files())
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fault(self, path: str, kind: str | int, nth: int = 1, times: int = 1,
              **opts: Any) -> None:
        """Answer requests nth .. nth+times-1 (counted from now) to `path` with a fault:
        an HTTP status (429 takes retry_after= and reset=), "html", "truncated", "drop"
        (connection closed mid-body), "slow" (seconds=), "body" (status= (200) and body=),
        "headers" (headers= added), "redirect" (to=, status= (302)), "gzip" (the answer
        compressed: encoding= "gzip" or "deflate", layers= (1)), "encoded" (the answer
        as it is, labelled encoding=), "bomb" (mb= (1024) of zeros gzipped, streamed;
        layers=2 sends it gzipped twice), "endless" (a body that never ends), "trickle"
        (the body a byte every seconds=; head=True: the head too), or one the server
        adds."""
        with self._lock:
            first = self._hits[path] + nth
            self._faults.append(Fault(path, kind, first, first + times - 1, opts))

    def serve(self, collection: str, change: Callable[[Json], Json | None] | None) -> None:
        """From now on send each record of `collection` (its JSON object, before paging)
        as `change(a copy of it)` returns it, or leave it out where that is None: a
        source that blanks a field, empties a roster or stops sharing users. The data
        itself is kept; `serve(collection, None)` sends it as it is again."""
        with self._lock:
            if change is None:
                self._serve.pop(collection, None)
            else:
                self._serve[collection] = change

    def _served(self, collection: str, records: list[Json]) -> list[Json]:
        """The records as `serve` says to send them (called under the lock)."""
        change = self._serve.get(collection)
        if change is None:
            return records
        return [r for r in map(change, map(copy.deepcopy, records)) if r is not None]

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

    def _answer(self, req: BaseHTTPRequestHandler, path: str, query: Query) -> Answer:
        raise NotImplementedError

    def _apply(self, fault: Fault, answer: Answer, req: BaseHTTPRequestHandler, path: str,
               query: Query) -> Answer:
        return apply(fault, answer)

    def _headers(self, served: int) -> Headers:
        """Headers every answer carries (a fault's own headers win)."""
        return {}


@cache
def tls_files() -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key, made once per test run."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = Path(tempfile.mkdtemp(prefix="rostertui-tls-"))
    atexit.register(shutil.rmtree, folder, True)
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def apply(fault: Fault, answer: Answer) -> Answer:
    """The faults every server knows."""
    kind, opts = fault.kind, fault.opts
    if isinstance(kind, int):
        headers: Headers = {}
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
    if kind == "redirect":
        return Answer(opts.get("status", 302), b"", {"Location": opts["to"]})
    if kind in STREAMS:
        return STREAMS[kind](answer, **opts)
    if kind == "headers":
        answer.headers = {**answer.headers, **opts["headers"]}
    elif kind == "gzip":
        encoding, layers = opts.get("encoding", "gzip"), opts.get("layers", 1)
        for _ in range(layers):
            answer.body = compress(answer.body, encoding)
        answer.headers = {**answer.headers, "Content-Encoding": ", ".join([encoding] * layers)}
    elif kind == "encoded":
        answer.headers = {**answer.headers, "Content-Encoding": opts["encoding"]}
    elif kind == "truncated":
        answer.body = answer.body[:len(answer.body) // 2]
    elif kind == "drop":
        answer.drop = True
    elif kind == "slow":
        answer.delay = opts["seconds"]
    else:
        raise ValueError(f"unknown fault {kind}")
    return answer


def json_answer(status: int, body: Any, headers: Headers | None = None) -> Answer:
    return Answer(status, json.dumps(body).encode(), headers or {})


def compress(body: bytes, encoding: str = "gzip") -> bytes:
    return gzip.compress(body) if encoding == "gzip" else zlib.compress(body)


@cache
def _bomb_blocks() -> tuple[bytes, bytes]:
    """The gzip start of `mb` MB of zeros and the block that repeats: after a full flush
    deflate starts afresh, so each further MB compresses to the same ~1 KB."""
    zeros = bytes(1 << 20)
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return (z.compress(zeros) + z.flush(zlib.Z_FULL_FLUSH),
            z.compress(zeros) + z.flush(zlib.Z_FULL_FLUSH))


def bomb(mb: int = 1024) -> bytes:
    """About 1 KB per MB of zeros once inflated (no gzip trailer: nobody reads that far)."""
    first, block = _bomb_blocks()
    return first + block * (mb - 1)


def _bomb(answer: Answer, mb: int = 1024, layers: int = 1) -> Answer:
    body = bomb(mb)
    if layers == 2:
        body = compress(body)
    pieces = (body[i:i + 65536] for i in range(0, len(body), 65536))
    return Answer(200, b"", {**answer.headers, "Content-Encoding": ", ".join(["gzip"] * layers)},
                  pieces=pieces)


def _endless(answer: Answer, seconds: float = 0.001) -> Answer:
    """A JSON start, then blanks forever: each piece is quick, the whole never ends."""
    return Answer(200, b"", answer.headers, pieces=itertools.chain(
        [b'{"data": ['], itertools.repeat(b" " * 1024)), interval=seconds)


def _trickle(answer: Answer, seconds: float = 0.05, head: bool = False) -> Answer:
    body = answer.body
    return Answer(answer.status, b"", answer.headers, answer.content_type,
                  pieces=(body[i:i + 1] for i in range(len(body))), interval=seconds,
                  trickle_head=head)


STREAMS: dict[str, Callable[..., Answer]] = {"bomb": _bomb, "endless": _endless,
                                            "trickle": _trickle}


def write(req: BaseHTTPRequestHandler, answer: Answer) -> None:
    time.sleep(answer.delay)
    if answer.pieces is not None:
        stream(req, answer)
        return
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


def stream(req: BaseHTTPRequestHandler, answer: Answer) -> None:
    """A chunked HTTP/1.1 answer written piece by piece until the pieces end or the
    client hangs up."""
    headers = {"Content-Type": answer.content_type, "Transfer-Encoding": "chunked",
               "Connection": "close", **answer.headers}
    head = (f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            + "\r\n").encode()
    req.close_connection = True
    try:
        if answer.trickle_head:
            for i in range(len(head)):
                time.sleep(answer.interval)
                req.wfile.write(head[i:i + 1])
        else:
            req.wfile.write(head)
        for piece in answer.pieces or ():
            time.sleep(answer.interval)
            req.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        req.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass  # the client hung up: what a bound is for


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: LoopbackServer

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow offline)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = cast(tuple[str, int], self.server_address[:2])

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up, or a "drop" fault: nothing to report


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeRosterServer/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        cast(_Server, self.server).app.handle(self)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass
