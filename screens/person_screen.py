"""A teacher, student, staff member or contact: details, then their sections, contacts
or students, each line opening that record's screen, and their sync history."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.text import Text

from rostertui.records import Record

from . import columns
from .detail_screen import DetailScreen
from .document import document, fields, head, heading, plain_fields
from .labels import person
from .related import Related
from .rowtable import Column


class PersonScreen(DetailScreen):
    types = ("teacher", "student", "staff", "contact")

    def heading_name(self) -> str:
        parts = (self.doc.get(f) for f in ("first_name", "middle_name", "last_name"))
        return " ".join(p for p in parts if p) or self.doc["source_id"]

    def document(self) -> Text:
        doc, catalog = self.doc, self.catalog
        schools = fields([("Schools", catalog.names("school", doc.get("school_ids") or ()))])
        return document(head(self.heading_name(), f"{self.type_} · {doc['status']}"),
                        self.kept_here(), plain_fields(self.type_, doc), schools)

    def related(self) -> list[Related]:
        if self.type_ in ("teacher", "student"):
            sections = self.catalog.sections_of(self.doc["source_id"])
            out = [Related("Classes", "section", sections, columns.sections(self.catalog))]
            return out + [self._contacts()] if self.type_ == "student" else out
        return [self._students()] if self.type_ == "contact" else []

    def _contacts(self) -> Related:
        pairs = self.catalog.contacts_of(self.doc["source_id"])
        relation = {c["source_id"]: kind(rel) for c, rel in pairs}
        return Related("Contacts", "contact", [c for c, _ in pairs], [
            Column("Name", person, flex=2), Column("Relationship", _of(relation), 12),
            Column("Phone", _field("phone"), 14), Column("Email", _field("email"), flex=2)])

    def _students(self) -> Related:
        rels = self.doc.get("relationships") or []
        relation = {r["student_id"]: kind(r) for r in rels}
        students, missing = self.catalog.members("student", relation)
        return Related("Students", "student", students, [
            Column("Name", person, flex=2), Column("Relationship", _of(relation), 12),
            Column("Grade", _field("grade"), 5),
            Column("School", lambda d: self.catalog.names("school", d.get("school_ids") or ()),
                   flex=1)], missing)

    def appendix(self) -> Text:
        """The further source fields (demographics, vendor ids), after the lists."""
        extra = self.doc.get("extra") or {}
        return document(heading("Other source fields"), fields(sorted(extra.items()))) \
            if extra else Text()


def kind(relationship: Record) -> str:
    """mother, guardian...: what a contact is to a student."""
    return str(relationship.get("relationship") or relationship.get("type") or "")


def _of(values: Mapping[str, str]) -> Callable[[Record], str]:
    return lambda doc: values.get(doc["source_id"], "")


def _field(name: str) -> Callable[[Record], object]:
    return lambda doc: doc.get(name) or ""
