"""The headless CLI end to end, as a real process: demo-data -> sync -> commit -> history."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tinydb import TinyDB

from ..support.cli import run, run_json, table, use_source
from ..support.paths import FIXTURES

TYPES = {"school", "teacher", "student", "staff", "contact", "section"}


def test_full_sync_commits_the_district(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    report = run_json(tmp_path, "sync", "--full", "--commit")
    assert report["status"] == "committed" and report["mode"] == "full"
    assert set(report["counts"]) == TYPES
    assert set(report) >= {"sync_id", "mode", "status", "counts", "warnings"}
    students = table(tmp_path, "students")
    assert len(students) == 2000 == report["counts"]["student"]["add"]
    assert all(d["status"] == "active" for d in students.values())
    sections = TinyDB(tmp_path / "store.json").table("sections")
    per_student = {}
    for sec in sections.all():
        for sid in sec["student_ids"]:
            per_student[sid] = per_student.get(sid, 0) + 1
    assert set(per_student) == set(students) and min(per_student.values()) >= 6
    assert {w["code"] for w in report["warnings"]} >= {"missing_email", "missing_username"}
    status = run_json(tmp_path, "status")
    assert status["counts"]["student"] == {"active": 2000, "archived": 0}
    assert status["last_sync"]["status"] == "committed"


def test_next_day_stages_exactly_the_changes(tmp_path, days):
    base, summary = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync", "--commit")
    use_source(tmp_path, base / "d2")
    report = run_json(tmp_path, "sync")
    assert report["status"] == "staged"
    shown = run_json(tmp_path, "show", str(report["sync_id"]))
    by_kind = {}
    for a in shown["actions"]:
        if a["type"] == "student":
            by_kind.setdefault(a["kind"], set()).add(a["source_id"])
    ids = summary["ids"]["students"]
    assert by_kind.get("add", set()) == set(ids["add"])
    assert by_kind.get("update", set()) == set(ids["update"])
    assert by_kind.get("archive", set()) == set(ids["remove"])
    moved = {a["source_id"] for a in shown["actions"] if a["type"] == "section"
             and a["kind"] == "update" and a.get("members")}
    assert moved, "students moving sections stage section updates"

    keep = sorted(ids["update"])[0]
    before = table(tmp_path, "students")[keep]
    done = run_json(tmp_path, "commit", "--disable", f"student:{keep}")
    assert done["status"] == "committed" and done["disabled"] == 1
    students = table(tmp_path, "students")
    assert students[keep] == before
    assert all(students[s]["status"] == "archived" for s in ids["remove"])
    assert all(students[s]["status"] == "active" for s in ids["add"])
    history = run_json(tmp_path, "history")
    assert [h["status"] for h in history] == ["committed", "committed"]


def test_edfi_fixture_and_human_output(tmp_path):
    use_source(tmp_path, FIXTURES / "oneroster-csv" / "edfi-v1p1")
    out = run(tmp_path, "sync").stdout
    assert "sync 1 staged" in out and "rostertui commit 1" in out
    run(tmp_path, "commit")
    assert len(table(tmp_path, "students")) == 8
    assert "committed" in run(tmp_path, "history").stdout
    assert "Grand Bend ISD" in run(tmp_path, "status").stdout
    assert "student:604863" in run(tmp_path, "show", "1").stdout


def test_bad_csv_is_one_clear_error_and_store_unchanged(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync", "--commit")
    before = table(tmp_path, "students")
    broken = tmp_path / "broken"
    shutil.copytree(base / "d1", broken)
    users = broken / "users.csv"
    lines = users.read_text().splitlines()
    lines.append(lines[5])  # a duplicate sourcedId
    users.write_text("\n".join(lines) + "\n")
    use_source(tmp_path, broken)
    err = run(tmp_path, "sync", "--commit", expect=1).stderr
    assert err.startswith("rostertui: error: ") and "users.csv line" in err
    assert "duplicate" in err
    assert table(tmp_path, "students") == before
    assert run_json(tmp_path, "history")[0]["status"] == "failed"


def test_threshold_exits_3_and_force_commits(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync", "--commit")
    emptied = tmp_path / "emptied"
    shutil.copytree(base / "d1", emptied)
    users = emptied / "users.csv"
    lines = users.read_text().splitlines()
    users.write_text("\n".join(line for line in lines if ",student," not in line) + "\n")
    enrollments = emptied / "enrollments.csv"
    lines = enrollments.read_text().splitlines()
    enrollments.write_text("\n".join(line for line in lines if ",student," not in line)
                           + "\n")
    (emptied / "demographics.csv").write_text(
        (emptied / "demographics.csv").read_text().splitlines()[0] + "\n")
    use_source(tmp_path, emptied)
    report = run_json(tmp_path, "sync", "--commit", expect=3)
    assert report["status"] == "blocked" and report["blocked_reasons"]
    assert all(d["status"] == "active" for d in table(tmp_path, "students").values())
    run(tmp_path, "commit", expect=3)
    forced = run_json(tmp_path, "commit", "--force")
    assert forced["status"] == "committed"
    assert all(d["status"] == "archived" for d in table(tmp_path, "students").values())


def test_discard_and_missing_config(tmp_path, days):
    err = run(tmp_path, "status", expect=1).stderr
    assert "config.yaml" in err and "config.example.yaml" in err
    base, _ = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync")
    assert "discarded" in run(tmp_path, "discard").stdout
    assert table(tmp_path, "students") == {}
    assert "no staged sync" in run(tmp_path, "commit", expect=1).stderr


def test_demo_data_cli_writes_a_readable_set(tmp_path):
    run(tmp_path, "demo-data", "--students", "300", "--seed", "3", "--out", "x")
    run(tmp_path, "demo-data", "--changes-from", "x", "--change-rate", "0.1", "--out", "y")
    use_source(tmp_path, tmp_path / "y")
    report = run_json(tmp_path, "sync")
    assert report["counts"]["student"]["add"] > 250


def test_help_lists_every_command(tmp_path):
    out = run(tmp_path, "--help").stdout
    for command in ("sync", "commit", "discard", "history", "show", "status", "check",
                    "demo-data"):
        assert command in out


def test_output_cut_short_by_a_pipe_is_not_an_error(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync")
    env = {**os.environ, "ROSTERTUI_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(f"{sys.executable} -m rostertui show 1 | head -3", shell=True,
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert len(proc.stdout.splitlines()) == 3 and "Traceback" not in proc.stderr
