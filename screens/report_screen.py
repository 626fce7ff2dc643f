"""A sync's report: counts per type and kind (enabled/total), why it is blocked, what
the section rules left out, links, warnings and the commit log.

Commit and Discard happen here, after a confirmation that restates what will be applied;
a blocked sync (delete threshold, capacity limit) needs a second confirmation naming the
reasons and the archives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from rostertui.catalog import Catalog
from rostertui.errors import BlockedError, RosterError
from rostertui.history import pending_status
from rostertui.indexed_review import IndexedReview
from rostertui.lifecycle import SyncStatus
from rostertui.model import ACTION_TYPES, KINDS
from rostertui.records import Action, Report, SyncRecord

from . import columns, gcpause, notices
from .action_list_screen import ActionListScreen
from .columns import note_text
from .confirm_screen import ConfirmScreen
from .counter_grid import CounterGrid
from .footer import KeyFooter
from .job_screen import Job, JobScreen
from .labels import KIND_LABELS, plural, when
from .linked_actions import commit_warning, contacts_of
from .plan_notes import plan_notes
from .roster_app import engine_of
from .rowtable import RowTable
from .tally import Tally, enabled, total, type_lines
from .warnings_screen import WarningsScreen

COUNTING = "counting the guards for the ticks as they are now…"
NOT_COUNTED = "the guards could not be counted (see the error)"


class ReportScreen(Screen[None]):
    # The rules live here, not in a CSS_PATH file: the first time a screen with a file of
    # its own opens, Textual parses every stylesheet again and restyles every widget of
    # the app (60 ms and more, on the UI thread). Scoped to this screen.
    DEFAULT_CSS = """
    ReportScreen #summary { padding: 0 1; height: auto; max-height: 5; }
    ReportScreen CounterGrid { margin: 1 1 0 1; }
    ReportScreen .heading { height: 1; text-style: bold; padding: 0 1; margin-top: 1; }
    ReportScreen #warnings { height: 1fr; }
    ReportScreen #notes { padding: 0 1; margin-top: 1; height: auto; max-height: 7; }
    """
    BINDING_GROUP_TITLE = "Sync report"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("c", "commit", "Commit", tooltip="asks first", id="commit"),
        Binding("d", "discard", "Discard", tooltip="asks first", id="discard"),
        Binding("w", "warnings", "Warnings", tooltip="the data warnings of this sync",
                id="warnings"),
    ]

    def __init__(self, sync_id: int, catalog: Catalog | None, on_change: Callable[[], object],
                 then: str | None = None):
        """`then`: "commit" or "discard" to start that once the report is shown."""
        super().__init__()
        self.sync_id = sync_id
        self.catalog = catalog
        self.on_change = on_change
        self.then = then
        self.doc: SyncRecord | None = None
        self.review: IndexedReview | None = None
        self.counting: str | None = None  # shown for the status while it is unknown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="summary")
        yield CounterGrid([(k, KIND_LABELS[k]) for k in KINDS], classes="main")
        yield Static(id="notes")
        yield Static(id="warnings-title", classes="heading")
        yield RowTable(columns.warnings(), empty="No data warnings", id="warnings")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"Sync {self.sync_id}"
        self.query_one(CounterGrid).focus()
        self.load()

    @property
    def editable(self) -> bool:
        return self.review is not None and self.review.editable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        return action not in ("commit", "discard") or self.editable

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        engine = engine_of(self)
        review: IndexedReview | None
        try:
            review = gcpause.load(engine.indexed_review, self.sync_id)
        except RosterError:  # a failed sync has no plan, only its record
            review = None
        try:
            doc = review.doc if review else engine.sync_doc(self.sync_id)
        except RosterError as exc:
            self.app.call_from_thread(notices.error, self, exc)
            return
        notes = plan_notes(doc, review.notes_plan() if review else None)
        self.app.call_from_thread(self._show, doc, review, notes)

    def _as_reviewed(self, review: IndexedReview) -> SyncRecord:
        """The sync's record with, while it is pending, the guards counted on the actions
        as ticked now: unticking can unblock it, and ticking can block it. Counted again
        when the ticks changed while they were counted: a count of earlier ticks is never
        shown as current. (Once the ticks changed since staging, the guards are counted
        in a child process, guard_count.py: this one only waits.)"""
        if not review.editable:
            return review.doc
        while True:
            seen = review.tick_changes
            reasons = engine_of(self).block_reasons(review)
            if review.tick_changes == seen:
                return {**review.doc, "status": pending_status(reasons),
                        "blocked_reasons": reasons}

    @work(thread=True, exclusive=True, group="recheck")
    def recheck(self) -> None:
        """Once shown, and after ticks and unticks: the guards again, and the summary and
        notes with them. Meanwhile the report stays usable and says its status is being
        counted."""
        review = self.review
        if review is None or not review.editable:
            return
        self.app.call_from_thread(self._counting, COUNTING)
        try:
            doc = self._as_reviewed(review)
        except RosterError as exc:
            if not self._superseded(review):
                self.app.call_from_thread(self._counting, NOT_COUNTED)
                self.app.call_from_thread(notices.error, self, exc)
            return
        if not self._superseded(review):
            notes = plan_notes(doc, review.notes_plan())
            self.app.call_from_thread(self._rechecked, doc, notes)

    def _superseded(self, review: IndexedReview) -> bool:
        """Whether a count's answer, right or failed, is no longer to be shown: a later
        recheck (newer ticks) shows its own, or the sync was read again since (committed,
        discarded, here or in another session)."""
        return get_current_worker().is_cancelled or self.review is not review \
            or not review.editable

    def _counting(self, status: str) -> None:
        """The report while its status is unknown: `status` says why; the reasons, which
        may no longer hold, are hidden."""
        assert self.doc is not None  # rechecked only once shown
        self.counting = status
        self.sub_title = status
        self.query_one("#summary", Static).update(self._summary(self.doc))
        self.query_one("#notes", Static).display = False

    def _rechecked(self, doc: SyncRecord, notes: Text) -> None:
        self.doc, self.counting = doc, None
        self.sub_title = doc["status"]
        self.query_one("#summary", Static).update(self._summary(doc))
        self.query_one("#notes", Static).update(notes)
        self.query_one("#notes", Static).display = bool(notes.plain)

    def _show(self, doc: SyncRecord, review: IndexedReview | None, notes: Text) -> None:
        """The sync as recorded; while it is pending, its status is counted next (recheck):
        the ticks may have changed since staging."""
        self.doc, self.review = doc, review
        self.counting = COUNTING if self.editable else None
        self.sub_title = self.counting or doc["status"]
        self.query_one("#summary", Static).update(self._summary(doc))
        self.refresh_counts()
        self.query_one("#notes", Static).update(notes)
        self.query_one("#notes", Static).display = bool(notes.plain) and not self.counting
        warnings = review.warnings if review else []
        self.query_one("#warnings-title", Static).update(
            f"Data warnings ({len(warnings):,})" + (" · w filters and exports them"
                                                    if warnings else ""))
        self.query_one("#warnings", RowTable).show(warnings)
        self.refresh_bindings()
        self.recheck()
        then, self.then = self.then, None
        if then and self.editable:
            getattr(self, then)()
        elif then:
            notices.warn(self, f"Sync {self.sync_id} is {doc['status']}: nothing to {then}")

    def _summary(self, d: SyncRecord) -> Text:
        lines = [Text(f"{d['mode'].capitalize()} sync, {d['trigger']}, by {d['user']}, started "
                      f"{when(d['started_at'])}: {self.counting or d['status']}")]
        # the notes say why it is blocked; while counting, no reason is known to hold
        note = note_text(d) if d["status"] != SyncStatus.BLOCKED and not self.counting else ""
        if d["status"] == SyncStatus.COMMITTED:
            note += f" · {d['enabled']:,} applied, {d['disabled']:,} unticked"
        if note:
            lines.append(Text(note, style="red" if d["status"] in (SyncStatus.BLOCKED,
                                                                   SyncStatus.FAILED)
                              else ""))
        if d["renumbered"]:
            lines.append(Text(f"{d['renumbered']:,} records renumbered by the source (Update: "
                              "the links, old id -> new id)", style="bold"))
        if self.editable:
            lines.append(Text("Enter on a count lists its actions; c commits, d discards.",
                              style="dim"))
        return Text("\n").join(lines)

    def refresh_counts(self) -> None:
        if self.review is None:
            assert self.doc is not None  # shown (a failed sync): its record, with no plan
            counts = {t: {k: (0, n) for k, n in self.doc["counts"][t].items()}
                      for t in ACTION_TYPES}
        else:
            counts = self.review.tally()
        self.query_one(CounterGrid).fill([
            (t, plural(t), [f"{on:,}/{n:,}" if n else "-" for on, n in
                            (counts[t].get(k, (0, 0)) for k in KINDS)])
            for t in ACTION_TYPES])

    def on_counter_grid_picked(self, event: CounterGrid.Picked) -> None:
        event.stop()
        if self.review is None:
            return
        self.app.push_screen(ActionListScreen(self.review, event.row, event.column,
                                              self.catalog), self._back_from_list)

    def action_warnings(self) -> None:
        self.app.push_screen(WarningsScreen(self.sync_id))

    def _back_from_list(self, result: str | None) -> None:
        self.refresh_counts()
        self.recheck()
        if result == "commit":
            self.action_commit()

    # -- commit and discard ------------------------------------------------------------

    def action_commit(self) -> None:
        if self.editable:
            self.commit()

    def action_discard(self) -> None:
        if self.editable:
            self.discard()

    @work(exclusive=True, group="flow")
    async def commit(self) -> None:
        review, sid = self.review, self.sync_id
        assert review is not None  # offered only while editable
        tally = review.tally()
        shown = sorted(review.disabled)  # the unticked actions the admin confirms
        body = commit_summary(tally, review.half_kept(contacts_of(self.catalog)))
        if not await self.app.push_screen_wait(ConfirmScreen(
                f"Commit sync {sid}?", body, f"Commit {enabled(tally):,}", danger=False)):
            return
        engine = engine_of(self)
        ok, result = await self._run(f"Committing sync {sid}…",
                                     lambda _: engine.commit(sid, shown_unticked=shown))
        if not ok and isinstance(result, BlockedError):
            body, yes = force_question(str(result), review.archives_enabled())
            if not await self.app.push_screen_wait(ConfirmScreen(
                    f"Sync {sid} is blocked", body, yes, danger=True)):
                notices.info(self, f"Sync {sid} was not committed; it stays staged.")
                return
            ok, result = await self._run(f"Committing sync {sid} (forced)…",
                                         lambda _: engine.commit(sid, force=True,
                                                                 shown_unticked=shown))
        if ok:
            report: Report = result
            notices.info(self, f"Sync {sid} committed: {report['enabled']:,} actions applied, "
                               f"{report['disabled']:,} left out.", title="Committed")
        self._changed(ok, result)

    @work(exclusive=True, group="flow")
    async def discard(self) -> None:
        sid = self.sync_id
        if not await self.app.push_screen_wait(ConfirmScreen(
                f"Discard sync {sid}?",
                Text("None of its actions will be applied; the store stays as it is."),
                "Discard", danger=True)):
            return
        engine = engine_of(self)
        ok, result = await self._run(f"Discarding sync {sid}…", lambda _: engine.discard(sid))
        if ok:
            notices.info(self, f"Sync {sid} discarded; the store is unchanged.")
        self._changed(ok, result)

    async def _run(self, title: str, job: Job) -> tuple[bool, Any]:
        """(True, the job's result) or (False, the RosterError), as JobScreen has it."""
        return await self.app.push_screen_wait(JobScreen(title, job))

    def _changed(self, ok: bool, result: Any) -> None:
        if not ok:
            notices.error(self, result)
        self.on_change()
        self.load()


def commit_summary(tally: Tally, half_kept: list[Action]) -> Text:
    """The enabled counts restated, one line per type with actions, and the ticked
    actions linked to unticked student archives (Review.half_kept), if any."""
    on, everything = enabled(tally), total(tally)
    lines = [Text(f"{on:,} of {everything:,} actions will be applied:"),
             *type_lines(tally, lambda e, n: f"{e:,}/{n:,}" if n else "")]
    if everything - on:
        off = everything - on
        lines.append(Text(f"{off:,} unticked action{'s are' if off != 1 else ' is'} left out.",
                          style="bold"))
    if half_kept:
        lines.append(commit_warning(half_kept))
    return Text("\n").join(lines)


def force_question(reasons: str, archives: int) -> tuple[Text, str]:
    """The body and the yes of the second confirmation of a blocked commit."""
    if not archives:
        return Text.assemble(reasons, "\n\n", ("Committing anyway goes past these limits.",
                                                "bold")), "Commit anyway"
    records = f"{archives:,} record" + ("s" if archives != 1 else "")
    return Text.assemble(reasons, "\n\nCommitting anyway will archive ", (records, "bold"),
                         "."), f"Archive {records}"
