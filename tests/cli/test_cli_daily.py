"""The CLI an admin uses every day, as a real process: the version, the history's notes,
the warnings command, demo-data's next-day summary, the mode the source decided, and a
sync that found nothing to change."""

from __future__ import annotations

import csv
import io
import re
from importlib.metadata import version

import pytest

from rostertui import demo_data

from ..support.cli import run, run_json, use_source

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture
def committed(tmp_path, days):
    """A store holding day one, committed as sync 1."""
    base, _ = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync", "--commit")
    return tmp_path


def test_version_prints_the_package_version(tmp_path):
    proc = run(tmp_path, "--version")
    assert proc.stdout.strip() == f"rostertui {version('rostertui')}"


def test_history_note_says_when_without_repeating_the_status(committed, days):
    base, _ = days
    use_source(committed, base / "d2")
    run(committed, "sync", "--commit", "--force")
    run(committed, "revert", "2", "--force")
    rows = run(committed, "history").stdout.splitlines()[1:]
    by_id = {row.split()[0]: row for row in rows}
    assert re.search(rf"committed +at {STAMP}$", by_id["1"]), by_id["1"]
    assert re.search(rf"committed +reverts sync 2, at {STAMP}( \(forced\))?$", by_id["3"])
    assert re.search(r"reverted +by sync 3$", by_id["2"]), by_id["2"]
    assert "Committed" not in "\n".join(rows) and "Reverted" not in "\n".join(rows)


def test_warnings_name_the_sync_they_were_read_from(committed):
    shown = run(committed, "warnings").stdout.splitlines()
    n = len(run_json(committed, "warnings", "1"))
    assert shown[0] == f"sync 1: {n:,} warnings"
    assert len(shown) == n + 2  # the first line, a line each, the codes


def test_an_unknown_warning_code_is_an_error_listing_the_known_codes(committed):
    codes = sorted({w["code"] for w in run_json(committed, "warnings", "1")})
    proc = run(committed, "warnings", "--code", "no_such_code", expect=1)
    assert proc.stdout == ""
    assert "sync 1 has no warnings with code 'no_such_code'" in proc.stderr
    assert f"its codes: {', '.join(codes)}" in proc.stderr
    only = run_json(committed, "warnings", "--code", codes[0])
    assert only and {w["code"] for w in only} == {codes[0]}


def test_warnings_csv_dash_writes_the_csv_to_stdout(committed):
    found = run_json(committed, "warnings", "1")
    proc = run(committed, "warnings", "1", "--csv", "-")
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["code", "type", "source_id", "message"]
    assert rows[1:] == [[w["code"], w["type"], w["source_id"], w["message"]] for w in found]
    assert not (committed / "-").exists()
    proc = run(committed, "warnings", "1", "--csv", "out.csv")
    assert proc.stdout.strip() == f"wrote {len(found):,} warnings of sync 1 to out.csv"


def test_warnings_of_a_missing_sync_say_what_show_says(committed):
    said = run(committed, "show", "9", expect=1).stderr
    assert run(committed, "warnings", "9", expect=1).stderr == said
    assert "there is no sync 9" in said


def test_demo_data_changes_from_prints_a_short_summary(tmp_path, days):
    base, _ = days
    proc = run(tmp_path, "demo-data", "--changes-from", base / "d1", "--out", "d2",
               "--change-rate", "0.03")
    out = proc.stdout.strip()
    assert "\n" not in out and not re.search(r"[{}\[\]']", out), out
    assert re.fullmatch(r"wrote d2: students \d+ added, \d+ edited, \d+ removed; teachers .*"
                        r"; guardians .*; enrollments .* \([\d,]+ rows written\)", out), out


def test_quick_on_a_bulk_set_says_the_source_sent_a_full_set(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    head = run(tmp_path, "sync", "--quick").stdout.splitlines()[0]
    assert "(full: quick asked; the source sent a full set, " in head, head
    report = run_json(tmp_path, "sync", "--quick")  # nothing changed since: still full
    assert (report["mode"], report["asked_mode"]) == ("full", "quick")
    assert "asked_mode" not in run_json(tmp_path, "sync", "--full")


def test_full_on_a_delta_set_says_the_source_sent_only_the_changes(committed, days):
    base, _ = days
    demo_data.next_day(base / "d1", committed / "delta", change_rate=0.03, seed=5, delta=True)
    use_source(committed, committed / "delta")
    head = run(committed, "sync", "--full").stdout.splitlines()[0]
    assert "(quick: full asked; the source sent only the changes, " in head, head


def test_a_sync_with_no_changes_is_recorded_discarded_with_no_changes(committed):
    out = run(committed, "sync").stdout
    assert out.splitlines()[0] == "sync 2 discarded (full, 0 actions)"
    assert not any(line.startswith("students") for line in out.splitlines())  # no zeros
    assert out.splitlines()[-1] == "no changes: nothing to review, the store is unchanged"
    row = run(committed, "history").stdout.splitlines()[1]
    assert row.split()[0] == "2" and row.endswith("discarded   no changes"), row
    assert "there is no staged sync" in run(committed, "commit", expect=1).stderr
    report = run_json(committed, "sync", "--commit")
    assert (report["sync_id"], report["status"]) == (3, "discarded")
    assert run_json(committed, "status")["last_sync"]["note"] == "no changes"


def test_hints_carry_the_flags_that_chose_the_store(tmp_path, days):
    """Found by attack: `rostertui --demo show 2` said "apply: rostertui commit 2", which,
    copied, committed sync 2 of the real district in the current folder."""
    demo = run(tmp_path, "--demo", "sync").stdout
    assert "apply: rostertui --demo commit 2" in demo
    assert "rostertui --demo show 99" not in demo
    said = run(tmp_path, "--demo", "show", "99", expect=1).stderr
    assert said == "rostertui: error: there is no sync 99; see: rostertui --demo history\n"
    base, _ = days
    (tmp_path / "other").mkdir()
    use_source(tmp_path / "other", base / "d1")
    config = tmp_path / "other" / "config.yaml"
    out = run(tmp_path, "--config", config, "sync").stdout
    assert f"apply: rostertui --config {config} commit 1" in out


def test_sync_force_without_commit_is_refused(committed):
    """Found by attack: `sync --force` alone was accepted and forced nothing."""
    err = run(committed, "sync", "--force", expect=1).stderr
    assert err.startswith("rostertui: error: sync --force forces a commit: give --commit too")
    assert [h["id"] for h in run_json(committed, "history")] == [1]
