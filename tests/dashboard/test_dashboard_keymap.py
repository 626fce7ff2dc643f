"""Binding ids, the config's keymap: section, and the help built from the live bindings."""

from __future__ import annotations

import os
import re

import pytest

from rostertui import config
from rostertui.app import RosterApp, keymap_classes
from rostertui.errors import RosterError
from screens import keymap
from screens.dashboard import Dashboard
from screens.footer import KeyFooter
from screens.help_screen import HelpScreen, key_groups

from ..support.dashboard import (
    SIZE,
    engine_on,
    on_screen,
    started,
    until,
    visible_table,
)
from ..support.paths import ROOT

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")

README = ROOT / "README.md"


def app_with(engine, remap: dict | None = None) -> RosterApp:
    app = RosterApp(engine, keymap.check(remap or {}, keymap_classes()))
    app.animation_level = "none"
    return app


def help_rows(screen: HelpScreen) -> dict[str, str]:
    """binding id -> the keys the help shows for it."""
    return {b.id: keys for _, rows in key_groups(screen.origin) for keys, b in rows}


# -- the ids -------------------------------------------------------------------------

def test_every_binding_has_an_id_unique_in_its_class():
    classes = keymap_classes()
    assert {"RosterApp", "Dashboard", "RowTable", "ReportScreen", "HelpScreen"} <= {
        c.__name__ for c in classes}
    for owner in classes:
        ids = [b.id for b in keymap.bindings_of(owner)]
        assert all(ids), f"{owner.__name__} has a Binding without an id"
        assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*(\.[a-z]+(-[a-z]+)*)?", i) for i in ids), ids
        assert len(ids) == len(set(ids)), f"{owner.__name__} repeats an id: {ids}"


def test_readme_lists_every_binding_id_with_its_keys():
    section = README.read_text().split("### Keys", 1)[1].split("\n## ", 1)[0]
    listed = dict(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", section, re.M))
    known = {i: {b.key for _, b in owners} for i, owners in
             keymap.binding_ids(keymap_classes()).items()}
    assert set(listed) == set(known), "README.md Keys and the bindings differ"
    for id_, keys in known.items():
        assert {listed[id_]} == keys, f"README.md Keys gives {id_} other keys"


# -- checking the section ------------------------------------------------------------

def test_check_normalises_keys_as_textual_names_them():
    assert keymap.check({"help": "?", "tab.students": "6, f6", "commit": "shift+ctrl+k",
                         "tab.status": 0, "search": "ctrl++"}, keymap_classes()) == {
        "help": "question_mark", "tab.students": "6,f6", "commit": "ctrl+shift+k",
        "tab.status": "0", "search": "ctrl+plus"}
    assert keymap.check(None, keymap_classes()) == {}


@pytest.mark.parametrize("raw, message", [
    ({"comit": "k"}, "unknown key 'keymap.comit': not a binding id; the ids are back, "),
    ({"help": "F1"}, "'keymap.help': 'F1' is not a key Textual knows (did you mean f1?)"),
    ({"help": "ctl+h"}, "'keymap.help': 'ctl+h': the modifiers are alt, ctrl,"),
    ({"help": "h,"}, "'keymap.help': an empty key"),
    ({"help": ["h"]}, "'keymap.help' must be a key such as ctrl+k, not list"),
    ({"help": True}, "'keymap.help' must be a key such as ctrl+k, not bool"),
    ({"commit": "d"}, "'keymap.commit': d is discard's key in ReportScreen too"),
    ({"tab.students": "s"}, "'keymap.tab.students': s is sync's key in Dashboard too"),
    (["help"], "'keymap' must be a mapping of binding ids to keys"),
])
def test_check_names_the_key_that_is_wrong(raw, message):
    with pytest.raises(RosterError) as err:
        keymap.check(raw, keymap_classes(), "/etc/rostertui.yaml")
    assert str(err.value).startswith("/etc/rostertui.yaml: " + message), str(err.value)


def test_unknown_id_lists_every_known_id():
    with pytest.raises(RosterError) as err:
        keymap.check({"nope": "k"}, keymap_classes())
    for id_ in keymap.binding_ids(keymap_classes()):
        assert id_ in str(err.value)


def test_the_config_file_carries_the_section(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("source:\n  kind: oneroster_csv\n  path: x\n"
                    "keymap:\n  commit: ctrl+k\n  tab.students: 6,f6\n")
    os.chmod(path, 0o600)
    cfg = config.load(path)
    assert keymap.section(cfg) == {"commit": "ctrl+k", "tab.students": "6,f6"}
    path.write_text("source:\n  kind: oneroster_csv\n  path: x\nkeymap: [commit]\n")
    with pytest.raises(RosterError, match="'keymap' must be a mapping of keys"):
        config.load(path)


def test_a_bad_keymap_stops_the_dashboard_before_it_starts(tmp_path):
    from rostertui.app import run_dashboard
    path = tmp_path / "config.yaml"
    path.write_text("source:\n  kind: oneroster_csv\n  path: x\n"
                    "store:\n  path: store.json\nkeymap:\n  comit: k\n")
    os.chmod(path, 0o600)
    with pytest.raises(RosterError, match="unknown key 'keymap.comit'"):
        run_dashboard(path)


# -- the keymap in the app -----------------------------------------------------------

async def test_a_remapped_key_works_and_the_old_one_does_not(tmp_path, source):
    app = app_with(engine_on(tmp_path, source),
                   {"tab.students": "x", "help": "h", "palette": "ctrl+k"})
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await started(pilot)
        tabs = dashboard.query_one("TabbedContent")
        await pilot.press("6")
        await pilot.pause()
        assert tabs.active == "status"
        await pilot.press("x")
        await until(pilot, lambda: tabs.active == "students")
        await pilot.press("5")
        await until(pilot, lambda: tabs.active == "teachers")
        footer = dashboard.query_one(KeyFooter)._entries()
        assert ("12345x7", "Tabs", True) in footer and ("^k", "Palette", True) in footer

        await pilot.press("question_mark", "f1")
        await pilot.pause()
        assert app.screen is dashboard
        await pilot.press("h")
        help_screen = await on_screen(pilot, HelpScreen)
        rows = help_rows(help_screen)
        assert rows["help"] == "h" and rows["tab.students"] == "x"
        assert rows["palette"] == "^k"
        await pilot.press("escape")
        await on_screen(pilot, Dashboard)


# -- the help ------------------------------------------------------------------------

async def test_help_lists_the_live_bindings_of_where_it_was_opened(tmp_path, source):
    app = app_with(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        dashboard = await started(pilot)
        await pilot.press("f1")
        help_screen = await on_screen(pilot, HelpScreen)
        assert help_screen.origin is dashboard
        rows = help_rows(help_screen)
        assert rows["help"] == "? f1" and rows["sync"] == "s" and rows["warnings"] == "w"
        assert "list.open" not in rows  # no list has the focus on the Status tab
        titles = [g[0].BINDING_GROUP_TITLE for g in key_groups(dashboard)]
        assert titles == ["Status", "Dashboard", "Everywhere"]
        shown = {b.id for _, b, _, _ in dashboard.active_bindings.values() if b.id}
        assert set(rows) == shown
        await pilot.press("q")
        await on_screen(pilot, Dashboard)

        await pilot.press("6")
        await until(pilot, lambda: visible_table(app).has_focus)
        await pilot.press("question_mark")
        help_screen = await on_screen(pilot, HelpScreen)
        rows = help_rows(help_screen)
        assert rows["list.open"] == "⏎" and rows["filter.school"] == "f"
        assert rows["tab.students"] == "6" and "tick" not in rows  # students are not ticked
        await pilot.press("escape")
        await on_screen(pilot, Dashboard)

        await pilot.press("ctrl+p", *"help")
        await pilot.pause(0.3)
        await pilot.press("enter")
        help_screen = await on_screen(pilot, HelpScreen)
        assert help_screen.origin is dashboard
