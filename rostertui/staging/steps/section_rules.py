"""sync.sections.include / exclude: which sections a sync imports.

A rule is a mapping of conditions that must all hold, e.g.
    {school: sch1, subject: "math*", name: "*AP*", period: "1", term: y2026, grade: "09"}
Patterns are shell-style (fnmatch), case-insensitive. With include rules, a section must
match one of them; a section matching any exclude rule is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from connectors.feed import Feed, Membership

from ...errors import RosterError
from ...records import DataWarning, Record, StoreData

if TYPE_CHECKING:
    from ...config import SectionRule
    from ..pipeline import StageConfig


# rule key -> the section fields it tests (a list field matches if any item does)
KEYS = {"school": ("school_id",), "subject": ("subject",), "name": ("name",),
        "period": ("period",), "term": ("term_ids",), "grade": ("grades",),
        "class_type": ("class_type",)}


def parse(rules: Sequence[object], key: str, where: str) -> None:
    """Check the rules of `key` as the config holds them (a list, of anything)."""
    for n, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or not rule:
            raise RosterError(f"{where}: '{key}' rule {n} must be a mapping such as "
                              "{subject: math}")
        unknown = sorted(set(rule) - set(KEYS))
        if unknown:
            raise RosterError(f"{where}: '{key}' rule {n} has unknown key '{unknown[0]}' "
                              f"(one of {', '.join(KEYS)})")


def describe(rule: SectionRule) -> str:
    return ", ".join(f"{k}={v}" for k, v in rule.items())


def matches(rule: SectionRule, section: Record) -> bool:
    return all(_field_matches(section, KEYS[k], str(v).lower()) for k, v in rule.items())


def _field_matches(section: Record, fields: tuple[str, ...], pattern: str) -> bool:
    for name in fields:
        value = section.get(name)
        values = value if isinstance(value, list) else [value]
        if any(fnmatchcase(str(v or "").lower(), pattern) for v in values):
            return True
    return False


@dataclass(frozen=True)
class SectionRules:
    """What the rules decide for one sync, before any step runs (pipeline.StageConfig)."""

    left_out: frozenset[str] = frozenset()  # source ids of the sections they leave out
    # [{"rule", "removed"}]: the plan's `rules`
    removed: list[dict[str, Any]] = field(default_factory=list)


def decide(feed: Feed, include: Sequence[SectionRule],
           exclude: Sequence[SectionRule]) -> SectionRules:
    """Which sections of `feed` the rules leave out, and how many each rule removed
    (sections matching no include rule are counted together under the include list)."""
    sections = feed.types.get("section")
    if sections is None or not (include or exclude):
        return SectionRules()
    names = ([f"include: matched none of {'; '.join(map(describe, include))}"] if include
             else []) + [f"exclude: {describe(r)}" for r in exclude]
    removed = [0] * len(names)
    dropped: set[str] = set()
    for sec in sections.records:
        reason = _reason(sec, include, exclude)
        if reason is not None:
            removed[reason] += 1
            dropped.add(sec["source_id"])
    return SectionRules(frozenset(dropped),
                        [{"rule": n, "removed": r} for n, r in zip(names, removed)])


def filter_sections(feed: Feed, data: StoreData,
                    cfg: StageConfig) -> tuple[Feed, list[DataWarning]]:
    """The feed without the sections the rules leave out, nor their enrollments."""
    dropped = cfg.sections.left_out
    sections = feed.types.get("section")
    if sections is None or not dropped:
        return feed, []
    kept = [sec for sec in sections.records if sec["source_id"] not in dropped]
    membership = feed.membership
    if membership is not None:
        membership = Membership(membership.complete,
                                [r for r in membership.rows if r[0] not in dropped])
    return replace(feed, types={**feed.types, "section": replace(sections, records=kept)},
                   membership=membership), []


def _reason(section: Record, include: Sequence[SectionRule],
            exclude: Sequence[SectionRule]) -> int | None:
    """Which entry of the stats leaves the section out, if any."""
    if include and not any(matches(r, section) for r in include):
        return 0
    offset = 1 if include else 0
    for i, rule in enumerate(exclude):
        if matches(rule, section):
            return offset + i
    return None
