"""A small form for the fields an admin keeps here (model.LOCAL_FIELDS): a section's
display name, notes and priority, and every record's notes. No sync overwrites them."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from rostertui.records import Record

from .document import label

NUMBERS = {"priority"}  # the integer fields; the others are text


def value_of(name: str, text: str) -> str | int | None:
    text = text.strip()
    if name in NUMBERS:
        return int(text) if text else None
    return text


def blank(name: str) -> str | None:
    return None if name in NUMBERS else ""


class LocalFieldsScreen(ModalScreen[Record | None]):
    """Dismissed with the fields that changed ({} when none did), or None on Escape."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="cancel")]

    def __init__(self, title: str, doc: Record, names: tuple[str, ...]):
        super().__init__()
        self.heading = title
        self.doc = doc
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="local-fields"):
            yield Static(Text(self.heading, style="bold"), classes="title")
            for name in self.names:
                with Horizontal(classes="row"):
                    yield Label(label(name), classes="label")
                    value = self.doc.get(name)
                    number = name in NUMBERS
                    yield Input("" if value is None else str(value), id=name, compact=True,
                                type="integer" if number else "text",
                                placeholder="a whole number, or empty" if number else "empty")
            yield Static("Kept here: no sync changes these. Tab moves, Enter saves, Escape "
                         "cancels.",
                         classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.save()
        else:
            self.dismiss(None)

    def save(self) -> None:
        values = {n: value_of(n, self.query_one(f"#{n}", Input).value) for n in self.names}
        self.dismiss({n: v for n, v in values.items() if v != self.doc.get(n, blank(n))})
