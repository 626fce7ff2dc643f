"""sync.contacts: whether a sync brings guardians (phone, relationship, students). Off,
the contacts the source sends are left out, and the stored ones are left alone."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from connectors.feed import Feed

from ...records import DataWarning, StoreData

if TYPE_CHECKING:
    from ..pipeline import StageConfig


def leave_out_contacts(feed: Feed, data: StoreData,
                       cfg: StageConfig) -> tuple[Feed, list[DataWarning]]:
    """The feed without its contacts when the policy is off."""
    if cfg.sync.contacts or "contact" not in feed.types:
        return feed, []
    return replace(feed, types={t: tf for t, tf in feed.types.items() if t != "contact"}), []
