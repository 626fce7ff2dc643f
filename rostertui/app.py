"""The app shell: the only module of the engine's package that imports Textual.

It holds the engine, the global keys (and the config's keymap: for every key), the
command palette's commands and the handling of SIGTERM and SIGHUP; the screens and
widgets live in the `screens` package.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.driver import Driver
from textual.screen import ModalScreen, Screen

from connectors import connector_for
from screens import keymap as keymap_mod
from screens.dashboard import Dashboard
from screens.help_screen import HelpScreen
from screens.job_screen import JobScreen

from . import config as config_mod
from .engine import Engine

# SIGTERM, and SIGHUP when the SSH session drops. The app exits with 128 + the signal's
# number (143, 129), as a shell reports a process that a signal ended.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class RosterApp(App[None]):
    TITLE = "rostertui"
    # Every screen's rules for focus and state that read without colour. Absolute, as
    # Textual reads a relative one from the file of the class (a subclass's, in tests).
    CSS_PATH = Path(__file__).resolve().parent.parent / "screens" / "app.tcss"
    MODES = {"dashboard": Dashboard}
    DEFAULT_MODE = "dashboard"
    BINDING_GROUP_TITLE = "Everywhere"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        Binding("question_mark,f1", "help", "Help", tooltip="the keys that work here",
                id="help"),
        Binding(App.COMMAND_PALETTE_BINDING, "command_palette", "Palette", show=False,
                priority=True, tooltip="every command, by name", id="palette"),
    ]

    def __init__(self, engine: Engine, keymap: dict[str, str] | None = None):
        """`keymap`: binding id -> keys, as keymap.check returns it."""
        super().__init__()
        self.engine = engine
        if keymap:
            self.set_keymap(keymap)

    @property
    def dashboard(self) -> Dashboard:
        """The first screen of the dashboard mode (Textual types its stack as plain
        screens)."""
        return cast(Dashboard, self.screen_stack[0])

    # -- signals and hangups -------------------------------------------------------------

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        if os.name != "posix":
            return driver
        from screens.hangup import hangup_safe  # the Linux driver needs termios
        return hangup_safe(driver)

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self.stop_on_signal, sig)

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    def stop_on_signal(self, sig: int) -> None:
        """Exit through App.exit, which restores the terminal. A commit, revert or discard
        that is running finishes first (the store is then the after state, as the admin
        asked); a fetch is cancelled, so nothing is staged."""
        code = 128 + sig
        job = next((s for s in self.screen_stack if isinstance(s, JobScreen)), None)
        if job is not None and not job.cancellable and job.stop_when_done(code):
            return
        if job is not None:
            job.feedback.cancel.set()
        self.exit(return_code=code)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
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
            self.push_screen(HelpScreen(self.screen))


def keymap_classes() -> list[type[DOMNode]]:
    """Every class with BINDINGS: the app and the screens package's."""
    return [RosterApp, *keymap_mod.owners()]


def run_dashboard(config_path: Path | None, demo: bool = False) -> int:
    if demo:
        from .demo import prepare
        cfg = prepare()
    else:
        cfg = config_mod.load(config_path)
    keymap = keymap_mod.check(keymap_mod.section(cfg), keymap_classes(),
                              str(cfg.path) if cfg.path else "config")
    app = RosterApp(Engine(cfg, connector_for(cfg.source)), keymap)
    app.run()
    return app.return_code or 0
