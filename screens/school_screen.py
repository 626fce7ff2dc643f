"""A school: its details, its counts and the local organization it maps to."""

from __future__ import annotations

from rich.text import Text

from .detail import DetailScreen
from .document import document, fields, head, plain_fields


class SchoolScreen(DetailScreen):
    def document(self) -> Text:
        doc = self.doc
        stats = self.catalog.school_stats.get(doc["source_id"], {})
        local = self.app.engine.config.schools.get(doc["source_id"])
        counts = fields([("Active users", f"{stats.get('users', 0):,}"),
                         ("Sections", f"{stats.get('sections', 0):,}"),
                         ("Local org", local or "")])
        return document(head(self.heading_name(), f"school · {doc['status']}"), counts,
                        plain_fields("school", doc))
