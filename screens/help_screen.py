"""Help: the keys that work where it was opened, read from the live bindings.

Nothing here is a copy of a key. The rows are the active bindings of the screen that was
showing (`Screen.active_bindings`, as Textual's KeyPanel reads them): the focused widget,
the containers around it, the screen, then the app. Each group is one of those, titled by
its BINDING_GROUP_TITLE; each row is the key (as the config's `keymap:` set it), what it
does (the binding's description, then its tooltip), and the binding's id, the name to use
under `keymap:`. A Binding added with an id shows up here by itself; one that
check_action turns off here is left out.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

PROSE = ("Tab and shift+tab move between controls, enter presses a button, space flips "
         "a switch and the arrows scroll. The keys rostertui adds are below, nearest "
         "first; the last column is the name to give a key under keymap: in the config "
         "to change it.")


def group_title(node: DOMNode) -> str:
    title = node.BINDING_GROUP_TITLE
    if title:
        return title
    if isinstance(node, Screen) and node.title:
        return node.title
    return type(node).__name__


def key_groups(screen: Screen[Any]) -> list[tuple[DOMNode, list[tuple[str, Binding]]]]:
    """(node, [(keys shown, binding)]) for each node of the binding chain, nearest first,
    the app last. The keys of one action are shown together ("? f1"). Only bindings with
    an id are listed: every one of rostertui's has one, and Textual's own (scrolling,
    focus, a button's enter) are the prose's."""
    app = screen.app
    groups: dict[DOMNode, dict[str, list[Binding]]] = {}
    active: list[ActiveBinding] = list(screen.active_bindings.values())
    for namespace, binding, _enabled, _tooltip in active:
        if binding.system or not binding.id:
            continue
        actions = groups.setdefault(namespace, {})
        actions.setdefault(binding.action, []).append(binding)
    ordered = sorted(groups.items(), key=lambda item: item[0] is app)  # stable: app last
    out = []
    for node, actions in ordered:
        rows = []
        for bindings in actions.values():
            keys = " ".join(dict.fromkeys(app.get_key_display(b) for b in bindings))
            rows.append((keys, bindings[0]))
        out.append((node, rows))
    return out


def help_table(screen: Screen[Any]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_column(style="dim", no_wrap=True)
    for node, rows in key_groups(screen):
        grid.add_row(Text(group_title(node), style="bold underline"), "", "")
        for keys, binding in rows:
            what = Text(binding.description)
            if binding.tooltip:
                what.append(f": {binding.tooltip}", style="dim")
            grid.add_row(Text(keys), what, binding.id or "")
        grid.add_row("", "", "")
    return grid


class HelpScreen(ModalScreen[None]):
    """The keys of `origin` (by default the screen below this one)."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "Close",
                        id="help.close")]

    def __init__(self, origin: Screen[Any] | None = None):
        super().__init__()
        self.origin = origin

    def compose(self) -> ComposeResult:
        origin = self.origin
        if origin is None:
            stack = self.app.screen_stack
            origin = stack[stack.index(self) - 1] if self in stack else self.app.screen
        with VerticalScroll(classes="dialog", id="help"):
            yield Static(Text(f"rostertui keys: {group_title(origin)}", style="bold"),
                         classes="title")
            yield Static(PROSE, classes="body", markup=False)
            yield Static(help_table(origin), id="keys")
            yield Static("", classes="hint", id="close-hint")

    def on_mount(self) -> None:
        keys = dict.fromkeys(self.app.get_key_display(b) for _, b, _, _ in
                             self.active_bindings.values() if b.id == "help.close")
        self.query_one("#close-hint", Static).update(
            Text(f"{', '.join(keys)}: close"))
