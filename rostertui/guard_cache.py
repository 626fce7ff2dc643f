"""What the guards said of a staged plan with every action ticked, kept beside the plan.

The guards (safety.block_reasons) read every action of a plan, the added records
included (the reused-ids guard reads their legacy ids): at 230,000 actions, that means
parsing the whole plan, a second or more. Staging has just run them, with every action
ticked, and recorded their reasons in the sync. `sync-N.guards` keeps with them what
they depend on besides the ticks: the plan (its digest), the store's state and the
guards' settings (a fingerprint of `sync:` and `limits:`). While the sync is reviewed
with every action still ticked, on that state and with those settings, the reasons are
the same, and the report shows them without running the guards again.

Derived: deleting it, or any change to what it names, only means the guards run again
(and, with every action ticked, write it again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import orjson

from . import files
from .config import Config
from .errors import RosterError
from .records import SyncRecord


def guards_path(plan_path: Path) -> Path:
    return plan_path.with_suffix(".guards")


def settings(cfg: Config) -> str:
    """A fingerprint of what the guards read of the config."""
    return hashlib.sha256(repr((cfg.sync, cfg.limits)).encode()).hexdigest()


def save(plan_path: Path, doc: SyncRecord, cfg: Config, state: str | None,
         reasons: list[str]) -> None:
    """Keep the guards' `reasons` for `doc`'s plan with every action ticked, on `state`."""
    with suppress(RosterError, OSError):
        files.atomic_write(guards_path(plan_path), orjson.dumps(
            {"digest": doc["plan_digest"], "state": state, "settings": settings(cfg),
             "reasons": reasons}))


def load(plan_path: Path, doc: SyncRecord, cfg: Config, state: str | None) -> list[str] | None:
    """The kept reasons, if they were given for this plan, state and settings; else None."""
    try:
        kept = orjson.loads(guards_path(plan_path).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(kept, dict) or kept.get("digest") != doc["plan_digest"] \
            or kept.get("state") != state or kept.get("settings") != settings(cfg):
        return None
    reasons = kept.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        return None
    return reasons


def reasons(plan_path: Path, doc: SyncRecord, cfg: Config, state: str | None,
            all_ticked: bool, run: Callable[[], list[str]]) -> list[str]:
    """The guards' reasons for `doc`'s plan as ticked now: kept ones while every action
    is ticked and they were given for this state and these settings; else `run()`'s
    (kept, with every action ticked, for the next time)."""
    if all_ticked:
        known = load(plan_path, doc, cfg, state)
        if known is not None:
            return known
    found = run()
    if all_ticked:
        save(plan_path, doc, cfg, state, found)
    return found
