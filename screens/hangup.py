"""Surviving an SSH session that drops.

Once the pseudo-terminal is hung up, every write to it fails with EIO. Textual's writer
thread dies on the first failure, the UI then blocks for good on its full output queue,
and a commit that finishes in its thread can never report back: measured here, a 3 s
commit hung up half-way left the process running forever (with the store committed).
This driver's output drops what can no longer be written instead, so the app still
reaches App.exit. (POSIX only: the Linux driver needs termios.)
"""

from __future__ import annotations

from collections.abc import Callable
from io import TextIOWrapper
from typing import IO, Any, cast

from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver


class TerminalOutput:
    """The terminal's stream, silent once a write has failed (the terminal is gone)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> None:
        self._try(self.stream.write, text)

    def flush(self) -> None:
        self._try(self.stream.flush)

    def _try(self, call: Callable[..., object], *args: object) -> None:
        if not self.gone:
            try:
                call(*args)
            except OSError:
                self.gone = True

    def fileno(self) -> int:
        return self.stream.fileno()


class HangupSafeDriver(LinuxDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # LinuxDriver types its stream as sys.__stderr__ is typed (a TextIOWrapper, or
        # None); it only writes to it, flushes it and asks its fileno, as this one does.
        self._file = cast(TextIOWrapper, TerminalOutput(cast(IO[str], self._file)))


def hangup_safe(driver: type[Driver]) -> type[Driver]:
    """The Linux driver made safe; any other (a driver named by TEXTUAL_DRIVER) as is."""
    return HangupSafeDriver if driver is LinuxDriver else driver
