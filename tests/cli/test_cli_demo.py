"""`--demo` before any command runs it on the bundled demo district (in the data dir, no
config needed), and `demo --reset` starts the demo afresh, touching nothing else."""

from __future__ import annotations

from ..support.cli import run, run_json


def test_demo_history_needs_no_config(tmp_path):
    history = run_json(tmp_path, "--demo", "history")
    assert [(h["id"], h["status"]) for h in history] == [(1, "committed")]
    assert not (tmp_path / "config.yaml").exists()
    assert (tmp_path / "data" / "demo" / "store.json").exists()
    assert run(tmp_path, "--demo", "history").stdout.splitlines()[1].split()[0] == "1"
    assert run(tmp_path, "demo").stdout == (f"demo district ready in {tmp_path / 'data' / 'demo'}"
                                            "; open it with: rostertui --demo\n")


def test_demo_sync_then_status(tmp_path):
    report = run_json(tmp_path, "--demo", "sync")
    assert (report["sync_id"], report["status"]) == (2, "staged")
    assert "missing_graduation_year" not in {w["code"] for w in report["warnings"]}
    status = run_json(tmp_path, "--demo", "status")
    assert status["last_sync"]["id"] == 2 and status["last_sync"]["status"] == "staged"
    assert status["counts"]["student"]["active"] == 2000
    assert "sync 2 staged" in run(tmp_path, "--demo", "show", "2").stdout


def test_demo_reset_starts_afresh_and_touches_nothing_else(tmp_path):
    run(tmp_path, "--demo", "sync")
    run(tmp_path, "--demo", "commit")
    mine = tmp_path / "data" / "store.json"
    mine.write_text("not the demo's")
    thesis = tmp_path / "data" / "demo" / "important" / "thesis.txt"  # found by attack:
    thesis.parent.mkdir()  # a file of the admin's in the demo's folder was deleted
    thesis.write_text("keep")
    out = run(tmp_path, "demo", "--reset").stdout
    assert out.startswith(f"demo district made afresh in {tmp_path / 'data' / 'demo'}: ")
    history = run_json(tmp_path, "--demo", "history")
    assert [(h["id"], h["status"]) for h in history] == [(1, "committed")]
    assert run_json(tmp_path, "--demo", "sync")["sync_id"] == 2  # day two waits again
    assert mine.read_text() == "not the demo's" and thesis.read_text() == "keep"


def test_demo_reset_refuses_a_symbolic_link(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo").symlink_to(elsewhere)
    err = run(tmp_path, "demo", "--reset", expect=1).stderr
    assert "is a symbolic link; refusing to follow it" in err
    assert (elsewhere / "keep.txt").read_text() == "mine"


def test_demo_and_config_together_are_a_usage_error(tmp_path):
    err = run(tmp_path, "--demo", "--config", "c.yaml", "status", expect=2).stderr
    assert "--demo uses the bundled demo district: leave out --config" in err


def test_demo_schedule_runs_the_demo(tmp_path):
    line = run(tmp_path, "--demo", "schedule", "--print", "cron").stdout.splitlines()[-1]
    assert " --demo sync --quick --commit --auto --log " in line
    assert str(tmp_path / "data" / "demo" / "rostertui-sync.log") in line
