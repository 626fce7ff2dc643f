"""Time, in one place so tests and snapshots can freeze it (ROSTERTUI_NOW)."""

import os
from datetime import UTC, datetime


def now() -> datetime:
    frozen = os.environ.get("ROSTERTUI_NOW")
    if frozen:
        return datetime.fromisoformat(frozen.replace("Z", "+00:00"))
    return datetime.now(UTC)


def stamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC to the second, as kept in the history: 2026-11-23T03:56:20Z."""
    return (moment or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
