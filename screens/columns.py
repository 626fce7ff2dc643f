"""The columns of every list, sized to stay readable at 80 columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rostertui.catalog import Catalog
from rostertui.lifecycle import SyncStatus
from rostertui.output import note
from rostertui.records import Action, Record, SchoolRow, SyncRecord

from .labels import person, total, when
from .rowtable import Column

MEMBER_LABELS = {"student_ids": "students", "teacher_ids": "teachers"}


def _field(name: str) -> Callable[[Mapping[str, object]], object]:
    return lambda doc: doc.get(name) or ""


def people(catalog: Catalog) -> list[Column]:
    return [Column("Name", person, flex=3), Column("Username", _field("username"), 13),
            Column("Email", _field("email"), flex=2), Column("SIS ID", _field("sis_id"), 9),
            Column("School", lambda d: catalog.names("school", d.get("school_ids") or ()), 13),
            Column("Status", _field("status"), 8)]


def sections(catalog: Catalog) -> list[Column]:
    return [Column("Name", _field("name")),
            Column("School", lambda d: catalog.name("school", d.get("school_id") or ""), 11),
            Column("Term", lambda d: catalog.names("term", d.get("term_ids") or ()), 9),
            Column("Teachers", lambda d: catalog.names("teacher", d.get("teacher_ids") or ()),
                   10),
            Column("Students", lambda d: f"{len(d.get('student_ids') or ()):,}", 8, right=True),
            Column("Subject", _field("subject"), 7), Column("Per", _field("period"), 3),
            Column("HR", lambda d: "yes" if homeroom(d) else "", 3)]


def homeroom(section: Record) -> bool:
    """A homeroom or advisory section (OneRoster classType, Clever's subject)."""
    return (section.get("class_type") or "").lower() == "homeroom" or \
        (section.get("subject") or "").lower() == "homeroom/advisory"


def schools(rows: dict[str, SchoolRow]) -> list[Column]:
    """`rows`: Engine.schools() by school id (synced, local org, counts)."""
    def info(doc: Record) -> Mapping[str, object]:
        return rows.get(doc["source_id"], {})
    return [Column("Name", _field("name")), Column("SIS ID", _field("sis_id"), 8),
            Column("Users", lambda d: f"{info(d).get('users', 0):,}", 6, right=True),
            Column("Sections", lambda d: f"{info(d).get('sections', 0):,}", 8, right=True),
            Column("Synced", lambda d: synced(info(d).get("synced", True)), 10),
            Column("Local org", lambda d: info(d).get("local_org") or "", 14),
            Column("Status", _field("status"), 8)]


def synced(value: object) -> str:
    return "yes" if value else "not synced"


def syncs() -> list[Column]:
    return [Column("#", lambda d: d["id"], 4, right=True),
            Column("Date", lambda d: when(d["started_at"]), 16),
            Column("Mode", _field("mode"), 6), Column("Trigger", _field("trigger"), 7),
            Column("Who", _field("user"), 8),
            Column("Changes", lambda d: f"{sum(map(total, d['counts'].values())):,}", 7,
                   right=True),
            Column("Status", _field("status"), 9), Column("Note", note_text)]


def note_text(doc: SyncRecord) -> str:
    """The history note, with the commit time in local time (the day too if it differs)."""
    if doc["status"] != SyncStatus.COMMITTED:
        return note(doc)
    started, committed = when(doc["started_at"]), when(doc["committed_at"])
    same_day = started[:10] == committed[:10]
    what = f"Reverts sync {doc['reverts']}; committed" if doc.get("reverts") else "Committed"
    return f"{what} {committed[11:] if same_day else committed}" + (
        " (forced)" if doc.get("forced") else "")


def actions() -> list[Column]:
    return [Column("Record", _field("label")), Column("Changes", change_summary)]


def change_summary(action: Action) -> str:
    """students +2 -1, grade: 07, email: ...: the new values, for scanning a list.
    A link starts with what matched: link by email from local-3f2a, ..."""
    members = action.get("members") or {}
    link = action.get("link")
    parts = [f"link by {link['by']} from {link['from']}"] if link else []
    parts += [f"{MEMBER_LABELS.get(f, f)} +{len(m['added'])} -{len(m['removed'])}"
              for f, m in members.items()]
    parts += [f if isinstance(after, (list, dict)) else f"{f}: {after}"
              for f, (_, after) in (action.get("changes") or {}).items()
              if f not in members and not (link and f == "source_id")]
    return ", ".join(parts)


def warnings() -> list[Column]:
    return [Column("Code", _field("code"), 23), Column("Type", _field("type"), 7),
            Column("Record", _field("source_id"), 10), Column("Message", _field("message"))]


def record_history() -> list[Column]:
    """(sync, action) pairs of a record's own history."""
    return [Column("#", lambda p: p[0]["id"], 4, right=True),
            Column("Date", lambda p: when(p[0]["committed_at"] or p[0]["started_at"]), 16),
            Column("Action", lambda p: p[1]["kind"], 10),
            Column("Changes", lambda p: change_summary(p[1]))]
