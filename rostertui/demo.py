"""The bundled demo district: generated once (deterministically) into the user data dir.

Day one is committed so there is a district to browse; the source then points at day
two, so "Sync now" stages a realistic 5% change to review.
"""

from __future__ import annotations

from pathlib import Path

from . import demo_data, files, paths
from .config import REQUIRED_FIELDS, Config, from_dict

DEMO_STUDENTS = 2000


def prepare(base: Path | None = None) -> Config:
    """The demo's config, generating its district and store on first use. Its folder is
    made 0700 (tightened if it exists): the generated CSVs are written with the umask's
    mode, so the folder is what keeps them, and the store, to this user."""
    base = files.private_dir(base or paths.data_dir() / "demo", own=True)
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


# OneRoster 1.1 carries no graduation year: without this, every demo student would
# warn about it and hide the warnings worth reading.
REQUIRED = {**REQUIRED_FIELDS, "student": ["email", "username"]}


def _config(source: Path, store: Path) -> Config:
    return from_dict({"source": {"kind": "oneroster_csv", "path": str(source)},
                      "store": {"path": str(store)}, "sync": {"required_fields": REQUIRED}},
                     base_dir=store.parent)
