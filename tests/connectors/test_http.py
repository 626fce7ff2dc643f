"""The JSON HTTP layer against the real loopback server: retries, rate limits, errors."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from connectors.feed import SourceError
from connectors.http import HttpError, JsonClient, RetryPolicy
from connectors.loopback.clever_server import TOKEN

SCHOOLS = "/v3.0/schools"


class Sleeps(list):
    """A RetryPolicy.sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


def client(server, sleeps, token=TOKEN, **policy) -> JsonClient:
    retry = RetryPolicy(**{"attempts": 3, "base": 0.01, "max_wait": 2.0, "sleep": sleeps,
                           **policy})
    return JsonClient(server.url, headers={"Authorization": f"Bearer {token}"}, timeout=5,
                      retry=retry, secrets=[token])


def test_get_json_returns_payload_headers_and_rate_limit(clever_server, sleeps):
    with client(clever_server, sleeps) as c:
        payload, headers = c.get_json(SCHOOLS, {"limit": 2})
    assert [d["data"]["name"] for d in payload["data"]] == ["#DEMO High School",
                                                          "#DEMO Elementary School"]
    assert headers["x-ratelimit-limit"] == "1200"
    assert c.rate_limit.limit == 1200 and c.rate_limit.remaining == 1199
    assert c.rate_limit.reset > time.time()
    assert clever_server.requests == [(SCHOOLS, {"limit": "2"})]


def test_params_merge_with_the_query_of_the_path(clever_server, sleeps):
    with client(clever_server, sleeps) as c:
        c.get_json("/v3.0/users?role=teacher", {"limit": 1})
    assert clever_server.requests == [("/v3.0/users", {"role": "teacher", "limit": "1"})]


def test_429_waits_for_retry_after_bounded_by_max_wait(clever_server, sleeps):
    clever_server.fault(SCHOOLS, 429, retry_after=30)
    with client(clever_server, sleeps) as c:
        payload, _ = c.get_json(SCHOOLS)
    assert len(payload["data"]) == 3 and clever_server.hits(SCHOOLS) == 2
    assert sleeps == [2.0]


def test_429_waits_until_the_ratelimit_reset(clever_server, sleeps):
    reset = int(time.time()) + 3  # whole seconds, as Clever sends: at least 2 s away
    clever_server.fault(SCHOOLS, 429, reset=reset)
    with client(clever_server, sleeps) as c:
        c.get_json(SCHOOLS)
    assert len(sleeps) == 1 and 1 < sleeps[0] <= 3


def test_429_accepts_an_http_date_in_retry_after(clever_server, sleeps):
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 1))
    clever_server.fault(SCHOOLS, 429, retry_after=date)
    with client(clever_server, sleeps) as c:
        c.get_json(SCHOOLS)
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 1


def test_429_storm_beyond_the_budget_is_a_clear_error(clever_server, sleeps):
    clever_server.fault(SCHOOLS, 429, times=10)
    with client(clever_server, sleeps, rate_limit_retries=3) as c, \
            pytest.raises(SourceError) as err:
        c.get_json(SCHOOLS)
    assert str(err.value) == (f"GET {SCHOOLS}: still rate limited (HTTP 429) after 3 "
                              "retries; try again in a few minutes")
    assert clever_server.hits(SCHOOLS) == 4


def test_no_requests_remaining_waits_for_the_reset_first(clever_server, sleeps):
    clever_server.fault(SCHOOLS, "exhausted", reset=int(time.time()) + 2)
    with client(clever_server, sleeps) as c:
        c.get_json(SCHOOLS)
        assert c.rate_limit.remaining == 0 and sleeps == []
        c.get_json(SCHOOLS)
        c.get_json(SCHOOLS)
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 2  # once, before the second request


@pytest.mark.parametrize("fault", [502, 500, 503, "drop"])
def test_server_and_network_failures_are_retried_with_jittered_backoff(clever_server, sleeps,
                                                                       fault):
    clever_server.fault(SCHOOLS, fault, times=2)
    with client(clever_server, sleeps) as c:
        payload, _ = c.get_json(SCHOOLS)
    assert len(payload["data"]) == 3 and clever_server.hits(SCHOOLS) == 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.01 and 0 <= sleeps[1] <= 0.02


def test_a_read_timeout_is_retried(clever_server, sleeps):
    clever_server.fault(SCHOOLS, "slow", seconds=0.5)
    retry = RetryPolicy(attempts=2, base=0.01, sleep=sleeps)
    with JsonClient(clever_server.url, headers={"Authorization": f"Bearer {TOKEN}"},
                    timeout=0.2, retry=retry) as c:
        payload, _ = c.get_json(SCHOOLS)
    assert len(payload["data"]) == 3 and clever_server.hits(SCHOOLS) == 2


def test_server_failures_give_up_after_the_attempts(clever_server, sleeps):
    clever_server.fault(SCHOOLS, 502, times=10)
    with client(clever_server, sleeps) as c, pytest.raises(SourceError) as err:
        c.get_json(SCHOOLS)
    assert str(err.value) == (f"GET {SCHOOLS}: the server failed (HTTP 502); gave up after "
                              "3 attempts")
    assert clever_server.hits(SCHOOLS) == 3


def test_a_dropped_connection_each_time_is_a_clear_error(clever_server, sleeps):
    clever_server.fault(SCHOOLS, "drop", times=10)
    with client(clever_server, sleeps) as c, pytest.raises(SourceError) as err:
        c.get_json(SCHOOLS)
    assert str(err.value) == (f"GET {SCHOOLS}: the server closed the connection before the "
                              "answer was complete; gave up after 3 attempts")


@pytest.mark.parametrize("status, text", [
    (401, "the token was rejected (HTTP 401); check the credentials in the config"),
    (403, "access denied (HTTP 403)"),
    (404, "not found (HTTP 404)"),
    (400, "the server refused the request (HTTP 400)"),
])
def test_client_errors_are_not_retried(clever_server, sleeps, status, text):
    clever_server.fault(SCHOOLS, status, times=5)
    with client(clever_server, sleeps) as c, pytest.raises(HttpError) as err:
        c.get_json(SCHOOLS)
    assert str(err.value).startswith(f"GET {SCHOOLS}: {text}")
    assert err.value.status == status
    assert clever_server.hits(SCHOOLS) == 1 and sleeps == []


def test_a_wrong_token_is_named_rejected_and_never_shown(clever_server, sleeps):
    wrong = "wrong-token-0123456789"
    with client(clever_server, sleeps, token=wrong) as c, pytest.raises(HttpError) as err:
        c.get_json(SCHOOLS)
    message = str(err.value)
    assert message.startswith(f"GET {SCHOOLS}: the token was rejected (HTTP 401)")
    assert "[server: invalid credentials: Bearer ***]" in message  # the server echoed it
    assert wrong not in message


def test_an_html_answer_is_named(clever_server, sleeps):
    clever_server.fault(SCHOOLS, "html")
    with client(clever_server, sleeps) as c, pytest.raises(SourceError) as err:
        c.get_json(SCHOOLS)
    assert str(err.value) == (f"GET {SCHOOLS}: the server answered HTML, not JSON (HTTP 200); "
                              "check the base URL")


def test_truncated_json_is_a_clear_error(clever_server, sleeps):
    clever_server.fault(SCHOOLS, "truncated")
    with client(clever_server, sleeps) as c, pytest.raises(SourceError) as err:
        c.get_json(SCHOOLS)
    assert str(err.value).startswith(f"GET {SCHOOLS}: the answer is not valid JSON, perhaps "
                                     "cut short")
    assert clever_server.hits(SCHOOLS) == 1


def test_connection_refused_is_a_clear_error(sleeps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    retry = RetryPolicy(attempts=2, base=0.01, sleep=sleeps)
    with JsonClient(f"http://127.0.0.1:{port}", retry=retry) as c, \
            pytest.raises(SourceError) as err:
        c.get_json(SCHOOLS)
    assert str(err.value).startswith(f"GET {SCHOOLS}: cannot connect to 127.0.0.1:{port} (")
    assert str(err.value).endswith("; gave up after 2 attempts")


def test_a_base_url_without_scheme_is_a_clear_error(sleeps):
    with JsonClient("api.clever.com", retry=RetryPolicy(sleep=sleeps)) as c, \
            pytest.raises(SourceError, match="the base URL must start with https://"):
        c.get_json(SCHOOLS)


def test_debug_log_masks_credentials(clever_server, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="connectors.http")
    with client(clever_server, sleeps) as c:
        c.get_json(SCHOOLS, {"limit": 3, "access_token": "at-123", "client_secret": "cs-456",
                             "oauth_signature": "sig-789"})
    text = caplog.text
    assert f"GET {clever_server.url}{SCHOOLS}?limit=3&access_token=%2A%2A%2A" in text
    assert "(Authorization: ***)" in text and "-> HTTP 200" in text
    for secret in (TOKEN, "at-123", "cs-456", "sig-789"):
        assert secret not in text
