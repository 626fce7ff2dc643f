"""The store's lock: one holder at a time, and a second one told who holds it."""

from __future__ import annotations

import errno
import fcntl
import getpass
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from filelock import Timeout, UnixFileLock

from . import clock, files
from .errors import BusyError, RosterError


class NoFollowLock(UnixFileLock):
    """filelock's flock lock, with its file opened by files.open_private: filelock opens
    the path itself, following a symlink planted there and truncating whatever it points
    at. Here a symlink is refused, nothing is truncated, and the file is 0600. filelock
    keeps the polling, the timeout and the per-thread re-entrancy."""

    def _acquire(self) -> None:
        fd = files.open_private(Path(self.lock_file), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):  # not "held by another"
                raise RosterError(f"cannot lock {self.lock_file}: {exc.strerror}") from None
            return  # held: filelock tries again until the timeout
        self._context.lock_file_fd = fd


class StoreLock:
    """`<store>.lock` (the OS lock) and `<store>.lock.info` (who holds it, for the
    message a second holder gets)."""

    def __init__(self, store_path: Path):
        self.path = store_path.with_name(store_path.name + ".lock")
        self._lock = NoFollowLock(str(self.path))
        self._holder = store_path.with_name(store_path.name + ".lock.info")

    @contextmanager
    def held(self, purpose: str, wait: float = 2.0,
             on_acquire: Callable[[], None] | None = None) -> Iterator[None]:
        self._acquire(purpose, wait, on_acquire)
        try:
            yield
        finally:
            self._holder.unlink(missing_ok=True)  # never name a holder that has gone
            self._lock.release()

    def _acquire(self, purpose: str, wait: float,
                 on_acquire: Callable[[], None] | None) -> None:
        """Take the lock, run `on_acquire` and name the holder; if either fails, let go
        of the lock (and leave a holder path we refused, such as a symlink, for its
        owner to look at)."""
        files.private_dir(self.path.parent)
        try:
            self._lock.acquire(timeout=wait)
        except Timeout:
            raise BusyError(f"the store {self.path.with_suffix('')} is busy: "
                            f"{self._describe_holder()}; try again when it has finished") from None
        try:
            if on_acquire is not None:
                on_acquire()
            files.overwrite_private(self._holder, orjson.dumps({
                "purpose": purpose, "user": current_user(), "pid": os.getpid(),
                "host": socket.gethostname(), "since": clock.stamp()}))
        except BaseException:
            self._lock.release()
            raise

    def _describe_holder(self) -> str:
        try:
            h = orjson.loads(files.read_private(self._holder))
        except (RosterError, orjson.JSONDecodeError):
            return "another process holds its lock"
        return (f"{h['purpose']} by {h['user']} (pid {h['pid']} on {h['host']}) "
                f"since {h['since']}")


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
