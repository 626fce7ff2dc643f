"""The Overview tab: active and archived counts per type, and the data warnings."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from rostertui.model import ACTION_TYPES

from .counter_grid import CounterGrid
from .labels import plural
from .messages import OpenReport, ShowTab
from .sync_now import last_planned


class OverviewTab(Vertical):
    BINDINGS = [Binding("w", "warnings", "Warnings")]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.warned: dict | None = None  # the sync whose warnings `w` shows

    def compose(self) -> ComposeResult:
        yield Static("Records in the store. Enter on a count opens its list.", classes="hint")
        yield CounterGrid([("active", "Active"), ("archived", "Archived")], classes="main")
        yield Static(id="warnings")

    def show(self, counts: dict, syncs: list[dict]) -> None:
        self.query_one(CounterGrid).fill([
            (t, plural(t), [f"{counts[t]['active']:,}", f"{counts[t]['archived']:,}"])
            for t in ACTION_TYPES])
        self.warned = last_planned(syncs)
        if self.warned is None:
            text = "Data warnings: none yet (no sync)"
        else:
            text = (f"Data warnings: {self.warned['warnings']:,} in sync #{self.warned['id']}"
                    + (" (w shows them)" if self.warned["warnings"] else ""))
        self.query_one("#warnings", Static).update(Text(text))

    def on_counter_grid_picked(self, event: CounterGrid.Picked) -> None:
        event.stop()
        self.post_message(ShowTab(event.row, event.column))

    def action_warnings(self) -> None:
        if self.warned is not None:
            self.post_message(OpenReport(self.warned["id"]))
