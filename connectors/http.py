"""A small HTTP layer for JSON APIs (Clever, OneRoster REST): retries, rate limits, clear errors.

Every failure is a SourceError of one line that names the method and the URL path and
never a secret. 429s wait for the server's reset; 5xx and network failures back off
with full jitter; other 4xx are never retried.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Callable, Sequence
from urllib.parse import urlencode

import httpx
import orjson

from rostertui.redact import MASK, scrub

from .feed import SourceError

log = logging.getLogger(__name__)

_REFUSED = {
    401: "the token was rejected (HTTP 401); check the credentials in the config",
    403: "access denied (HTTP 403): the credentials do not give access to this data",
    404: "not found (HTTP 404)",
}
_SECRET_PARAMS = frozenset({"access_token", "client_secret"})  # and every oauth_* parameter


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
                 headers: dict | None = None, timeout: float = 30.0,
                 retry: RetryPolicy | None = None, secrets: Sequence[str] = ()):
        self.retry = retry or RetryPolicy()
        self.secrets = [s for s in secrets if s]
        self.rate_limit = RateLimit()
        self._client = httpx.Client(base_url=base_url, auth=auth, headers=headers,
                                    timeout=timeout, follow_redirects=True)

    def __enter__(self) -> JsonClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get_json(self, path_or_url: str,
                 params: dict | None = None) -> tuple[object, httpx.Headers]:
        """GET a path (joined to the base URL) or a full URL; the parsed body and headers.

        `params` are added to any query the path already has."""
        try:
            url = httpx.URL(path_or_url)
            request = self._client.build_request("GET", url.copy_merge_params(params or {}))
        except httpx.InvalidURL as exc:
            raise self._error(f"GET {path_or_url}: not a valid URL ({exc})") from None
        where = f"GET {request.url.path}"
        response = self._send(request, where)
        return self._parse(response, where), response.headers

    def _send(self, request: httpx.Request, where: str) -> httpx.Response:
        failures = limited = 0
        while True:
            self._await_quota()
            log.debug("%s", self._describe(request))
            try:
                response = self._client.send(request)
            except httpx.UnsupportedProtocol:
                raise self._error(f"{where}: {request.url.scheme or 'no'} scheme; the base "
                                  "URL must start with https://") from None
            except httpx.TransportError as exc:
                failures = self._failed(where, failures, _network_reason(exc, request))
                continue
            except httpx.RequestError as exc:  # an undecodable body, too many redirects
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
                raise self._refused(where, response)
            else:
                return response

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
        reset = headers.get("x-ratelimit-reset", "").strip()
        if moment is None and reset.isdigit():
            moment = int(reset)
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
            value = headers.get(f"x-ratelimit-{name}")
            if value is not None and value.strip().isdigit():
                setattr(self.rate_limit, name, int(value))

    def _parse(self, response: httpx.Response, where: str) -> object:
        mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if mime != "application/json" and not mime.endswith("+json"):
            what = "HTML" if "html" in mime else (mime or "a body without a content type")
            raise self._error(f"{where}: the server answered {what}, not JSON "
                              f"(HTTP {response.status_code}); check the base URL")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise self._error(f"{where}: the answer is not valid JSON, perhaps cut short "
                              f"({exc})") from None

    def _refused(self, where: str, response: httpx.Response) -> HttpError:
        status = response.status_code
        detail = _server_message(response)
        text = _REFUSED.get(status, f"the server refused the request (HTTP {status})")
        message = f"{where}: {text}" + (f" [server: {detail}]" if detail else "")
        return HttpError(scrub(message, self.secrets), status)

    def _error(self, message: str) -> SourceError:
        return SourceError(scrub(message, self.secrets))

    def _describe(self, request: httpx.Request) -> str:
        """The request for the debug log, with credentials masked."""
        query = [(k, MASK if _is_secret_param(k) else v)
                 for k, v in request.url.params.multi_items()]
        url = request.url.copy_with(query=urlencode(query).encode() or None)
        auth = " (Authorization: ***)" if "authorization" in request.headers else ""
        return scrub(f"{request.method} {url}{auth}", self.secrets)


def _is_secret_param(name: str) -> bool:
    name = name.lower()
    return name in _SECRET_PARAMS or name.startswith("oauth_")


def _network_reason(exc: httpx.TransportError, request: httpx.Request) -> str:
    port = request.url.port
    host = request.url.host + (f":{port}" if port else "")
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect to {host} (timed out)"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host} ({exc})"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer within the timeout"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection before the answer was complete"
    return f"network error ({type(exc).__name__}: {exc})"


def _retry_after(value: str | None, now: float) -> float | None:
    """Retry-After (seconds or an HTTP date) as a unix time."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + int(value)
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _server_message(response: httpx.Response) -> str:
    """The `message` or `error` of a JSON error body, on one short line."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(body, dict):
        return ""
    text = body.get("message") or body.get("error") or ""
    return " ".join(str(text).split())[:200]
