"""The keys every filtered list shares: typing in the #search box or choosing in a
Select refilters it, Enter goes back to the table, `/` jumps to the search, and on a
screen Escape goes back to the table, or closes the screen from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Input, Select

from .rowtable import RowTable

if TYPE_CHECKING:
    from textual.await_complete import AwaitComplete
    from textual.widget import Widget
    from textual.widget import Widget as _Host  # what it is mixed into, for mypy
else:
    _Host = object


def focus_now(widget: Widget) -> None:
    """Move the focus to `widget` now. Widget.focus only queues the move, behind the
    keys already waiting (typed during a stall, while the store loads): those went to
    the old focus, a list that drops letters. Now, they reach `widget` when a priority
    binding moved the focus (Browser's /), as the app handles it before passing them on."""
    widget.screen.set_focus(widget)


class Searchable(_Host):
    """Mixed in before a Screen or a Widget that has a #search Input and a RowTable."""

    if TYPE_CHECKING:
        def dismiss(self, result: Any = None) -> AwaitComplete:
            """Screen.dismiss: action_back is bound on screens only."""
            ...

    def refilter(self) -> None:
        raise NotImplementedError

    def on_mount(self) -> None:
        """The list follows the search box as its value changes, in the same screen
        update as the character typed: Input.Changed, a message, came after that update
        and took another (about 15 ms more per keystroke at 100,000 rows)."""
        self.watch(self.query_one("#search", Input), "value", self._searched, init=False)

    def _searched(self) -> None:
        self.refilter()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()  # the list was refiltered as the value changed (on_mount)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.refilter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        focus_now(self.query_one(RowTable))

    def action_search(self) -> None:
        focus_now(self.query_one("#search", Input))

    def action_back(self) -> None:
        table = self.query_one(RowTable)
        if table.has_focus:
            self.dismiss(None)
        else:
            focus_now(table)
