"""Files rostertui writes: atomic replacement, fsync of the folder."""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write(path: Path, payload: bytes, backup: Path | None = None) -> None:
    """Replace `path` with `payload` so a reader sees the old or the new file, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    if backup is not None and path.exists():
        keep = backup.with_name(f".{backup.name}.{os.getpid()}.tmp")
        keep.unlink(missing_ok=True)
        os.link(path, keep)
        os.replace(keep, backup)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
