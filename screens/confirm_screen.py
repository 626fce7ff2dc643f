"""A yes/no question that restates what will happen; Escape is always "no".

Every confirmation is one of these, and one rule (README, Dialogs) decides where it
starts: a `danger`ous one (irreversible, or it loses work: revert, redo, discard, a
forced commit) opens on Cancel, in red, so that Enter alone changes nothing; a safe one
opens on its action. Each caller says which it is: `danger` has no default.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class DialogBody(VerticalScroll):
    """The question's text. The buttons stay in view below it, so at a small size it
    scrolls, and only then takes the focus (Tab, or Left from the first button) for the
    arrow keys and Page Up/Down to scroll it."""

    def allow_focus(self) -> bool:
        return self.allow_vertical_scroll


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="cancel"),
                Binding("left", "app.focus_previous", "Previous button", show=False,
                        id="button.previous"),
                Binding("right", "app.focus_next", "Next button", show=False,
                        id="button.next")]

    def __init__(self, title: str, body: Text, yes: str, *, danger: bool, no: str = "Cancel"):
        super().__init__()
        self.heading = title
        self.body = body
        self.yes = yes
        self.no = no
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" + (" danger" if self.danger else "")):
            yield Static(Text(self.heading, style="bold"), classes="title")
            with DialogBody(classes="body"):
                yield Static(self.body)
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="error" if self.danger else "primary",
                             id="yes")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")
