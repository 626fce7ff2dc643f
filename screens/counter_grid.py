"""A small grid of counters (a few rows by a few columns); Enter on a cell picks it."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

MIN_WIDTH = 7  # a column is at least this wide, and as wide as its longest count


class CounterGrid(DataTable[Text]):
    DEFAULT_CSS = """
    CounterGrid { height: auto; max-height: 9; }
    """

    class Picked(Message):
        def __init__(self, row: str, column: str):
            super().__init__()
            self.row = row
            self.column = column

    def __init__(self, columns: list[tuple[str, str]], *, id: str | None = None,
                 classes: str | None = None):
        super().__init__(cursor_type="cell", show_row_labels=True, id=id, classes=classes)
        self._columns = columns

    def on_mount(self) -> None:
        # No fixed width: a column grows to its longest count ("4,377/4,377" is never
        # cut) and is no wider, so the grid fits 60 columns; headers are right-aligned
        # over the counts.
        for key, label in self._columns:
            self.add_column(Text(label.rjust(MIN_WIDTH), justify="right"), key=key)

    def fill(self, rows: list[tuple[str, str, list[str]]]) -> None:
        """Show the rows: (key, label, cells), the same keys at every call.

        The first call adds them; later ones update their cells in place, so the cursor
        stays where it is. Clearing and adding the rows again would lose the row labels
        when the grid is shown again (back from an action list): Textual renders the new
        rows before it knows they have labels and keeps that rendering, and the rows the
        cursor redraws later come out shifted against the others."""
        if not self.row_count:
            for key, label, cells in rows:
                self.add_row(*map(_cell, cells), key=key, label=label)
            return
        for key, _, cells in rows:
            for (column, _), cell in zip(self._columns, cells, strict=True):
                self.update_cell(key, column, _cell(cell), update_width=True)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row, column = event.cell_key.row_key.value, event.cell_key.column_key.value
        assert row is not None and column is not None  # fill and on_mount give every key
        self.post_message(self.Picked(row, column))


def _cell(count: str) -> Text:
    return Text(count, justify="right")
