"""Network faults through the CLI against the loopback Clever and OneRoster REST servers,
on a store that holds a committed full sync: each fault ends with exit code 1, one clear
line on stderr, nothing staged (the sync is recorded as failed) and the roster tables
unchanged. A user list that suddenly empties is blocked by the delete threshold (exit 3).

The CLI builds its connectors with the RetryPolicy of `source.retries` (default 3: four
attempts). The faults run `rostertui.cli.main` in this process with the backoff sleeps
made instant (the number of attempts, and so of requests, stays the real one), and one
fault also runs as a real process with the real backoff.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
import yaml

from connectors.http import RetryPolicy
from connectors.loopback.clever_server import TOKEN, CleverServer
from connectors.loopback.oneroster_server import API as OR_API
from connectors.loopback.oneroster_server import CLIENT_ID, CLIENT_SECRET, OneRosterServer

from ..support.hostile.workdir import STORE, Workdir
from ..support.paths import FIXTURES

CLEVER_FIXTURES = FIXTURES / "clever-v3-demo"
EDFI = FIXTURES / "oneroster-csv" / "edfi-v1p1"
DISTRICTS, USERS, SECTIONS = "/v3.0/districts", "/v3.0/users", "/v3.0/sections"
OR_USERS = f"{OR_API}/users"


def clever_config(server, **source) -> str:
    return yaml.safe_dump({"source": {"kind": "clever", "base_url": server.url,
                                      "token": server.token, **source},
                           "store": {"path": STORE}})


def oneroster_config(server, **source) -> str:
    return yaml.safe_dump({"source": {"kind": "oneroster_rest", "base_url": server.base_url,
                                      "auth": "oauth1", "client_id": CLIENT_ID,
                                      "client_secret": CLIENT_SECRET, "page_size": 4,
                                      "demographics": True, **source},
                           "store": {"path": STORE}})


@dataclass(frozen=True)
class Kind:
    server: Callable
    config: Callable[..., str]


KINDS = {"clever": Kind(lambda: CleverServer(CLEVER_FIXTURES), clever_config),
         "oneroster_rest": Kind(lambda: OneRosterServer(EDFI), oneroster_config)}


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> dict[str, Workdir]:
    """Per source kind, a store holding a full sync committed by a real CLI process."""
    out = {}
    for name, kind in KINDS.items():
        work = Workdir(tmp_path_factory.mktemp(name))
        with kind.server() as server:
            work.write_config(kind.config(server))
            run = work.cli("sync", "--commit", "--json")
        assert run.code == 0 and run.json["status"] == "committed", run.err
        out[name] = work
    return out


@pytest.fixture(autouse=True)
def instant_backoff(monkeypatch):
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, retry: 0.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the faults --------------------------------------------------------------------------

@dataclass(frozen=True)
class Fault:
    id: str
    kind: str                  # the source kind
    path: str | None           # the path the fault is armed on (None: no server at all)
    fault: str | int = ""
    opts: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)   # config changes
    expected: tuple[str, ...] = ()               # in the error line
    hits: int | None = None    # requests to `path`: the real retry budget was spent


def clever(id_, path, fault, expected, hits=None, source=None, **opts) -> Fault:
    return Fault(id_, "clever", path, fault, opts, source or {}, expected, hits)


def oneroster(id_, path, fault, expected, hits=None, source=None, **opts) -> Fault:
    return Fault(id_, "oneroster_rest", path, fault, opts, source or {}, expected, hits)


GAVE_UP = "gave up after 4 attempts"
FAULTS = [
    clever("connection-refused", None, "", (f"GET {DISTRICTS}: cannot connect to 127.0.0.1:",
                                            GAVE_UP)),
    clever("read-timeout", DISTRICTS, "slow", (f"GET {DISTRICTS}: no complete answer within "
                                               "the timeout", GAVE_UP), hits=4,
           source={"timeout": 0.3}, seconds=1.5, times=10),
    clever("429-storm", SECTIONS, 429, (f"GET {SECTIONS}: still rate limited (HTTP 429) after "
                                        "5 retries; try again in a few minutes",), hits=6,
           times=50),
    *[clever(f"http-{status}", USERS, status, (f"GET {USERS}: the server failed (HTTP {status})",
                                               GAVE_UP), hits=4, times=10)
      for status in (500, 502, 503)],
    clever("http-503-one-retry", USERS, 503, ("gave up after 2 attempts",), hits=2, times=10,
           source={"retries": 1}),
    clever("http-503-no-retry", USERS, 503, ("gave up after 1 attempt",), hits=1, times=10,
           source={"retries": 0}),
    clever("truncated-json", USERS, "truncated",
           (f"GET {USERS}: the answer is not valid JSON, perhaps cut short",), nth=2),
    clever("html-body", USERS, "html", (f"GET {USERS}: the server answered HTML, not JSON "
                                        "(HTTP 200); check the base URL",)),
    clever("no-envelope", USERS, "body", (f"GET {USERS}: the answer has no data list; "
                                          "is this the Clever API?",), body={"users": []}),
    clever("looping-next-link", USERS, "loop", (f"GET {USERS}: the server's next link repeats",
                                                "stopped to avoid a loop"), nth=2),
    clever("dropped-mid-page", SECTIONS, "drop", (f"GET {SECTIONS}: the server closed the "
                                                  "connection before the answer was complete",
                                                  GAVE_UP), hits=4, times=10),
    clever("token-rejected", DISTRICTS, 401, (f"GET {DISTRICTS}: the token was rejected "
                                              "(HTTP 401)",), hits=1),
    # The bounds of connectors/http.py (test_http_bounds.py has the details):
    clever("gzip-bomb", USERS, "bomb", (f"GET {USERS}: the answer is larger than 2 MB once "
                                        "decoded (source.max_response_mb)",), hits=1,
           source={"max_response_mb": 2}, mb=64),
    clever("endless-body", SECTIONS, "endless", (f"GET {SECTIONS}: no complete answer within "
                                                 "the timeout", GAVE_UP), hits=4,
           source={"timeout": 0.3}, times=10),
    clever("endless-paging", SECTIONS, "pages", (f"GET {SECTIONS}: the server still had more "
                                                 "pages after 3; stopped (source.max_pages)",),
           hits=3, source={"max_pages": 3}, times=100),
    clever("next-link-to-another-host", USERS, "foreign_next",
           (f"GET {USERS}: the server's next link leads away from the base URL "
            "(https://evil.example); stopped",), hits=1, to="https://evil.example"),
    clever("redirect-to-another-host", DISTRICTS, "redirect",
           (f"GET {DISTRICTS}: the server's redirect leads away from the base URL "
            "(https://evil.example); stopped",), hits=1,
           to=f"https://evil.example{DISTRICTS}"),
    clever("id-of-the-wrong-type", USERS, "body", (f"GET {USERS}: record 1 of the page has no "
                                                   "id ('id' is a number, not text)",),
           body={"data": [{"data": {"id": 604863}}]}),
    oneroster("no-envelope", OR_USERS, "body", (f'GET {OR_USERS}: the answer has no "users" '
                                                "list; is the base URL a OneRoster 1.1 REST "
                                                "server?",), body={"user": []}),
    oneroster("http-502", OR_USERS, 502, (f"GET {OR_USERS}: the server failed (HTTP 502)",
                                          GAVE_UP), hits=4, times=10),
    oneroster("html-body", OR_USERS, "html", (f"GET {OR_USERS}: the server answered HTML",)),
    oneroster("truncated-json", OR_USERS, "truncated",
              (f"GET {OR_USERS}: the answer is not valid JSON",), nth=2),
    oneroster("looping-next-link", OR_USERS, "loop",
              (f"GET {OR_USERS}: the server's next link repeats",), nth=2),
    oneroster("dropped-mid-page", OR_USERS, "drop",
              (f"GET {OR_USERS}: the server closed the connection", GAVE_UP), hits=4,
              times=10),
    oneroster("gzip-bomb", OR_USERS, "bomb", (f"GET {OR_USERS}: the answer is larger than "
                                              "1 MB once decoded",), hits=1,
              source={"max_response_mb": 1}, mb=64),
    oneroster("field-of-the-wrong-type", OR_USERS, "body",
              (f"GET {OR_USERS}: record u1: 'givenName' is a number, not text",),
              body={"users": [{"sourcedId": "u1", "givenName": 5}]}),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f"{f.kind}-{f.id}")
def test_a_fault_fails_cleanly(fault, committed, tmp_path, capsys):
    kind = KINDS[fault.kind]
    with kind.server() as server:
        source = dict(fault.source)
        if fault.path is None:
            source["base_url"] = f"http://127.0.0.1:{free_port()}"
        else:
            server.fault(fault.path, fault.fault, **fault.opts)
        work = copy(committed[fault.kind], tmp_path, kind.config(server, **source))
        roster, plans = work.roster(), work.plans()
        run = work.main(capsys, "sync", "--commit", "--json")
        if fault.hits is not None:
            assert server.hits(fault.path) == fault.hits

    assert (run.code, run.out) == (1, ""), run.err
    assert len(run.err.splitlines()) == 1, run.err
    assert all(part in run.error for part in fault.expected), run.err
    assert_nothing_staged(work, capsys, run, roster, plans)


def test_a_real_process_gives_up_within_the_real_retry_budget(committed, tmp_path):
    """No patching: the default RetryPolicy's four attempts and their backoffs."""
    nowhere = SimpleNamespace(url=f"http://127.0.0.1:{free_port()}", token=TOKEN)
    work = copy(committed["clever"], tmp_path, clever_config(nowhere))
    roster = work.roster()
    started = time.monotonic()
    run = work.cli("sync", "--commit", "--json")
    assert time.monotonic() - started < 20
    assert (run.code, run.out) == (1, ""), run.err
    assert len(run.err.splitlines()) == 1 and GAVE_UP in run.error
    assert work.roster() == roster and work.syncs()[-1]["status"] == "failed"


@pytest.mark.parametrize("kind", KINDS)
def test_a_user_list_suddenly_empty_is_blocked_not_archived(kind, committed, tmp_path, capsys):
    """Sharing revoked: every person would be archived. The delete threshold blocks it."""
    with KINDS[kind].server() as server:
        if kind == "clever":
            server.data["users"].clear()
        else:  # with enrollments still naming the users, the set is rejected (exit 1)
            for file in ("users", "enrollments", "demographics"):
                server.rows[file].clear()
        work = copy(committed[kind], tmp_path, KINDS[kind].config(server))
        roster = work.roster()
        run = work.main(capsys, "sync", "--commit", "--json")

    assert run.code == 3, run.err
    report = run.json
    assert report["status"] == "blocked" and report["blocked_reasons"]
    assert report["counts"]["student"]["archive"] == len(roster["students"])
    assert work.roster() == roster
    history = work.main(capsys, "history", "--json").json
    assert history[0]["status"] == "blocked"


# -- helpers -----------------------------------------------------------------------------

def copy(committed: Workdir, tmp_path, config: str) -> Workdir:
    work = Workdir(tmp_path)
    work.copy_store(committed)
    work.write_config(config)
    return work


def assert_nothing_staged(work: Workdir, capsys, run, roster: dict, plans: dict) -> None:
    history = work.main(capsys, "history", "--json").json
    assert history[0]["status"] == "failed"
    assert run.error == f"rostertui: error: {history[0]['error']}"
    assert not [h["id"] for h in history if h["status"] in ("staged", "blocked")]
    assert work.roster() == roster and work.plans() == plans
