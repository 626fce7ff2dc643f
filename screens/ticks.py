"""Checkboxes and radio buttons whose state reads without colour: [x] / [ ] and (*) / ( ).

Textual draws every toggle as the same glyph, on or off, and tells them apart by colour
alone: in 16 colours (or to a colour-blind admin) a ticked box looks like an unticked
one. These draw the state as text, like the checkbox column of the lists.
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
