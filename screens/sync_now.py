"""Sync now: the engine call the progress modal runs, and what the admin is told after."""

from __future__ import annotations

from typing import Any

from textual.dom import DOMNode

from rostertui.engine import Engine
from rostertui.errors import Cancelled
from rostertui.lifecycle import PENDING, SyncStatus
from rostertui.output import source_chose
from rostertui.records import Report, SyncRecord

from . import notices
from .job_screen import Feedback, Job
from .labels import total
from .sync_dialog import SyncChoice


def last_planned(syncs: list[SyncRecord]) -> SyncRecord | None:
    """The newest sync that got as far as a plan (and so has data warnings); a revert
    has a plan but no warnings of its own."""
    return next((d for d in syncs if d["status"] != SyncStatus.FAILED and d["mode"] != "revert"),
                None)


def sync_job(engine: Engine, choice: SyncChoice) -> Job:
    def job(feedback: Feedback) -> Report:
        report = engine.sync(choice.mode, "manual", commit=choice.commit, progress=feedback,
                             since=choice.since, schools=choice.schools)
        if feedback.cancelled and report["status"] in PENDING:
            engine.discard(report["sync_id"])  # Escape came after the fetch had finished
            raise Cancelled("cancelled: the sync was discarded; nothing is staged")
        return report
    return job


def announce(node: DOMNode, outcome: tuple[bool, Any]) -> None:
    """`outcome`: the JobScreen's: (True, the sync's Report) or (False, the RosterError)."""
    ok, result = outcome
    if not ok:
        if isinstance(result, Cancelled):
            notices.warn(node, "Sync cancelled: nothing was staged.")
        else:
            notices.error(node, result)
        return
    report: Report = result
    sid, status = report["sync_id"], report["status"]
    changes = sum(total(c) for c in report["counts"].values())
    if chosen := source_chose(report):
        notices.info(node, f"Sync {sid}: {chosen}.", title="Mode", timeout=12)
    if status == SyncStatus.DISCARDED:
        notices.info(node, f"Sync {sid} found no changes: the store already matches the "
                           "source, so there is nothing to review.", title="No changes")
    elif status == SyncStatus.COMMITTED:
        notices.info(node, f"Sync {sid} committed: {changes:,} changes applied.",
                     title="Committed")
    elif status == SyncStatus.BLOCKED:
        notices.warn(node, f"Sync {sid} is blocked: {'; '.join(report['blocked_reasons'])}. "
                           "Press r to review it.", title="Blocked", timeout=20)
    else:
        notices.info(node, f"Sync {sid} staged: {changes:,} changes to review. Press r to "
                           "open the report.", title="Staged", timeout=12)
