"""Short display strings shared by every screen: names, dates, counts."""

from __future__ import annotations

from datetime import datetime

from rostertui.model import KINDS, TABLES, shown_names
from rostertui.records import Record

KIND_LABELS = {k: k.capitalize() for k in KINDS}


def plural(type_: str) -> str:
    """Students, Staff, Sections..."""
    return TABLES[type_].capitalize()


def when(stamp: str | None) -> str:
    """A stored UTC stamp in local time, to the minute: 2026-11-23 04:27."""
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def person(doc: Record) -> str:
    """Last, First (the order lists are sorted in), preferred names first (shown_names)."""
    first, last = shown_names(doc)
    return f"{last}, {first}" if first and last else (last or first or doc["source_id"])


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())
