"""Progress on a terminal: every file of a CSV set with its total, then the engine's own
phases (staging, saving), so a long sync is never silent; nothing when stderr is not one."""

from __future__ import annotations

import re

from ..support.cli import run, use_source
from ..support.terminal import run_on_terminal


def drawn(terminal: str) -> list[str]:
    """The progress lines, as each was drawn over the last (\\r ... erase to the end)."""
    return [part.removesuffix("\x1b[K").strip()
            for part in re.split(r"\r\n?", terminal) if part.endswith("\x1b[K")]


def test_a_csv_sync_on_a_terminal_shows_each_file_with_its_total(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    done = run_on_terminal(tmp_path, "sync", "--commit")
    assert done.returncode == 0, done.terminal
    lines = [line for line in drawn(done.terminal) if line]
    users = [line for line in lines if line.startswith("users ")]
    assert users and all(re.search(r"\[[#.]{24}\] [\d,]+/[\d,]+$", line) for line in users)
    total = int(users[-1].rsplit("/", 1)[1].replace(",", ""))
    assert users[-1].endswith(f"[{'#' * 24}] {total:,}/{total:,}")
    assert total == len((base / "d1" / "users.csv").read_text().splitlines()) - 1
    for file in ("orgs", "classes", "enrollments", "demographics"):
        assert any(line.startswith(f"{file} ") for line in lines), file
    phases = [line.split()[0] for line in lines if not line.endswith("]")
              and "/" not in line]
    assert phases == ["staging", "saving"], lines
    assert done.stdout.startswith("sync 1 committed")
    assert done.terminal.endswith("\r\x1b[K")  # the last progress line is wiped


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    proc = run(tmp_path, "sync", "--commit")
    assert proc.stderr == ""
    assert proc.stdout.startswith("sync 1 committed")
