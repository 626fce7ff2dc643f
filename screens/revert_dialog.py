"""Revert a committed sync, or redo a reverted one (History tab): a confirmation restating
what it applied and naming the records changed since, if any (confirming it reverts over
those); when a guard fires, or more records changed meanwhile, a second one naming them
that offers to go ahead anyway. Either is recorded as a sync of its own. Both are
dangerous confirmations: they open on Cancel."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from rich.text import Text
from textual.screen import Screen

from rostertui import lifecycle
from rostertui.catalog import Catalog
from rostertui.commit import MismatchError
from rostertui.errors import BlockedError, RosterError
from rostertui.lifecycle import SyncStatus
from rostertui.model import TABLES
from rostertui.records import Report, SyncRecord
from rostertui.text import safe

from . import gcpause, notices
from .confirm_screen import ConfirmScreen
from .job_screen import JobScreen
from .roster_app import engine_of
from .tally import Tally, enabled, type_lines

LISTED = 10  # conflicting records named before "and N more"


async def ask_and_revert(screen: Screen[Any], doc: SyncRecord, catalog: Catalog | None) -> bool:
    """Ask, revert (or redo a reverted sync), and on a refusal ask again; True once the
    store changed. Only what the sync's state allows is offered."""
    app, sid = screen.app, doc["id"]
    verb = "redo" if doc["status"] == SyncStatus.REVERTED else "revert"
    if not lifecycle.allowed(doc, verb):
        notices.warn(screen, lifecycle.refusal(doc, verb))
        return False
    engine = engine_of(screen)
    inverted = doc["reverted_by"] if verb == "redo" else sid  # the plan that is undone
    assert inverted is not None  # a reverted sync names the sync that reverted it
    try:
        tally, clashing = await asyncio.to_thread(
            gcpause.load, lambda: (engine.review(inverted).tally(),
                                   engine.revert_conflicts(inverted)))
    except RosterError as exc:
        notices.error(screen, exc)
        return False
    body = revert_summary(sid, tally, verb)
    if clashing:
        body = Text("\n\n").join([body, conflicts_body(inverted, clashing, catalog, verb)])
    if not await app.push_screen_wait(ConfirmScreen(
            f"{verb.capitalize()} sync {sid}?", body,
            f"{verb.capitalize()} {enabled(tally):,}" + (" anyway" if clashing else ""),
            danger=True)):
        return False
    run = engine.redo if verb == "redo" else engine.revert
    ok, result = await app.push_screen_wait(JobScreen(
        f"{VERBING[verb]} sync {sid}…", lambda _: run(sid, accepted=clashing)))
    if not ok and await _forced(screen, inverted, catalog, result, verb):
        ok, result = await app.push_screen_wait(JobScreen(
            f"{VERBING[verb]} sync {sid} (forced)…", lambda _: run(sid, force=True)))
        if not ok:
            notices.error(screen, result)
    if ok:
        report: Report = result  # the new sync's, which recorded the revert or redo
        done = DONE[verb]
        notices.info(screen, f"Sync {sid} {done}: {report['enabled']:,} changes applied, "
                             f"recorded as sync {report['sync_id']}.", title=done.capitalize())
    return ok


VERBING = {"revert": "Reverting", "redo": "Redoing"}
DONE = {"revert": "reverted", "redo": "redone"}


async def _forced(screen: Screen[Any], sid: int, catalog: Catalog | None,
                  refusal: RosterError, verb: str) -> bool:
    """After a refusal: whether the admin goes ahead anyway, over records changed since
    (named: more than the first dialog named) or past the guards (their reasons)."""
    if isinstance(refusal, MismatchError):
        title = "These records changed since"
        body = conflicts_body(sid, refusal.ids, catalog, verb)
    elif isinstance(refusal, BlockedError):
        title, body = "Blocked by the guards", Text.assemble(
            str(refusal), "\n\n", ("Going ahead anyway goes past these limits.", "bold"))
    else:  # refused for another reason (the store is busy, say)
        notices.error(screen, refusal)
        return False
    if await screen.app.push_screen_wait(ConfirmScreen(title, body, "Go ahead anyway",
                                                       danger=True)):
        return True
    notices.info(screen, "Nothing was changed; the store is as it was.")
    return False


def revert_summary(sid: int, tally: Tally, verb: str = "revert") -> Text:
    if verb == "redo":
        return Text(f"Sync {sid} was reverted. Redoing it reverts that revert: "
                    f"{enabled(tally):,} changes are applied again, recorded as a new sync.")
    lines = [Text(f"Sync {sid} applied {enabled(tally):,} actions. Reverting puts back the "
                  "values recorded before them:"),
             *type_lines(tally, lambda on, _: f"{on:,}" if on else ""),
             Text("Added records are removed, changed ones get their old values back and "
                  "archived ones are reactivated. The revert is recorded as a new sync.",
                  style="dim")]
    return Text("\n").join(lines)


def conflicts_body(sid: int, clashing: list[str], catalog: Catalog | None,
                   verb: str) -> Text:
    """The records a later sync changed again, named; `sid`: the sync whose values go
    back (for a redo, the revert being undone)."""
    going = "Redoing" if verb == "redo" else "Reverting"
    shown = [Text(f"  {type_:<8} {safe(_name(catalog, type_, source_id))}")
             for type_, _, source_id in (c.partition(":") for c in clashing[:LISTED])]
    more = [Text(f"  and {len(clashing) - LISTED:,} more")] if len(clashing) > LISTED else []
    by_type = Counter(c.partition(":")[0] for c in clashing)
    kinds = ", ".join(f"{TABLES[t]} {n:,}" for t, n in by_type.most_common())
    return Text("\n").join([
        Text(f"Since sync {sid} was committed, {len(clashing):,} of its records changed "
             f"again ({kinds}):"), *shown, *more,
        Text.assemble(f"{going} anyway puts back sync ", str(sid), "'s old values over "
                      "those later changes.", style="bold")])


def _name(catalog: Catalog | None, type_: str, source_id: str) -> str:
    name = catalog.name(type_, source_id) if catalog else source_id
    return name if name == source_id else f"{name} ({source_id})"
