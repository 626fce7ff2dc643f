"""The Overview tab: active and archived counts per type, and the data warnings."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from rostertui.model import ACTION_TYPES
from rostertui.records import Counts, SyncRecord

from .counter_grid import CounterGrid
from .labels import plural
from .messages import ShowTab
from .sync_now import last_planned


class OverviewTab(Vertical):
    BINDING_GROUP_TITLE = "Overview"
    BINDINGS = [Binding("w", "screen.warnings", "Warnings",
                        tooltip="the data warnings of the last sync", id="warnings")]

    def compose(self) -> ComposeResult:
        yield Static("Records in the store. Enter on a count opens its list.", classes="hint")
        yield CounterGrid([("active", "Active"), ("archived", "Archived")], classes="main")
        yield Static(id="warnings")

    def show(self, counts: Counts, syncs: list[SyncRecord]) -> None:
        self.query_one(CounterGrid).fill([
            (t, plural(t), [f"{counts[t]['active']:,}", f"{counts[t]['archived']:,}"])
            for t in ACTION_TYPES])
        last = last_planned(syncs)
        if last is None:
            text = "Data warnings: none yet (no sync)"
        else:
            text = (f"Data warnings: {last['warnings']:,} in sync #{last['id']}"
                    + (" (w shows them)" if last["warnings"] else ""))
        self.query_one("#warnings", Static).update(Text(text))

    def on_counter_grid_picked(self, event: CounterGrid.Picked) -> None:
        event.stop()
        self.post_message(ShowTab(event.row, event.column))
