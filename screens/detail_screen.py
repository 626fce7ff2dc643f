"""The base of every detail screen: one scrolling body with the record's fields, the
fields kept here (e edits them), its related lists (a class's students, a teacher's
classes) and its sync history, each row of which opens: a record's screen, or a sync's
report. Escape comes back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import DescendantFocus
from textual.geometry import Region
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
from .messages import OpenReport
from .related import HISTORY, Related, RelatedList
from .roster_app import engine_of, roster_app
from .rowtable import RowTable

History = Callable[[str, str], list[tuple[SyncRecord, Action]]]


class DetailScreen(Screen[None]):
    """Subclasses build `document()` and `related()`, and name the `types` they show;
    `history` lists the syncs that touched the record."""

    # The rules live here, not in a CSS_PATH file: the first time a screen with a file of
    # its own opens, Textual parses every stylesheet again and restyles every widget of
    # the app (60 ms and more, on the UI thread). Scoped to this screen.
    DEFAULT_CSS = """
    DetailScreen #body { height: 1fr; padding: 0 1; }
    DetailScreen .heading { height: 1; text-style: bold; padding: 0 1; background: $panel; }
    DetailScreen #history { height: 7; }
    """
    BINDING_GROUP_TITLE = "Detail"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back"),
                Binding("e", "edit", "Edit notes", id="edit",
                        tooltip="kept here (a section's display name, notes and "
                                "priority); no sync changes them")]
    kind = ""
    types: ClassVar[tuple[str, ...]] = ()
    # The type of the list that has the focus when the screen opens (default: the first
    # list with rows, or else the body).
    first_list = ""
    _screens: ClassVar[dict[str, type[DetailScreen]]] = {}  # type -> its screen

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        DetailScreen._screens.update(dict.fromkeys(cls.types, cls))

    @classmethod
    def for_type(cls, type_: str) -> type[DetailScreen]:
        """The screen that shows a record of this type."""
        return cls._screens[type_]

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
        self.opening = True  # the first reveal keeps as much of the document as it can

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body", classes="main"):
            yield Static(self.document(), id="document")
            for related in self.related():
                yield Static(Text(related.heading), classes="heading")
                if related.rows:
                    yield RelatedList(related.type_, related.columns, related.rows)
            appendix = self.appendix()
            if appendix.plain:
                yield Static(appendix, id="appendix")
            yield Static("Sync history: the committed syncs that touched it", classes="heading",
                         id="history-heading")
            yield RelatedList(HISTORY, columns.record_history(), empty="Loading…",
                              id="sync-history")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"{self.kind or label(self.type_)}: {safe(self.heading_name())}"
        lists = [t for t in self.query(RelatedList) if t.rows and t.type_ != HISTORY]
        first = next((t for t in lists if t.type_ == self.first_list), lists[0] if lists else None)
        (first or self.query_one("#body")).focus(scroll_visible=False)
        self.load_history()

    def heading_name(self) -> str:
        return self.catalog.name(self.type_, self.doc["source_id"])

    def document(self) -> Text:
        raise NotImplementedError

    def related(self) -> list[Related]:
        """The lists under the document, in order."""
        return []

    def appendix(self) -> Text:
        """What comes after the lists: fields seldom looked at."""
        return Text()

    def kept_here(self) -> Text:
        """The local fields: shown under the heading, whatever the source says."""
        shown = fields((label(n), self.doc.get(n)) for n in self.local)
        if shown.plain or not self.local:
            return shown
        names = [label(n).lower() for n in self.local]
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        return Text(f"No {listed} kept here yet: e adds them", style="dim")

    # -- the lists -----------------------------------------------------------------------

    def on_row_table_selected(self, event: RowTable.Selected) -> None:
        event.stop()
        table = event.table
        if not isinstance(table, RelatedList):
            return
        if table.type_ == HISTORY:
            sync, _ = event.row
            roster_app(self).dashboard.post_message(OpenReport(sync["id"]))
        else:
            # a related list holds compact entries: the screen shows the whole record
            whole = self.catalog.get(table.type_, event.row["source_id"]) or event.row
            screen = self.for_type(table.type_)
            self.app.push_screen(screen(self.catalog, table.type_, whole, self.history,
                                        self.on_change))

    def on_related_list_leave(self, event: RelatedList.Leave) -> None:
        """Up or down past a list's end goes on to the list before or after it."""
        event.stop()
        tables = list(self.query(RelatedList))
        if event.direction < 0:
            tables.reverse()
        after = tables[tables.index(event.table) + 1:]
        table = next((t for t in after if t.rows), None)
        body = self.query_one("#body", VerticalScroll)
        if table is not None:
            table.focus()
            table.action_jump(0 if event.direction > 0 else -1)
        elif event.direction < 0:
            body.scroll_home(animate=False)
        else:
            body.scroll_end(animate=False)

    @on(RowTable.Highlighted)
    @on(DescendantFocus)
    def _follow_cursor(self, event: RowTable.Highlighted | DescendantFocus) -> None:
        focused = isinstance(event, DescendantFocus)
        table = event.widget if isinstance(event, DescendantFocus) else event.table
        if isinstance(table, RelatedList) and table.has_focus:
            self.call_after_refresh(self.reveal, table, focused)

    def reveal(self, table: RelatedList, top: bool = False) -> None:
        """Scroll the body to the list's cursor row; on the first row, to the list's
        heading and column titles too (at the top of the view with `top`: the list was
        just entered, by Tab or from the list before it)."""
        top, self.opening = top and not self.opening, False
        body = self.query_one("#body", VerticalScroll)
        y = table.virtual_region.y
        if table.cursor <= 0:
            region = Region(0, max(0, y - 1), 1, 3)
        else:
            region, top = Region(0, y + 1 + table.cursor, 1, 1), False
        in_view = Region(0, body.scroll_offset.y, 1, body.scrollable_content_region.height)
        if not in_view.contains_region(region):
            body.scroll_to_region(region, animate=False, immediate=True, top=top)

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
        heading = f"Sync history ({len(pairs)}): committed syncs that touched it" + (
            "; Enter opens one" if pairs else "")
        self.query_one("#history-heading", Static).update(heading)
        table = self.query_one("#sync-history", RelatedList)
        table.empty = "No committed sync has touched it"
        table.show(pairs)
