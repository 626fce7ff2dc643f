"""Guards that block a sync until an admin forces it: the delete thresholds.

Checked on the enabled actions, so unticking archives in review can unblock a sync.
"""

from __future__ import annotations

from .model import ACTION_TYPES, ACTIVE, TABLES


def block_reasons(actions: list[dict], data: dict, sync: dict) -> list[str]:
    archives = {t: 0 for t in ACTION_TYPES}
    for action in actions:
        if action["kind"] == "archive" and action["enabled"]:
            archives[action["type"]] += 1
    reasons = []
    total, limit = sum(archives.values()), sync["delete_threshold"]
    if total > limit:
        reasons.append(f"{total} records would be archived, over sync.delete_threshold ({limit})")
    percent = sync["delete_threshold_percent"]
    for type_, n in archives.items():
        active = sum(1 for d in data[TABLES[type_]].values() if d["status"] == ACTIVE)
        if n and active and n * 100 > percent * active:
            reasons.append(f"{n} of {active} active {TABLES[type_]} ({n * 100 / active:.0f}%) "
                           f"would be archived, over sync.delete_threshold_percent ({percent:g}%)")
    return reasons
