"""SIGTERM and SIGHUP while the dashboard runs in a real pseudo-terminal (issue 6).

`python -m rostertui` is started on a pty of 80x24 with TERM=xterm-256color, driven by
writing keys to it, and stopped by a signal. Idle, it exits at once; during a commit it
lets the commit finish first. Either way it leaves through App.exit, so the terminal is
restored (alternate screen left, cursor shown), and it exits with 128 + the signal's
number (143 for SIGTERM, 129 for SIGHUP), as a shell reports a process a signal ended.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import threading
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

LEAVE_ALT_SCREEN, SHOW_CURSOR = b"\x1b[?1049l", b"\x1b[?25h"
pytestmark = pytest.mark.slow


class Terminal:
    """A process on a pseudo-terminal that is its controlling terminal, as in an SSH
    login; everything it writes is kept."""

    def __init__(self, args: list[str], cwd: Path):
        env = {**os.environ, "TERM": "xterm-256color"}
        env.pop("COLUMNS", None), env.pop("LINES", None)
        self.pid, self.master = pty.fork()
        if self.pid == 0:  # the child: a session leader on the pty
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
                os.chdir(cwd)
                os.execve(args[0], args, env)
            finally:
                os._exit(127)
        self.code: int | None = None
        self.output = bytearray()
        self.closing = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while not self.closing.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the process has exited and the pty is closed
                return
            if not data:
                return
            self.output += data

    def running(self) -> bool:
        if self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code is None

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            assert self.running(), f"exited with {self.code}"
            assert time.monotonic() < deadline, f"no {text!r} on the screen"
            time.sleep(0.02)

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def exit_code(self, timeout: float) -> int:
        """The exit code, once the process has exited (within `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while self.running():
            assert time.monotonic() < deadline, f"still running after {timeout:.0f} s"
            time.sleep(0.05)
        self.reader.join(timeout=5)
        return self.code

    def stop(self, sig: int, timeout: float = 10) -> int:
        os.kill(self.pid, sig)
        return self.exit_code(timeout)

    def hang_up(self, timeout: float) -> int:
        """Close the terminal, as sshd does when the connection drops: the kernel sends
        SIGHUP, and every later write to the terminal fails."""
        self._close_master()
        return self.exit_code(timeout)

    def _close_master(self) -> None:
        if self.master is not None:
            self.closing.set()
            self.reader.join()  # no read in flight, so the close really hangs up the pty
            os.close(self.master)
            self.master = None

    def close(self) -> None:
        if self.running():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self._close_master()


def restored(output: bytes) -> bool:
    """The output ends by leaving the alternate screen and showing the cursor: after the
    last LEAVE_ALT_SCREEN come only mode resets, never text or a redraw."""
    if LEAVE_ALT_SCREEN not in output:
        return False
    tail = output[output.rindex(LEAVE_ALT_SCREEN):]
    rest = re.sub(rb"\x1b\[[?<]?[0-9;]*[a-zA-Z]", b"", tail)
    return SHOW_CURSOR in tail and b"\x1b[?1049h" not in tail and not rest.strip()


def dashboard(folder: Path, source: Path) -> Terminal:
    return Terminal([sys.executable, "-m", "rostertui", "--config",
                     str(config_for(folder, source))], cwd=folder)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """A committed 5,000-student district with the next day staged (sync 2), and the
    roster before and after committing it (half a second or so: long enough for a
    hung-up terminal to have blocked the UI before the driver's output was fixed)."""
    base = tmp_path_factory.mktemp("signals")
    template = staged_next_day(base, students=5000, seed=21)
    probe = copy_store(template, base / "probe")
    started = time.monotonic()
    engine_for(probe, base / "d2").commit(2)
    return {"base": base, "template": template, "before": roster(template / "store.json"),
            "after": roster(probe / "store.json"), "took": time.monotonic() - started}


def test_sigterm_while_idle_exits_at_once_and_restores_the_terminal(district, tmp_path):
    folder = copy_store(district["template"], tmp_path / "idle")
    term = dashboard(folder, district["base"] / "d2")
    try:
        term.wait_for("Status")
        term.wait_for("Last sync")  # the store is loaded and shown
        started = time.monotonic()
        assert term.stop(signal.SIGTERM) == 128 + signal.SIGTERM
        assert time.monotonic() - started < 5
    finally:
        term.close()
    assert restored(bytes(term.output)), bytes(term.output[-300:])
    assert roster(folder / "store.json") == district["before"]


def committing(district: dict, folder: Path) -> Terminal:
    """The dashboard once it shows that it is committing sync 2 (r, c, Enter)."""
    term = dashboard(folder, district["base"] / "d2")
    term.wait_for("Last sync")
    term.press("r")  # review the staged sync
    term.wait_for("c commits, d discards")
    term.press("c")
    term.wait_for("Commit sync 2?")
    term.press("\r")  # Commit
    term.wait_for("Committing sync 2")
    return term


def committed_or_not(district: dict, store: Path) -> dict:
    """The store opens with plain TinyDB and is the before or the after state."""
    opens_with_tinydb(store)
    state = roster(store)
    assert state in (district["before"], district["after"])
    return state


def test_sighup_during_a_commit_lets_it_finish_then_exits(district, tmp_path):
    folder = copy_store(district["template"], tmp_path / "commit")
    term = committing(district, folder)
    try:
        code = term.stop(signal.SIGHUP, timeout=30 + 5 * district["took"])
    finally:
        term.close()
    assert code == 128 + signal.SIGHUP
    assert restored(bytes(term.output)), bytes(term.output[-300:])
    state = committed_or_not(district, folder / "store.json")
    assert state == district["after"]  # the commit had started: it was let finish


def test_a_dropped_session_during_a_commit_finishes_it_and_exits(district, tmp_path):
    folder = copy_store(district["template"], tmp_path / "dropped")
    term = committing(district, folder)
    try:
        code = term.hang_up(timeout=30 + 5 * district["took"])
    finally:
        term.close()
    assert code == 128 + signal.SIGHUP
    state = committed_or_not(district, folder / "store.json")
    assert state == district["after"]
