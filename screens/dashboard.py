"""The dashboard: seven tabs over the store, and the Sync now / review entry points.

The store is read through its index (rostertui/store_index.py), never parsed whole in
this process: Status and History come from its head at once, then a worker reads the
lists a type at a time, in parts of a few milliseconds, and each list shows as soon as
the types it names are in (Students first); tabs show what they have until then. The
store file is watched (live.py): what the CLI or cron changes meanwhile is reloaded and
named.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Button, Header, TabbedContent, TabPane
from textual.worker import get_current_worker

from rostertui.catalog import Catalog
from rostertui.errors import RosterError
from rostertui.lifecycle import PENDING
from rostertui.records import Action, Record, SchoolRow, StoreStatus, SyncRecord
from rostertui.store_index import StaleIndex

from . import columns, gcpause, live, notices
from .browse_screen import BrowseScreen
from .browser import Browser, Opener
from .footer import KeyFooter
from .history_tab import HistoryTab
from .job_screen import JobScreen
from .messages import OpenReport, RevertSync, ShowTab
from .overview_tab import OverviewTab
from .person_screen import PersonScreen
from .record_history import RecordHistory
from .report_screen import ReportScreen
from .revert_dialog import ask_and_revert
from .roster_app import engine_of
from .school_screen import SchoolScreen
from .section_screen import SectionScreen
from .status_tab import StatusTab
from .sync_dialog import SyncChoice, SyncDialog
from .sync_now import announce, last_planned, sync_job
from .warnings_screen import WarningsScreen

TABS = [("status", "Status"), ("history", "History"), ("overview", "Overview"),
        ("schools", "Schools"), ("teachers", "Teachers"), ("students", "Students"),
        ("sections", "Sync classes")]
TAB_OF_TYPE = {"school": "schools", "teacher": "teachers", "student": "students",
               "section": "sections"}
TAB_KEYS = Binding.Group("Tabs", compact=True)


# The order the lists are read in: the tabs' first, Students before all (the biggest,
# and the first looked for), each after the types its columns name.
LOAD_ORDER = ("school", "term", "student", "teacher", "section", "staff", "contact", "course")
# How long the loader lets go of the GIL after each part of a list it reads: a key typed
# meanwhile is handled at once rather than in turns with the loader (Python shares the GIL
# between busy threads in 5 ms turns).
YIELD_SECONDS = 0.001
# The types a tab's list names, read before it shows: schools, terms, teachers' names.
NEEDS = {"school": ("school",), "teacher": ("school", "teacher"),
         "student": ("school", "student"), "section": ("school", "term", "teacher", "section")}


class Dashboard(Screen[None]):
    CSS_PATH = "dashboard.tcss"
    BINDING_GROUP_TITLE = "Dashboard"
    BINDINGS = [
        *(Binding(str(n), f"tab('{tab}')", label, group=TAB_KEYS, id=f"tab.{tab}")
          for n, (tab, label) in enumerate(TABS, 1)),
        Binding("s", "sync", "Sync now", tooltip="fetch and stage; asks how first",
                id="sync"),
        Binding("r", "review", "Review", tooltip="the report of the staged sync",
                id="review"),
        Binding("ctrl+r,f5", "refresh", "Refresh", show=False,
                tooltip="read the store again (it is also watched: changes made elsewhere "
                        "show within seconds)", id="refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.catalog: Catalog | None = None  # once every list is in
        self.school_rows: dict[str, SchoolRow] = {}  # Engine.schools() by id
        self.syncs: list[SyncRecord] = []

    def on_mount(self) -> None:
        self.record_history = RecordHistory(engine_of(self))
        self.action_tab("status")
        self.reload()
        self.set_interval(live.WATCH_SECONDS, self._watch)
        for warning in engine_of(self).config.warnings:  # e.g. a config others can read
            notices.warn(self, warning)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            with TabPane("Status", id="status"):
                yield StatusTab()
            with TabPane("History", id="history"):
                yield HistoryTab()
            with TabPane("Overview", id="overview"):
                yield OverviewTab()
            with TabPane("Schools", id="schools"):
                yield Browser("school", lambda _: columns.schools(self.school_rows),
                              self._opener("school"), school_filter=False)
            with TabPane("Teachers", id="teachers"):
                yield Browser("teacher", columns.people, self._opener("teacher"))
            with TabPane("Students", id="students"):
                yield Browser("student", columns.people, self._opener("student"))
            with TabPane("Sync classes", id="sections"):
                yield Browser("section", columns.sections, self._opener("section"),
                              kinds={"Homeroom/advisory": columns.homeroom})
        yield KeyFooter()

    # -- loading -----------------------------------------------------------------------

    def _watch(self) -> None:
        """Reload when another process has changed the store, and say what it did; not
        while a load is under way (it reads the newest version anyway)."""
        loading = any(w.group == "load" and not w.is_finished for w in self.workers)
        if not loading and engine_of(self).changed_elsewhere():
            self.reload(announce=True)

    def action_refresh(self) -> None:
        self.reload()
        notices.info(self, "Reading the store again…", timeout=2)

    @work(thread=True, exclusive=True, group="load")
    def reload(self, announce: bool = False) -> None:
        """Status and History first (the first tab), then the lists a type at a time.
        `announce`: notify what changed in the syncs since the last load."""
        try:
            try:
                catalog = gcpause.load(self._load, announce)
            except StaleIndex:  # dropped as its lists were read (announced): read again
                catalog = gcpause.load(self._load, False)
        except RosterError as exc:
            self.app.call_from_thread(notices.error, self, exc)
            return
        if catalog is not None:
            self.app.call_from_thread(self._show_catalog, catalog)

    def _load(self, announce: bool) -> Catalog | None:
        """In the worker: None if a newer load took over meanwhile."""
        engine = engine_of(self)
        view = engine.view()  # a stale index is rebuilt first, in a child process
        status, syncs = engine.status(view), engine.history(view)
        self.app.call_from_thread(self._show_status, status, syncs, announce)
        catalog = Catalog(view)
        for type_ in LOAD_ORDER:
            if get_current_worker().is_cancelled:
                return None
            catalog.load(type_, between=YIELD_SECONDS)
            self.app.call_from_thread(self._show_lists, catalog)
        return catalog

    def _show_status(self, status: StoreStatus, syncs: list[SyncRecord],
                     announce: bool = False) -> None:
        if not self.app.is_running:  # quitting: the loader's last calls find no widgets
            return
        if announce:
            for line in live.changes(self.syncs, syncs):
                notices.info(self, line, title="Changed elsewhere")
            self._reload_reports(live.moved_on(self.syncs, syncs))
        self.syncs = syncs
        self.query_one(StatusTab).show(status, syncs)
        self.query_one(HistoryTab).show(syncs)
        self.query_one(OverviewTab).show(status["counts"], syncs)

    def _reload_reports(self, moved: set[int]) -> None:
        """An open report of a sync another session committed, discarded or reverted is
        read again: it no longer offers Commit or Discard (found by attack: it did, and
        failed only after the confirmation)."""
        for screen in self.app.screen_stack:
            if isinstance(screen, ReportScreen) and screen.sync_id in moved:
                screen.load()

    def _show_lists(self, catalog: Catalog) -> None:
        """Show each tab's list whose types are all in, unless it already shows them."""
        if not self.app.is_running:  # quitting: the loader's last calls find no widgets
            return
        for browser in self.query(Browser):
            ready = all(map(catalog.loaded, NEEDS[browser.type_]))
            if ready and browser.catalog is not catalog:
                if browser.type_ == "school":
                    self.school_rows = {r["school"]["source_id"]: r
                                        for r in engine_of(self).schools(catalog)}
                browser.load(catalog)

    def _show_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # -- navigation --------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        """Show the tab and focus its list now, before the old tab is hidden: a focus
        deferred to after the refresh raced Textual's moving the focus off hidden
        widgets, which under load could win and leave the focus nowhere. At once, not
        queued (Widget.focus): a key typed right after it goes to the new tab."""
        self.query_one(TabbedContent).active = tab
        self.set_focus(self.query_one(f"#{tab} .main"))

    def on_show_tab(self, event: ShowTab) -> None:
        tab = TAB_OF_TYPE.get(event.type_)
        if tab:
            self.action_tab(tab)
            self.query_one(f"#{tab} Browser", Browser).filter_status(event.status)
        elif self.catalog is not None:
            self.app.push_screen(BrowseScreen(self.catalog, event.type_, columns.people,
                                              self._opener(event.type_), event.status))

    def _opener(self, type_: str) -> Opener:
        screen = {"school": SchoolScreen, "section": SectionScreen}.get(type_, PersonScreen)
        return lambda catalog, doc: screen(catalog, type_, self._whole(catalog, type_, doc),
                                           self._record_history, self.reload)

    def _whole(self, catalog: Catalog, type_: str, entry: Record) -> Record:
        """A list's entry as the whole record, which its screen shows (read from the
        store); the entry itself if the store changed under the list (being reloaded)."""
        return catalog.get(type_, entry["source_id"]) or entry

    def _record_history(self, type_: str, source_id: str) -> list[tuple[SyncRecord, Action]]:
        return self.record_history.of(self.syncs, type_, source_id)

    def action_school_filter(self) -> None:
        active = self.query_one(TabbedContent).active
        tab = active if active in ("teachers", "students", "sections") else "students"
        self.action_tab(tab)
        self.call_after_refresh(self.query_one(f"#{tab} Browser", Browser).action_school_filter)

    # -- reports, commit, discard --------------------------------------------------------

    def on_open_report(self, event: OpenReport) -> None:
        self.open_report(event.sync_id)

    def open_report(self, sync_id: int, then: str | None = None) -> None:
        self.app.push_screen(ReportScreen(sync_id, self.catalog, self.reload, then))

    def pending(self) -> SyncRecord | None:
        return next((d for d in self.syncs if d["status"] in PENDING), None)

    def _open_pending(self, then: str | None = None) -> None:
        doc = self.pending()
        if doc is None:
            notices.info(self, "There is no staged sync to review: press s to sync now.")
        else:
            self.open_report(doc["id"], then)

    def action_review(self) -> None:
        self.app.clear_notifications()  # the "press r" offer has been taken
        self._open_pending()

    def action_commit(self) -> None:
        self._open_pending("commit")

    def action_discard(self) -> None:
        self._open_pending("discard")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"sync-now": self.action_sync, "review": self.action_review,
                   "commit": self.action_commit, "discard": self.action_discard,
                   "open-warnings": self.action_warnings}
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    # -- warnings and revert -------------------------------------------------------------

    def action_warnings(self, export: bool = False) -> None:
        """The data warnings of the newest sync (w on Status and Overview, the palette)."""
        doc = last_planned(self.syncs)
        if doc is None:
            notices.info(self, "No sync has been staged yet: there are no data warnings.")
        else:
            self.app.push_screen(WarningsScreen(doc["id"], export=export))

    def action_export_warnings(self) -> None:
        self.action_warnings(export=True)

    def on_revert_sync(self, event: RevertSync) -> None:
        self.revert(event.doc)

    @work(exclusive=True, group="flow")
    async def revert(self, doc: SyncRecord) -> None:
        if await ask_and_revert(self, doc, self.catalog):
            self.reload()

    # -- sync now ----------------------------------------------------------------------

    def action_sync(self) -> None:
        schools = [(d["source_id"], d.get("name") or d["source_id"])
                   for d in self.catalog.docs("school")] if self.catalog else []
        self.app.push_screen(SyncDialog(schools), self._start_sync)

    def _start_sync(self, choice: SyncChoice | None) -> None:
        if choice is not None:
            title = f"{choice.mode.capitalize()} sync: fetching from the source…"
            self.app.push_screen(JobScreen(title, sync_job(engine_of(self), choice),
                                           cancellable=True), self._synced)

    def _synced(self, outcome: tuple[bool, Any] | None) -> None:
        """`outcome`: a JobScreen's, which always has one (Textual types it optional)."""
        self.reload()
        assert outcome is not None
        announce(self, outcome)
