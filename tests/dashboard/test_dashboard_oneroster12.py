"""A OneRoster 1.2 district in the dashboard: preferred names where names are shown, and a
person's other roles on their screen (issue 17)."""

from __future__ import annotations

import shutil

import pytest

from connectors import connector_for
from rostertui.config import from_dict
from rostertui.engine import Engine
from screens.detail_screen import DetailScreen

from ..support.dashboard import SIZE, dashboard, lines, on_screen, started, text, visible_table
from ..support.paths import FIXTURES

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


def engine_12(tmp_path) -> Engine:
    shutil.copytree(FIXTURES / "oneroster12-bulk", tmp_path / "set")
    cfg = from_dict({"source": {"kind": "oneroster_csv", "path": "set"},
                     "store": {"path": "store.json"}}, base_dir=tmp_path)
    engine = Engine(cfg, connector_for(cfg.source))
    assert engine.sync(commit=True)["status"] == "committed"
    return engine


async def test_students_are_listed_by_their_preferred_names(tmp_path):
    async with dashboard(engine_12(tmp_path)).run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("6")
        await pilot.pause()
        shown = "\n".join(lines(visible_table(pilot.app)))
        assert "García, Dee" in shown and "Garcia, Diego" not in shown


async def test_a_teachers_screen_shows_their_other_roles(tmp_path):
    async with dashboard(engine_12(tmp_path)).run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("5", "slash", *"okafor", "enter")
        await pilot.pause()
        await pilot.press("enter")
        screen = await on_screen(pilot, DetailScreen)
        body = "\n".join(text(s) for s in screen.query("#body Static"))
        assert "siteAdministrator at mv-middle from 2025-08-01 to 2026-06-30" in body
