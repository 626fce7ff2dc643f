"""Crash safety (issue 6): a real `rostertui commit` killed at many points of its work.

Each time the store must open with plain TinyDB(path) and hold either the state before
the commit or the state after it, never a mix; and the staged sync must still commit.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..support.staged_district import (
    config_for,
    copy_store,
    engine_for,
    opens_with_tinydb,
    roster,
    staged_next_day,
)

KILLS = {signal.SIGKILL: 30, signal.SIGTERM: 10, signal.SIGHUP: 10}
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """A committed 2,500-student district with the next day staged (not committed),
    and the roster before and after that commit."""
    base = tmp_path_factory.mktemp("crash")
    template = staged_next_day(base, students=2500, seed=11)
    before = roster(template / "store.json")
    probe = copy_store(template, base / "probe")
    run_commit(probe, base / "d2").wait(timeout=120)
    after = roster(probe / "store.json")
    assert after != before
    return {"base": base, "template": template, "sync_id": 2, "before": before,
            "after": after}


def run_commit(folder: Path, source: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rostertui", "--config",
                             str(config_for(folder, source)), "commit"],
                            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_killed_commit_leaves_before_or_after(staged, tmp_path, sig):
    outcomes = {"before": 0, "after": 0}
    for delay in delays(timed_commit(staged, tmp_path), KILLS[sig]):
        folder = copy_store(staged["template"], tmp_path / f"run{delay:.3f}")
        proc = run_commit(folder, staged["base"] / "d2")
        time.sleep(delay)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        opens_with_tinydb(folder / "store.json")
        state = roster(folder / "store.json")
        if state == staged["before"]:
            outcomes["before"] += 1
            recommit(folder, staged)
        else:
            assert state == staged["after"], f"a mix after {sig.name} at {delay:.3f} s"
            outcomes["after"] += 1
        shutil.rmtree(folder)
    assert outcomes["before"] and sum(outcomes.values()) == KILLS[sig]


def timed_commit(staged: dict, tmp_path: Path) -> float:
    """How long a whole `rostertui commit` process takes now (the machine's load varies,
    so it is measured right before the kills that depend on it)."""
    probe = copy_store(staged["template"], tmp_path / "probe")
    started = time.monotonic()
    run_commit(probe, staged["base"] / "d2").wait(timeout=120)
    took = time.monotonic() - started
    shutil.rmtree(probe)
    return took


def delays(took: float, n: int) -> list[float]:
    """n distinct delays from the process's start to just after its commit: the early
    ones land before the write, the late ones after it, the middle ones during it."""
    return [took * 1.1 * i / (n - 1) for i in range(n)]


def recommit(folder: Path, staged: dict) -> None:
    """The staged sync survives the kill and still commits to the same result."""
    engine = engine_for(folder, staged["base"] / "d2")
    assert engine.commit(staged["sync_id"])["status"] == "committed"
    assert roster(folder / "store.json") == staged["after"]
    assert not list(folder.glob(".*.tmp")), "temp files of the killed writer are swept"


def test_two_commits_at_once_one_proceeds_other_is_told(staged, tmp_path):
    folder = copy_store(staged["template"], tmp_path / "both")
    procs = [subprocess.Popen([sys.executable, "-m", "rostertui", "--config",
                               str(config_for(folder, staged["base"] / "d2")), "commit",
                               str(staged["sync_id"])],
                              cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0, results
    assert roster(folder / "store.json") == staged["after"]
    loser = [err for code, err in results if code != 0]
    if loser:  # the second found the store locked, or the sync already committed
        assert ("is busy: commit by " in loser[0] or "is busy: another process" in loser[0]
                or f"sync {staged['sync_id']} is committed" in loser[0]), loser[0]
