"""A sync's data warnings: a filter by code, a search, and an export of what is shown.

Impero users download this CSV to correct the SIS; cells a spreadsheet would run as a
formula are neutralised by rostertui.export.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Select, Static

from rostertui.errors import RosterError
from rostertui.export import WARNING_COLUMNS, write_warnings
from rostertui.records import DataWarning
from rostertui.text import safe

from . import columns, gcpause, notices
from .ask_screen import AskScreen
from .footer import KeyFooter
from .roster_app import engine_of
from .rowtable import RowTable
from .searchable import Searchable

ANY = ""  # the Select value meaning every code


class WarningsScreen(Searchable, Screen[None]):
    CSS_PATH = "dashboard.tcss"
    BINDING_GROUP_TITLE = "Data warnings"
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("slash", "search", "Find", id="search"),
        Binding("f", "code_filter", "Code", tooltip="filter by code", id="filter.code"),
        Binding("e", "export", "Export CSV", tooltip="the warnings shown", id="export"),
    ]

    def __init__(self, sync_id: int, export: bool = False):
        """`export`: ask where to save the CSV as soon as the warnings are loaded."""
        super().__init__()
        self.sync_id = sync_id
        self.export_when_loaded = export
        self.warnings: list[DataWarning] | None = None
        self.keys: list[str] = []
        self.rows: list[DataWarning] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="browser"):
            with Horizontal(classes="filters"):
                yield Select([("All codes", ANY)], value=ANY, allow_blank=False, compact=True,
                             id="code")
                yield Input(placeholder="/ Search code, record or message", compact=True,
                            id="search")
            yield RowTable(columns.warnings(), empty="Loading…", classes="main")
            yield Static(id="message")
            yield Static(classes="count")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"Sync {self.sync_id}: data warnings"
        self.query_one(RowTable).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        return action != "export" or self.warnings is not None

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            found = gcpause.load(engine_of(self).warnings, self.sync_id)
        except RosterError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._show, found)

    def _failed(self, exc: RosterError) -> None:
        notices.error(self, exc)
        table = self.query_one(RowTable)
        table.empty = "The warnings could not be read"
        table.refresh()

    def _show(self, found: list[DataWarning]) -> None:
        self.warnings = found
        self.keys = [" ".join(str(w.get(c) or "") for c in WARNING_COLUMNS).lower()
                     for w in found]
        counts = Counter(w["code"] for w in found)
        self.title = f"Sync {self.sync_id}: {len(found):,} data warnings"
        self.query_one("#code", Select).set_options(
            [("All codes", ANY)] + [(f"{code} ({n:,})", code) for code, n in
                                    sorted(counts.items())])
        self.query_one(RowTable).empty = "No warning matches" if found else \
            f"Sync {self.sync_id} has no data warnings"
        self.refilter()
        self.refresh_bindings()
        if self.export_when_loaded:
            self.export_when_loaded = False
            self.action_export()

    def refilter(self) -> None:
        if self.warnings is None:
            return
        code = self.query_one("#code", Select).value
        needle = self.query_one("#search", Input).value.strip().lower()
        self.rows = [w for w, key in zip(self.warnings, self.keys)
                     if (not code or w["code"] == code) and needle in key]
        self.query_one(RowTable).show(self.rows)
        self.query_one(".count", Static).update(
            f"{len(self.rows):,} of {len(self.warnings):,} warnings · e exports those shown",
            layout=False)

    def on_row_table_highlighted(self, event: RowTable.Highlighted) -> None:
        event.stop()
        self.query_one("#message", Static).update(
            Text(safe(event.row["message"])) if event.row else Text(""))

    def action_code_filter(self) -> None:
        self.query_one("#code", Select).focus()


    # -- export ------------------------------------------------------------------------

    def action_export(self) -> None:
        code = self.query_one("#code", Select).value
        name = f"warnings-sync-{self.sync_id}" + (f"-{code}" if code else "") + ".csv"
        self.app.push_screen(AskScreen(
            f"Export the {len(self.rows):,} warnings shown (sync {self.sync_id})",
            f"A CSV file (code, type, source_id, message); a relative path is in "
            f"{Path.cwd()}. Enter saves, Escape cancels.", name),
            self._export_to)

    def _export_to(self, path: str | None) -> None:
        if path:
            self.export(self.rows, path)

    @work(thread=True, group="export")
    def export(self, rows: list[DataWarning], path: str) -> None:
        target = Path(path).expanduser().absolute()
        try:
            written = write_warnings(target, rows)
        except (OSError, RosterError) as exc:
            self.app.call_from_thread(notices.error, self, f"Could not write {target}: {exc}")
            return
        self.app.call_from_thread(notices.info, self, f"Wrote {written:,} warnings to {target}")
