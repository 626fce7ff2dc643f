"""Checkboxes and radio buttons whose state reads without colour: [x] / [ ] and (*) / ( ).

Textual draws every toggle as the same glyph, on or off, and tells them apart by colour
alone: in 16 colours (or to a colour-blind admin) a ticked box looks like an unticked
one. These draw the state as text, like the checkbox column of the lists; screens/app.tcss
draws them in the text's colour and shows the focus in reverse.
"""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, OptionList, RadioButton, SelectionList

T = TypeVar("T")


def tick(on: bool) -> str:
    return "[x]" if on else "[ ]"


class TickBox(Checkbox):
    """With `off_label`, the label follows the value, so that a switch says in words
    whether it is on: "[ ] Integration off: scheduled syncs do nothing"."""

    def __init__(self, label: str, value: bool = False, *, off_label: str | None = None,
                 id: str | None = None, classes: str | None = None, compact: bool = False,
                 disabled: bool = False):
        self._labels = (label, label if off_label is None else off_label)
        super().__init__(self._labels[0] if value else self._labels[1], value, id=id,
                         classes=classes, compact=compact, disabled=disabled)

    def watch_value(self) -> None:
        super().watch_value()
        on, off = self._labels
        self.label = on if self.value else off

    @property
    def _button(self) -> Content:
        return Content.styled(tick(self.value), self.get_visual_style("toggle--button"))


class TickRadio(RadioButton):
    @property
    def _button(self) -> Content:
        return Content.styled("(*)" if self.value else "( )",
                              self.get_visual_style("toggle--button"))


class TickList(SelectionList[T]):
    """A SelectionList whose rows start with [x] or [ ] (the same width as its button)."""

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)
        index = self.scroll_offset.y + y
        if index >= self.option_count:
            return line
        option = self.get_option_at_index(index)
        style = next(iter(line)).style or self.rich_style
        return Strip([Segment(tick(option.value in self._selected) + " ", style), *line])
