"""Sync now: the engine call the progress modal runs, and what the admin is told after."""

from __future__ import annotations

from textual.dom import DOMNode

from rostertui.engine import Engine
from rostertui.errors import Cancelled

from . import notices
from .job_screen import Feedback, Job
from .labels import total
from .sync_dialog import SyncChoice

PENDING = ("staged", "blocked")


def last_planned(syncs: list[dict]) -> dict | None:
    """The newest sync that got as far as a plan (and so has data warnings); a revert
    has a plan but no warnings of its own."""
    return next((d for d in syncs if d["status"] != "failed" and d["mode"] != "revert"),
                None)


def sync_job(engine: Engine, choice: SyncChoice) -> Job:
    def job(feedback: Feedback) -> dict:
        report = engine.sync(choice.mode, "manual", commit=choice.commit, progress=feedback,
                             since=choice.since, schools=choice.schools)
        if feedback.cancelled and report["status"] in PENDING:
            engine.discard(report["sync_id"])  # Escape came after the fetch had finished
            raise Cancelled("cancelled: the sync was discarded; nothing is staged")
        return report
    return job


def announce(node: DOMNode, outcome: tuple[bool, object]) -> None:
    ok, result = outcome
    if not ok:
        if isinstance(result, Cancelled):
            notices.warn(node, "Sync cancelled: nothing was staged.")
        else:
            notices.error(node, result)
        return
    sid, status = result["sync_id"], result["status"]
    changes = sum(total(c) for c in result["counts"].values())
    if status == "committed":
        notices.info(node, f"Sync {sid} committed: {changes:,} changes applied.",
                     title="Committed")
    elif status == "blocked":
        notices.warn(node, f"Sync {sid} is blocked: {'; '.join(result['blocked_reasons'])}. "
                           "Press r to review it.", title="Blocked", timeout=20)
    else:
        notices.info(node, f"Sync {sid} staged: {changes:,} changes to review. Press r to "
                           "open the report.", title="Staged", timeout=12)
