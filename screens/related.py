"""The lists of a detail screen (a class's students, a school's teachers, a record's sync
history): each shown in full, one row per line, inside the screen's one scrolling body,
so no list hides rows in a scroll area of its own. Enter opens a row.

A RowTable as tall as its rows: only the lines in view are drawn, so a school's 2,000
students cost what a screenful does. The screen scrolls its body to the cursor
(DetailScreen.reveal), and up or down past a list's end moves to the next list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message
from textual.widget import Widget

from rostertui.records import Record

from .rowtable import Column, RowTable

HISTORY = "history"  # the type of the sync history list: Enter opens a sync's report


@dataclass(frozen=True)
class Related:
    """A list under the document: its records, the type a row opens, its columns."""

    title: str  # Students: the heading adds the count
    type_: str
    rows: Sequence[Record]
    columns: list[Column]
    missing: list[str] = field(default_factory=list)  # listed ids the store does not hold

    @property
    def heading(self) -> str:
        gone = f"; not in the store: {', '.join(self.missing)}" if self.missing else ""
        return f"{self.title} ({len(self.rows):,}){gone}"


class RelatedList(RowTable):
    """A RowTable that grows to its rows; its screen's body does the scrolling."""

    DEFAULT_CSS = """
    RelatedList { height: auto; }
    """

    class Leave(Message):
        """Up from the first row (direction -1) or down from the last (1)."""

        def __init__(self, table: RelatedList, direction: int):
            super().__init__()
            self.table = table
            self.direction = direction

    def __init__(self, type_: str, columns: list[Column], rows: Sequence[Any] = (), *,
                 empty: str = "None", id: str | None = None):
        super().__init__(columns, empty=empty, id=id)
        self.type_ = type_
        self.initial = rows

    def on_mount(self) -> None:
        self.show(self.initial)

    def action_move(self, delta: int) -> None:
        if 0 <= self.cursor + delta < len(self.rows):
            super().action_move(delta)
        else:
            self.post_message(self.Leave(self, delta))

    def action_page(self, direction: int) -> None:
        """A page of the body that scrolls it (this list is as tall as its rows)."""
        body = self.parent
        page = body.size.height if isinstance(body, Widget) else self.screen.size.height
        target = max(0, min(self.cursor + direction * max(1, page - 2), len(self.rows) - 1))
        super().action_move(target - self.cursor)
