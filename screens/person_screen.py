"""A teacher, student, staff member or contact: details, sections, contacts, history."""

from __future__ import annotations

from rich.text import Text

from .detail_screen import DetailScreen
from .document import document, fields, head, heading, lines, plain_fields


class PersonScreen(DetailScreen):
    def heading_name(self) -> str:
        parts = (self.doc.get(f) for f in ("first_name", "middle_name", "last_name"))
        return " ".join(p for p in parts if p) or self.doc["source_id"]

    def document(self) -> Text:
        doc, catalog = self.doc, self.catalog
        schools = fields([("Schools", catalog.names("school", doc.get("school_ids") or ()))])
        return document(head(self.heading_name(), f"{self.type_} · {doc['status']}"),
                        self.kept_here(), plain_fields(self.type_, doc), schools,
                        self._sections(), self._contacts(), self._students(),
                        self._extra())

    def _sections(self) -> Text:
        if self.type_ not in ("teacher", "student"):
            return Text()
        sections = self.catalog.sections_of(self.doc["source_id"])
        return document(heading(f"Sections ({len(sections)})"), lines(
            f"{s.get('name') or s['source_id']} · period {s.get('period') or '-'} · "
            f"{self.catalog.names('teacher', s.get('teacher_ids') or ())}" for s in sections))

    def _contacts(self) -> Text:
        if self.type_ != "student":
            return Text()
        contacts = self.catalog.contacts_of(self.doc["source_id"])
        return document(heading(f"Contacts ({len(contacts)})"), lines(
            " · ".join(p for p in (self.catalog.name("contact", c["source_id"]),
                                   rel.get("relationship") or rel.get("type"),
                                   c.get("phone"), c.get("email")) if p)
            for c, rel in contacts))

    def _students(self) -> Text:
        rels = self.doc.get("relationships") or []
        if self.type_ != "contact":
            return Text()
        return document(heading(f"Students ({len(rels)})"), lines(
            f"{self.catalog.name('student', r['student_id'])} · {r.get('relationship') or ''}"
            for r in rels))

    def _extra(self) -> Text:
        extra = self.doc.get("extra") or {}
        return document(heading("Other source fields"), fields(sorted(extra.items()))) \
            if extra else Text()
