"""The Status tab: the source, the connection, the integration switch, every sync that
waits for review (Enter opens its report) and the last sync, with why it failed."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Static

from rostertui.errors import RosterError
from rostertui.lifecycle import PENDING, SyncStatus
from rostertui.model import KINDS
from rostertui.output import counts_table
from rostertui.records import Counts, StoreStatus, SyncRecord
from rostertui.text import safe

from . import notices
from .columns import note_text
from .labels import when
from .messages import OpenReport
from .roster_app import engine_of
from .rowtable import Column, RowTable
from .ticks import TickBox

MAX_PENDING_ROWS = 5  # more scroll within the list
LABEL_WIDTH = 13

KIND_NAMES = {"oneroster_csv": "OneRoster CSV", "clever": "Clever", "oneroster_rest":
              "OneRoster REST"}


def _lines(*rows: tuple[str, ...]) -> Table:
    """(label, value[, style]) rows: a long value wraps under itself, not its label."""
    grid = Table.grid()
    grid.add_column(width=LABEL_WIDTH, no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    for label, value, *style in rows:
        grid.add_row(label, Text(safe(value), style=style[0] if style else ""))
    return grid


def _fetch_state(last: SyncRecord | None) -> tuple[str, str]:
    """What the last sync says about the connection: (text, style)."""
    if last is None:
        return "not checked yet (Check tests it)", ""
    if last["status"] == SyncStatus.FAILED:
        return f"the last fetch failed: {last['error']}", "red"
    return f"the last fetch worked, {when(last['finished_at'])} (Check tests it now)", ""


SHORT_KINDS = {"add": "add", "update": "upd", "archive": "arch", "reactivate": "react"}


def kind_totals(counts: Counts) -> str:
    """A sync's actions by kind over every type: "12 add, 340 upd, 7 arch"."""
    totals = {k: sum(c.get(k, 0) for c in counts.values()) for k in KINDS}
    return ", ".join(f"{n:,} {SHORT_KINDS[k]}" for k, n in totals.items() if n) \
        or "no changes"


def waits_on(doc: SyncRecord) -> str:
    """What a pending sync waits on: its first guard, else only the admin's review."""
    reasons = doc["blocked_reasons"]
    if reasons:
        more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
        return reasons[0] + more
    return f"review ({doc['warnings']:,} data warnings)" if doc["warnings"] else "review"


def pending_columns() -> list[Column]:
    return [Column("#", lambda d: d["id"], 4, right=True),
            Column("Status", lambda d: d["status"], 9),
            Column("Staged", lambda d: when(d["started_at"])[5:], 11),  # MM-DD HH:MM
            Column("Mode", lambda d: d["mode"], 5),
            Column("Changes", lambda d: kind_totals(d["counts"]), flex=3),
            Column("Waits on", waits_on, flex=2)]


class StatusTab(VerticalScroll):
    BINDING_GROUP_TITLE = "Status"
    BINDINGS = [Binding("w", "screen.warnings", "Warnings",
                        tooltip="the data warnings of the last sync", id="warnings")]

    def compose(self) -> ComposeResult:
        yield Static(id="source")
        yield Static(id="connection")
        with Horizontal(classes="buttons"):  # at the top: the first focus never scrolls
            yield Button("Sync now", id="sync-now", compact=True, classes="main")
            yield Button("Review", id="review", compact=True)
            yield Button("Commit", id="commit", compact=True)
            yield Button("Discard", id="discard", compact=True)
            yield Button("Check", id="check", compact=True)
            yield Button("Warnings", id="open-warnings", compact=True)
        yield TickBox("Integration on: scheduled syncs run", True,
                      off_label="Integration off: scheduled syncs do nothing", compact=True,
                      id="enabled")
        yield Static(id="pending-title")
        yield RowTable(pending_columns(), id="pending")
        yield Static(id="pending-why")
        yield Static(id="last")
        yield Static(id="last-counts")

    def show(self, status: StoreStatus, syncs: list[SyncRecord]) -> None:
        source = status["source"]
        where = source.get("path") or source.get("base_url") or ""
        district = (status["district"] or {}).get("name")
        schools = status["counts"]["school"]["active"]
        self.query_one("#source", Static).update(_lines(
            ("Source", f"{KIND_NAMES.get(source['kind'], source['kind'])} {where}"),
            ("District", f"{district} · {schools:,} schools" if district
             else "known after the first commit")))
        box = self.query_one("#enabled", Checkbox)
        with box.prevent(Checkbox.Changed):
            box.value = status["enabled"]
        last = status["last_sync"]
        self.query_one("#last", Static).update(self._last(last))
        counts = self.query_one("#last-counts", Static)  # a pending one's are listed above
        counts.display = last is not None and last["status"] not in (SyncStatus.FAILED,
                                                                     *PENDING)
        counts.update(counts_table(last["counts"]) if last is not None else "")
        pending = [d for d in syncs if d["status"] in PENDING]
        self._show_pending(pending)
        for name in ("review", "commit", "discard"):
            self.query_one(f"#{name}", Button).disabled = not pending
        self._connection(*_fetch_state(last))

    def _show_pending(self, pending: list[SyncRecord]) -> None:
        title = self.query_one("#pending-title", Static)
        table = self.query_one("#pending", RowTable)
        table.display = bool(pending)
        if not pending:
            self.query_one("#pending-why", Static).display = False
            title.update(_lines(("Waiting", "nothing waits for review")))
            return
        syncs = "sync waits" if len(pending) == 1 else "syncs wait"
        title.update(_lines(("Waiting", f"{len(pending)} {syncs} for review "
                                        "(Enter on one opens its report)", "bold")))
        table.styles.height = min(len(pending), MAX_PENDING_ROWS) + 1
        table.show(pending)

    def _last(self, last: SyncRecord | None) -> Table:
        if last is None:
            return _lines(("Last sync", "none yet: press Sync now"))
        head = (f"#{last['id']} {last['mode']}, {last['trigger']}, by {last['user']}, "
                f"{when(last['started_at'])}: {last['status']}")
        rows: list[tuple[str, ...]] = [("Last sync", head)]
        if last["status"] == SyncStatus.FAILED:
            rows += [("Why", last["error"] or "unknown", "red"),
                     ("", "nothing was staged or changed; press Check to test the "
                          "connection, or Sync now to try again")]
        elif last["status"] not in PENDING and (note := note_text(last)):
            rows.append(("", note))  # a pending one's reasons are in the list above
        return _lines(*rows)

    def on_row_table_highlighted(self, event: RowTable.Highlighted) -> None:
        """The highlighted blocked sync's reasons in full (the list cuts them)."""
        event.stop()
        doc: SyncRecord | None = event.row
        why = self.query_one("#pending-why", Static)
        why.display = bool(doc and doc["blocked_reasons"])
        if doc and doc["blocked_reasons"]:
            why.update(_lines(*((f"#{doc['id']} blocked" if i == 0 else "", reason)
                                for i, reason in enumerate(doc["blocked_reasons"]))))

    def on_row_table_selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self.post_message(OpenReport(event.row["id"]))

    def _connection(self, text: str, style: str = "") -> None:
        self.query_one("#connection", Static).update(_lines(("Connection", text, style)))

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
        version = f" ({found['version']})" if "version" in found else ""
        text = (f"connected{version}: {found.get('district') or 'unknown district'}, "
                f"{schools} schools")
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
