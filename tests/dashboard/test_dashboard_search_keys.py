"""Keys typed faster than the dashboard handles them (a stall while the store loads) each
reach the search box: "/" moves the focus before the keys after it are passed on; in the
box, "/" is a character. The Teachers column names them from the list, not the store."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input, Select

from rostertui.catalog import Catalog

from ..support.dashboard import SIZE, dashboard, engine_on, lines, started, until

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


def typed_ahead(app, *keys: str) -> None:
    """Queue `keys` at once, as a terminal does while the app is busy: none is handled
    before the last is queued."""
    for key in keys:
        char = {"slash": "/"}.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, char))


async def test_keys_typed_ahead_of_the_search_box_focus_reach_it(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await pilot.press("6")
        await pilot.pause()
        box = dash.query_one("#students #search", Input)
        typed_ahead(app, "slash", *"s11")
        await until(pilot, lambda: box.value == "s11")
        assert box.has_focus
        await pilot.press(*"/x", "backspace", "backspace")  # in the box, / is typed
        assert box.value == "s11"
        await pilot.press("slash")
        assert box.value == "s11/"


async def test_teachers_are_named_from_the_list_not_read_from_the_store(
        tmp_path, source, monkeypatch):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)

        def unread(*args: object) -> None:
            raise AssertionError("a list read a whole record from the store")
        monkeypatch.setattr(Catalog, "get", unread)
        await pilot.press("7")
        await pilot.pause()
        shown = lines(dash.query_one("#sections RowTable"))
    assert shown[1].split() == ["Low", "Math", "2", "Cher", "Low", "2"]  # Cher: a surname


async def test_slash_in_an_open_filter_list_is_not_the_search_key(tmp_path, source):
    """Found by attack: / in the school filter's open list (which finds a school as it is
    typed, "K-8 / Annex") closed it and sent the rest of the name to the search box."""
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        await pilot.press("6", "f")
        await pilot.pause()
        school = dash.query_one("#students #school", Select)
        assert school.expanded
        await pilot.press("slash", "x")
        await pilot.pause()
        assert school.expanded and dash.query_one("#students #search", Input).value == ""
