"""The History tab: every sync, newest first; Enter opens its report."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from . import columns
from .messages import OpenReport
from .rowtable import RowTable


class HistoryTab(Vertical):
    def compose(self) -> ComposeResult:
        yield RowTable(columns.syncs(), empty="No syncs yet: press s to sync now",
                       classes="main")

    def show(self, syncs: list[dict]) -> None:
        table = self.query_one(RowTable)
        current = table.row["id"] if table.row else None
        ids = [d["id"] for d in syncs]
        table.show(syncs, cursor=ids.index(current) if current in ids else 0)

    def on_row_table_selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.post_message(OpenReport(event.row["id"]))
