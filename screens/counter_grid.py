"""A small grid of counters (a few rows by a few columns); Enter on a cell picks it."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable


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
        for key, label in self._columns:
            self.add_column(label, key=key, width=max(10, len(label)))

    def fill(self, rows: list[tuple[str, str, list[str]]]) -> None:
        """Replace the rows: (key, label, cells), keeping the cursor where it was."""
        cursor = self.cursor_coordinate
        self.clear()
        for key, label, cells in rows:
            self.add_row(*(Text(c, justify="right") for c in cells), key=key, label=label)
        if rows:
            self.move_cursor(row=min(cursor.row, len(rows) - 1), column=cursor.column,
                             animate=False)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row, column = event.cell_key.row_key.value, event.cell_key.column_key.value
        assert row is not None and column is not None  # fill and on_mount give every key
        self.post_message(self.Picked(row, column))
