"""The source-neutral record model.

Records are plain dicts (fast to build, diff and serialise at district scale). This
module says which keys each type has, which of them the source owns (a sync may
overwrite those and nothing else), and which are lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .records import DataWarning, Record
from .text import safe

# Types that stage reviewable actions, in display order.
ACTION_TYPES = ("school", "teacher", "student", "staff", "contact", "section")
# Reference data that sections point to; refreshed at commit, never reviewed one by one.
REFERENCE_TYPES = ("term", "course")
ALL_TYPES = ACTION_TYPES + REFERENCE_TYPES
PEOPLE_TYPES = ("teacher", "student", "staff", "contact")

KINDS = ("add", "update", "archive", "reactivate")

TABLES = {
    "school": "schools",
    "teacher": "teachers",
    "student": "students",
    "staff": "staff",
    "contact": "contacts",
    "section": "sections",
    "term": "terms",
    "course": "courses",
}

ACTIVE = "active"
ARCHIVED = "archived"

_COMMON = ("source_id", "sis_id", "legacy_ids", "extra")
_PERSON = ("first_name", "middle_name", "last_name", "email", "username", "school_ids", "state_id")

# The fields each type's source owns. `extra` holds further source fields an admin may
# want to see (demographics, vendor ids); it is diffed key by key.
SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "school": _COMMON + ("name", "school_number", "state_id", "nces_id", "low_grade",
                         "high_grade", "phone", "principal_name", "principal_email"),
    "teacher": _COMMON + _PERSON + ("title", "teacher_number"),
    "student": _COMMON + _PERSON + ("grade", "graduation_year", "dob", "gender", "student_number"),
    "staff": _COMMON + _PERSON + ("role", "title", "department"),
    "contact": _COMMON + _PERSON + ("phone", "phone_type", "relationships"),
    "section": _COMMON + ("name", "school_id", "teacher_ids", "student_ids", "course_id",
                          "term_ids", "subject", "period", "grades", "section_number",
                          "class_type", "course_code", "location"),
    "term": ("source_id", "sis_id", "name", "type", "start_date", "end_date", "school_year",
             "parent_id"),
    "course": ("source_id", "sis_id", "name", "code", "subject", "grades", "school_id",
               "school_year_id"),
}

# Fields an admin keeps here. A sync writes only SOURCE_FIELDS, so these always survive.
LOCAL_FIELDS: dict[str, tuple[str, ...]] = {
    "section": ("display_name", "notes", "priority"),
    "school": ("notes",),
    "teacher": ("notes",), "student": ("notes",), "staff": ("notes",), "contact": ("notes",),
}

LIST_FIELDS = frozenset({"legacy_ids", "school_ids", "teacher_ids", "student_ids", "term_ids",
                         "grades", "relationships"})
MEMBER_FIELDS = ("teacher_ids", "student_ids")


# Characters that show nothing: a value made only of these and whitespace is empty.
_INVISIBLE = dict.fromkeys((0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF))


def is_empty(value: object) -> bool:
    """No value: None, "", [], {}, or text of only whitespace and invisible characters
    (an export that blanked a column with spaces has blanked it all the same). 0 and
    False are values."""
    if isinstance(value, str):
        return not value.translate(_INVISIBLE).strip()
    return value is None or (isinstance(value, (list, tuple, dict)) and not value)


def blank(type_: str) -> Record:
    """A record of `type_` with every source field empty."""
    return {f: ([] if f in LIST_FIELDS else {} if f == "extra" else "")
            for f in SOURCE_FIELDS[type_]}


def make(type_: str, **values: Any) -> Record:
    """A record of `type_`: the given values over blanks. Unknown keys are a bug."""
    rec = blank(type_)
    unknown = values.keys() - rec.keys()
    if unknown:
        raise KeyError(f"{type_} has no field(s) {sorted(unknown)}")
    rec.update(values)
    return rec


def shown_names(rec: Mapping[str, Any]) -> tuple[str, str]:
    """A person's (first, last) name as shown: the preferred names where the source gives
    them (OneRoster 1.2 keeps them in `extra`), else the legal ones."""
    extra = rec.get("extra") or {}
    return (extra.get("preferred_first_name") or rec.get("first_name") or "",
            extra.get("preferred_last_name") or rec.get("last_name") or "")


def label(type_: str, rec: Mapping[str, Any]) -> str:
    """A short human label: a person's name, a school's or section's name, plus the id."""
    if type_ in PEOPLE_TYPES:
        name = " ".join(p for p in shown_names(rec) if p)
    else:
        name = rec.get("name") or ""
    ident = rec.get("sis_id") or rec.get("source_id")
    return f"{name} ({ident})" if name else str(ident)


def warning(code: str, type_: str, source_id: str, message: str) -> DataWarning:
    """A data warning, the shape used in the history, the CLI and the CSV export."""
    return {"code": code, "type": type_, "source_id": source_id, "message": safe(message)}
