"""The engine's API: what the CLI, cron and the dashboard call.

connector -> stage (staging/: plan written beside the store, sync recorded) -> review
(review.py: toggles) -> commit (commit.py: enabled actions applied in one atomic write
under the lock) -> history; revert and redo (commit.py) are recorded as syncs of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from functools import partial

from connectors.feed import Connector, Progress, SourceCheck, SourceError

from . import (
    clock,
    files,
    guard_cache,
    guard_count,
    history,
    lifecycle,
    plan_reindex,
    safety,
    staging,
)
from .catalog import Catalog
from .commit import (
    applied_after,
    commit_plan,
    conflict_error,
    enabled_actions,
    inverse_plan,
    mismatches,
    revert_plan,
    verify_plan,
)
from .config import Config, describe_source
from .errors import BlockedError, RosterError, StaleError
from .gcpause import gc_paused
from .indexed_review import IndexedReview
from .invocation import command
from .lifecycle import SyncStatus
from .model import ACTION_TYPES, ACTIVE, LOCAL_FIELDS, PEOPLE_TYPES, SOURCE_FIELDS, TABLES, blank
from .plan_index import PlanIndex
from .records import (
    Counts,
    DataWarning,
    Plan,
    Record,
    Report,
    SchoolRow,
    StoreData,
    StoreStatus,
    SyncRecord,
)
from .redact import scrub
from .review import Review
from .store import Store, Version, meta_of
from .store_index import StoreView
from .text import clean_message


class Engine:
    def __init__(self, config: Config, connector: Connector):
        """The engine over the config's store, syncing from `connector`: the caller picks
        it (connectors.connector_for(config.source), or a test's own source)."""
        self.config = config
        self.store = Store(config.store_path)
        self._connector = connector
        self._snapshot: tuple[Version | None, StoreData] | None = None  # (version, data)
        self._seen: Version | None = None  # the store file's version last read or written
        self._writing = False

    # -- the loaded store --------------------------------------------------------------

    def _read(self) -> StoreData:
        """The store for reading, parsed once per version of the file (a parse costs a
        second or two at 100,000 students). Callers must not change it."""
        version = self.store.version()
        if self._snapshot is None or self._snapshot[0] != version:
            self._snapshot = (version, self.store.load())
        self._seen = version
        return self._snapshot[1]

    def _light(self) -> StoreData:
        """The meta and syncs tables as they are now (the record tables may be left out):
        this engine's parse if it is current, else the index's head if it is fresh (a
        few milliseconds, where a parse takes seconds at 100,000 students), else a
        parse. Callers must not change it."""
        version = self.store.version()
        if self._snapshot is not None and self._snapshot[0] == version:
            return self._snapshot[1]
        light = self.store.index.light(version) if version is not None else None
        return light if light is not None else self._read()

    def view(self) -> StoreView:
        """The store as the dashboard reads it: through its index, never parsed whole in
        this process (Store.view). Its version counts as read (changed_elsewhere)."""
        view = self.store.view()
        self._seen = view.version
        return view

    def _take(self) -> StoreData:
        """The store to change: the cached parse if current (handed over, so a failed
        write cannot leave a half-changed cache behind), else a fresh one."""
        snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None and snapshot[0] == self.store.version():
            return snapshot[1]
        return self.store.load()

    def _write(self, data: StoreData) -> None:
        self._writing = True
        try:
            self.store.write(data)
            self._seen = self.store.version()
            self._snapshot = (self._seen, data)
        finally:
            self._writing = False

    def changed_elsewhere(self) -> bool:
        """Whether the store file is not the version this engine last read or wrote:
        another process (the CLI, cron) has changed it. One stat, so cheap enough to ask
        every second. The version is taken before the flag is looked at, so a write of
        this engine's own is never mistaken for another's."""
        version = self.store.version()
        return not self._writing and version != self._seen

    @property
    def connector(self) -> Connector:
        return self._connector

    # -- staging -----------------------------------------------------------------------

    def sync(self, mode: str = "full", trigger: str = "manual", commit: bool = False,
             force: bool = False, progress: Progress | None = None, since: str | None = None,
             schools: list[str] | None = None) -> Report:
        """Fetch, stage, and with `commit` apply at once unless blocked (and not forced).

        `since` (ISO 8601) starts a quick sync at that time instead of the last commit;
        `schools` limits this sync to those school ids. A fetch that fails is recorded as
        a failed sync and stages nothing; a Cancelled raised by `progress` stages nothing."""
        with gc_paused():
            return self._sync(mode, trigger, commit, force, progress, since, schools)

    def _sync(self, mode: str, trigger: str, commit: bool, force: bool,
              progress: Progress | None, since: str | None,
              schools: list[str] | None) -> Report:
        started = clock.stamp()
        seen = self.store.version()
        data = self._take()
        if trigger == "auto" and not meta_of(data)["enabled"]:
            raise RosterError("the integration is disabled (see the dashboard's Status tab); "
                              "no automatic sync was run")
        cursor = (since or meta_of(data)["cursor"]) if mode == "quick" else None
        files.check_writable(self.store.path.parent)  # before a long fetch, not after it
        try:
            feed = self.connector.fetch(mode, cursor, progress)
        except SourceError as exc:
            message = clean_message(scrub(str(exc), self.config.secrets))
            self._record_failure(mode, trigger, started, message)
            raise RosterError(message) from None
        if progress:  # the phases after the fetch take seconds at 50,000 students
            progress("staging", sum(len(t.records) for t in feed.types.values()), None)
        with self.store.locked("sync", wait=0):
            if self.store.version() != seen:
                data = self._take()
            doc = history.new_sync(data, mode=feed.mode, trigger=trigger,
                                   source=describe_source(self.config.source),
                                   started_at=started)
            plan = staging.stage(feed, data, self.config, schools)
            sent = feed.mode
            del feed  # staged: its enrollments (7 million rows at a million students) go
            if progress:  # the guards and the write; a Cancelled here still stages nothing
                progress("saving", len(plan["actions"]), None)
            reasons = safety.block_reasons(plan["actions"], data, self.config)
            history.finish(doc, plan, meta_of(data)["state"], reasons)
            self.store.plans.write(doc, plan, meta_of(data)["store_id"])
            guard_cache.save(self.store.plans.path(doc["id"]), doc, self.config,
                             meta_of(data)["state"], reasons)
            if history.unchanged(plan, reasons):
                # nothing to review or apply: recorded as discarded, so it neither waits
                # in review nor moves the store's state (other staged syncs stay current)
                doc.update({"status": SyncStatus.DISCARDED.value, "note": history.NO_CHANGES})
            elif commit and (force or not reasons):
                ids = verify_plan(data, doc, plan)
                self.store.plans.settle()  # written: its added records become the store's
                commit_plan(data, doc, plan, reasons, ids)
            warnings = plan["warnings"]
            del plan  # written (and applied): its 2 million actions go before the store's dump
            self._write(data)
        report = _report(doc, warnings)
        if sent != mode:
            report["asked_mode"] = mode
        return report

    def _record_failure(self, mode: str, trigger: str, started: str, message: str) -> None:
        with self.store.locked("sync", wait=0):
            data = self._take()
            doc = history.new_sync(data, mode=mode, trigger=trigger,
                                   source=describe_source(self.config.source),
                                   started_at=started)
            doc.update({"status": SyncStatus.FAILED.value, "error": message,
                        "finished_at": clock.stamp()})
            self._write(data)

    # -- review ------------------------------------------------------------------------

    def plan(self, sync_id: int) -> Plan:
        """The sync's actions (with their enabled flags), reference changes and warnings."""
        data = self._light()
        return self._plan_of(data, history.get(data, sync_id))

    def _plan_of(self, data: StoreData, doc: SyncRecord) -> Plan:
        """`doc`'s plan, checked against this store (plans.PlanFiles.read)."""
        return self.store.plans.read(doc, meta_of(data)["store_id"])

    def review(self, sync_id: int | None = None) -> Review:
        """A sync's actions in memory, for ticking and unticking."""
        data = self._light()
        return self._review_of(data, history.get(data, sync_id))

    def _review_of(self, data: StoreData, doc: SyncRecord) -> Review:
        return Review(self.store.plans, doc, self._plan_of(data, doc), self._toggle_gate)

    def indexed_review(self, sync_id: int) -> IndexedReview:
        """A sync's actions for the dashboard, read through its plan's index (the plan is
        never parsed whole; see indexed_review.py), for ticking and unticking."""
        doc = self.sync_doc(sync_id)
        index = self.plan_indexes([doc])[doc["id"]]
        return IndexedReview(self.store.plans, doc, index, self._toggle_gate)

    def plan_indexes(self, docs: list[SyncRecord]) -> dict[int, PlanIndex]:
        """The indexes of these syncs' plans by sync id, those missing or stale made again
        from their plans (in a child process); a plan that cannot be read raises its error."""
        return plan_reindex.open_plans(self.store.plans, docs,
                                       lambda: meta_of(self._read())["store_id"],
                                       lambda doc: self._plan_of(self._read(), doc))

    @contextmanager
    def _toggle_gate(self, sync_id: int) -> Iterator[SyncRecord]:
        """The store's lock held, and the sync's record as it is now."""
        with self.store.locked("review"):
            yield history.get(self._light(), sync_id)

    def set_enabled(self, sync_id: int, action_ids: list[str], enabled: bool) -> None:
        self.review(sync_id).set_enabled(action_ids, enabled)

    def block_reasons(self, review: Review | IndexedReview) -> list[str]:
        """Why the sync, as reviewed now, may not be committed without --force (with every
        action ticked, as staging found, unless the state or the guards' settings changed:
        guard_cache.py). The CLI's review, whose plan is in memory, is counted here; the
        dashboard's in a child process (guard_count.py), so that its process parses
        neither the store nor the plan, and reads only the store's meta when the cache
        answers."""
        run: Callable[[], list[str]]
        if isinstance(review, Review):
            data = self._read()
            state, ticked = meta_of(data)["state"], review.all_ticked()
            run = partial(safety.block_reasons, review.guarded(), data, self.config)
        else:
            # the ticks read once: the UI thread may tick meanwhile, and a count of these
            # must not be kept as the answer for every action ticked (found by attack)
            disabled = frozenset(review.disabled)
            state, ticked = meta_of(self._light())["state"], not disabled
            run = partial(guard_count.count, guard_count.Request(
                self.store.path.absolute(), review.doc, disabled, self.config.sync,
                self.config.limits, state))
        return guard_cache.reasons(self.store.plans.path(review.sync_id), review.doc,
                                   self.config, state, ticked, run)

    # -- commit ------------------------------------------------------------------------

    def commit(self, sync_id: int | None = None, disable: Sequence[str] = (),
               force: bool = False, shown_unticked: Collection[str] | None = None) -> Report:
        """Apply a pending sync's enabled actions, after unticking `disable` (every id
        checked before anything is done). The guards are counted on what will be applied.
        `shown_unticked`: the actions the admin saw unticked when they confirmed (the
        dashboard); if another session has ticked or unticked any since, nothing is
        applied: what is committed is exactly what was confirmed."""
        with gc_paused(), self.store.locked("commit", wait=0):
            data = self._take()
            doc = history.get(data, sync_id)
            lifecycle.require(doc, "commit")
            if doc["base_state"] != meta_of(data)["state"]:
                raise StaleError(f"sync {doc['id']} is stale: the store changed after it "
                                 f"was staged; stage it again with: {command('sync')}")
            review = self._review_of(data, doc)
            review.check_ids(list(disable))
            newly = [i for i in dict.fromkeys(disable) if review.action(i)["enabled"]]
            for i in newly:
                review.action(i)["enabled"] = False
            if shown_unticked is not None:
                _require_ticks_as_shown(doc["id"], review, shown_unticked)
            plan = review.plan
            reasons = safety.block_reasons(plan["actions"], data, self.config)
            if reasons and not force:
                raise BlockedError(f"sync {doc['id']} is blocked: {'; '.join(reasons)}. "
                                   "Untick those actions in review, or commit with --force")
            ids = verify_plan(data, doc, plan)
            if newly:
                review.record(newly, False)
            commit_plan(data, doc, plan, reasons, ids)
            self._write(data)
        return _report(doc, plan["warnings"])

    def revert(self, sync_id: int, force: bool = False,
               accepted: Collection[str] = ()) -> Report:
        """Undo a committed sync. Refused when records it changed have changed since, or
        when the undo trips a guard (the revert of a first import removes everything),
        unless forced. `accepted`: conflicts (revert_conflicts) the admin was shown and
        agreed to revert over; others still refuse, and so do the guards. The revert is
        recorded as a sync of its own."""
        with gc_paused(), self.store.locked("revert", wait=0):
            data = self._take()
            doc = history.get(data, sync_id)
            lifecycle.require(doc, "revert")
            new = self._revert(data, doc, force, "revert", doc["id"], accepted)
            self._write(data)
        return _report(new, [])

    def redo(self, sync_id: int, force: bool = False,
             accepted: Collection[str] = ()) -> Report:
        """Apply a reverted sync again: the revert of its revert, recorded as a new sync."""
        with gc_paused(), self.store.locked("redo", wait=0):
            data = self._take()
            doc = history.get(data, sync_id)
            lifecycle.require(doc, "redo")
            undoing = history.get(data, doc["reverted_by"])
            lifecycle.require(undoing, "revert")
            new = self._revert(data, undoing, force, "redo", doc["id"], accepted)
            self._write(data)
        return _report(new, [])

    def _revert(self, data: StoreData, doc: SyncRecord, force: bool, verb: str,
                asked: int, accepted: Collection[str]) -> SyncRecord:
        """Revert `doc` (for a redo, the revert being undone); `asked`: the sync the admin
        named, for the messages."""
        started = clock.stamp()
        plan = self._plan_of(data, doc)
        clashing = self._conflicts(data, doc, plan)
        if not force and set(clashing) - set(accepted):
            raise conflict_error(asked, clashing, verb)
        undo_plan = inverse_plan(data, plan)
        reasons = safety.block_reasons(undo_plan["actions"], data, self.config)
        if reasons and not force:
            raise BlockedError(f"{verb} of sync {asked} is blocked: {'; '.join(reasons)}. "
                               f"{verb.capitalize()} with --force to do it anyway")
        new = revert_plan(data, doc, undo_plan, started, exact=not clashing)
        new["forced"] = bool(clashing or reasons)
        new["blocked_reasons"] = reasons
        self.store.plans.write(new, undo_plan, meta_of(data)["store_id"])
        return new

    def revert_conflicts(self, sync_id: int) -> list[str]:
        """The action ids (`type:source_id`) that make revert refuse without force."""
        data = self._read()
        return self._conflicts(data, history.get(data, sync_id), self.plan(sync_id))

    def _conflicts(self, data: StoreData, doc: SyncRecord, plan: Plan) -> list[str]:
        """The records this sync changed that a sync committed after it (in commit order,
        whatever the ids) changed again, or that are no longer as it left them."""
        applied = enabled_actions(plan)
        mine = {a["id"] for a in applied}
        touched: set[str] = set()
        for later in applied_after(data, doc):
            actions = self._plan_of(data, later)["actions"]
            touched.update(a["id"] for a in actions if a["enabled"] and a["id"] in mine)
        return sorted(touched | set(mismatches(data, applied, side="after")))

    def discard(self, sync_id: int | None = None) -> Report:
        with self.store.locked("discard", wait=0):
            data = self._take()
            doc = history.get(data, sync_id)
            lifecycle.require(doc, "discard")
            doc["status"] = SyncStatus.DISCARDED.value
            self._write(data)
        return self.report(doc["id"])

    def restore(self, force: bool = False) -> str:
        """Put the store's backup back (see Store.restore)."""
        with self.store.locked("restore", wait=0):
            self._snapshot = None
            return self.store.restore(force)

    def check(self) -> SourceCheck:
        try:
            return self.connector.check()
        except SourceError as exc:
            raise RosterError(scrub(str(exc), self.config.secrets)) from None

    # -- local data ----------------------------------------------------------------------

    def create_local(self, type_: str, fields: Record) -> Record:
        """An account made here, outside the source: marked local, never archived by a
        sync, and linkable to a source record by sync.match_existing."""
        if type_ not in PEOPLE_TYPES:
            raise RosterError(f"local records can be {', '.join(PEOPLE_TYPES)}, not {type_}")
        unknown = sorted(set(fields) - set(SOURCE_FIELDS[type_]) - set(LOCAL_FIELDS[type_]))
        if unknown:
            raise RosterError(f"a {type_} has no field '{unknown[0]}'")
        doc: Record = {**blank(type_), **fields, "status": ACTIVE, "local": True}
        doc["source_id"] = fields.get("source_id") or f"local-{uuid.uuid4().hex[:12]}"
        with self.store.locked("local account"):
            data = self._take()
            table = data[TABLES[type_]]
            if any(d["source_id"] == doc["source_id"] for d in table.values()):
                raise RosterError(f"a {type_} with source id {doc['source_id']} exists")
            table[str(max(map(int, table), default=0) + 1)] = doc
            meta_of(data)["state"] = f"local-{doc['source_id']}"  # plans staged before: stale
            self._write(data)
        return doc

    def set_local_fields(self, type_: str, source_id: str, fields: Record) -> Record:
        """Fields kept here (a section's display name, notes, priority): no sync touches
        them, so they need not make a staged sync stale."""
        allowed = LOCAL_FIELDS.get(type_, ())
        unknown = sorted(set(fields) - set(allowed))
        if unknown:
            raise RosterError(f"'{unknown[0]}' is not a local field of a {type_}; "
                              f"local fields: {', '.join(allowed)}")
        with self.store.locked("local fields"):
            data = self._take()
            doc = next((d for d in data[TABLES[type_]].values()
                        if d["source_id"] == source_id), None)
            if doc is None:
                raise RosterError(f"there is no {type_} {source_id}")
            doc.update(fields)
            self._write(data)
        return doc

    def set_sync_enabled(self, enabled: bool) -> None:
        """Turn the integration on or off; off, scheduled (auto) syncs do nothing."""
        with self.store.locked("settings"):
            data = self._take()
            meta_of(data)["enabled"] = enabled
            self._write(data)

    # -- reading -----------------------------------------------------------------------

    def history(self, view: StoreView | None = None) -> list[SyncRecord]:
        """Every sync, newest first (`view`: as the dashboard's view of the store has
        them)."""
        return history.listing(view.light() if view else self._light())

    def sync_doc(self, sync_id: int | None = None) -> SyncRecord:
        return history.get(self._light(), sync_id)

    def report(self, sync_id: int) -> Report:
        """The shape of `--json`: the sync's counts, status and warnings."""
        doc = self.sync_doc(sync_id)
        if not doc["plan_digest"]:
            return _report(doc, [])  # a failed sync has no plan
        try:
            review = self.review(doc["id"])
        except RosterError as exc:  # its plan is gone or not its own: say so, show the rest
            gone = _report(doc, [])
            gone["error"] = clean_message(str(exc))
            return gone
        if not lifecycle.pending(doc):
            return _report(doc, review.warnings)
        reasons = self.block_reasons(review)  # as unticked now
        live = _report(doc, review.warnings)
        live["status"] = history.pending_status(reasons)
        live["enabled"] = sum(a["enabled"] for a in review.actions)
        live["disabled"] = len(review.actions) - live["enabled"]
        live["blocked_reasons"] = reasons
        return live

    def warnings(self, sync_id: int | None = None,
                 code: str | None = None) -> list[DataWarning]:
        """A sync's data warnings (default: the newest sync that has a plan)."""
        found = self.plan(self.warnings_sync(sync_id))["warnings"]
        return [w for w in found if code is None or w["code"] == code]

    def warnings_sync(self, sync_id: int | None = None) -> int:
        """The sync whose warnings `warnings` reads: `sync_id` (refused as `show` refuses
        an unknown one), or the newest sync that has a plan."""
        if sync_id is not None:
            return self.sync_doc(sync_id)["id"]
        staged = [d for d in self.history() if d["plan_digest"]]
        if not staged:
            raise RosterError(f"no sync has been staged yet; run: {command('sync')}")
        return staged[0]["id"]

    def schools(self, catalog: Catalog | None = None) -> list[SchoolRow]:
        """Every school with whether it is synced, its local organization and its counts
        (`catalog`: the dashboard's, once its schools are in)."""
        catalog = catalog or self.catalog()
        selected = self.config.schools
        counted = catalog.school_stats()
        rows: list[SchoolRow] = []
        for doc in catalog.docs("school"):
            sid = doc["source_id"]
            stats = counted.get(sid, {"users": 0, "sections": 0})
            rows.append({"school": doc, "synced": not selected or sid in selected,
                         "local_org": selected.get(sid), "users": stats["users"],
                         "sections": stats["sections"]})
        return rows

    def catalog(self) -> Catalog:
        """The store, indexed for browsing, all of it at once (the dashboard loads its own
        from `view`, a type at a time)."""
        return Catalog.of(self._read())

    def status(self, view: StoreView | None = None) -> StoreStatus:
        """`view`: as the dashboard's view of the store has it, instead of a parse."""
        data = view.light() if view else self._read()
        syncs = history.listing(data)
        counts = {t: dict(view.counts(t)) for t in ACTION_TYPES} if view else \
            table_counts(data)
        return {"source": describe_source(self.config.source), "store": str(self.store.path),
                "district": meta_of(data)["district"], "enabled": meta_of(data)["enabled"],
                "last_sync": syncs[0] if syncs else None, "counts": counts}


def _require_ticks_as_shown(sync_id: int, review: Review, shown: Collection[str]) -> None:
    unticked = {a["id"] for a in review.actions if not a["enabled"]}
    differ = len(unticked ^ set(shown))
    if differ:
        raise StaleError(f"sync {sync_id}: {differ:,} of its ticks were changed in another "
                         "session after the ones you confirmed; nothing was committed: "
                         "review them again and commit")


def _report(doc: SyncRecord, warnings: list[DataWarning]) -> Report:
    return {"sync_id": doc["id"], "mode": doc["mode"], "status": doc["status"],
            "counts": doc["counts"], "warnings": warnings,
            "enabled": doc["enabled"], "disabled": doc["disabled"],
            "blocked_reasons": doc["blocked_reasons"], "error": doc["error"],
            "renumbered": doc["renumbered"]}


def table_counts(data: StoreData) -> Counts:
    out: Counts = {}
    for type_ in ACTION_TYPES:
        docs = data[TABLES[type_]].values()
        active = sum(1 for d in docs if d["status"] == ACTIVE)
        out[type_] = {"active": active, "archived": len(docs) - active}
    return out

