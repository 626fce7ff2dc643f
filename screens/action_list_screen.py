"""The actions of one type and kind in a staged sync, with their checkboxes.

Rows are the review's own action dicts, each read from the plan as it comes into view
(indexed_review.ActionRows: a 100,000-action list opens without parsing the plan): a
toggle flips `enabled` in place (and appends one line to the toggle log), so the table
only redraws the row. Counts and "all on/off" use the list's ids, never its rows.
Unticking a student's archive offers to untick the actions linked to it
(linked_actions.py) as well.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from rostertui.catalog import Catalog
from rostertui.errors import RosterError
from rostertui.indexed_review import ActionRows, IndexedReview
from rostertui.plan_index import Actions
from rostertui.records import Action

from . import columns, notices
from .action_detail import describe
from .confirm_screen import ConfirmScreen
from .footer import KeyFooter
from .labels import KIND_LABELS, plural
from .linked_actions import contacts_of, counted, question
from .rowtable import RowTable
from .searchable import Searchable

AT_ONCE = 10_000  # a list of at most this many actions is read as the screen opens


class ActionListScreen(Searchable, Screen[str | None]):
    """Dismissed with "commit" when the admin asks to commit from here."""

    # The rules live here, not in a CSS_PATH file: the first time a screen with a file of
    # its own opens, Textual parses every stylesheet again and restyles every widget of
    # the app (60 ms and more, on the UI thread). Scoped to this screen.
    DEFAULT_CSS = """
    ActionListScreen #counts { height: 1; padding: 0 1; }
    ActionListScreen #search { margin: 0 1; }
    ActionListScreen RowTable { height: 1fr; }
    ActionListScreen #detail-pane { height: 9; border-top: solid $primary; padding: 0 1; }
    """
    BINDING_GROUP_TITLE = "Action list"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="to the report", id="back"),
        Binding("a", "set_all(True)", "All on", tooltip="tick every action shown",
                id="tick-all"),
        Binding("n", "set_all(False)", "All off", tooltip="untick every action shown",
                id="untick-all"),
        Binding("slash", "search", "Find", tooltip="filter by text", id="search"),
        Binding("c", "commit", "Commit", tooltip="back to the report, which asks first",
                id="commit"),
    ]

    def __init__(self, review: IndexedReview, type_: str, kind: str, catalog: Catalog | None):
        super().__init__()
        self.review = review
        self.type_ = type_
        self.kind = kind
        self.catalog = catalog
        self.rows = ActionRows(review, Actions(type_, kind), range(0))  # until loaded
        self.on = 0  # enabled rows, kept by each toggle: a recount costs 10 ms at 100,000

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="counts")
        yield Input(placeholder="/ Filter by name, id or changed field", compact=True,
                    id="search")
        yield RowTable(columns.actions(), checked=lambda a: a["enabled"],
                       empty="Loading…", classes="main")
        with VerticalScroll(id="detail-pane"):
            yield Static(id="detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        kind = KIND_LABELS[self.kind]
        self.title = f"Sync {self.review.sync_id}: {plural(self.type_)} · {kind}"
        self.query_one(RowTable).focus()
        if self.review.index.counts.get((self.type_, self.kind), 0) <= AT_ONCE:
            self.refilter()
        else:
            self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        """The list's ids, read from the index here, not in the UI thread (100,000 at
        district scale); its rows are read from the plan as they are shown."""
        self.review.group(self.type_, self.kind)
        self.app.call_from_thread(self.refilter)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        return self.review.editable or action not in ("set_all", "commit")

    def refilter(self) -> None:
        text = self.query_one("#search", Input).value
        self.rows = self.review.select(self.type_, self.kind, text)
        self.on = self.rows.enabled_count()
        table = self.query_one(RowTable)
        table.empty = "No action matches"
        table.show(self.rows)
        self._counts()

    def _counts(self) -> None:
        hint = "space toggles and moves down" if self.review.editable else \
            f"read only: the sync is {self.review.doc['status']}"
        self.query_one("#counts", Static).update(
            Text(f"{self.on:,} of {len(self.rows):,} enabled · {hint}"), layout=False)

    def _set(self, ids: list[str], enabled: bool) -> bool:
        try:
            self.review.set_enabled(ids, enabled)
        except RosterError as exc:
            notices.error(self, exc)
            return False
        return True

    def on_row_table_toggled(self, event: RowTable.Toggled) -> None:
        event.stop()
        if self._set([event.row["id"]], not event.row["enabled"]):
            self.on += 1 if event.row["enabled"] else -1
            event.table.refresh()  # the toggled row: the cursor has moved on from it
            if event.table.row is event.row:  # the last row, where the cursor stays
                self._show_detail(event.row)
            self._counts()
            if not event.row["enabled"]:
                self._offer_linked([event.row["id"]])

    def on_row_table_highlighted(self, event: RowTable.Highlighted) -> None:
        event.stop()
        self._show_detail(event.row)

    def _show_detail(self, action: Action | None) -> None:
        self.query_one("#detail", Static).update(
            describe(action, self.catalog) if action else Text(""))

    def action_set_all(self, enabled: bool) -> None:
        ids = self.rows.ids
        if self._set(ids, enabled):
            self.on = len(self.rows) if enabled else 0
            self.query_one(RowTable).refresh()
            self._show_detail(self.query_one(RowTable).row)
            self._counts()
            if not enabled:
                self._offer_linked(ids)

    def _offer_linked(self, unticked: list[str]) -> None:
        """After unticking: ask whether the actions linked to these go too."""
        linked = self.review.linked(unticked, contacts_of(self.catalog))
        if linked:
            title, body = question(linked)
            self.app.push_screen(ConfirmScreen(title, body, "Yes", no="No", danger=False),
                                 partial(self._untick_linked, linked))

    def _untick_linked(self, linked: list[Action], yes: bool | None) -> None:
        what = counted(len(linked), "linked action")
        if not yes:
            notices.info(self, f"The {what} stay ticked.")
        elif self._set([a["id"] for a in linked], False):
            notices.info(self, f"Unticked the {what} as well.")

    def action_commit(self) -> None:
        self.dismiss("commit")
