"""A section (class): its details and its teacher and student roster."""

from __future__ import annotations

from rich.text import Text

from .detail_screen import DetailScreen
from .document import document, fields, head, heading, lines, plain_fields
from .labels import person, plural


class SectionScreen(DetailScreen):
    kind = "Class"

    def document(self) -> Text:
        doc, catalog = self.doc, self.catalog
        where = fields([("School", catalog.name("school", doc.get("school_id") or "")),
                        ("Course", catalog.name("course", doc.get("course_id") or "")),
                        ("Terms", catalog.names("term", doc.get("term_ids") or ())),
                        ("Grades", doc.get("grades"))])
        return document(head(self.heading_name(), f"section · {doc['status']}"),
                        self.kept_here(), where,
                        plain_fields("section", doc),
                        self._roster("teacher", doc.get("teacher_ids") or []),
                        self._roster("student", doc.get("student_ids") or []))

    def _roster(self, type_: str, ids: list[str]) -> Text:
        people = [self.catalog.get(type_, sid) for sid in ids]
        return document(heading(f"{plural(type_)} ({len(ids)})"), lines(
            " · ".join(p for p in (person(d), d.get("username"), d.get("email"),
                                   d.get("grade") and f"grade {d['grade']}") if p)
            if d else f"{sid} (not in the store)" for sid, d in zip(ids, people)))
