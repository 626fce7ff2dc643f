"""Guards that block a sync until an admin forces it: the delete thresholds and the
capacity limits. Checked on the enabled actions, so unticking in review can unblock."""

from __future__ import annotations

from operator import countOf, itemgetter

from .model import ACTION_TYPES, ACTIVE, TABLES

USER_TYPES = ("teacher", "student", "staff")
_STATUS = itemgetter("status")


def block_reasons(actions: list[dict], data: dict, cfg) -> list[str]:
    """Why this sync may not be committed without --force (empty: it may)."""
    delta = {t: 0 for t in ACTION_TYPES}
    archives = {t: 0 for t in ACTION_TYPES}
    for a in actions:
        if a["enabled"]:
            step = {"add": 1, "reactivate": 1, "archive": -1}.get(a["kind"], 0)
            delta[a["type"]] += step
            archives[a["type"]] += a["kind"] == "archive"
    active = {t: countOf(map(_STATUS, data[TABLES[t]].values()), ACTIVE) for t in ACTION_TYPES}
    return _deletes(archives, active, cfg.sync) + _limits(delta, active, cfg.limits)


def _deletes(archives: dict, active: dict, sync: dict) -> list[str]:
    reasons = []
    total, limit = sum(archives.values()), sync["delete_threshold"]
    if total > limit:
        reasons.append(f"{total} records would be archived, over sync.delete_threshold ({limit})")
    percent = sync["delete_threshold_percent"]
    for type_, n in archives.items():
        have = active[type_]
        if n and have and n * 100 > percent * have:
            reasons.append(f"{n} of {have} active {TABLES[type_]} ({n * 100 / have:.0f}%) "
                           f"would be archived, over sync.delete_threshold_percent ({percent:g}%)")
    return reasons


def _limits(delta: dict, active: dict, limits: dict) -> list[str]:
    totals = {"max_sections": ("sections", active["section"] + delta["section"]),
              "max_users": ("users (teachers, students and staff)",
                            sum(active[t] + delta[t] for t in USER_TYPES))}
    reasons = []
    for key, (what, total) in totals.items():
        limit = limits.get(key)
        if limit is not None and total > limit:
            reasons.append(f"{total} {what} after this sync, over limits.{key} ({limit})")
    return reasons
