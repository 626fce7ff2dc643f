"""The base of every detail screen: a scrolling document and the record's sync history."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from rostertui.catalog import Catalog
from rostertui.errors import RosterError
from rostertui.text import safe

from . import bulk, columns, notices
from .document import label
from .footer import KeyFooter
from .rowtable import RowTable

History = Callable[[str, str], list]


class DetailScreen(Screen):
    """Subclasses build `document()`; `history` lists the syncs that touched the record."""

    CSS_PATH = "detail.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    kind = ""

    def __init__(self, catalog: Catalog, type_: str, doc: dict, history: History):
        """`history(type_, source_id)` lists the (sync, action) pairs that touched it."""
        super().__init__()
        self.catalog = catalog
        self.type_ = type_
        self.doc = doc
        self.history = history

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body", classes="main"):
            yield Static(self.document())
        yield Static("Sync history: the committed syncs that touched it", classes="heading")
        yield RowTable(columns.record_history(), empty="Loading…", id="history")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"{self.kind or label(self.type_)}: {safe(self.heading_name())}"
        self.query_one("#body").focus()
        self.load_history()

    def heading_name(self) -> str:
        return self.catalog.name(self.type_, self.doc["source_id"])

    def document(self) -> Text:
        raise NotImplementedError

    @work(thread=True, exclusive=True)
    def load_history(self) -> None:
        try:
            pairs = bulk.load(self.history, self.type_, self.doc["source_id"])
        except RosterError as exc:
            self.app.call_from_thread(notices.error, self, exc)
            pairs = []
        self.app.call_from_thread(self._show_history, pairs)

    def _show_history(self, pairs: list) -> None:
        table = self.query_one("#history", RowTable)
        table.empty = "No committed sync has touched it"
        table.show(pairs)
