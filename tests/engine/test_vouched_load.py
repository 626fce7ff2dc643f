"""A store load skips the invariant checks for the very bytes a checked write left
(invariants.vouch), judged on the bytes the load read and the stat of the descriptor it
read them through; any other file is checked in full."""

from __future__ import annotations

import os
import shutil

import pytest

from rostertui import store as store_mod
from rostertui.engine import Engine

from ..support.feeds import config, district


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Where each full check of a loaded store ran."""
    ran: list[str] = []
    real = store_mod.require

    def require(data: object, where: str, shapes: bool = True) -> None:
        if shapes:  # a load's check (a write's leaves the field types out)
            ran.append(where)
        real(data, where, shapes)
    monkeypatch.setattr(store_mod, "require", require)
    return ran


def test_the_file_a_checked_write_left_loads_without_the_checks(engine, source, checks):
    source.next = district(3)
    engine.sync(commit=True)
    fresh = Engine(config(engine.store.path.parent), connector=source)
    assert len(fresh.store.load()["students"]) == 3 and checks == []


def test_a_copy_with_another_mtime_is_checked_in_full(tmp_path, engine, source, checks):
    source.next = district(3)
    engine.sync(commit=True)
    path = engine.store.path
    st = os.stat(path)
    shutil.copyfile(path, path.with_name("copy"))  # the same bytes, a new mtime
    os.replace(path.with_name("copy"), path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    fresh = Engine(config(path.parent), connector=source)
    assert len(fresh.store.load()["students"]) == 3 and checks == [str(path)]
