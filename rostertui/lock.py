"""The store's lock: one holder at a time, and a second one told who holds it."""

from __future__ import annotations

import getpass
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import orjson
from filelock import FileLock, Timeout

from . import clock
from .errors import BusyError


class StoreLock:
    """`<store>.lock` (the OS lock) and `<store>.lock.info` (who holds it, for the
    message a second holder gets)."""

    def __init__(self, store_path: Path):
        self.path = store_path.with_name(store_path.name + ".lock")
        self._lock = FileLock(str(self.path))
        self._holder = store_path.with_name(store_path.name + ".lock.info")

    @contextmanager
    def held(self, purpose: str, wait: float = 2.0,
             on_acquire: Callable[[], None] | None = None) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=wait)
        except Timeout:
            raise BusyError(f"the store {self.path.with_suffix('')} is busy: "
                            f"{self._describe_holder()}; try again when it has finished") from None
        try:
            if on_acquire is not None:
                on_acquire()
            self._holder.write_bytes(orjson.dumps({
                "purpose": purpose, "user": current_user(), "pid": os.getpid(),
                "host": socket.gethostname(), "since": clock.stamp()}))
            yield
        finally:
            self._holder.unlink(missing_ok=True)  # never name a holder that has gone
            self._lock.release()

    def _describe_holder(self) -> str:
        try:
            h = orjson.loads(self._holder.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return "another process holds its lock"
        return (f"{h['purpose']} by {h['user']} (pid {h['pid']} on {h['host']}) "
                f"since {h['since']}")


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
