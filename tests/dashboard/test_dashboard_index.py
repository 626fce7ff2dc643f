"""The dashboard reads the store through its index (rostertui/store_index.py), never parsing
the store in its own process: what another process commits shows from the index that
process wrote; an index deleted or made stale is rebuilt (in a child process), never
shown as it was; a record opened from a list is read whole."""

from __future__ import annotations

import shutil

import pytest
from tinydb import Query, TinyDB

from connectors import connector_for
from rostertui import config as config_mod
from rostertui import demo_data
from rostertui import store as store_mod
from rostertui.engine import Engine
from screens.person_screen import PersonScreen

from ..support.cli import run, use_source
from ..support.dashboard import (
    SIZE,
    dashboard,
    day1,
    engine_on,
    notes,
    on_screen,
    start_sync,
    started,
    sync_dialog,
    text,
    until,
)

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


def watched(monkeypatch, engine: Engine) -> tuple[list[int], list[int]]:
    """The parses of the store in this process, and the index rebuilds it asked for."""
    parses: list[int] = []
    rebuilds: list[int] = []
    load, rebuild = engine.store.load, store_mod.rebuild_in_child
    monkeypatch.setattr(engine.store, "load", lambda: parses.append(1) or load())
    monkeypatch.setattr(store_mod, "rebuild_in_child", lambda p: rebuilds.append(1) or rebuild(p))
    return parses, rebuilds


def students_in(app) -> set[str]:
    catalog = app.dashboard.catalog
    return {d["source_id"] for d in catalog.docs("student")} if catalog else set()


async def test_a_commit_by_the_cli_shows_in_an_open_dashboard_from_the_index_it_wrote(
        tmp_path, monkeypatch):
    demo_data.generate(tmp_path / "d1", students=60, seed=3)
    demo_data.next_day(tmp_path / "d1", tmp_path / "d2", change_rate=0.1, seed=4)
    use_source(tmp_path, tmp_path / "d1")
    run(tmp_path, "sync", "--commit")
    cfg = config_mod.load(tmp_path / "config.yaml")
    engine = Engine(cfg, connector_for(cfg.source))
    parses, rebuilds = watched(monkeypatch, engine)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        before = students_in(app)
        use_source(tmp_path, tmp_path / "d2")
        run(tmp_path, "sync", "--commit", "--force")  # another process: the CLI
        stored = set(d["source_id"] for d in TinyDB(tmp_path / "store.json").table(
            "students").all() if d["status"] == "active")
        await until(pilot, lambda: app.dashboard.syncs[0]["id"] == 2, timeout=10)
        await until(pilot, lambda: students_in(app) != before, timeout=10)
        active = {d["source_id"] for d in app.dashboard.catalog.rows("student", status="active")}
        assert active == stored and stored - before
        assert "Sync 2 committed by admin" in notes(app)
    assert parses == [] and rebuilds == []


async def test_a_deleted_index_is_rebuilt_and_the_lists_show(tmp_path, source, monkeypatch):
    engine = engine_on(tmp_path, source)
    shutil.rmtree(engine.store.index.folder)
    parses, rebuilds = watched(monkeypatch, engine)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert students_in(app) == {f"s{i}" for i in range(12)}
    assert engine.store.index.open() is not None
    assert parses == [] and rebuilds == [1]  # in a child process


async def test_a_store_a_tinydb_script_changed_shows_as_it_is_not_as_indexed(tmp_path,
                                                                            source):
    engine = engine_on(tmp_path, source)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        db = TinyDB(engine.store.path)  # TinyDB's own storage: no index written
        db.table("students").update({"last_name": "Renamed"}, Query().source_id == "s1")
        db.close()
        await until(pilot, lambda: dash.catalog.entry("student", "s1")["last_name"] ==
                    "Renamed", timeout=15)
        assert "The store was changed in another session" in notes(app)


async def test_a_person_opened_from_a_list_is_shown_whole(tmp_path, source):
    feed = day1()
    feed.types["student"].records[0]["extra"] = {"ethnicity": "hispanic"}
    engine = engine_on(tmp_path, source, feed)
    source.next = feed
    engine.sync(commit=True)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        assert "ethnicity" not in str(dash.catalog.entry("student", "s0"))  # lists: less
        await pilot.press("6", "enter")  # the first student by name: s0
        screen = await on_screen(pilot, PersonScreen)
        assert "ethnicity" in text(screen.query_one("#appendix"))


async def test_a_broken_list_file_is_read_again_from_a_rebuilt_index(tmp_path, source,
                                                                    monkeypatch):
    engine = engine_on(tmp_path, source)
    listed = next(engine.store.index.folder.glob("student-*.list"))
    header, body = listed.read_bytes().split(b"\n", 1)
    listed.write_bytes(header + b"\n" + b"x" * len(body))  # its parts garbled
    parses, rebuilds = watched(monkeypatch, engine)
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert students_in(app) == {f"s{i}" for i in range(12)}
        assert not [n for n in app._notifications if n.severity == "error"]
    assert parses == [] and rebuilds == [1]


async def test_its_own_sync_and_commit_keep_the_index_it_then_reads(tmp_path, source,
                                                                   monkeypatch):
    engine = engine_on(tmp_path, source)
    _, rebuilds = watched(monkeypatch, engine)  # its sync parses the store: it changes it
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        dialog = await sync_dialog(pilot)
        dialog.query_one("#auto").value = True  # auto-commit: day 2 committed at once
        dialog.query_one("#start").focus()
        await start_sync(pilot)
        await until(pilot, lambda: {"s20", "s21"} <= students_in(app))
        assert "s11" not in {d["source_id"] for d in
                             app.dashboard.catalog.rows("student", status="active")}
    assert engine.store.index.open() is not None and rebuilds == []
