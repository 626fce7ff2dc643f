"""The engine's child processes (`python -m rostertui.<module>`): the guard count, the plan
and the store reindex, each run apart so that its parse holds that process's GIL, not the
dashboard's. One way to start them and to read why one failed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Where `-m rostertui.<module>` is found when rostertui runs from its source folder. The
# children start there: paths handed to them are absolute (Path.absolute).
HOME = Path(__file__).resolve().parent.parent


def start(module: str, *args: str) -> subprocess.Popen[bytes]:
    """`module` started with `args`, its stdin, stdout and stderr piped."""
    return subprocess.Popen([sys.executable, "-m", f"rostertui.{module}", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=HOME)


def run(module: str, *args: str, input: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """`module` run to its end with `args`, `input` on its stdin."""
    with start(module, *args) as proc:
        stdout, stderr = proc.communicate(input)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def last_line(stderr: bytes) -> str | None:
    """The last line a failed child wrote (a traceback's: the error), if any."""
    last = stderr.decode(errors="replace").strip().splitlines()[-1:]
    return last[0] if last else None
