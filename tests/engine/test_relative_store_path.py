"""A store named relative to the working folder (`store: path: ./rostertui-store.json` in
`./config.yaml`, as config.example.yaml has it) is the same file in the child processes,
which start in another folder: the guards' count, the plan's and the store's indexes.
Found by attack: each child opened another (missing) file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rostertui.engine import Engine
from rostertui.plan_index import index_path

from ..support.feeds import config, district
from .test_guard_count import ARCHIVES, regraded


@pytest.fixture
def relative(tmp_path, source, monkeypatch) -> tuple[Engine, int]:
    """20 students committed, then 10 archived and 10 regraded, staged (blocked by a
    delete threshold of 5), in a store named relative to the working folder."""
    monkeypatch.chdir(tmp_path)
    engine = Engine(config(Path("."), delete_threshold=5), connector=source)
    assert not engine.store.path.is_absolute()
    source.next = district(20)
    engine.sync(commit=True)
    source.next = regraded(10)
    return engine, engine.sync()["sync_id"]


def test_the_guards_are_counted(relative):
    engine, sid = relative
    review = engine.indexed_review(sid)
    review.set_enabled(ARCHIVES, False)
    assert not any("delete_threshold" in r for r in engine.block_reasons(review))


def test_the_indexes_are_rebuilt(relative):
    engine, sid = relative
    index_path(engine.store.plans.path(sid)).unlink()
    shutil.rmtree(engine.store.index.folder)
    assert engine.indexed_review(sid).tally()["student"]["archive"] == (10, 10)
    view = engine.view()
    assert type(view).__name__ == "FileView"  # rebuilt by the child, not parsed here
    assert view.counts("student") == {"active": 20, "archived": 0}  # staged, not applied
