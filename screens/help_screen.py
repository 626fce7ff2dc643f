"""Help: every key, by screen. Escape, q, ? or F1 closes it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("Everywhere", [("1 … 7", "Status, History, Overview, Schools, Teachers, Students, "
                              "Sync classes"),
                    ("tab / shift+tab", "move between controls"),
                    ("ctrl+p", "command palette: Sync now, Commit, Discard, Export "
                               "warnings, School filter…"),
                    ("s", "Sync now (from the dashboard)"),
                    ("r", "review the staged sync"),
                    ("? or F1", "this help"), ("ctrl+q", "quit")]),
    ("Status and Overview", [("tab, enter", "the buttons: Sync now, Review, Commit, Discard, "
                                            "Check, Warnings, and the integration switch "
                                            "(space)"),
                             ("arrows, enter", "Overview: open the list behind a count"),
                             ("w", "the data warnings of the last sync")]),
    ("History", [("enter", "the report of the sync"),
                 ("u", "revert the sync (asks first; names the records later syncs "
                       "changed)")]),
    ("Lists", [("↑ ↓ pgup pgdn home end", "move"), ("enter", "open the row"),
               ("/", "search"), ("f", "school filter"),
               ("k", "Sync classes: homeroom/advisory only"),
               ("escape", "back to the list")]),
    ("Detail screens", [("e", "edit the notes kept here (a section's display name, notes "
                              "and priority); no sync changes them"),
                        ("escape", "back")]),
    ("Sync report", [("arrows, enter", "open the actions behind a count"),
                     ("c", "commit (asks first)"), ("d", "discard (asks first)"),
                     ("w", "the data warnings"), ("escape", "back")]),
    ("Action list", [("space", "tick or untick the action (saved at once), then the next"),
                     ("a / n", "tick / untick every action shown"), ("/", "filter by text"),
                     ("c", "commit: back to the report, which asks first"),
                     ("escape", "back to the report")]),
    ("Data warnings", [("f", "filter by code"), ("/", "search"),
                       ("e", "export those shown as CSV")]),
    ("While a sync runs", [("escape", "cancel: nothing is staged")]),
]


def help_table() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for title, keys in KEYS:
        grid.add_row(Text(title, style="bold underline"), "")
        for key, what in keys:
            grid.add_row(Text("  " + key), Text(what))
        grid.add_row("", "")
    return grid


class HelpScreen(ModalScreen):
    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static(Text("rostertui: keys", style="bold"), classes="title")
            yield Static(help_table())
