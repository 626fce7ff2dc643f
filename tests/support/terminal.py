"""The CLI as a real process whose stderr is a terminal (a pseudo-terminal), as an admin's
is when they run it by hand: what the terminal received, and what went to stdout."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class TerminalRun:
    returncode: int
    terminal: str  # all the process wrote to stderr, the terminal
    stdout: str


def run_on_terminal(tmp_path, *args) -> TerminalRun:
    env = {**os.environ, "ROSTERTUI_DATA_DIR": str(tmp_path / "data"),
           "ROSTERTUI_CONFIG_DIR": str(tmp_path / "cfgdir")}
    main, side = pty.openpty()
    with open(tmp_path / "stdout.txt", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "rostertui", *map(str, args)],
                                cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=side, env=env)
        os.close(side)
        received = []
        while True:
            try:
                chunk = os.read(main, 1 << 16)
            except OSError:  # EIO: the process has closed the terminal's last end
                break
            if not chunk:
                break
            received.append(chunk)
        os.close(main)
        code = proc.wait(timeout=120)
    return TerminalRun(code, b"".join(received).decode(),
                       (tmp_path / "stdout.txt").read_text())
