"""The app shell: the only engine-side module that imports Textual.

It holds the engine, the global keys and the command palette's commands; the screens
and widgets live in the `screens` package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from screens.dashboard import Dashboard
from screens.help_screen import HelpScreen

from . import config as config_mod
from .engine import Engine


class RosterApp(App):
    TITLE = "rostertui"
    MODES = {"dashboard": Dashboard}
    DEFAULT_MODE = "dashboard"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False),
    ]

    def __init__(self, engine: Engine):
        super().__init__()
        self.engine = engine

    @property
    def dashboard(self) -> Dashboard:
        return self.screen_stack[0]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        if isinstance(screen, ModalScreen):  # a dialog or a running job awaits its answer
            yield SystemCommand("Quit", "Leave rostertui", self.exit)
            return
        d = self.dashboard
        yield SystemCommand("Sync now", "Fetch from the source and stage the changes",
                            d.action_sync)
        yield SystemCommand("Commit", "Commit the staged sync (asks first)", d.action_commit)
        yield SystemCommand("Discard", "Discard the staged sync (asks first)",
                            d.action_discard)
        yield SystemCommand("Export warnings", "Save the last sync's data warnings as CSV",
                            d.action_export_warnings)
        yield SystemCommand("School filter", "Filter the list by school",
                            self._school_filter)
        yield SystemCommand("Help", "Every key, by screen", self.action_help)
        yield SystemCommand("Quit", "Leave rostertui", self.exit)

    def _school_filter(self) -> None:
        while self.screen is not self.dashboard:
            self.pop_screen()
        self.dashboard.action_school_filter()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def run_dashboard(config_path: Path | None, demo: bool = False) -> int:
    if demo:
        from .demo import prepare
        cfg = prepare()
    else:
        cfg = config_mod.load(config_path)
    RosterApp(Engine(cfg)).run()
    return 0
