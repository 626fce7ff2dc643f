"""A school: its details, its counts, whether it is synced and the local organization it
maps to (config `schools:`), then its teachers, students and classes, each openable."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from . import columns
from .detail_screen import DetailScreen
from .document import document, fields, head, plain_fields
from .labels import plural
from .related import Related
from .roster_app import roster_app


class SchoolScreen(DetailScreen):
    types = ("school",)

    def document(self) -> Text:
        doc = self.doc
        row: Mapping[str, object] = roster_app(self).dashboard.school_rows.get(
            doc["source_id"], {})
        counts = fields([("Active users", f"{row.get('users', 0):,}"),
                         ("Sections", f"{row.get('sections', 0):,}"),
                         ("Synced", columns.synced(row.get("synced", True))),
                         ("Local org", row.get("local_org") or "")])
        return document(head(self.heading_name(), f"school · {doc['status']}"),
                        self.kept_here(), counts, plain_fields("school", doc))

    def related(self) -> list[Related]:
        """Each list is one pass over the catalog's school column (no scan per row): a
        school of 2,000 students opens in a few milliseconds."""
        school = self.doc["source_id"]
        people = columns.people(self.catalog)
        return [Related(plural(t), t, self.catalog.rows(t, school), people)
                for t in ("teacher", "student")] + [
            Related("Classes", "section", self.catalog.rows("section", school),
                    columns.sections(self.catalog))]
