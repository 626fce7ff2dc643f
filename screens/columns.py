"""The columns of every list. Fixed widths only where every value has the same length
(a date, a status); the others are sized from their content (rowtable.widths), between a
minimum that keeps them readable at 60 columns and what their values need."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from rostertui.catalog import Catalog
from rostertui.lifecycle import SyncStatus
from rostertui.model import ACTIVE, ARCHIVED
from rostertui.output import note
from rostertui.records import Action, Record, SchoolRow, SyncRecord

from .labels import person, total, when
from .rowtable import Column

MEMBER_LABELS = {"student_ids": "students", "teacher_ids": "teachers"}
STATUS_WIDTH = max(len(ACTIVE), len(ARCHIVED))  # a record's status
SYNC_STATUS_WIDTH = max(map(len, SyncStatus))  # committed, discarded: never "stage…"


def _field(name: str) -> Callable[[Mapping[str, object]], object]:
    return lambda doc: doc.get(name) or ""


def people(catalog: Catalog) -> list[Column]:
    return [Column("Name", person, flex=3, min_width=12),
            Column("Username", _field("username"), min_width=8),
            Column("Email", _field("email"), flex=2, min_width=10),
            Column("SIS ID", _field("sis_id")),
            Column("School", lambda d: catalog.names("school", d.get("school_ids") or ())),
            Column("Status", _field("status"), STATUS_WIDTH)]


def sections(catalog: Catalog) -> list[Column]:
    """What tells classes of one name apart comes right after it: the period and the
    teachers (by surname), which the end of a cut name may have said."""
    return [Column("Name", _field("name"), flex=3, min_width=18),
            Column("Per", _field("period"), min_width=3, max_width=8),
            Column("Teachers", lambda d: surnames(catalog, d.get("teacher_ids") or ()),
                   flex=2, min_width=8),
            Column("School", lambda d: catalog.name("school", d.get("school_id") or "")),
            Column("Term", lambda d: catalog.names("term", d.get("term_ids") or ())),
            Column("Students", lambda d: f"{len(d.get('student_ids') or ()):,}", 8, right=True),
            Column("Subject", _field("subject"), min_width=7),
            Column("HR", lambda d: "yes" if homeroom(d) else "", 3)]


def surnames(catalog: Catalog, teacher_ids: Iterable[str]) -> str:
    """Cher, Smith: the teachers' last names (their full names where there is none)."""
    def surname(source_id: str) -> str:
        doc = catalog.entry("teacher", source_id)
        return (doc.get("last_name") if doc else None) or catalog.name("teacher", source_id)
    return ", ".join(map(surname, teacher_ids))


def homeroom(section: Record) -> bool:
    """A homeroom or advisory section (OneRoster classType, Clever's subject)."""
    return (section.get("class_type") or "").lower() == "homeroom" or \
        (section.get("subject") or "").lower() == "homeroom/advisory"


def schools(rows: dict[str, SchoolRow]) -> list[Column]:
    """`rows`: Engine.schools() by school id (synced, local org, counts)."""
    def info(doc: Record) -> Mapping[str, object]:
        return rows.get(doc["source_id"], {})
    return [Column("Name", _field("name"), flex=2, min_width=10),
            Column("SIS ID", _field("sis_id")),
            Column("Users", lambda d: f"{info(d).get('users', 0):,}", right=True),
            Column("Sections", lambda d: f"{info(d).get('sections', 0):,}", 8, right=True),
            Column("Synced", lambda d: synced(info(d).get("synced", True))),
            Column("Local org", lambda d: info(d).get("local_org") or "", min_width=9),
            Column("Status", _field("status"), STATUS_WIDTH)]


def synced(value: object) -> str:
    return "yes" if value else "not synced"


def syncs() -> list[Column]:
    return [Column("#", lambda d: d["id"], right=True, min_width=2),
            Column("Date", lambda d: when(d["started_at"]), 16),
            Column("Mode", _field("mode"), min_width=4),
            Column("Trigger", _field("trigger"), min_width=4),
            Column("Who", _field("user"), min_width=4),
            Column("Changes", lambda d: f"{sum(map(total, d['counts'].values())):,}",
                   right=True, min_width=5),
            Column("Status", _field("status"), SYNC_STATUS_WIDTH),
            Column("Note", note_text, flex=2, min_width=0)]


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
    return [Column("Record", _field("label"), min_width=12),
            Column("Changes", change_summary, min_width=12)]


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
    return [Column("Code", _field("code"), min_width=12), Column("Type", _field("type")),
            Column("Record", _field("source_id"), min_width=8),
            Column("Message", _field("message"), flex=3, min_width=12)]


def record_history() -> list[Column]:
    """(sync, action) pairs of a record's own history."""
    return [Column("#", lambda p: p[0]["id"], right=True, min_width=2),
            Column("Date", lambda p: when(p[0]["committed_at"] or p[0]["started_at"]), 16),
            Column("Action", lambda p: p[1]["kind"]),
            Column("Changes", lambda p: change_summary(p[1]), flex=3)]
