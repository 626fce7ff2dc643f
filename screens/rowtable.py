"""A virtual table over a list held outside it: only the visible rows are ever drawn.

Textual's DataTable measures every row it is given (about 14 s for 100,000 rows), so
every list in the dashboard uses this instead: `show(rows)` is O(1) whatever the size,
and each frame renders one header line plus the rows on screen (the Line API).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rostertui.text import safe

SAMPLE = 200  # rows measured for the columns' content widths: the first, then spread out
SAMPLE_HEAD = 50


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], object]
    width: int | None = None  # fixed; None: sized from its content (see `widths`)
    right: bool = False
    flex: int = 1  # its share of the width left once every column shows its content
    min_width: int = 6
    max_width: int | None = None  # what its content may ask for at most


def fit(text: str, width: int, right: bool = False) -> str:
    """`text` cropped (with an ellipsis) or padded to exactly `width` cells."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


def widths(columns: Sequence[Column], total: int, content: Sequence[int],
           gap: int = 1) -> list[int]:
    """Each column's width in `total` cells, given the cells its `content` needs.

    Fixed columns get their width. The others start at their minimum (or their content,
    if narrower) and grow toward their content (at most max_width) all at the same pace,
    `flex` cells a step, so the width goes to every column that is cut rather than to the
    widest one, and a column that needs a few cells gets them. Once every column shows its
    content, what is left goes to the columns of the highest flex (a list's Name, History's
    Note). Narrower than the minimums: the line is cut at the right, so the columns on the
    left come first."""
    low = [c.width if c.width is not None else min(c.min_width, need)
           for c, need in zip(columns, content)]
    high = [max(least, min(need, c.max_width or need))
            for c, least, need in zip(columns, low, content)]
    sizes = list(low)
    room = total - gap * (len(columns) - 1) - sum(sizes)
    while room > 0:
        hungry = [i for i, (size, most) in enumerate(zip(sizes, high)) if size < most]
        if not hungry:
            break
        step = max(1, room // sum(columns[i].flex for i in hungry))
        for i in hungry:
            grow = min(step * columns[i].flex, high[i] - sizes[i], room)
            sizes[i] += grow
            room -= grow
    flexible = [c.flex for c in columns if c.width is None]
    widest = [i for i, c in enumerate(columns) if c.width is None and c.flex == max(flexible)]
    for n, i in enumerate(widest if room > 0 else ()):  # the first ones get the remainder
        sizes[i] += room // len(widest) + (n < room % len(widest))
    return sizes


def content_widths(columns: Sequence[Column], rows: Sequence[Any]) -> list[int]:
    """The cells each column's title and values need, over a sample of `rows`: the first
    ones (the first screen) and others spread over the list, so that a 100,000-row list
    costs what 200 rows do and the widths stay put while it scrolls."""
    step = max(1, len(rows) // SAMPLE)
    sample = [*range(min(len(rows), SAMPLE_HEAD)), *range(SAMPLE_HEAD, len(rows), step)]
    picked = [rows[i] for i in sample[:SAMPLE + SAMPLE_HEAD]]
    return [0 if c.width is not None else
            max([cell_len(c.title), *(cell_len(safe(c.value(row))) for row in picked)])
            for c in columns]


class RowTable(ScrollView, can_focus=True):
    """Rows of any kind rendered through `columns`; with `checked`, a checkbox column."""

    BINDING_GROUP_TITLE = "Rows"
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False, id="list.up"),
        Binding("down", "move(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page-down"),
        Binding("home", "jump(0)", "First", show=False, id="list.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="list.last"),
        Binding("enter", "select", "Open", show=False, id="list.open"),
        Binding("space", "toggle", "Tick", tooltip="or untick (saved at once), then the next",
                id="tick"),
    ]
    COMPONENT_CLASSES = {"rowtable--header", "rowtable--cursor", "rowtable--empty"}
    DEFAULT_CSS = """
    RowTable { height: 1fr; overflow-x: hidden; background: $surface; }
    RowTable > .rowtable--header { text-style: bold; background: $panel; color: $text; }
    RowTable > .rowtable--cursor { background: $panel-lighten-2; }
    RowTable:focus > .rowtable--cursor {
        background: $surface; color: $foreground; text-style: bold reverse;
    }
    RowTable > .rowtable--empty { color: $text-muted; text-style: italic; }
    """

    class _RowMessage(Message):
        def __init__(self, table: RowTable, row: Any):
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> RowTable:
            return self.table

    class Highlighted(_RowMessage):
        """The cursor moved to `row` (None: the list is empty)."""

    class Selected(_RowMessage):
        """Enter on `row`."""

    class Toggled(_RowMessage):
        """Space on `row` of a table with a checkbox column."""

    def __init__(self, columns: Sequence[Column] = (), *, checked: Callable[[Any], bool] | None
                 = None, empty: str = "Nothing to show", id: str | None = None,
                 classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.columns = list(columns)
        self.checked = checked
        self.empty = empty
        self.rows: Sequence[Any] = ()
        self.cursor = 0
        self._measured: Sequence[Any] = ()  # the rows the columns' widths are sized from
        self._few: Sequence[Any] = ()  # and the few rows a filter found, measured as well
        self._sizes: tuple[int, list[int]] | None = None  # (width, each column's) of them

    # -- the model -------------------------------------------------------------------

    def show(self, rows: Sequence[Any], cursor: int = 0, columns: Sequence[Column] | None
             = None, *, measure: Sequence[Any] | None = None) -> None:
        """Display `rows` (kept by reference, never copied) with the cursor on `cursor`.

        The columns are sized from `measure` (default: `rows`). A filtered list passes
        its whole list, the same object at each keystroke: the widths measured once are
        kept (a keystroke costs no measuring, and the columns do not jump while typing)
        until other columns or another whole list come. A search that finds a few rows
        has them measured too: the one person looked for may have the longest email,
        which the whole list's sample missed."""
        measure = rows if measure is None else measure
        few = rows if rows is not measure and len(rows) <= SAMPLE_HEAD else ()
        if columns is not None or measure is not self._measured or few or self._few:
            self._sizes = None
        if columns is not None:
            self.columns = list(columns)
        self._measured, self._few = measure, few
        self.rows = rows
        self._resize(len(rows) + 1)
        self.cursor = -1
        self._go(max(0, min(cursor, len(rows) - 1)))
        self.refresh()

    def _resize(self, lines: int) -> None:
        """The scrollable height: `lines`. Setting virtual_size asks Textual for a layout
        of the whole screen (most of a search keystroke's cost at 100,000 rows), which
        only a scroll bar shown or hidden needs; otherwise the scroll bar is updated in
        place (Widget._scroll_update: Textual is pinned, tests/dashboard/
        test_rowtable_widths.py checks the scroll bar)."""
        size, old = Size(self.size.width, lines), self.virtual_size
        height = self.container_size.height
        if size.width != old.width or (lines > height) != (old.height > height):
            self.virtual_size = size
        else:
            self.set_reactive(RowTable.virtual_size, size)
            self._scroll_update(size)

    @property
    def row(self) -> Any:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def refresh_row(self, index: int | None = None) -> None:
        """Redraw one row (default: the cursor's) after its data changed in place."""
        index = self.cursor if index is None else index
        y = index - self.scroll_offset.y + 1
        if 1 <= y < self.size.height:
            self.refresh_lines(y)

    # -- the cursor ------------------------------------------------------------------

    def _go(self, index: int) -> None:
        index = max(0, min(index, len(self.rows) - 1))
        if index == self.cursor:
            return
        old, self.cursor = self.cursor, index
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + visible:
            self.scroll_to(y=index - visible + 1, animate=False, immediate=True)
        self.refresh_row(old)
        self.refresh_row(index)
        self.post_message(self.Highlighted(self, self.row))

    def action_move(self, delta: int) -> None:
        self._go(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._go(self.cursor + direction * max(1, self.size.height - 2))

    def action_jump(self, index: int) -> None:
        self._go(index if index >= 0 else len(self.rows) - 1)

    def action_select(self) -> None:
        if self.row is not None:
            self.post_message(self.Selected(self, self.row))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        return action != "toggle" or self.checked is not None

    # Space's action here, not DOMNode's toggle of an attribute, which it replaces on a
    # RowTable: no binding of rostertui names that one.
    def action_toggle(self) -> None:  # type: ignore[override]
        """Tick or untick, then move down (as mutt and aptitude do): a run of rows is
        one key each. The cursor moves here, not when the message is handled, so keys
        typed ahead (a held space) each reach the next row."""
        if self.row is not None:
            self.post_message(self.Toggled(self, self.row))
            self._go(self.cursor + 1)

    def on_click(self, event: Click) -> None:
        if event.y >= 1:
            self._go(self.scroll_offset.y + event.y - 1)
            if event.chain == 2:
                self.action_select()

    def on_focus(self) -> None:
        self.refresh_row()

    def on_blur(self) -> None:
        self.refresh_row()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    # -- drawing ---------------------------------------------------------------------

    def _layout(self) -> list[Column]:
        if self.checked is None:
            return self.columns
        checked = self.checked
        return [Column("", lambda row: "[x]" if checked(row) else "[ ]", 3), *self.columns]

    def _widths(self, columns: list[Column], width: int) -> list[int]:
        """The columns' widths, measured once per list measured (see `show`) and width."""
        if self._sizes is None or self._sizes[0] != width:
            need = map(max, content_widths(columns, self._measured),
                       content_widths(columns, self._few))
            self._sizes = width, widths(columns, width, list(need))
        return self._sizes[1]

    def _line(self, columns: list[Column], cells: list[str], width: int) -> str:
        return " ".join(fit(text, w, c.right) for text, w, c in
                        zip(cells, self._widths(columns, width), columns))

    def _strip(self, text: str, width: int, component: str | None = None) -> Strip:
        style = self.rich_style
        if component:
            style += self.get_component_rich_style(component)
        return Strip([Segment(fit(text, width), style)], width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = self._layout()
        if y == 0:
            heads = [c.title for c in columns]
            return self._strip(self._line(columns, heads, width), width, "rowtable--header")
        index = self.scroll_offset.y + y - 1
        if index < len(self.rows):
            cells = [safe(c.value(self.rows[index])) for c in columns]
            cursor = "rowtable--cursor" if index == self.cursor else None
            return self._strip(self._line(columns, cells, width), width, cursor)
        if index == 0:
            return self._strip(" " + self.empty, width, "rowtable--empty")
        return Strip.blank(width, self.rich_style)
