"""A modal that runs one engine call in a worker thread, with progress per record type.

The engine calls `Feedback` from its thread; it posts throttled progress messages to
the UI and raises Cancelled once Escape was pressed, which makes the engine stage nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static

from rostertui.errors import Cancelled, RosterError
from rostertui.text import safe

from . import notices

THROTTLE = 0.1  # seconds between progress updates of one type


class Feedback:
    def __init__(self, screen: JobScreen):
        self.screen = screen
        self.cancel = threading.Event()
        self._last: dict[str, float] = {}

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def __call__(self, type_: str, done: int, total: int | None) -> None:
        if self.cancel.is_set():
            raise Cancelled("cancelled: nothing was staged")
        now = time.monotonic()
        if now - self._last.get(type_, 0.0) >= THROTTLE or (total and done >= total):
            self._last[type_] = now
            self.screen.post_message(JobScreen.Progress(type_, done, total))


Job = Callable[[Feedback], Any]


class JobScreen(ModalScreen[tuple[bool, Any]]):
    """Dismissed with (True, result) or (False, the RosterError)."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="stop the sync: nothing is staged",
                        id="job.cancel")]

    class Progress(Message):
        def __init__(self, type_: str, done: int, total: int | None):
            super().__init__()
            self.type_ = type_
            self.done = done
            self.total = total

    def __init__(self, title: str, job: Job, *, cancellable: bool = False):
        super().__init__()
        self.heading = title
        self.job = job
        self.cancellable = cancellable
        self.feedback = Feedback(self)
        self._bars: dict[str, tuple[ProgressBar, Label]] = {}
        self.running = True
        self.exit_code: int | None = None  # set by stop_when_done: exit with it, not dismiss

    def compose(self) -> ComposeResult:
        hint = "Escape cancels: nothing will be staged." if self.cancellable else \
            "Please wait: this cannot be interrupted."
        with Vertical(classes="dialog"):
            yield Static(Text(self.heading, style="bold"), classes="title")
            yield ProgressBar(show_eta=False, show_percentage=False, id="working")
            yield Vertical(id="bars")
            yield Static(hint, id="hint", classes="hint")

    def on_mount(self) -> None:
        self.run_job()

    @work(thread=True)
    def run_job(self) -> None:
        try:
            outcome = (True, self.job(self.feedback))
        except RosterError as exc:
            outcome = (False, exc)
        # mypy solves call_from_thread's `T | Awaitable[T]` to Never for a coroutine
        # function; Textual awaits what the callback returns.
        self.app.call_from_thread(self._done, outcome)  # type: ignore[arg-type]

    def stop_when_done(self, code: int) -> bool:
        """Exit the app with `code` once the job has finished (the app was told to stop
        by a signal); False if it has finished already."""
        if not self.running:
            return False
        self.exit_code = code
        self.query_one("#hint", Static).update("Finishing this first; rostertui then exits.")
        return True

    async def _done(self, outcome: tuple[bool, Any]) -> None:
        self.running = False
        if self.exit_code is not None:
            self.app.exit(return_code=self.exit_code)
            return
        while self.app.screen is not self:  # help or the palette, opened over this
            await self.app.pop_screen()
        self.dismiss(outcome)

    async def on_job_screen_progress(self, event: Progress) -> None:
        """One bar per record type (or file, or phase), counting records; a total when
        known. The bar and its count are kept, not queried: a row's children may not be
        mounted yet when the next message for it arrives."""
        if event.type_ not in self._bars:
            bar, done = ProgressBar(show_eta=False, show_percentage=False), \
                Label("", classes="done", markup=False)
            self._bars[event.type_] = (bar, done)
            await self.query_one("#bars", Vertical).mount(Horizontal(
                Label(safe(event.type_)[:16], classes="type", markup=False), bar, done))
        bar, done = self._bars[event.type_]
        bar.update(total=event.total, progress=event.done)
        done.update(f"{event.done:,}" + (f" of {event.total:,}" if event.total else " records"))

    def action_cancel(self) -> None:
        if not self.cancellable:
            notices.info(self, "This cannot be cancelled; it finishes in a moment.")
            return
        self.feedback.cancel.set()
        self.query_one("#hint", Static).update("Cancelling…")
