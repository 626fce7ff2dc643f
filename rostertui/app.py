"""The app shell: the only engine-side module that imports Textual."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from . import config as config_mod
from . import output
from .engine import Engine


class RosterApp(App):
    TITLE = "rostertui"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, engine: Engine):
        super().__init__()
        self.engine = engine

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(output.status(self.engine.status()), markup=False, id="status")
        yield Footer()


def run_dashboard(config_path: Path | None, demo: bool = False) -> int:
    if demo:
        from .demo import prepare
        cfg = prepare()
    else:
        cfg = config_mod.load(config_path)
    RosterApp(Engine(cfg)).run()
    return 0
