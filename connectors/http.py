"""A small HTTP layer for JSON APIs (Clever, OneRoster REST): retries, rate limits, bounds,
clear errors.

Every failure is a SourceError of one line that names the method and the URL path and
never a secret. 429s wait for the server's reset; 5xx and network failures back off
with full jitter; other 4xx are never retried.

A hostile server or network gets nowhere, because every live source goes through here:
- credentials go only to the configured origin (scheme, host, port): next links are
  checked by `check_link`, and redirects are followed by hand and checked the same way;
- plain http is refused unless the host is this machine (`require_secure`);
- a request ends within `timeout` seconds from connect to last byte, however slowly the
  server trickles (`_Deadline`: per-phase timeouts of what remains, a check after every
  read, and a watchdog that shuts the socket when the time is up);
- a body may not decode to more than `max_response_mb`: it is inflated here, a step of
  at most INFLATE_STEP bytes at a time, and counted while it streams, so a gzip bomb is
  stopped at the limit with memory to match;
- a listing may not run past `PageBudget` pages.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import socket
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from rostertui.redact import MASK, scrub

from .feed import SourceError
from .options import Option, given

log = logging.getLogger(__name__)

_REFUSED = {
    401: "the token was rejected (HTTP 401); check the credentials in the config",
    403: "access denied (HTTP 403): the credentials do not give access to this data",
    404: "not found (HTTP 404)",
}
_SECRET_PARAMS = frozenset({"access_token", "client_secret"})  # and every oauth_* parameter
MB = 1024 * 1024
DEFAULT_TIMEOUT = 30.0          # seconds, from connect to last byte
DEFAULT_MAX_RESPONSE_MB = 256.0  # decoded
DEFAULT_MAX_PAGES = 100_000     # per listing, when the server announces no total
INFLATE_STEP = MB               # the most bytes one inflate step makes (64 KB of gzip
                                # can hold 64 MB of zeros)
ERROR_BODY_BYTES = 64 * 1024    # read of a refusal's body, for its message
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
ENCODINGS = {"": False, "identity": False, "gzip": True, "x-gzip": True, "deflate": True}
DEFAULT_PORTS = {"http": 80, "https": 443}
_CONNECTED = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try; seconds throughout. `sleep` and `clock` are injectable for tests."""

    attempts: int = 4            # tries per request on 5xx and network failures
    base: float = 0.5            # backoff before retry n: uniform(0, min(cap, base * 2**n))
    cap: float = 30.0
    rate_limit_retries: int = 5  # 429 answers survived per request
    max_wait: float = 60.0       # the longest wait for a rate-limit reset
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time

    def backoff(self, retry: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2 ** retry))

    def wait_until(self, moment: float) -> float:
        """Seconds until `moment` (unix time), within 0..max_wait."""
        return min(max(moment - self.clock(), 0.0), self.max_wait)


MAX_RETRIES = 10
# The `source:` keys of every live source: what its requests may cost (enforced here).
OPTIONS = (
    Option("retries", int, 3, at_least=0, at_most=MAX_RETRIES,
           help="tries again after a server error (HTTP 5xx) or a network failure"),
    Option("timeout", float, DEFAULT_TIMEOUT, above=0, at_most=86400,
           help="seconds one whole request may take, from connect to the last byte"),
    Option("max_response_mb", float, DEFAULT_MAX_RESPONSE_MB, above=0, at_most=1024 ** 2,
           help="the largest answer accepted, in MB once decompressed"),
    Option("max_pages", int, None, above=0, at_most=10 ** 9,
           help="the most pages one listing may take"),
)


def client_options(options: dict[str, Any]) -> dict[str, Any]:
    """A live connector's keyword arguments for OPTIONS: its requests' bounds and retries
    (those not set keep the connector's defaults)."""
    out = given(options, ("timeout", "max_response_mb", "max_pages"))
    if "retries" in options:
        out["retry"] = RetryPolicy(attempts=options["retries"] + 1)
    return out


@dataclass
class RateLimit:
    """The last X-Ratelimit-* headers seen."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None  # unix seconds


class HttpError(SourceError):
    """The server refused a request (4xx); `status` lets callers tell 404 from 401."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class JsonClient:
    def __init__(self, base_url: str, *, auth: httpx.Auth | None = None,
                 headers: dict[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                 max_response_mb: float = DEFAULT_MAX_RESPONSE_MB,
                 retry: RetryPolicy | None = None, secrets: Sequence[str] = ()):
        self.retry = retry or RetryPolicy()
        self.secrets = [s for s in secrets if s]
        self.rate_limit = RateLimit()
        self.timeout = timeout
        self.max_response_mb = max_response_mb
        # Only what _inflate decodes: httpx would also take br or zstd if installed.
        headers = {"Accept-Encoding": "gzip, deflate", **(headers or {})}
        self._client = httpx.Client(base_url=base_url, auth=auth, headers=headers,
                                    timeout=timeout, follow_redirects=False)
        self._origin = _origin(self._client.base_url)
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()  # for the watchdog

    def __enter__(self) -> JsonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get_json(self, path_or_url: str,
                 params: dict[str, Any] | None = None) -> tuple[object, httpx.Headers]:
        """GET a path (joined to the base URL) or a full URL on the base URL's origin; the
        parsed body and headers. `params` are added to any query the path already has."""
        try:
            url = httpx.URL(path_or_url)
            request = self._client.build_request("GET", url.copy_merge_params(params or {}))
        except httpx.InvalidURL as exc:
            raise self._error(f"GET {path_or_url}: not a valid URL ({exc})") from None
        where = f"GET {request.url.path}"
        self._same_origin(request.url, where, "the address")
        response, body = self._send(request, where)
        return self._parse(response, body, where), response.headers

    def check_link(self, link: str, where: str) -> str:
        """A server's next link, made absolute: it must stay on the base URL's origin,
        where the credentials belong (they go with every request)."""
        try:
            url = self._client.base_url.join(link)
        except httpx.InvalidURL:
            raise self._error(f"{where}: the server's next link is not a valid URL") from None
        self._same_origin(url, where, "the server's next link")
        return str(url)

    def _same_origin(self, url: httpx.URL, where: str, what: str) -> None:
        if _origin(url) != self._origin:
            raise self._error(f"{where}: {what} leads away from the base URL "
                              f"({_show_origin(url)}); stopped")

    # -- one request, retried --------------------------------------------------------------

    def _send(self, request: httpx.Request, where: str) -> tuple[httpx.Response, bytes]:
        failures = limited = 0
        while True:
            self._await_quota()
            log.debug("%s", self._describe(request))
            try:
                response, body = self._exchange(request, where)
            except httpx.UnsupportedProtocol:
                raise self._error(f"{where}: {request.url.scheme or 'no'} scheme; the base "
                                  "URL must start with https://") from None
            except httpx.LocalProtocolError:  # the exception text would quote the header
                raise self._error(f"{where}: the request could not be sent: a header holds "
                                  "a character HTTP does not allow; check the token") from None
            except (httpx.TransportError, _Overdue) as exc:
                failures = self._failed(where, failures, self._network_reason(exc, request))
                continue
            except httpx.RequestError as exc:  # e.g. a Location that is not a URL
                raise self._error(f"{where}: the answer could not be read "
                                  f"({type(exc).__name__}: {exc})") from None
            self._note_rate_limit(response.headers)
            status = response.status_code
            log.debug("%s -> HTTP %s", where, status)
            if status == 429:
                limited = self._rate_limited(where, limited, response.headers)
            elif status >= 500:
                failures = self._failed(where, failures, f"the server failed (HTTP {status})")
            elif status >= 400:
                raise self._refused(where, response, body)
            else:
                return response, body

    def _exchange(self, request: httpx.Request,
                  where: str) -> tuple[httpx.Response, bytes]:
        """One attempt: the answer and its decoded body, following redirects that stay on
        the origin, all within one deadline."""
        with self._deadline() as deadline:
            for _ in range(MAX_REDIRECTS + 1):
                deadline.arm(request, self._trace)
                try:
                    response = self._client.send(request, stream=True)
                    try:
                        if response.status_code in REDIRECTS and "location" in response.headers:
                            request = self._redirected(request, response, where)
                            continue
                        return response, self._body(response, deadline, where)
                    finally:
                        response.close()
                except httpx.TransportError:
                    if deadline.passed():  # the watchdog shut the socket
                        raise _Overdue from None
                    raise
        raise self._error(f"{where}: more than {MAX_REDIRECTS} redirects; stopped")

    def _redirected(self, request: httpx.Request, response: httpx.Response,
                    where: str) -> httpx.Request:
        """The request a redirect asks for, if it stays on the origin: a redirect can no
        more take the credentials elsewhere than a next link can."""
        url = request.url.join(response.headers["location"])
        self._same_origin(url, where, "the server's redirect")
        log.debug("%s -> HTTP %s, to %s", where, response.status_code, url.path)
        return self._client.build_request("GET", url)

    # -- bounds ------------------------------------------------------------------------------

    @contextmanager
    def _deadline(self) -> Iterator[_Deadline]:
        """A deadline `timeout` seconds away, with a watchdog that shuts this client's
        sockets when it passes: a read blocked on a stalled server returns at once."""
        deadline = _Deadline(time.monotonic() + self.timeout)
        watchdog = threading.Timer(min(self.timeout, threading.TIMEOUT_MAX),
                                   self._shut_sockets)
        watchdog.daemon = True
        watchdog.start()
        try:
            yield deadline
        finally:
            watchdog.cancel()

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: note each new connection's socket for the watchdog (the
        TLS one too: wrapping a socket in TLS moves its descriptor to a new object)."""
        if event in _CONNECTED and info.get("return_value") is not None:
            sock = info["return_value"].get_extra_info("socket")
            if sock is not None:
                self._sockets.add(sock)

    def _shut_sockets(self) -> None:
        """The watchdog: end every connection of this client at the socket, so a blocked
        read returns at once. One request at a time runs on a client: each is the late
        request's, or an idle one the pool then replaces. The shutdown goes through a
        duplicate descriptor, leaving TLS state to the thread that reads."""
        for sock in list(self._sockets):
            try:
                with socket.fromfd(sock.fileno(), sock.family, sock.type) as dup:
                    dup.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass  # closed already, or a raw socket TLS has taken over

    def _body(self, response: httpx.Response, deadline: _Deadline, where: str) -> bytes:
        """The decoded body: whole for a success, the start of a refusal (for its message),
        nothing for an answer that is retried anyway."""
        status = response.status_code
        if status == 429 or status >= 500:
            return b""
        compressed = self._compressed(response, where)
        if status >= 400:
            return _decoded(response, compressed, deadline, ERROR_BODY_BYTES) or b""
        body = _decoded(response, compressed, deadline, int(self.max_response_mb * MB))
        if body is None:
            raise self._error(f"{where}: the answer is larger than {self.max_response_mb:g} "
                              "MB once decoded (source.max_response_mb); stopped reading")
        return body

    def _compressed(self, response: httpx.Response, where: str) -> bool:
        """Whether the answer is gzip or deflate. One layer only: in two layers, or in
        br, one step of the outer could inflate past any bound."""
        name = response.headers.get("content-encoding", "").strip().lower()
        if name not in ENCODINGS:
            raise self._error(f"{where}: the answer is encoded as {name[:40]!r}; only gzip "
                              "or deflate is read")
        return ENCODINGS[name]

    # -- retries and rate limits -------------------------------------------------------------

    def _failed(self, where: str, failures: int, reason: str) -> int:
        """Back off before the next try, or give up when the attempts are spent."""
        failures += 1
        if failures >= self.retry.attempts:
            raise self._error(f"{where}: {reason}; gave up after {failures} attempt"
                              + "s" * (failures != 1))
        log.debug("%s: %s; retrying", where, reason)
        self.retry.sleep(self.retry.backoff(failures - 1))
        return failures

    def _rate_limited(self, where: str, limited: int, headers: httpx.Headers) -> int:
        limited += 1
        if limited > self.retry.rate_limit_retries:
            raise self._error(f"{where}: still rate limited (HTTP 429) after {limited - 1} "
                              "retries; try again in a few minutes")
        self.retry.sleep(self._rate_limit_wait(headers, limited))
        self.rate_limit.remaining = None  # that wait was the one _await_quota would make
        return limited

    def _rate_limit_wait(self, headers: httpx.Headers, limited: int) -> float:
        """Retry-After if given, else until X-Ratelimit-Reset, else a backoff."""
        moment = _retry_after(headers.get("retry-after"), self.retry.clock())
        if moment is None:
            moment = whole_number(headers.get("x-ratelimit-reset"))
        if moment is None:
            return self.retry.backoff(limited)
        return self.retry.wait_until(moment)

    def _await_quota(self) -> None:
        """When the last answer said no requests remain, wait for the reset first."""
        rate = self.rate_limit
        if rate.remaining == 0 and rate.reset is not None:
            rate.remaining = None
            self.retry.sleep(self.retry.wait_until(rate.reset))

    def _note_rate_limit(self, headers: httpx.Headers) -> None:
        for name in ("limit", "remaining", "reset"):
            value = whole_number(headers.get(f"x-ratelimit-{name}"))
            if value is not None:
                setattr(self.rate_limit, name, value)

    # -- answers and errors ------------------------------------------------------------------

    def _parse(self, response: httpx.Response, body: bytes, where: str) -> object:
        mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if mime != "application/json" and not mime.endswith("+json"):
            what = "HTML" if "html" in mime else (mime[:60] or "a body without a content type")
            raise self._error(f"{where}: the server answered {what}, not JSON "
                              f"(HTTP {response.status_code}); check the base URL")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise self._error(f"{where}: the answer is not valid JSON, perhaps cut short "
                              f"({exc})") from None

    def _refused(self, where: str, response: httpx.Response, body: bytes) -> HttpError:
        status = response.status_code
        detail = _server_message(body)
        text = _REFUSED.get(status, f"the server refused the request (HTTP {status})")
        message = f"{where}: {text}" + (f" [server: {detail}]" if detail else "")
        return HttpError(scrub(message, self.secrets), status)

    def _error(self, message: str) -> SourceError:
        return SourceError(scrub(message, self.secrets))

    def _network_reason(self, exc: Exception, request: httpx.Request) -> str:
        if isinstance(exc, _Overdue) or (isinstance(exc, httpx.TimeoutException)
                                         and not isinstance(exc, httpx.ConnectTimeout)):
            return (f"no complete answer within the timeout ({self.timeout:g} s from "
                    "connect to last byte; source.timeout)")
        return _network_reason(exc, request)

    def _describe(self, request: httpx.Request) -> str:
        """The request for the debug log, with credentials masked."""
        query = [(k, MASK if _is_secret_param(k) else v)
                 for k, v in request.url.params.multi_items()]
        url = request.url.copy_with(query=urlencode(query).encode() or None)
        auth = " (Authorization: ***)" if "authorization" in request.headers else ""
        return scrub(f"{request.method} {url}{auth}", self.secrets)


class _Overdue(Exception):
    """The request outlived its deadline."""


class _Deadline:
    """When one attempt must be over, from connect to last byte."""

    def __init__(self, end: float):
        self.end = end

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def check(self) -> None:
        """Between reads: a server that trickles a byte at a time stops here."""
        if self.passed():
            raise _Overdue

    def arm(self, request: httpx.Request, trace: Callable[[str, dict[str, Any]], None]) -> None:
        """Each phase's httpx timeout (connect, write, pool, and each read) no longer than
        what remains; the trace hook tells the watchdog the connection's socket."""
        self.check()
        request.extensions["timeout"] = dict.fromkeys(("connect", "read", "write", "pool"),
                                                      self.remaining())
        request.extensions["trace"] = trace


def _decoded(response: httpx.Response, compressed: bool, deadline: _Deadline,
             limit: int) -> bytes | None:
    """The body, counted as it streams in and inflates: None as soon as it passes `limit`
    decoded bytes (nothing more is read). The deadline is checked after every read."""
    chunks, size = [], 0
    for piece in _inflate(_timed(response.iter_raw(), deadline), compressed):
        size += len(piece)
        if size > limit:
            return None
        chunks.append(piece)
    return b"".join(chunks)


def _timed(raws: Iterator[bytes], deadline: _Deadline) -> Iterator[bytes]:
    for raw in raws:
        deadline.check()
        yield raw


def _inflate(raws: Iterator[bytes], compressed: bool) -> Iterator[bytes]:
    """The decoded pieces of the raw reads, each at most INFLATE_STEP bytes: one 64 KB
    read of a gzip bomb (64 MB of zeros) never becomes one huge string. zlib finds the
    gzip or zlib header itself (deflate is zlib-wrapped, RFC 9110)."""
    if not compressed:
        yield from raws
        return
    z = zlib.decompressobj(zlib.MAX_WBITS | 32)
    try:
        for raw in raws:
            if z.eof and raw:  # z would keep it all in unused_data
                raise zlib.error("data after the end of the compressed stream")
            while raw:
                yield z.decompress(raw, INFLATE_STEP)
                raw = z.unconsumed_tail
        yield z.flush()
    except zlib.error as exc:
        raise httpx.DecodingError(f"the compressed answer is broken: {exc}") from None


def require_secure(url: str | None, key: str) -> None:
    """Refuse a URL that would send credentials where others can read them: anything but
    https, except plain http to this machine (127.0.0.0/8, localhost, ::1)."""
    if url and insecure(url):
        raise SourceError(f"source.{key} must start with https:// (plain http only "
                          "reaches a server on this machine)")


def insecure(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return True
    return parsed.scheme != "https" and not (parsed.scheme == "http"
                                             and _loopback(parsed.host))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme)


def _show_origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")


class PageBudget:
    """How many pages one listing may take: `source.max_pages` when set; else, once the
    server announces a total on its first page, twice the pages that total needs at the
    first page's size, plus one; else DEFAULT_MAX_PAGES. A server that pages forever is
    stopped with a clear error, not followed until the memory or the night runs out."""

    def __init__(self, where: str, max_pages: int | None = None):
        self.where = where
        self.configured = max_pages is not None
        self.limit = max_pages if max_pages is not None else DEFAULT_MAX_PAGES
        self.pages = 0

    def take(self) -> None:
        """Count the next page's request; past the limit it is not made."""
        if self.pages >= self.limit:
            raise SourceError(f"{self.where}: the server still had more pages after "
                              f"{self.limit:,}; stopped (source.max_pages)")
        self.pages += 1

    def announce(self, total: int | None, per_page: int) -> None:
        """The total and the records of the first page, unless max_pages is set."""
        if self.configured or total is None or self.pages != 1:
            return
        needed = -(-total // max(per_page, 1))
        self.limit = min(self.limit, 2 * needed + 1)


def whole_number(value: str | None) -> int | None:
    """A header's whole number, or None: ASCII digits only (int() would take "²" after
    isdigit() let it pass) and at most 18 of them."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def json_kind(value: object) -> str:
    """What a JSON value is, for an error naming a field of the wrong type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    for type_, name in ((str, "text"), (dict, "an object"), (list, "a list")):
        if isinstance(value, type_):
            return name
    return "a number"


def label(source_id: str) -> str:
    """A record's id for an error line: a hostile one may be very long."""
    return source_id if len(source_id) <= 64 else source_id[:61] + "..."


def _is_secret_param(name: str) -> bool:
    name = name.lower()
    return name in _SECRET_PARAMS or name.startswith("oauth_")


def _network_reason(exc: Exception, request: httpx.Request) -> str:
    port = request.url.port
    host = request.url.host + (f":{port}" if port else "")
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect to {host} (timed out)"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host} ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection before the answer was complete"
    return f"network error ({type(exc).__name__}: {exc})"


def _retry_after(value: str | None, now: float) -> float | None:
    """Retry-After (seconds or an HTTP date) as a unix time."""
    if not value or not value.strip():
        return None
    seconds = whole_number(value)
    if seconds is not None:
        return now + seconds
    try:
        return parsedate_to_datetime(value.strip()).timestamp()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def _server_message(body: bytes) -> str:
    """The `message` or `error` of a JSON error body, on one short line."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    text = parsed.get("message") or parsed.get("error") or ""
    return " ".join(str(text).split())[:200]
