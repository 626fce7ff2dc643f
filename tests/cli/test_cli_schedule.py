"""Unattended syncs: the printed cron line and systemd units, the quiet `sync --log` they
run (silent when it commits, one line when blocked or failed, everything in the log), a
disabled integration, and `enable` / `disable`."""

from __future__ import annotations

import os
import subprocess

import pytest

from ..support.cli import run, run_json

SCHEDULED = ("sync", "--quick", "--commit", "--auto", "--log", "sync.log")


def configure(folder, source, extra: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(f"source:\n  kind: oneroster_csv\n  path: {source}\n"
                                        f"store:\n  path: store.json\n{extra}")


def cron_command(line: str) -> str:
    """The command cron runs for a crontab line: after the five time fields, up to the first
    % not escaped by a backslash (cron makes the rest the command's input), with each \\%
    made %, as cron does."""
    command = line.split(None, 5)[5]
    out, escaped = [], False
    for ch in command:
        if escaped:
            out.append(ch if ch == "%" else "\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            break
        else:
            out.append(ch)
    return "".join(out)


@pytest.fixture
def odd_folder(tmp_path, days):
    """A config in a folder whose name holds a % and a space, on day one."""
    base, _ = days
    folder = tmp_path / "district 100%"
    configure(folder, base / "d1")
    return folder


def test_the_cron_line_escapes_percent_and_runs_quietly_as_cron_would(tmp_path, odd_folder):
    printed = run(tmp_path, "--config", odd_folder / "config.yaml", "schedule", "--print",
                  "cron", "--at", "03:15").stdout.strip().splitlines()
    assert all(line.startswith("#") for line in printed[:-1])
    line = printed[-1]
    assert line.startswith("15 3 * * * ")
    assert "100\\%" in line and "100%" not in line.replace("\\%", "")
    command = cron_command(line)
    assert str(odd_folder / "config.yaml").replace("'", "") in command.replace("'", "")
    env = {**os.environ, "ROSTERTUI_DATA_DIR": str(tmp_path / "data")}
    cron = subprocess.run(["/bin/sh", "-c", command], cwd="/", capture_output=True, text=True,
                          env=env, timeout=120)
    assert (cron.returncode, cron.stdout, cron.stderr) == (0, "", "")
    log = (odd_folder / "rostertui-sync.log").read_text()
    assert "rostertui sync: exit 0" in log and "sync 1 committed" in log
    assert run_json(odd_folder, "history")[0]["trigger"] == "auto"


def test_scheduled_sync_success_is_silent_and_the_log_keeps_the_report(tmp_path, days):
    base, _ = days
    configure(tmp_path, base / "d1")
    proc = run(tmp_path, *SCHEDULED)
    assert (proc.stdout, proc.stderr) == ("", "")
    log = (tmp_path / "sync.log").read_text().splitlines()
    assert log[0].endswith("Z rostertui sync: exit 0")
    assert log[1].startswith("sync 1 committed (full: quick asked; the source sent a full set")
    proc = run(tmp_path, *SCHEDULED)  # nothing changed: still silent, appended to the log
    assert (proc.stdout, proc.stderr) == ("", "")
    assert (tmp_path / "sync.log").read_text().count("rostertui sync: exit 0") == 2


def test_scheduled_sync_blocked_exits_3_with_one_line(tmp_path, days):
    base, _ = days
    configure(tmp_path, base / "d1", "sync:\n  delete_threshold: 1\n")
    run(tmp_path, "sync", "--commit")
    configure(tmp_path, base / "d2", "sync:\n  delete_threshold: 1\n")
    proc = run(tmp_path, *SCHEDULED, expect=3)
    assert proc.stderr == ""
    [line] = proc.stdout.splitlines()
    assert line.startswith("rostertui: sync 2 blocked, not committed: ")
    assert "would be archived, over sync.delete_threshold (1)" in line
    assert "review: rostertui show 2" in line
    assert line.endswith("(its report is in sync.log)")
    log = (tmp_path / "sync.log").read_text()
    assert "rostertui sync: exit 3" in log and "sync 2 blocked" in log
    assert run_json(tmp_path, "history")[0]["status"] == "blocked"


def test_scheduled_sync_failure_exits_1_with_one_line(tmp_path):
    configure(tmp_path, tmp_path / "no-such-folder")
    proc = run(tmp_path, *SCHEDULED, expect=1)
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("rostertui: error: ") and "no-such-folder" in line
    log = (tmp_path / "sync.log").read_text().splitlines()
    assert log[0].endswith("rostertui sync: exit 1") and log[1] == line


def test_a_log_that_cannot_be_written_is_one_error_line(tmp_path, days):
    base, _ = days
    configure(tmp_path, base / "d1")
    proc = run(tmp_path, "sync", "--log", tmp_path / "missing" / "sync.log", expect=1)
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("rostertui: error: cannot open ") and "sync.log" in line


def test_systemd_units_escape_percent_mail_on_failure_and_say_to_linger(tmp_path, odd_folder):
    units = run(tmp_path, "--config", odd_folder / "config.yaml", "schedule", "--print",
                "systemd", "--every", "weekly").stdout
    exec_start = next(line for line in units.splitlines()
                      if line.startswith("ExecStart=") and "--config" in line)
    assert "100%%" in exec_start and "100%" not in exec_start.replace("%%", "")
    assert exec_start.endswith("sync --quick --commit --auto --log "
                               f'"{str(odd_folder).replace("%", "%%")}/rostertui-sync.log"')
    assert "OnFailure=rostertui-sync-failed.service" in units
    assert "# ~/.config/systemd/user/rostertui-sync-failed.service" in units
    assert "loginctl enable-linger $USER" in units
    assert "OnCalendar=Mon *-*-* 02:30:00" in units


def test_a_disabled_integration_skips_the_scheduled_sync_with_one_line(tmp_path, days):
    base, _ = days
    configure(tmp_path, base / "d1")
    assert run(tmp_path, "disable").stdout == (
        "integration disabled: scheduled syncs (sync --auto) are skipped; manual syncs "
        "still run\n")
    assert run_json(tmp_path, "status")["enabled"] is False
    assert "integration: disabled" in run(tmp_path, "status").stdout
    proc = run(tmp_path, "sync", "--quick", "--commit", "--auto")
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == [
        "integration disabled: scheduled sync skipped (turn it on with: rostertui enable)"]
    proc = run(tmp_path, *SCHEDULED)  # the scheduled form: silent, said in the log
    assert (proc.stdout, proc.stderr) == ("", "")
    assert "scheduled sync skipped" in (tmp_path / "sync.log").read_text()
    assert run_json(tmp_path, "history") == []
    run(tmp_path, "sync")  # a manual sync still runs
    assert run(tmp_path, "enable").stdout == "integration enabled: scheduled syncs run\n"
    assert run(tmp_path, "enable").stdout.endswith("(it already was)\n")
    assert "integration: enabled" in run(tmp_path, "status").stdout
    run(tmp_path, "sync", "--auto")
    assert [h["trigger"] for h in run_json(tmp_path, "history")] == ["auto", "manual"]


def test_help_names_the_new_commands_and_options(tmp_path):
    top = run(tmp_path, "--help").stdout
    for command in ("enable", "disable", "demo ", "schedule"):
        assert f"\n    {command}" in top, command
    assert "with any command" in " ".join(top.split())  # --demo
    sync = run(tmp_path, "sync", "--help").stdout
    assert "--log PATH" in sync and "one line when the sync is blocked (exit 3)" in " ".join(
        sync.split())
    assert "--warnings" in run(tmp_path, "show", "--help").stdout
    assert "--reset" in run(tmp_path, "demo", "--help").stdout
