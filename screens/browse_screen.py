"""A list of a type without a tab of its own (staff, contacts), opened from Overview."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header

from rostertui.catalog import Catalog

from .browser import Browser, Columns, Opener
from .footer import KeyFooter
from .labels import plural


class BrowseScreen(Screen[None]):
    CSS_PATH = "dashboard.tcss"
    BINDING_GROUP_TITLE = "List"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back")]

    def __init__(self, catalog: Catalog, type_: str, columns: Columns, opener: Opener,
                 status: str | None = None):
        super().__init__()
        self.catalog = catalog
        self.browser = Browser(type_, columns, opener)
        self.status = status

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.browser
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = plural(self.browser.type_)
        self.browser.load(self.catalog)
        self.browser.filter_status(self.status)
        self.browser.table.focus()
