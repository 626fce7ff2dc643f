"""The Sync now dialog: full or quick (since the last commit or a date), which schools,
and whether to commit at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet, Static

from rostertui import clock
from rostertui.text import safe

from . import notices
from .ticks import TickBox, TickList, TickRadio


@dataclass(frozen=True)
class SyncChoice:
    mode: str = "full"
    since: str | None = None
    schools: list[str] | None = None  # None: every school
    commit: bool = False


class SyncDialog(ModalScreen[SyncChoice | None]):
    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="cancel")]

    def __init__(self, schools: list[tuple[str, str]]):
        """`schools`: (source id, name) of the schools the store knows."""
        super().__init__()
        self.schools = schools

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sync-dialog"):
            yield Static(Text("Sync now", style="bold"), classes="title")
            with Horizontal(classes="row"):
                yield Label("Mode", classes="label")
                with RadioSet(id="mode", compact=True):
                    yield TickRadio("Full: the whole roster", True, id="full")
                    yield TickRadio("Quick: the changes", id="quick")
            with Horizontal(classes="row"):
                yield Label("Quick from", classes="label")
                with RadioSet(id="from", compact=True, disabled=True):
                    yield TickRadio("the last commit", True, id="last")
                    yield TickRadio("a date", id="date")
                yield Input(placeholder="YYYY-MM-DD", id="since", compact=True, disabled=True)
            yield Label("Schools (space ticks)" if self.schools else
                        "Schools: all (known after the first commit)", classes="wide")
            if self.schools:
                yield TickList[str](*((Text(safe(name)), sid, True)
                                           for sid, name in self.schools), id="schools")
            yield TickBox("Auto-commit: apply at once unless blocked", id="auto",
                           compact=True)
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="start", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        quick = self.query_one("#quick", TickRadio).value
        self.query_one("#from", RadioSet).disabled = not quick
        self.query_one("#since", Input).disabled = not (
            quick and self.query_one("#date", TickRadio).value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        try:
            self.dismiss(self.choice())
        except ValueError as exc:
            notices.warn(self, str(exc))

    def choice(self) -> SyncChoice:
        quick = self.query_one("#quick", TickRadio).value
        since = None
        if quick and self.query_one("#date", TickRadio).value:
            since = self._since(self.query_one("#since", Input).value.strip())
        schools = None
        if self.schools:
            picked = self.query_one(TickList).selected
            if not picked:
                raise ValueError("Pick at least one school to sync")
            if len(picked) < len(self.schools):
                schools = list(picked)
        return SyncChoice("quick" if quick else "full", since, schools,
                          self.query_one("#auto", TickBox).value)

    @staticmethod
    def _since(text: str) -> str:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a date: use YYYY-MM-DD") from None
        return clock.stamp(datetime.combine(day, time()).astimezone())
