"""The dashboard as a 16-colour terminal shows it, for Pilot tests and snapshots.

Textual picks its colour system as Rich does (TEXTUAL_COLOR_SYSTEM, else TERM and
COLORTERM: TERM=screen or xterm is 16 colours) and turns each colour of its theme into
the nearest of the 16 as it writes to the terminal (Color.downgrade). Pilot and the
snapshots see the colours before that step, so RosterApp16 runs the same downgrade as a
line filter: what its widgets render, and its screenshots, are what such a terminal shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.color import Color as TextualColor
from textual.filter import LineFilter
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from rostertui.app import RosterApp
from rostertui.engine import Engine

RED = {1, 9}  # red and bright red: an error's colours


def _standard(color: Color | None) -> Color | None:
    return None if color is None else color.downgrade(ColorSystem.STANDARD)


class Standard16(LineFilter):
    """Every colour as the nearest of the terminal's 16."""

    def apply(self, segments: list[Segment], background: TextualColor) -> list[Segment]:
        return [Segment(text, None if style is None else style + Style(
                    color=_standard(style.color), bgcolor=_standard(style.bgcolor)), control)
                for text, style, control in segments]


class RosterApp16(RosterApp):
    def get_line_filters(self) -> Sequence[LineFilter]:
        return [*super().get_line_filters(), Standard16()]


def dashboard16(engine: Engine) -> RosterApp16:
    app = RosterApp16(engine)
    app.animation_level = "none"
    return app


class Cell(NamedTuple):
    """A run of text as the terminal draws it: its 16-colour numbers, reverse applied."""

    text: str
    fg: int | None
    bg: int | None
    bold: bool
    underline: bool


def cells(strip: Strip) -> Iterator[Cell]:
    for text, style, _ in strip:
        style = style or Style()
        fg, bg = (_standard(c) for c in (style.color, style.bgcolor))
        if style.reverse:
            fg, bg = bg, fg
        yield Cell(text, fg.number if fg else None, bg.number if bg else None,
                   bool(style.bold), bool(style.underline))


def drawn(widget: Widget) -> list[Strip]:
    """The widget's lines as the screen shows them (through the app's line filters)."""
    return widget.render_lines(Region(0, 0, *widget.outer_size))


def unreadable(widget: Widget) -> list[str]:
    """The text the widget draws in its own background's colour (black on black)."""
    return [cell.text for strip in drawn(widget) for cell in cells(strip)
            if cell.text.strip() and cell.fg == cell.bg]
