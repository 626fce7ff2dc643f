"""A yes/no question that restates what will happen; Escape is always "no"."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="cancel"),
                Binding("left", "app.focus_previous", "Previous button", show=False,
                        id="button.previous"),
                Binding("right", "app.focus_next", "Next button", show=False,
                        id="button.next")]

    def __init__(self, title: str, body: Text, yes: str, *, danger: bool = False):
        super().__init__()
        self.heading = title
        self.body = body
        self.yes = yes
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" + (" danger" if self.danger else "")):
            yield Static(Text(self.heading, style="bold"), classes="title")
            yield Static(self.body, classes="body")
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="error" if self.danger else "primary",
                             id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        # A dangerous question starts on Cancel: Enter alone must not archive anything.
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")
