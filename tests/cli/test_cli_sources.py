"""The CLI against live sources (issue 3): real processes talking to the loopback servers."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from tinydb import TinyDB

from connectors.loopback.clever_server import TOKEN
from connectors.loopback.oneroster_server import CLIENT_ID, CLIENT_SECRET
from rostertui.output import progress_bar

from ..support.paths import FIXTURES


def cli(tmp_path, config: str, *args, env=None):
    (tmp_path / "config.yaml").write_text(config)
    os.chmod(tmp_path / "config.yaml", 0o600)
    proc = subprocess.run([sys.executable, "-m", "rostertui", *args], cwd=tmp_path, timeout=120,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr
    return proc


def clever_config(server) -> str:
    return (f"source:\n  kind: clever\n  base_url: {server.url}\n  token: ${{CLEVER_TOKEN}}\n"
            "  page_size: 250\nstore:\n  path: store.json\n")


def test_clever_full_sync_commits_the_demo_district(tmp_path, clever_server):
    out = cli(tmp_path, clever_config(clever_server), "sync", "--full", "--commit", "--json",
              env={"CLEVER_TOKEN": TOKEN}).stdout
    report = json.loads(out)
    assert report["status"] == "committed"
    db = TinyDB(tmp_path / "store.json")
    counts = {t: len(db.table(t)) for t in ("schools", "students", "teachers", "contacts",
                                            "staff", "sections")}
    assert counts == {"schools": 3, "students": 1004, "teachers": 89, "contacts": 1002,
                      "staff": 3, "sections": 378}
    assert TOKEN not in out and TOKEN not in (tmp_path / "store.json").read_text()


def test_clever_check_names_the_district(tmp_path, clever_server):
    out = json.loads(cli(tmp_path, clever_config(clever_server), "check", "--json",
                         env={"CLEVER_TOKEN": TOKEN}).stdout)
    assert out["district"] == "#DEMO_DISTRICT" and len(out["schools"]) == 3
    assert out["counts"]["student"] == 1004


def test_oneroster_rest_check_and_sync(tmp_path, oneroster_server):
    config = (f"source:\n  kind: oneroster_rest\n  base_url: {oneroster_server.base_url}\n"
              f"  auth: oauth2\n  token_url: {oneroster_server.token_url}\n"
              f"  client_id: {CLIENT_ID}\n  client_secret: ${{OR_SECRET}}\n"
              "  scope: https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly\n"
              "store:\n  path: store.json\n")
    env = {"OR_SECRET": CLIENT_SECRET}
    check = json.loads(cli(tmp_path, config, "check", "--json", env=env).stdout)
    assert check["district"] == "Grand Bend ISD"
    cli(tmp_path, config, "sync", "--commit", env=env)
    assert len(TinyDB(tmp_path / "store.json").table("students")) == 8


def test_progress_bar_draws_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert progress_bar(io.StringIO()) is None
    stream = Tty()
    report = progress_bar(stream)
    report("students", 500, 1000)
    report("students", 1000, 1000)
    assert "students" in stream.getvalue() and "1,000/1,000" in stream.getvalue()


def test_rest_source_prints_no_library_warnings():
    out = subprocess.run([sys.executable, "-c", "import connectors.oneroster_rest"],
                         capture_output=True, text=True, check=True)
    assert out.stderr == ""


def test_clever_warnings_csv_lists_the_students_without_a_username(tmp_path, clever_server):
    import csv
    import json as json_mod
    users = json_mod.loads((FIXTURES / "clever-v3-demo" / "users.json").read_text())["data"]
    without = {u["data"]["id"] for u in users if "student" in u["data"]["roles"]
               and not (u["data"]["roles"]["student"].get("credentials") or {})
               .get("district_username")}
    assert len(without) == 2
    env = {"CLEVER_TOKEN": TOKEN}
    cli(tmp_path, clever_config(clever_server), "sync", "--commit", env=env)
    cli(tmp_path, clever_config(clever_server), "warnings", "--csv", "w.csv", env=env)
    rows = list(csv.DictReader((tmp_path / "w.csv").open()))
    listed = {r["source_id"] for r in rows
              if r["code"] == "missing_username" and r["type"] == "student"}
    assert listed == without
