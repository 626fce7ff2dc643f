"""Read-only documents for detail screens and panes: labelled fields and headings.

Every value passes through safe() into a Text, so names are shown literally.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from rostertui.model import LIST_FIELDS, SOURCE_FIELDS
from rostertui.records import Record
from rostertui.text import safe

LABELS = {"sis_id": "SIS ID", "source_id": "Source ID", "state_id": "State ID",
          "graduation_year": "Grad. year", "dob": "Birth date", "nces_id": "NCES ID"}
# Shown by each screen in its own way rather than as plain fields.
SPECIAL = {"first_name", "middle_name", "last_name", "name", "extra", "school_id", "course_id"}


def label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " ").capitalize())


def text_of(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def fields(pairs: Iterable[tuple[str, object]]) -> Text:
    """`label  value` lines, empty values left out."""
    lines = [Text.assemble((f"{name:<13} ", "bold"), safe(text_of(value)))
             for name, value in pairs if value not in (None, "", [], {})]
    return Text("\n").join(lines)


def plain_fields(type_: str, doc: Record) -> Text:
    """The record's own scalar fields, in model order."""
    return fields((label(f), doc.get(f)) for f in SOURCE_FIELDS[type_]
                  if f not in SPECIAL and f not in LIST_FIELDS)


def head(name: str, what: str) -> Text:
    """The first line: the record's name in bold, then what it is."""
    return Text.assemble((safe(name), "bold"), f"  {what}")


def heading(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def document(*parts: Text) -> Text:
    return Text("\n").join(p for p in parts if p.plain)
