"""sync.sections.include / exclude: which sections a sync imports.

A rule is a mapping of conditions that must all hold, e.g.
    {school: sch1, subject: "math*", name: "*AP*", period: "1", term: y2026, grade: "09"}
Patterns are shell-style (fnmatch), case-insensitive. With include rules, a section must
match one of them; a section matching any exclude rule is left out.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from connectors.feed import Feed, Membership, TypeFeed

from ..errors import RosterError

# rule key -> the section fields it tests (a list field matches if any item does)
KEYS = {"school": ("school_id",), "subject": ("subject",), "name": ("name",),
        "period": ("period",), "term": ("term_ids",), "grade": ("grades",),
        "class_type": ("class_type",)}


def parse(rules: list, key: str, where: str) -> None:
    for n, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or not rule:
            raise RosterError(f"{where}: '{key}' rule {n} must be a mapping such as "
                              "{subject: math}")
        unknown = sorted(set(rule) - set(KEYS))
        if unknown:
            raise RosterError(f"{where}: '{key}' rule {n} has unknown key '{unknown[0]}' "
                              f"(one of {', '.join(KEYS)})")


def describe(rule: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in rule.items())


def matches(rule: dict, section: dict) -> bool:
    return all(_field_matches(section, KEYS[k], str(v).lower()) for k, v in rule.items())


def _field_matches(section: dict, fields: tuple, pattern: str) -> bool:
    for field in fields:
        value = section.get(field)
        values = value if isinstance(value, list) else [value]
        if any(fnmatchcase(str(v or "").lower(), pattern) for v in values):
            return True
    return False


def apply(feed: Feed, include: list, exclude: list) -> tuple[Feed, list[dict]]:
    """The feed without the sections the rules leave out, and how many each rule removed
    (sections matching no include rule are counted together under the include list)."""
    sections = feed.types.get("section")
    if sections is None or not (include or exclude):
        return feed, []
    names = ([f"include: matched none of {'; '.join(map(describe, include))}"] if include
             else []) + [f"exclude: {describe(r)}" for r in exclude]
    removed = [0] * len(names)
    kept, dropped = [], set()
    for sec in sections.records:
        reason = _reason(sec, include, exclude)
        if reason is None:
            kept.append(sec)
        else:
            removed[reason] += 1
            dropped.add(sec["source_id"])
    feed.types["section"] = TypeFeed(sections.complete, kept, sections.deleted)
    if feed.membership is not None and dropped:
        feed.membership = Membership(feed.membership.complete,
                                     [r for r in feed.membership.rows if r[0] not in dropped])
    return feed, [{"rule": n, "removed": r} for n, r in zip(names, removed)]


def _reason(section: dict, include: list, exclude: list) -> int | None:
    """Which entry of the stats leaves the section out, if any."""
    if include and not any(matches(r, section) for r in include):
        return 0
    offset = 1 if include else 0
    for i, rule in enumerate(exclude):
        if matches(rule, section):
            return offset + i
    return None
