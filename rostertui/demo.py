"""The bundled demo district: generated once (deterministically) into the user data dir.

Day one is committed so there is a district to browse; the source then points at day
two, so "Sync now" (or `rostertui --demo sync`) stages a realistic 5% change to review.
`reset` removes the demo's folder, so that the next `prepare` starts it afresh.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import demo_data, files, paths
from .config import Config, from_dict
from .errors import RosterError
from .schedule import LOG_NAME

DEMO_STUDENTS = 2000


def folder() -> Path:
    """The demo's own folder: nothing else is kept there."""
    return paths.data_dir() / "demo"


def prepare(base: Path | None = None) -> Config:
    """The demo's config, generating its district and store on first use. Its folder is
    made 0700 (tightened if it exists): the generated CSVs are written with the umask's
    mode, so the folder is what keeps them, and the store, to this user."""
    base = files.private_dir(base or folder(), own=True)
    day1, day2 = base / "day1", base / "day2"
    if not (day1 / "manifest.csv").exists():
        demo_data.generate(day1, students=DEMO_STUDENTS, seed=1)
    if not (day2 / "manifest.csv").exists():
        demo_data.next_day(day1, day2, change_rate=0.05, seed=2)
    store = base / "store.json"
    if not store.exists():
        from connectors import connector_for

        from .engine import Engine
        first = _config(day1, store)
        Engine(first, connector_for(first.source)).sync(mode="full", commit=True)
    return _config(day2, store)


def reset(base: Path | None = None) -> Config:
    """Remove what the demo made in its folder (its district, store, backup, plans and
    log: `_made_by_demo`) and prepare it again; anything else there is left alone. A
    symbolic link is removed as a link, never followed."""
    base = base or folder()
    if base.is_symlink():
        raise files.symlink_refused(base)
    if base.exists() and not base.is_dir():
        raise RosterError(f"{base} is not the demo's folder (not a folder); remove it "
                          "if you did not make it")
    for entry in sorted(base.iterdir()) if base.exists() else ():
        if _made_by_demo(entry.name):
            with files.failing_as(entry, "remove"):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
    return prepare(base)


def _made_by_demo(name: str) -> bool:
    """day1, day2, the store and what goes with it (store.json.bak, .lock, store.plans, a
    temp file a crash left), the sync log."""
    return name in ("day1", "day2", "store.json", "store.plans", LOG_NAME) or \
        name.startswith(("store.json.", ".store.json."))


def _config(source: Path, store: Path) -> Config:
    """The demo's settings: the defaults for a OneRoster CSV source (which carries no
    graduation year, so none is required)."""
    return from_dict({"source": {"kind": "oneroster_csv", "path": str(source)},
                      "store": {"path": str(store)}}, base_dir=store.parent)
