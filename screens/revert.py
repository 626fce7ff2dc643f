"""Revert a committed sync (History tab): a confirmation restating what it applied, and
when later syncs changed the same records, a second one naming them that offers to
revert anyway. The revert is recorded as a sync of its own."""

from __future__ import annotations

import asyncio
from collections import Counter

from rich.text import Text
from textual.screen import Screen

from rostertui.catalog import Catalog
from rostertui.errors import RosterError
from rostertui.model import TABLES
from rostertui.text import safe

from . import bulk, notices
from .confirm import ConfirmScreen
from .job import JobScreen
from .tally import enabled, type_lines

LISTED = 10  # conflicting records named before "and N more"


async def ask_and_revert(screen: Screen, doc: dict, catalog: Catalog | None) -> bool:
    """Ask, revert, and on a refusal ask again; True once the store was reverted."""
    app, sid = screen.app, doc["id"]
    if doc["status"] != "committed":
        notices.warn(screen, f"Sync {sid} is {doc['status']}: only a committed sync can be "
                             "reverted.")
        return False
    engine = app.engine
    try:
        tally = await asyncio.to_thread(bulk.load, lambda: engine.review(sid).tally())
    except RosterError as exc:
        notices.error(screen, exc)
        return False
    if not await app.push_screen_wait(ConfirmScreen(
            f"Revert sync {sid}?", revert_summary(sid, tally), f"Revert {enabled(tally):,}")):
        return False
    ok, result = await app.push_screen_wait(JobScreen(f"Reverting sync {sid}…",
                                                      lambda _: engine.revert(sid)))
    if not ok and await _forced(screen, sid, catalog, result):
        ok, result = await app.push_screen_wait(JobScreen(
            f"Reverting sync {sid} (forced)…", lambda _: engine.revert(sid, force=True)))
        if not ok:
            notices.error(screen, result)
    if ok:
        notices.info(screen, f"Sync {sid} reverted: {result['enabled']:,} changes undone, "
                             f"recorded as sync {result['sync_id']}.", title="Reverted")
    return ok


async def _forced(screen: Screen, sid: int, catalog: Catalog | None,
                  refusal: RosterError) -> bool:
    """After a refusal: whether the admin reverts anyway over later changes."""
    try:
        clashing = await asyncio.to_thread(screen.app.engine.revert_conflicts, sid)
    except RosterError:
        clashing = []
    if not clashing:  # refused for another reason (the store is busy, say)
        notices.error(screen, refusal)
        return False
    if await screen.app.push_screen_wait(ConfirmScreen(
            "Later syncs changed these records", conflicts_body(sid, clashing, catalog),
            "Revert anyway", danger=True)):
        return True
    notices.info(screen, f"Sync {sid} was not reverted; the store is unchanged.")
    return False


def revert_summary(sid: int, tally: dict) -> Text:
    lines = [Text(f"Sync {sid} applied {enabled(tally):,} actions. Reverting puts back the "
                  "values recorded before them:"),
             *type_lines(tally, lambda on, _: f"{on:,}" if on else ""),
             Text("Added records are removed, changed ones get their old values back and "
                  "archived ones are reactivated. The revert is recorded as a new sync.",
                  style="dim")]
    return Text("\n").join(lines)


def conflicts_body(sid: int, clashing: list[str], catalog: Catalog | None) -> Text:
    shown = [Text(f"  {type_:<8} {safe(_name(catalog, type_, source_id))}")
             for type_, _, source_id in (c.partition(":") for c in clashing[:LISTED])]
    more = [Text(f"  and {len(clashing) - LISTED:,} more")] if len(clashing) > LISTED else []
    by_type = Counter(c.partition(":")[0] for c in clashing)
    kinds = ", ".join(f"{TABLES[t]} {n:,}" for t, n in by_type.most_common())
    return Text("\n").join([
        Text(f"Syncs committed after sync {sid} changed {len(clashing):,} of its records "
             f"again ({kinds}):"), *shown, *more,
        Text.assemble("Reverting anyway puts back sync ", str(sid), "'s old values over "
                      "those later changes.", style="bold")])


def _name(catalog: Catalog | None, type_: str, source_id: str) -> str:
    name = catalog.name(type_, source_id) if catalog else source_id
    return name if name == source_id else f"{name} ({source_id})"
