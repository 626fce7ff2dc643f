"""The bounds of the shared HTTP layer (connectors/http.py), against real loopback servers.

A hostile server, network or config gets nowhere: a gzip bomb stops at
source.max_response_mb with memory to match, an endless or trickled answer ends at
source.timeout, paging stops at source.max_pages, a next link or redirect never takes the
token to another origin, plain http reaches only this machine, a secret with a newline is
a config error, and odd headers are ignored. Each test would have hung, exhausted memory,
leaked the token or ended in a traceback before these bounds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors import make_connector
from connectors.clever import CleverConnector
from connectors.feed import SourceError
from connectors.http import DEFAULT_MAX_PAGES, JsonClient, PageBudget, RetryPolicy
from connectors.loopback.clever_server import TOKEN, CleverServer
from connectors.loopback.oneroster_server import API as OR_API
from connectors.loopback.oneroster_server import CLIENT_ID, CLIENT_SECRET
from connectors.loopback.server import tls_files
from connectors.oneroster_rest import OneRosterRestConnector
from rostertui import cli
from rostertui.config import from_dict

from ..support.paths import FIXTURES, ROOT

SCHOOLS, USERS, SECTIONS = "/v3.0/schools", "/v3.0/users", "/v3.0/sections"
OR_USERS = f"{OR_API}/users"
ONCE = RetryPolicy(attempts=1, sleep=lambda seconds: None)


def client(server, **options) -> JsonClient:
    return JsonClient(server.url, headers={"Authorization": f"Bearer {TOKEN}"},
                      retry=ONCE, secrets=[TOKEN], **options)


def fails(call) -> str:
    with pytest.raises(SourceError) as err:
        call()
    message = str(err.value)
    assert TOKEN not in message and CLIENT_SECRET not in message
    return message


@pytest.fixture
def other():
    """A second server: another origin, which must never see a request."""
    with CleverServer(FIXTURES / "clever-v3-demo") as server:
        yield server


# -- source.max_response_mb -----------------------------------------------------------------

# Run in a child process, so that its peak memory is the fetch's alone. Its peak RSS is
# VmHWM: ru_maxrss would count the parent's RSS from before exec.
PROBE = """
import json, re, sys, tracemalloc
from connectors.feed import SourceError
from connectors.http import JsonClient, RetryPolicy
url, path, mb, token = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
tracemalloc.start()
try:
    with JsonClient(url, headers={"Authorization": "Bearer " + token}, max_response_mb=mb,
                    retry=RetryPolicy(attempts=1)) as client:
        client.get_json(path)
    error = None
except SourceError as exc:
    error = str(exc)
status = open("/proc/self/status").read()
print(json.dumps({"error": error, "peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
                  "peak_rss_mb": int(re.search(r"VmHWM:\\s+(\\d+) kB", status)[1]) / 1024}))
"""


def test_a_gzip_bomb_stops_at_max_response_mb_with_little_memory(clever_server):
    """1 MB on the wire, 1 GB of zeros inflated: before, httpx inflated it whole."""
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the peak RSS from /proc (Linux)")
    clever_server.fault(SCHOOLS, "bomb", mb=1024)
    run = subprocess.run([sys.executable, "-c", PROBE, clever_server.url, SCHOOLS, "5", TOKEN],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    result = json.loads(run.stdout)
    assert result["error"] == (f"GET {SCHOOLS}: the answer is larger than 5 MB once decoded "
                               "(source.max_response_mb); stopped reading")
    assert result["peak_mb"] < 16     # the 5 MB read, one 1 MB inflate step, a little more
    assert result["peak_rss_mb"] < 300  # the whole process, interpreter and all


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_answer_is_inflated(clever_server, encoding):
    clever_server.fault(SCHOOLS, "gzip", encoding=encoding)
    with client(clever_server) as c:
        payload, _ = c.get_json(SCHOOLS)
    assert len(payload["data"]) == 3


def test_a_plain_answer_over_the_limit_is_an_error(clever_server):
    with client(clever_server, max_response_mb=0.001) as c:  # the answer is 1.8 KB
        message = fails(lambda: c.get_json(SCHOOLS))
    assert message == (f"GET {SCHOOLS}: the answer is larger than 0.001 MB once decoded "
                       "(source.max_response_mb); stopped reading")


@pytest.mark.parametrize("fault, opts, encoding", [
    ("bomb", {"layers": 2}, "gzip, gzip"),   # 2 KB -> 1 MB -> 1 GB in one inflate step
    ("gzip", {"layers": 2}, "gzip, gzip"),
    ("encoded", {"encoding": "br"}, "br"),
])
def test_a_second_layer_of_compression_or_another_coding_is_refused(clever_server, fault, opts,
                                                                     encoding):
    clever_server.fault(SCHOOLS, fault, **opts)
    with client(clever_server) as c:
        message = fails(lambda: c.get_json(SCHOOLS))
    assert message == (f"GET {SCHOOLS}: the answer is encoded as {encoding!r}; only gzip or "
                       "deflate is read")


def test_max_response_mb_reaches_the_sync_from_the_config(tmp_path, clever_server, capsys):
    """Through the CLI: one clear line, a failed sync, nothing staged."""
    clever_server.fault(SECTIONS, "bomb", mb=64)
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"source": {"kind": "clever", "base_url": clever_server.url,
                                             "token": TOKEN, "max_response_mb": 2},
                                  "store": {"path": "store.json"}}))
    config.chmod(0o600)
    code = cli.main(["--config", str(config), "sync", "--json"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (f"rostertui: error: GET {SECTIONS}: the answer is larger than 2 MB once "
                   "decoded (source.max_response_mb); stopped reading\n")


# -- source.timeout: the whole request -------------------------------------------------------

@pytest.mark.parametrize("fault, opts", [
    ("endless", {}),                                  # a body that never ends
    ("trickle", {"seconds": 0.02}),                   # 1.8 KB a byte at a time: 36 s
    ("trickle", {"seconds": 0.05, "head": True}),     # the head too: only the watchdog stops it
], ids=["endless-body", "body-a-byte-at-a-time", "head-and-body-a-byte-at-a-time"])
def test_a_request_ends_at_the_timeout_however_the_answer_trickles(clever_server, fault, opts):
    """Before, the timeout applied to each read: every one of these went on (for ever)."""
    clever_server.fault(SCHOOLS, fault, **opts)
    started = time.monotonic()
    with client(clever_server, timeout=0.5) as c:
        message = fails(lambda: c.get_json(SCHOOLS))
    assert time.monotonic() - started < 5  # 0.5 s, with room for a loaded machine
    assert message == (f"GET {SCHOOLS}: no complete answer within the timeout (0.5 s from "
                       "connect to last byte; source.timeout); gave up after 1 attempt")


@pytest.fixture
def tls_server(monkeypatch):
    """The Clever server over https, its certificate trusted by httpx."""
    monkeypatch.setenv("SSL_CERT_FILE", tls_files()[0])
    with CleverServer(FIXTURES / "clever-v3-demo", tls=True) as server:
        yield server


def test_over_tls_too_a_request_ends_at_the_timeout(tls_server):
    """TLS wraps the socket in a new object: the watchdog must find that one."""
    assert tls_server.url.startswith("https://127.0.0.1:")
    with client(tls_server, timeout=0.5) as c:
        assert len(c.get_json(SCHOOLS)[0]["data"]) == 3
        tls_server.fault(SCHOOLS, "trickle", seconds=0.05, head=True)
        started = time.monotonic()
        message = fails(lambda: c.get_json(SCHOOLS))
    assert time.monotonic() - started < 5
    assert message.startswith(f"GET {SCHOOLS}: no complete answer within the timeout")


# -- source.max_pages ------------------------------------------------------------------------

def test_a_clever_listing_that_never_ends_stops_at_max_pages(clever_server):
    clever_server.fault(SECTIONS, "pages", times=1000)
    con = CleverConnector(clever_server.url, TOKEN, retry=ONCE, max_pages=5)
    message = fails(lambda: con.fetch("full", None))
    assert message == (f"GET {SECTIONS}: the server still had more pages after 5; stopped "
                       "(source.max_pages)")
    assert clever_server.hits(SECTIONS) == 5


def test_a_oneroster_listing_stops_at_twice_the_pages_its_total_needs(oneroster_server):
    """10 users announced, 5 on the first page: 2 pages needed, 5 allowed. The server then
    sends one record a page, which would take 6."""
    oneroster_server.links = False
    oneroster_server.fault(OR_USERS, "short", nth=2, times=100)
    con = OneRosterRestConnector(oneroster_server.base_url, "oauth1", CLIENT_ID, CLIENT_SECRET,
                                 page_size=5, retry=ONCE)
    message = fails(lambda: con.fetch("full", None))
    assert message == (f"GET {OR_USERS}: the server still had more pages after 5; stopped "
                       "(source.max_pages)")
    assert len(oneroster_server.queries("users")) == 5


@pytest.mark.parametrize("max_pages, total, per_page, limit", [
    (None, None, 100, DEFAULT_MAX_PAGES),   # no total: the default
    (None, 1000, 100, 21),                  # twice the 10 pages needed, plus one
    (None, 0, 0, 1),                        # an empty collection
    (None, 10**12, 1, DEFAULT_MAX_PAGES),   # never above the default
    (7, 1000, 100, 7),                      # source.max_pages wins
])
def test_the_page_budget(max_pages, total, per_page, limit):
    budget = PageBudget("GET /x", max_pages)
    budget.take()
    budget.announce(total, per_page)
    assert budget.limit == limit


def test_max_pages_reaches_the_connectors_from_the_config():
    clever = from_dict({"source": {"kind": "clever", "token": "t", "max_pages": 9,
                                   "max_response_mb": 3, "timeout": 4}}).source
    con = make_connector(clever)
    assert (con.max_pages, con.max_response_mb, con.timeout) == (9, 3.0, 4.0)
    rest = from_dict({"source": {"kind": "oneroster_rest", "client_id": "i",
                                 "client_secret": "s", "max_pages": 8,
                                 "base_url": "https://sis.example/ims/oneroster/v1p1"}}).source
    con = make_connector(rest)
    assert (con.max_pages, con.max_response_mb, con.timeout) == (8, 256.0, 30.0)


# -- the origin: next links and redirects ------------------------------------------------------

def test_a_clever_next_link_to_another_origin_is_not_followed(clever_server, other):
    clever_server.fault(USERS, "foreign_next", to=other.url)
    con = CleverConnector(clever_server.url, TOKEN, retry=ONCE)
    message = fails(lambda: con.fetch("full", None))
    assert message == (f"GET {USERS}: the server's next link leads away from the base URL "
                       f"({other.url}); stopped")
    assert other.requests == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_is_not_followed(clever_server, other, status):
    clever_server.fault(SCHOOLS, "redirect", to=other.url + SCHOOLS, status=status)
    with client(clever_server) as c:
        message = fails(lambda: c.get_json(SCHOOLS))
    assert message == (f"GET {SCHOOLS}: the server's redirect leads away from the base URL "
                       f"({other.url}); stopped")
    assert other.requests == []


def test_a_redirect_on_the_origin_is_followed(clever_server):
    clever_server.fault(SCHOOLS, "redirect", to=f"{SCHOOLS}?limit=2", status=307)
    with client(clever_server) as c:
        payload, _ = c.get_json(SCHOOLS)
    assert len(payload["data"]) == 2
    assert clever_server.requests == [(SCHOOLS, {}), (SCHOOLS, {"limit": "2"})]


def test_a_oneroster_redirect_on_the_origin_is_signed_for_its_new_address(oneroster_server):
    """OAuth 1 signs the URL: the redirected request is signed again, or it is refused."""
    query = "limit=3&sort=sourcedId&orderBy=asc&offset=0&x=1"
    oneroster_server.fault(OR_USERS, "redirect", to=f"{oneroster_server.url}{OR_USERS}?{query}")
    con = OneRosterRestConnector(oneroster_server.base_url, "oauth1", CLIENT_ID, CLIENT_SECRET,
                                 page_size=3, retry=ONCE)
    feed = con.fetch("full", None)
    assert len(feed.types["student"].records) > 0 and oneroster_server.refusals == []
    assert oneroster_server.queries("users")[1]["x"] == "1"


def test_endless_redirects_stop(clever_server):
    clever_server.fault(SCHOOLS, "redirect", to=SCHOOLS, times=100)
    with client(clever_server) as c:
        message = fails(lambda: c.get_json(SCHOOLS))
    assert message == f"GET {SCHOOLS}: more than 5 redirects; stopped"
    assert clever_server.hits(SCHOOLS) == 6


# -- plain http --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://api.clever.com", "http://10.0.0.5:8080",
                                 "http://0.0.0.0:8080", "http://127.0.0.1.example.com",
                                 "api.clever.com", "ftp://api.clever.com"])
def test_plain_http_off_this_machine_is_refused_for_every_source(url):
    expected = ("source.base_url must start with https:// (plain http only reaches a server "
                "on this machine)")
    assert fails(lambda: CleverConnector(url, TOKEN)) == expected
    assert fails(lambda: OneRosterRestConnector(f"{url}/ims/oneroster/v1p1", "oauth1",
                                                CLIENT_ID, CLIENT_SECRET)) == expected


@pytest.mark.parametrize("url", ["https://api.clever.com", "http://127.0.0.1:8080",
                                 "http://127.8.9.10", "http://localhost:8080",
                                 "http://[::1]:8080"])
def test_https_or_plain_http_on_this_machine_is_accepted(url):
    assert CleverConnector(url, TOKEN).base_url == url
    OneRosterRestConnector(f"{url}/ims/oneroster/v1p1", "oauth1", CLIENT_ID, CLIENT_SECRET)


def test_a_clever_config_with_plain_http_fails_the_sync_in_one_line(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("source:\n  kind: clever\n  base_url: http://api.clever.example\n"
                      f"  token: {TOKEN}\nstore:\n  path: store.json\n")
    config.chmod(0o600)
    code = cli.main(["--config", str(config), "sync"])
    err = capsys.readouterr().err
    assert code == 1 and TOKEN not in err
    assert err == ("rostertui: error: source.base_url must start with https:// (plain http "
                   "only reaches a server on this machine)\n")


# -- secrets -----------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value, problem", [
    ("token", "|\n    tok-abc-123\n", "whitespace or control characters"),  # a YAML | block
    ("token", '"tok-abc\\t123"', "whitespace or control characters"),
    ("token", '"tok-abc-\\x1b123"', "whitespace or control characters"),
    ("token", "tok-abc-é123", "non-ASCII characters"),
    ("client_secret", "|\n    sec-abc-123\n", "whitespace or control characters"),
])
def test_a_secret_with_whitespace_or_control_characters_is_a_config_error(tmp_path, capsys,
                                                                          key, value, problem):
    source = (f"  kind: clever\n  token: {value}\n" if key == "token" else
              "  kind: oneroster_rest\n  base_url: https://sis.example/ims/oneroster/v1p1\n"
              f"  client_id: abc\n  client_secret: {value}\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"source:\n{source}store:\n  path: store.json\n", encoding="utf-8")
    config.chmod(0o600)
    code = cli.main(["--config", str(config), "sync"])
    err = capsys.readouterr().err
    assert code == 1 and "tok-abc" not in err and "sec-abc" not in err
    assert err == f"rostertui: error: {config}: 'source.{key}' contains {problem}" + (
        " (a YAML | block adds a newline: use |- or quotes)\n" if "white" in problem else "\n")


def test_a_header_http_refuses_never_quotes_the_token(clever_server):
    """Past the config (a connector built by hand): the one line names no secret."""
    token = "tok-abc-123\n"
    with JsonClient(clever_server.url, headers={"Authorization": f"Bearer {token}"},
                    retry=ONCE, secrets=[token]) as c:
        message = fails(lambda: c.get_json(SCHOOLS))
    assert message == (f"GET {SCHOOLS}: the request could not be sent: a header holds a "
                       "character HTTP does not allow; check the token")
    assert "tok-abc-123" not in message


# -- odd headers -------------------------------------------------------------------------------

def test_odd_numbers_in_rate_limit_headers_are_ignored(clever_server):
    """"²" passes str.isdigit() and then fails int(): before, a traceback."""
    clever_server.fault(SCHOOLS, 429, retry_after="²", reset="9" * 40)
    clever_server.fault(SCHOOLS, "headers", nth=2, headers={"X-Ratelimit-Remaining": "²"})
    waits = []
    retry = RetryPolicy(attempts=1, base=0.01, sleep=waits.append)
    with JsonClient(clever_server.url, headers={"Authorization": f"Bearer {TOKEN}"},
                    retry=retry) as c:
        payload, _ = c.get_json(SCHOOLS)
        assert c.rate_limit.remaining is None  # "²" is no number
    assert len(payload["data"]) == 3 and len(waits) == 1 and 0 <= waits[0] <= 0.02


def test_an_odd_total_count_is_ignored(oneroster_server):
    oneroster_server.fault(OR_USERS, "headers", headers={"X-Total-Count": "²"})
    con = OneRosterRestConnector(oneroster_server.base_url, "oauth1", CLIENT_ID, CLIENT_SECRET,
                                 page_size=3, retry=ONCE)
    assert len(con.fetch("full", None).types["student"].records) > 0
