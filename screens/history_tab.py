"""The History tab: every sync, newest first; Enter opens its report, u reverts it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button

from rostertui.records import SyncRecord

from . import columns
from .messages import OpenReport, RevertSync
from .rowtable import RowTable


class HistoryTab(Vertical):
    BINDING_GROUP_TITLE = "History"
    BINDINGS = [Binding("u", "revert", "Revert",
                        tooltip="asks first; names the records later syncs changed",
                        id="revert")]

    def compose(self) -> ComposeResult:
        yield RowTable(columns.syncs(), empty="No syncs yet: press s to sync now",
                       classes="main")
        with Horizontal(classes="buttons"):
            yield Button("Open report", id="open-report", compact=True)
            yield Button("Revert", id="revert", compact=True)

    _newest: int | None = None  # the newest sync shown last time

    def show(self, syncs: list[SyncRecord]) -> None:
        """The syncs, the cursor kept on its sync; when a newer sync arrived, on the newest,
        so that `u` never lands on an old sync by surprise."""
        table = self.query_one(RowTable)
        current = table.row["id"] if table.row else None
        ids = [d["id"] for d in syncs]
        newest = ids[0] if ids else None
        arrived = newest is not None and newest != self._newest
        self._newest = newest
        cursor = 0
        if current is not None and current in ids and not arrived:
            cursor = ids.index(current)
        table.show(syncs, cursor=cursor)

    def on_row_table_selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.post_message(OpenReport(event.row["id"]))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"open-report": self.query_one(RowTable).action_select,
         "revert": self.action_revert}[event.button.id or ""]()

    def action_revert(self) -> None:
        row = self.query_one(RowTable).row
        if row is not None:
            self.post_message(RevertSync(row))
