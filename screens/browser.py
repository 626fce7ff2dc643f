"""A filtered list of one record type: school filter, status, search, and the rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Select, Static

from rostertui.catalog import Catalog
from rostertui.records import Record
from rostertui.text import safe

from .labels import plural
from .rowtable import Column, RowTable
from .searchable import Searchable, focus_now

ANY = ""  # the Select value meaning "no filter"
STATUSES = [("Any status", ANY), ("Active", "active"), ("Archived", "archived")]

Columns = Callable[[Catalog], list[Column]]
Opener = Callable[[Catalog, Record], Screen[Any]]
Kinds = dict[str, Callable[[Record], bool]]  # an extra filter: its label -> its test


class Browser(Searchable, Vertical):
    """Rows come from Catalog.rows, so a keystroke costs one pass over precomputed keys."""

    BINDING_GROUP_TITLE = "List"
    BINDINGS = [
        # priority: handled as it comes, before the keys typed after it are passed to the
        # focus, so that "/mar" typed during a stall all reaches the search box
        Binding("slash", "search", "Search", id="search", priority=True),
        Binding("f", "school_filter", "School", tooltip="show one school's rows",
                id="filter.school"),
        Binding("k", "kind_filter", "Kind", tooltip="homeroom/advisory only, in Sync classes",
                id="filter.kind"),
        Binding("escape,down", "table", "Back to the list", show=False, id="list.focus"),
    ]

    def __init__(self, type_: str, columns: Columns, opener: Opener, *,
                 school_filter: bool = True, kinds: Kinds | None = None,
                 id: str | None = None):
        """`kinds`: a further filter, such as homeroom sections only (k focuses it)."""
        super().__init__(id=id, classes="browser")
        self.type_ = type_
        self.columns = columns
        self.opener = opener
        self.school_filter = school_filter
        self.kinds = kinds or {}
        self.catalog: Catalog | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            if self.school_filter:
                yield Select([("All schools", ANY)], value=ANY, allow_blank=False,
                             compact=True, id="school")
            yield Select(STATUSES, value=ANY, allow_blank=False, compact=True, id="status")
            if self.kinds:
                yield Select([(f"All {plural(self.type_).lower()}", ANY)] +
                             [(label, label) for label in self.kinds], value=ANY,
                             allow_blank=False, compact=True, id="kind")
            yield Input(placeholder=f"/ Search {', '.join(Catalog.search_terms(self.type_))}",
                        compact=True, id="search")
        yield RowTable(empty="Loading the store…", classes="main")
        yield Static(classes="count")

    @property
    def table(self) -> RowTable:
        return self.query_one(RowTable)

    def load(self, catalog: Catalog) -> None:
        """Show the rows of a freshly loaded catalog, keeping the filters."""
        self.catalog = catalog
        if self.school_filter:
            school = self.query_one("#school", Select)
            with self.prevent(Select.Changed):
                kept = school.value
                school.set_options([("All schools", ANY)] + [
                    (Text(safe(d.get("name") or d["source_id"])), d["source_id"])
                    for d in catalog.docs("school")])
                school.value = kept if catalog.entry("school", str(kept)) else ANY
        name = plural(self.type_).lower()
        self.table.empty = f"No {name} match" if catalog.docs(self.type_) else \
            f"No {name} in the store yet: press s to sync now"
        self.refilter(columns=self.columns(catalog))

    def filter_status(self, status: str | None) -> None:
        """Show the rows of this status (None: every status) and clear the other filters:
        a count in Overview means all of them."""
        with self.prevent(Select.Changed, Input.Changed):
            for select in self.query(Select):
                select.value = ANY
            self.query_one("#status", Select).value = status or ANY
            self.query_one("#search", Input).value = ""
        self.refilter()

    def refilter(self, columns: list[Column] | None = None) -> None:
        if self.catalog is None:
            return
        school = self._chosen("#school") if self.school_filter else ANY
        status = self._chosen("#status")
        text = self.query_one("#search", Input).value
        rows = self.catalog.rows(self.type_, school or None, text, status or None)
        kind = self._chosen("#kind") if self.kinds else ANY
        if kind:
            rows = list(filter(self.kinds[kind], rows))
        every = self.catalog.docs(self.type_)
        self.table.show(rows, columns=columns, measure=every)  # widths kept while typing
        self.query_one(".count", Static).update(  # one line, always: no layout pass
            f"{len(rows):,} of {len(every):,} {plural(self.type_).lower()}", layout=False)

    def _chosen(self, selector: str) -> str:
        """A filter's value: never blank (allow_blank=False), so `selection` is `value`."""
        chosen: str | None = self.query_one(selector, Select).selection
        return chosen or ANY

    def on_row_table_selected(self, event: RowTable.Selected) -> None:
        event.stop()
        if self.catalog is not None:
            self.app.push_screen(self.opener(self.catalog, event.row))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        """Only the filters this list has are offered (and shown in the Footer); in the
        search box, and in a filter's open list (which finds a school as it is typed:
        "K-8 / Annex"), / is a character."""
        typing = self.query_one("#search", Input).has_focus or \
            any(select.expanded for select in self.query(Select))
        return {"table": not self.table.has_focus, "school_filter": self.school_filter,
                "kind_filter": bool(self.kinds), "search": not typing}.get(action, True)

    def action_school_filter(self) -> None:
        if self.school_filter:
            self._open("#school")

    def action_kind_filter(self) -> None:
        if self.kinds:
            self._open("#kind")

    def _open(self, selector: str) -> None:
        """Focus the filter and drop its list down: up, down and Enter pick a value."""
        select = self.query_one(selector, Select)
        focus_now(select)
        select.action_show_overlay()

    def action_table(self) -> None:
        focus_now(self.table)
