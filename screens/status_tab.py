"""The Status tab: the source, the connection, the integration switch and the last sync."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Static

from rostertui.errors import RosterError
from rostertui.lifecycle import PENDING, SyncStatus
from rostertui.output import counts_table
from rostertui.records import StoreStatus, SyncRecord
from rostertui.text import safe

from . import notices
from .columns import note_text
from .labels import when
from .roster_app import engine_of
from .ticks import TickBox

KIND_NAMES = {"oneroster_csv": "OneRoster CSV", "clever": "Clever", "oneroster_rest":
              "OneRoster REST"}


def _line(label: str, value: str, style: str = "") -> Text:
    return Text.assemble((f"{label:<13}", "bold"), (safe(value), style))


def _fetch_state(last: SyncRecord | None) -> tuple[str, str]:
    """What the last sync says about the connection: (text, style)."""
    if last is None:
        return "not checked yet (Check tests it)", ""
    if last["status"] == SyncStatus.FAILED:
        return f"the last fetch failed: {last['error']}", "red"
    return f"the last fetch worked, {when(last['finished_at'])} (Check tests it now)", ""


class StatusTab(VerticalScroll):
    BINDING_GROUP_TITLE = "Status"
    BINDINGS = [Binding("w", "screen.warnings", "Warnings",
                        tooltip="the data warnings of the last sync", id="warnings")]

    def compose(self) -> ComposeResult:
        yield Static(id="source")
        yield Static(id="connection")
        yield TickBox("Integration enabled: scheduled syncs run", True, compact=True,
                      id="enabled")
        yield Static(id="last")
        with Horizontal(classes="buttons"):
            yield Button("Sync now", id="sync-now", compact=True, classes="main")
            yield Button("Review", id="review", compact=True)
            yield Button("Commit", id="commit", compact=True)
            yield Button("Discard", id="discard", compact=True)
            yield Button("Check", id="check", compact=True)
            yield Button("Warnings", id="open-warnings", compact=True)

    def show(self, status: StoreStatus, syncs: list[SyncRecord]) -> None:
        source = status["source"]
        where = source.get("path") or source.get("base_url") or ""
        district = (status["district"] or {}).get("name")
        schools = status["counts"]["school"]["active"]
        self.query_one("#source", Static).update(Text("\n").join([
            _line("Source", f"{KIND_NAMES.get(source['kind'], source['kind'])} {where}"),
            _line("District", f"{district} · {schools:,} schools" if district
                  else "known after the first commit")]))
        box = self.query_one("#enabled", Checkbox)
        with box.prevent(Checkbox.Changed):
            box.value = status["enabled"]
        self.query_one("#last", Static).update(self._last(status["last_sync"]))
        pending = any(d["status"] in PENDING for d in syncs)
        for name in ("review", "commit", "discard"):
            self.query_one(f"#{name}", Button).disabled = not pending
        self._connection(*_fetch_state(status["last_sync"]))

    def _last(self, last: SyncRecord | None) -> Text:
        if last is None:
            return _line("Last sync", "none yet: press Sync now")
        head = (f"#{last['id']} {last['mode']}, {last['trigger']}, by {last['user']}, "
                f"{when(last['started_at'])}: {last['status']}")
        lines = [_line("Last sync", head)]
        note = note_text(last)
        if note and last["status"] != SyncStatus.FAILED:
            lines.append(_line("", note))
        lines.append(Text(counts_table(last["counts"])))
        return Text("\n").join(lines)

    def _connection(self, text: str, style: str = "") -> None:
        self.query_one("#connection", Static).update(_line("Connection", text, style))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "check":
            event.stop()
            self._connection("checking…")
            self.check()

    @work(thread=True, exclusive=True, group="check")
    def check(self) -> None:
        try:
            found = engine_of(self).check()
        except RosterError as exc:
            self.app.call_from_thread(self._connection, f"failed: {exc}", "red")
            return
        schools = len(found.get("schools") or ())
        text = f"connected: {found.get('district') or 'unknown district'}, {schools} schools"
        self.app.call_from_thread(self._connection, text, "green")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.save_enabled(event.value)

    @work(thread=True, exclusive=True, group="settings")
    def save_enabled(self, enabled: bool) -> None:
        try:
            engine_of(self).set_sync_enabled(enabled)
        except RosterError as exc:
            self.app.call_from_thread(notices.error, self, exc)
            return
        state = "enabled: scheduled syncs will run" if enabled else \
            "disabled: scheduled syncs will do nothing"
        self.app.call_from_thread(notices.info, self, f"Integration {state}")
