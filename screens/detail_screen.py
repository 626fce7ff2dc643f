"""The base of every detail screen: a scrolling document, the fields kept here (e edits
them) and the record's sync history."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from rostertui.catalog import Catalog
from rostertui.errors import RosterError
from rostertui.model import LOCAL_FIELDS
from rostertui.records import Action, Record, SyncRecord
from rostertui.text import safe

from . import columns, gcpause, notices
from .document import fields, label
from .footer import KeyFooter
from .local_fields_screen import LocalFieldsScreen
from .roster_app import engine_of
from .rowtable import RowTable

History = Callable[[str, str], list[tuple[SyncRecord, Action]]]


class DetailScreen(Screen[None]):
    """Subclasses build `document()`; `history` lists the syncs that touched the record."""

    CSS_PATH = "detail_screen.tcss"
    BINDING_GROUP_TITLE = "Detail"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back"),
                Binding("e", "edit", "Edit notes", id="edit",
                        tooltip="kept here (a section's display name, notes and "
                                "priority); no sync changes them")]
    kind = ""

    def __init__(self, catalog: Catalog, type_: str, doc: Record, history: History,
                 on_change: Callable[[], object]):
        """`history(type_, source_id)` lists the (sync, action) pairs that touched it;
        `on_change()` is called once a local field was saved."""
        super().__init__()
        self.catalog = catalog
        self.type_ = type_
        self.doc = doc
        self.history = history
        self.on_change = on_change
        self.local = LOCAL_FIELDS.get(type_, ())

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body", classes="main"):
            yield Static(self.document(), id="document")
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

    def kept_here(self) -> Text:
        """The local fields: shown under the heading, whatever the source says."""
        shown = fields((label(n), self.doc.get(n)) for n in self.local)
        if shown.plain or not self.local:
            return shown
        names = [label(n).lower() for n in self.local]
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        return Text(f"No {listed} kept here yet: e adds them", style="dim")

    # -- local fields ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        return action != "edit" or bool(self.local)

    def action_edit(self) -> None:
        title = f"Kept here for {safe(self.heading_name())}"
        self.app.push_screen(LocalFieldsScreen(title, self.doc, self.local), self._edited)

    def _edited(self, changed: Record | None) -> None:
        if changed == {}:
            notices.info(self, "Nothing changed.")
        elif changed:
            self.save(changed)

    @work(thread=True, exclusive=True, group="save")
    def save(self, changed: Record) -> None:
        try:
            doc = engine_of(self).set_local_fields(self.type_, self.doc["source_id"], changed)
        except RosterError as exc:
            self.app.call_from_thread(notices.error, self, exc)
            return
        self.app.call_from_thread(self._saved, doc, changed)

    def _saved(self, doc: Record, changed: Record) -> None:
        self.doc = doc
        self.query_one("#document", Static).update(self.document())
        notices.info(self, f"Saved {', '.join(label(n).lower() for n in changed)}; "
                           "no sync will change it.")
        self.on_change()

    @work(thread=True, exclusive=True)
    def load_history(self) -> None:
        try:
            pairs = gcpause.load(self.history, self.type_, self.doc["source_id"])
        except RosterError as exc:
            self.app.call_from_thread(notices.error, self, exc)
            pairs = []
        self.app.call_from_thread(self._show_history, pairs)

    def _show_history(self, pairs: list[tuple[SyncRecord, Action]]) -> None:
        table = self.query_one("#history", RowTable)
        table.empty = "No committed sync has touched it"
        table.show(pairs)
