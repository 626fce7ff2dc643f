"""What a sync's report says beyond its counts: why it is blocked (delete thresholds and
capacity limits, with their numbers), how many sections each section rule left out, and
how many new records were linked to existing accounts rather than added."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.text import Text

from rostertui.lifecycle import SyncStatus
from rostertui.records import Action, Plan, SyncRecord
from rostertui.text import safe

from .document import document

# The title of a sync's blocked reasons, by its status.
BLOCKED_TITLES: dict[str, str] = {
    SyncStatus.BLOCKED: "Blocked (committing asks twice; unticking actions can unblock it):",
    SyncStatus.COMMITTED: "Was blocked, committed anyway (forced):"}


def plan_notes(doc: SyncRecord, plan: Plan | None) -> Text:
    stats = plan.get("rules") if plan else None
    actions = plan.get("actions") if plan else None
    return document(blocked(doc), rules(stats or []), links(actions or []))


def blocked(doc: SyncRecord) -> Text:
    reasons = doc.get("blocked_reasons") or []
    if not reasons:
        return Text()
    title = BLOCKED_TITLES.get(doc["status"], "Was blocked:")
    style = "bold red" if doc["status"] == SyncStatus.BLOCKED else "bold"
    return Text("\n").join([Text(title, style=style),
                            *(Text(f"  {safe(r)}") for r in reasons)])


def rules(stats: list[dict[str, Any]]) -> Text:
    """sync.sections include/exclude: each rule and the sections it removed."""
    if not stats:
        return Text()
    return Text("\n").join([Text("Section rules: sections left out", style="bold"),
                            *(Text(f"  {s['removed']:>6,}  {safe(s['rule'])}")
                              for s in stats)])


def links(actions: list[Action]) -> Text:
    """sync.match_existing: updates that move an existing account to a new source id."""
    by = Counter(a["link"]["by"] for a in actions if a.get("link"))
    if not by:
        return Text()
    keys = ", ".join(f"by {key} {n:,}" for key, n in by.most_common())
    return Text.assemble(("Links: ", "bold"),
                         f"{sum(by.values()):,} new records matched an existing account "
                         f"({keys}); they are updates marked \"link\"")
