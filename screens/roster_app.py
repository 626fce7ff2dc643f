"""The app a widget or screen runs in, typed as rostertui's own.

Textual types `node.app` as a plain `App`, which has no engine: every screen and widget
reaches the engine and the dashboard through these instead of `self.app.engine`.
rostertui/app.py imports the screens, so RosterApp is imported here for mypy only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

from rostertui.engine import Engine

if TYPE_CHECKING:
    from rostertui.app import RosterApp


def roster_app(node: DOMNode) -> RosterApp:
    """`node.app`: the dashboard only ever runs inside a RosterApp."""
    return cast("RosterApp", node.app)


def engine_of(node: DOMNode) -> Engine:
    """The engine of the app `node` runs in."""
    return roster_app(node).engine
