"""Files rostertui writes: private, never through a planted symlink, replaced atomically.

rostertui keeps a district's student records on shared servers, often unattended. So
every file it creates is 0600 and every folder 0700 whatever the umask (an existing
stricter file mode is kept), temp files have random names created with O_EXCL and
O_NOFOLLOW and are removed on every error (a full disk included), and a symlink where
rostertui opens a file in place (the lock, its holder, a toggle log) is refused. An
OSError becomes one RosterError line naming the file. The threat model is in
RELIABILITY.md, "Files".
"""

from __future__ import annotations

import errno
import functools
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import ParamSpec, TypeVar

from .errors import RosterError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077
# O_NONBLOCK: a FIFO planted where a file is opened fails at once instead of hanging
# an unattended run; it changes nothing for a regular file.
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK

P = ParamSpec("P")
R = TypeVar("R")


# -- errors ------------------------------------------------------------------------------

def symlink_refused(path: Path) -> RosterError:
    """The one message for a symlink where rostertui will not follow one."""
    return RosterError(f"{path} is a symbolic link; refusing to follow it: remove it if "
                       f"you did not make it")


@contextmanager
def failing_as(path: Path, doing: str, after: str = "") -> Iterator[None]:
    """Turn an OSError into one line naming `path` (`doing` says what failed, `after`
    what the reader may rely on), instead of a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise symlink_refused(path) from None
        raise RosterError(f"cannot {doing} {path}: {exc.strerror or exc}{after}") from None


# -- folders -----------------------------------------------------------------------------

def private_dir(folder: Path, own: bool = False) -> Path:
    """Create `folder` and any missing parent 0700 (Path.mkdir(parents=True) gives the
    parents the umask's mode). An existing folder is left as it is (a shared /srv may be
    so on purpose), unless `own`: a folder only rostertui uses (the plans, the demo) is
    tightened to 0700 and must not be a symlink, or whoever planted it could edit a plan
    between staging and commit."""
    folder = Path(folder)
    with failing_as(folder, "create the folder"):
        if own and folder.is_symlink():
            raise symlink_refused(folder)
        if folder.is_dir():
            if own:
                os.chmod(folder, PRIVATE_DIR)
            return folder
        if folder.parent != folder:
            private_dir(folder.parent)
        _make_dir(folder)
    return folder


def _make_dir(folder: Path) -> None:
    """mkdir then chmod: the umask can take bits off the mkdir mode, never add them."""
    try:
        os.mkdir(folder, PRIVATE_DIR)
    except FileExistsError:
        if not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "it is not a folder", str(folder)) from None
        return  # another process made it meanwhile: it chose its mode
    os.chmod(folder, PRIVATE_DIR)


def check_writable(folder: Path) -> None:
    """Prove the store's folder can be written before a long fetch, not after it: create
    (0700 if missing) and remove a random temp file. A real write, not os.access or the
    mode bits, which root ignores and which miss read-only mounts and full quotas."""
    folder = Path(folder)
    private_dir(folder)
    with failing_as(folder, "write in the store's folder"), \
            _temp_beside(folder / "write-check") as (probe, _):
        os.unlink(probe)


# -- opening one file in place -----------------------------------------------------------

def open_private(path: Path, flags: int) -> int:
    """os.open that never follows a symlink at `path` (ELOOP -> the symlink message),
    creates 0600 and tightens an existing file to 0600, and refuses anything but a
    regular file. For the files rostertui opens in place: the lock, its holder, a log."""
    with failing_as(path, "open"):
        fd = os.open(path, flags | _OPEN_FLAGS, PRIVATE_FILE)
        try:
            _own_regular(path, fd)
        except BaseException:
            os.close(fd)
            raise
    return fd


def _own_regular(path: Path, fd: int) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise RosterError(f"{path} is not a regular file; refusing to use it: remove it "
                          f"if you did not make it")
    if stat.S_IMODE(st.st_mode) != PRIVATE_FILE:
        with suppress(PermissionError):  # another user's file: theirs to fix
            os.fchmod(fd, PRIVATE_FILE)


def overwrite_private(path: Path, data: bytes) -> None:
    """Write a small file in place (truncated, not atomic, not fsynced): only for a file
    read as a hint, such as who holds the lock."""
    fd = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with failing_as(path, "write"):
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)


def read_private(path: Path) -> bytes:
    """Read a file rostertui wrote, never through a symlink planted in its place."""
    fd = open_private(path, os.O_RDONLY)
    with failing_as(path, "read"), os.fdopen(fd, "rb") as fh:
        return fh.read()


def append_line(path: Path, line: bytes) -> None:
    """Append one line durably (fsync) to a private log. If the file does not end with a
    newline (a writer killed mid-line, or a full disk), a newline goes first: the torn
    line stays alone, where readers skip it, instead of swallowing this one."""
    fd = open_private(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
    with failing_as(path, "append to"):
        try:
            size = os.fstat(fd).st_size
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
            _write_all(fd, (b"\n" if torn else b"") + line)
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_all(fd: int, payload: bytes | bytearray) -> None:
    """os.write until all is written (it may write less than asked)."""
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


# -- replacing a whole file --------------------------------------------------------------

def atomic_write(path: Path, payload: bytes | bytearray, backup: Path | None = None) -> None:
    """Replace `path` with `payload` so a reader sees the old or the new file, never a mix:
    a random 0600 temp beside it, fsync, the previous file hard-linked to `backup`,
    os.replace, fsync of the folder. A symlink at `path` is replaced, never written
    through; the new file keeps the old one's mode if that was stricter than 0600. On any
    error the temp files are removed and the old file is untouched."""
    path = Path(path)
    private_dir(path.parent)
    with failing_as(path, "write"):
        _replaceable(path)
    with failing_as(path, "write", "; the previous version is unchanged"), \
            _temp_beside(path) as (tmp, fd):
        os.fchmod(fd, kept_mode(path))  # exactly this mode, whatever the umask took off
        _write_all(fd, payload)
        os.fsync(fd)
        if backup is not None:
            _keep_previous(path, Path(backup))
        os.replace(tmp, path)
    with failing_as(path.parent, "sync the folder"):
        _fsync_dir(path.parent)


@contextmanager
def _temp_beside(path: Path) -> Iterator[tuple[Path, int]]:
    """A new temp file beside `path`, open for writing, removed if the block fails (a
    full disk, a kill by KeyboardInterrupt...); once renamed into place there is nothing
    to remove. O_EXCL: it is never a file or symlink someone put there first."""
    tmp = temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, PRIVATE_FILE)
    try:
        yield tmp, fd
    except BaseException:
        _discard(tmp)
        raise
    finally:
        os.close(fd)


def temp_path(path: Path) -> Path:
    """`.{name}.{random}.tmp` beside `path`: unguessable, so nobody can plant a symlink or
    a file there first, and still matched by Store._sweep's `.{name}.*.tmp`."""
    return path.with_name(f".{path.name}.{secrets.token_hex(16)}.tmp")


def kept_mode(path: Path) -> int:
    """0600, or the existing file's mode if stricter (a 0400 store stays 0400; a 0644
    store, written by an older rostertui, becomes 0600)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return PRIVATE_FILE
    return PRIVATE_FILE & st.st_mode if stat.S_ISREG(st.st_mode) else PRIVATE_FILE


def _replaceable(path: Path) -> None:
    """Refuse to replace a device, FIFO or folder, or a symlink to one: as root,
    `--csv /dev/stdout` (a symlink) must not turn /dev/stdout into a regular file. A
    symlink to a regular file, or to nothing, is replaced; it is never written through."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            st = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise RosterError(f"{path} is not a regular file; refusing to replace it")


def _keep_previous(path: Path, backup: Path) -> None:
    """Hard-link the current file to a random temp name (os.link fails if anything is
    there), make it private (an older rostertui left stores 0644), then rename it over
    `backup`: a rename replaces a symlink at `backup`, never follows it."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return  # nothing to keep: a symlink is replaced, not backed up
    except FileNotFoundError:
        return
    keep = temp_path(backup)
    os.link(path, keep, follow_symlinks=False)
    try:
        with suppress(PermissionError):  # another user's old file: still keep it
            os.chmod(keep, kept_mode(path))
        os.replace(keep, backup)
    except BaseException:
        _discard(keep)
        raise


def _discard(path: Path) -> None:
    """Remove a temp file on an error path, without hiding the error being raised."""
    with suppress(OSError):
        os.unlink(path)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- the store's path and who can read it --------------------------------------------------

def resolve_store_path(path: Path) -> Path:
    """A store path that is a symlink is resolved once, so each write replaces the real
    file and the symlink survives; its `.bak`, plans and lock then live beside the real
    file (one lock per real store, whichever link names it). Any other path is kept as
    configured."""
    path = Path(path)
    if not path.is_symlink():
        return path
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
        raise RosterError(f"{path} is a symbolic link that cannot be followed ({exc})") from None


def shared_warning(path: Path) -> str | None:
    """A warning when group or others can read the store (student records) or write its
    folder (and so replace or plant files there), as config.load warns about a config
    holding secrets; None when the store is private or absent. A symlinked store is
    judged where it really lives."""
    path = Path(path)
    with suppress(RosterError):  # a broken link: the store itself will say so
        path = resolve_store_path(path)
    problems: list[str] = []
    with suppress(OSError):
        if os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            problems.append(f"{path} holds student records and is readable by group or "
                            f"others; run: chmod 600 {path}")
    with suppress(OSError):
        if os.stat(path.parent).st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            problems.append(f"its folder {path.parent} can be written by group or others, "
                            f"who could replace the files kept there; run: chmod 700 "
                            f"{path.parent}")
    return "; ".join(problems) or None


def private_umask(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` with umask 077, so anything created without an explicit mode (by a
    library, say) is private too; the previous umask is restored after, for callers in
    the same process such as tests."""
    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        previous = os.umask(PRIVATE_UMASK)
        try:
            return func(*args, **kwargs)
        finally:
            os.umask(previous)
    return run
