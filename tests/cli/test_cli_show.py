"""`show` prints the report, the warnings counted per code and the actions; the full
warning list comes with `show N --warnings` or `rostertui warnings N`. No command's
output sends the reader to that same command."""

from __future__ import annotations

import re

import pytest

from ..support.cli import run, run_json, use_source


@pytest.fixture
def staged(tmp_path, days):
    """Day one committed (sync 1), day two staged (sync 2)."""
    base, _ = days
    use_source(tmp_path, base / "d1")
    run(tmp_path, "sync", "--commit")
    use_source(tmp_path, base / "d2")
    run(tmp_path, "sync")
    return tmp_path


def codes_line(warnings) -> str:
    counts: dict[str, int] = {}
    for w in warnings:
        counts[w["code"]] = counts.get(w["code"], 0) + 1
    return ", ".join(f"{c} {n:,}" for c, n in sorted(counts.items()))


def test_show_counts_the_warnings_per_code_and_lists_the_actions(staged):
    warnings = run_json(staged, "warnings", "2")
    actions = run_json(staged, "show", "2")["actions"]
    out = run(staged, "show", "2").stdout.splitlines()
    assert f"warnings: {len(warnings):,} ({codes_line(warnings)}); list them with: " \
           "rostertui warnings 2" in out
    assert not any(line.startswith("warning ") for line in out)
    assert sum(bool(re.match(r"\[[x ]\] ", line)) for line in out) == len(actions)
    assert out[-len(actions):][0].split()[1] == actions[0]["id"]


def test_show_with_warnings_lists_every_warning(staged):
    warnings = run_json(staged, "warnings", "2")
    out = run(staged, "show", "2", "--warnings").stdout.splitlines()
    listed = run(staged, "warnings", "2").stdout.splitlines()
    start = out.index(listed[0])
    assert out[start:start + len(listed)] == listed  # the same lines as `warnings 2`
    assert len(listed) == len(warnings) + 2
    assert not any(line.startswith("warnings: ") for line in out)  # not counted twice
    assert run_json(staged, "show", "2", "--warnings") == run_json(staged, "show", "2")


def test_no_command_tells_the_reader_to_run_itself(staged):
    outputs = {
        "show": run(staged, "show", "2").stdout + run(staged, "show", "1").stdout,
        "warnings": run(staged, "warnings", "2").stdout,
        "history": run(staged, "history").stdout,
        "status": run(staged, "status").stdout,
    }
    for command, text in outputs.items():
        assert f"rostertui {command} " not in text and not text.rstrip().endswith(
            f"rostertui {command}"), command
    staged_report = run(staged, "sync").stdout  # sync 3: staged over the same day two
    assert "review: rostertui show 3; apply: rostertui commit 3" in staged_report
    assert "rostertui sync" not in staged_report
    assert "apply: rostertui commit 2" in outputs["show"]


def test_a_missing_sync_is_one_message_for_show_warnings_and_show_warnings(staged):
    said = run(staged, "show", "9", expect=1).stderr
    assert said == "rostertui: error: there is no sync 9; see: rostertui history\n"
    assert run(staged, "warnings", "9", expect=1).stderr == said
    assert run(staged, "show", "9", "--warnings", expect=1).stderr == said
