"""A committed demo district with its next day staged as sync 2, for the tests that
kill or hang up a commit of it (test_crash, test_dashboard_signals), and the checks on
the store such a test leaves behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import yaml
from tinydb import TinyDB

from connectors import connector_for
from rostertui import demo_data
from rostertui.config import from_dict
from rostertui.engine import Engine

ROSTER = ("schools", "teachers", "students", "staff", "contacts", "sections")


def settings(source: Path) -> dict:
    """A 30% change archives hundreds: the default delete threshold would block it."""
    return {"source": {"kind": "oneroster_csv", "path": str(source)},
            "store": {"path": "store.json"}, "sync": {"delete_threshold": 100_000}}


def engine_for(folder: Path, source: Path) -> Engine:
    cfg = from_dict(settings(source), base_dir=folder)
    return Engine(cfg, connector_for(cfg.source))


def config_for(folder: Path, source: Path) -> Path:
    """engine_for's settings as a config file, for a real process."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(settings(source)))
    return path


def staged_next_day(base: Path, students: int, seed: int) -> Path:
    """base/template: day one (base/d1) committed, day two (base/d2, 30% changed) staged
    as sync 2."""
    demo_data.generate(base / "d1", students=students, seed=seed)
    demo_data.next_day(base / "d1", base / "d2", change_rate=0.3, seed=seed + 1)
    template = base / "template"
    template.mkdir()
    engine_for(template, base / "d1").sync(commit=True)
    assert engine_for(template, base / "d2").sync()["sync_id"] == 2
    return template


def copy_store(template: Path, folder: Path) -> Path:
    shutil.copytree(template, folder)
    return folder


def roster(store: Path) -> dict:
    data = orjson.loads(store.read_bytes())
    return {t: data.get(t, {}) for t in ROSTER}


def opens_with_tinydb(store: Path) -> None:
    db = TinyDB(store)
    assert set(ROSTER) <= db.tables()
    db.close()
