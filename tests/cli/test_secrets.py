"""Secrets: a Clever token and a OneRoster client secret (OAuth 1 and OAuth 2), given in the
config or through ${ENV_VAR}. After a full run (sync --commit, history, show, status,
check, a warnings export, and a run the server refuses with the secret echoed back) with
logging at DEBUG, the secret appears in no file of the store's folder, no output and no
log line. A config holding a secret that others can read gets a warning."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from connectors.loopback.clever_server import CleverServer
from connectors.loopback.oneroster_server import API, CLIENT_ID, SCOPE, TOKEN_PATH, OneRosterServer

from ..support.hostile.workdir import STORE, Workdir
from ..support.paths import FIXTURES

CLEVER_SECRET = "clv-tok-3f9a1c7e5b2d8046"
OR_SECRET = "or-sec-8d2b6f0a4c1e9735"
ENV_VAR = "ROSTERTUI_TEST_SECRET"


@dataclass(frozen=True)
class Setup:
    id: str
    secret: str
    server: Callable                       # a loopback server expecting `secret`
    source: Callable[[object, str], dict]  # the config's source, the secret given as value
    refuse: Callable[[object], None]       # the next run is refused, the server echoing it
    logged: str                            # in the HTTP layer's DEBUG log

    def derived(self, server) -> list[str]:
        """Credentials made from the secret: OAuth 2 basic auth, and bearer tokens issued."""
        if not isinstance(server, OneRosterServer):
            return []
        basic = base64.b64encode(f"{CLIENT_ID}:{self.secret}".encode()).decode()
        return [basic, *server._tokens]


def clever_refuses(server) -> None:
    server.token = "another-token"  # it answers 401 "invalid credentials: Bearer <ours>"


def rest(auth: str) -> Setup:
    def source(server, secret: str) -> dict:
        extra = {"token_url": server.token_url, "scope": SCOPE} if auth == "oauth2" else {}
        return {"kind": "oneroster_rest", "base_url": server.base_url, "auth": auth,
                "client_id": CLIENT_ID, "client_secret": secret, **extra}

    def refuse(server) -> None:
        if auth == "oauth2":
            server.fault(TOKEN_PATH, "body", status=401,
                         body={"error": "invalid_client", "error_description": f"bad {OR_SECRET}"})
        else:
            server.fault(f"{API}/orgs", "body", status=401,
                         body={"error": f"secret {OR_SECRET} is not valid"})

    return Setup(auth, OR_SECRET, lambda: OneRosterServer(FIXTURES / "oneroster-csv" /
                                                         "edfi-v1p1", client_secret=OR_SECRET),
                 source, refuse, logged="GET http://127.0.0.1:")


SETUPS = [
    Setup("clever", CLEVER_SECRET, lambda: CleverServer(FIXTURES / "clever-v3-demo",
                                                        token=CLEVER_SECRET),
          lambda server, secret: {"kind": "clever", "base_url": server.url, "token": secret},
          clever_refuses, logged=" (Authorization: ***)"),  # the Bearer header, masked
    rest("oauth1"),
    rest("oauth2"),
]
COMMANDS = [("sync", "--commit", "--json"), ("history", "--json"), ("history",),
            ("show", "1", "--json"), ("show", "1"), ("status", "--json"), ("status",),
            ("check", "--json"), ("warnings", "1", "--json"),
            ("warnings", "1", "--csv", "store/warnings.csv")]


@pytest.mark.parametrize("via", ["config", "env"])
@pytest.mark.parametrize("setup", SETUPS, ids=lambda s: s.id)
def test_a_secret_appears_nowhere_after_a_full_run(setup, via, tmp_path, capsys, caplog,
                                                   monkeypatch):
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(tmp_path)
    value = setup.secret if via == "config" else f"${{{ENV_VAR}}}"
    monkeypatch.setenv(ENV_VAR, setup.secret)
    work = Workdir(tmp_path)
    with setup.server() as server:
        work.write_config(yaml.safe_dump({"source": setup.source(server, value),
                                          "store": {"path": STORE}}))
        runs = {" ".join(args): work.main(capsys, *args) for args in COMMANDS}
        assert all(run.code == 0 for run in runs.values()), runs
        setup.refuse(server)
        refused = work.main(capsys, "sync", "--commit", "--json")
        runs["refused sync"] = refused
        runs["show the refused sync"] = work.main(capsys, "show", "2", "--json")
        secrets = [setup.secret, *setup.derived(server)]

    http_log = [r.getMessage() for r in caplog.records if r.name == "connectors.http"]
    assert any(setup.logged in line for line in http_log)  # the DEBUG log was on
    texts = {f"stdout/stderr of {name}": run.out + run.err for name, run in runs.items()}
    texts["the log"] = caplog.text
    texts.update(store_files(work))
    assert len(texts) > len(runs) + 4  # the store, its backup, plans, lock info were read
    for secret in secrets:
        leaks = [where for where, text in texts.items() if secret in text]
        assert not leaks, f"{secret} found in {leaks}"
    assert refused.code == 1 and "***" in refused.error, refused.err  # echoed, and masked
    assert runs["show the refused sync"].json["status"] == "failed"


def store_files(work: Workdir) -> dict[str, str]:
    """Every file under the store's folder, as text."""
    return {str(path.relative_to(work.root)): path.read_bytes().decode("utf-8", "replace")
            for path in work.store.parent.rglob("*") if path.is_file()}


# -- the config's file mode ---------------------------------------------------------------

@pytest.mark.parametrize("mode, source, warned", [
    (0o644, "clever", True), (0o640, "clever", True), (0o604, "clever", True),
    (0o600, "clever", False), (0o644, "oneroster_csv", False),
])
def test_a_config_with_a_secret_that_others_can_read_is_warned(tmp_path, mode, source, warned):
    work = Workdir(tmp_path)
    config = ({"kind": "clever", "token": CLEVER_SECRET} if source == "clever"
              else {"kind": "oneroster_csv", "path": "set"})
    work.write_config(yaml.safe_dump({"source": config, "store": {"path": STORE}}), mode=mode)

    run = work.cli("status")

    assert run.code == 0, run.err
    warnings = [line for line in run.err.splitlines() if line.startswith("rostertui: warning:")]
    if warned:
        assert warnings == [f"rostertui: warning: {work.config} holds secrets (source.token) "
                            f"and is readable by group or others; run: chmod 600 {work.config}"]
    else:
        assert warnings == []
    assert CLEVER_SECRET not in run.out + run.err
    assert Path(work.config).stat().st_mode & 0o777 == mode  # only warned, never changed
