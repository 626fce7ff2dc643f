"""A section (class): its details, then its teachers and its students, one per line in
name order, each opening their own screen."""

from __future__ import annotations

from rich.text import Text

from . import columns
from .detail_screen import DetailScreen
from .document import document, fields, head, plain_fields
from .labels import plural
from .related import Related


class SectionScreen(DetailScreen):
    kind = "Class"
    types = ("section",)
    first_list = "student"

    def document(self) -> Text:
        doc, catalog = self.doc, self.catalog
        where = fields([("School", catalog.name("school", doc.get("school_id") or "")),
                        ("Course", catalog.name("course", doc.get("course_id") or "")),
                        ("Terms", catalog.names("term", doc.get("term_ids") or ())),
                        ("Grades", doc.get("grades"))])
        return document(head(self.heading_name(), f"section · {doc['status']}"),
                        self.kept_here(), where, plain_fields("section", doc))

    def related(self) -> list[Related]:
        return [self._roster("teacher"), self._roster("student")]

    def _roster(self, type_: str) -> Related:
        people, missing = self.catalog.members(type_, self.doc.get(f"{type_}_ids") or ())
        return Related(plural(type_), type_, people, columns.people(self.catalog), missing)
