"""A school: its details, its counts, whether it is synced and the local organization it
maps to (config `schools:`)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from .columns import synced
from .detail_screen import DetailScreen
from .document import document, fields, head, plain_fields
from .roster_app import roster_app


class SchoolScreen(DetailScreen):
    def document(self) -> Text:
        doc = self.doc
        row: Mapping[str, object] = roster_app(self).dashboard.school_rows.get(
            doc["source_id"], {})
        counts = fields([("Active users", f"{row.get('users', 0):,}"),
                         ("Sections", f"{row.get('sections', 0):,}"),
                         ("Synced", synced(row.get("synced", True))),
                         ("Local org", row.get("local_org") or "")])
        return document(head(self.heading_name(), f"school · {doc['status']}"),
                        self.kept_here(), counts, plain_fields("school", doc))
