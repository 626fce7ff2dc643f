"""Messages that tabs post up to the dashboard, which owns navigation."""

from __future__ import annotations

from textual.message import Message

from rostertui.records import SyncRecord


class OpenReport(Message):
    """Open the report of a sync."""

    def __init__(self, sync_id: int):
        super().__init__()
        self.sync_id = sync_id


class ShowTab(Message):
    """Switch to the tab listing `type_`, filtered to `status` (None: every status)."""

    def __init__(self, type_: str, status: str | None = None):
        super().__init__()
        self.type_ = type_
        self.status = status


class RevertSync(Message):
    """Revert this committed sync (asks first)."""

    def __init__(self, doc: SyncRecord):
        super().__init__()
        self.doc = doc
