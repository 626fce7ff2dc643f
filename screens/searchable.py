"""The keys every filtered list shares: typing in the #search box or choosing in a
Select refilters it, Enter goes back to the table, `/` jumps to the search, and on a
screen Escape goes back to the table, or closes the screen from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Input, Select

from .rowtable import RowTable

if TYPE_CHECKING:
    from textual.await_complete import AwaitComplete
    from textual.widget import Widget as _Host  # what it is mixed into, for mypy
else:
    _Host = object


class Searchable(_Host):
    """Mixed in before a Screen or a Widget that has a #search Input and a RowTable."""

    if TYPE_CHECKING:
        def dismiss(self, result: Any = None) -> AwaitComplete:
            """Screen.dismiss: action_back is bound on screens only."""
            ...

    def refilter(self) -> None:
        raise NotImplementedError

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.refilter()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.refilter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(RowTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_back(self) -> None:
        table = self.query_one(RowTable)
        if table.has_focus:
            self.dismiss(None)
        else:
            table.focus()
