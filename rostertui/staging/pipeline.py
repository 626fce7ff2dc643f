"""Staging, step by step: from the feed a connector fetched to the plan a review shows.

    fetched feed
      1. contacts         steps/contacts.py        sync.contacts off: no contacts
      2. section rules    steps/section_rules.py   sync.sections.include / exclude
      3. schools          steps/schools.py         `schools:`, the district's selection
      4. usernames        steps/usernames.py       sync.username_source
      5. unique names     steps/class_names.py     sync.unique_section_names
      6. diff             diff.py                  the feed against the store: actions,
                                                   within this sync's own schools
      7. linking          steps/matching.py        an add that is a stored record the
                                                   source renumbered (by a legacy id, then
                                                   sync.match_existing) becomes a link
      8. links followed   steps/renumbering.py     changes the links explain left out
      9. data warnings    steps/data_warnings.py   over the roster the commit would leave
    -> plan: {actions, reference, warnings, cursor, district, rules}

Every step has one signature, by kind, and changes nothing it is given (it builds a new
Feed, TypeFeed, record, plan or action where it changes one; shallow copies, never deep
ones: a district has 100,000 students):

    feed step:  step(feed, data, cfg) -> (feed, warnings)     steps 1-5
    plan step:  step(plan, data, cfg) -> (plan, warnings)     steps 7-9

`data` is the store as loaded (never changed here) and `cfg` the StageConfig below: the
district's policies (`cfg.sync`, the config's typed SyncPolicy: `sync.contacts` in the
YAML is `cfg.sync.contacts` here) and what is decided once per sync before any step runs
(the sections the rules leave out, the school selection, the store indexed by source id).

Which schools a sync covers (steps/schools.py; README "District policies"): schools,
terms and courses always; a section when its school is selected; a person (teacher,
student, staff) when they belong to a selected school or to no school at all; a contact
when one of their students is covered. Decided once per sync (schools.Selection), for
two selections, each applied once: `schools:` of the config (empty: every school) by
step 3, which leaves the rest out of the feed before usernames and section names are
worked out; and the schools a sync is given of its own (Engine.sync(schools=...), the
Sync now dialog) by the diff, which stages nothing outside them, sent or stored, so
narrowing one sync never archives what lies outside it. Both also cover a school the
source renumbered, by its legacy id (renumbering.renumbered_schools), with a warning.

The plan's warnings: the connector's and the diff's, then linking's and the renumbered
schools' (steps 7 and 8), all kept; then those of the other steps in order (usernames,
data warnings), each left out when one with its code, type and source id is already
there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from connectors.feed import Feed, TypeFeed

from ..config import Config, SyncPolicy
from ..records import DataWarning, Plan, StoreData
from . import diff
from .diff import Indexes
from .steps import (
    class_names,
    contacts,
    data_warnings,
    matching,
    renumbering,
    section_rules,
    usernames,
)
from .steps import schools as school_selection
from .steps.schools import Selection
from .steps.section_rules import SectionRules


@dataclass(frozen=True)
class StageConfig:
    """What every step is given as `cfg`, decided once per sync."""

    sync: SyncPolicy         # the config's `sync:` section: the district's policies
    sections: SectionRules   # the sections the rules leave out, and how many each rule did
    schools: Selection       # which records this sync covers, and who it leaves out
    indexes: Indexes         # the store's records by type and source id, built on first use
    # `schools:` ids the source renumbered: new id -> the old one the config names; the
    # selection covers the new id too (renumbering.renumbered_schools)
    renumbered_schools: Mapping[str, str]
    # the feed's types as the source sent them, before any step: what it still sends, and
    # what a delta left out (steps/matching.py)
    sent: Mapping[str, TypeFeed]

    @classmethod
    def of(cls, config: Config, feed: Feed, data: StoreData,
           schools: list[str] | None = None) -> StageConfig:
        sync = config.sync
        rules = sync.sections
        fields = sync.legacy_id_fields
        configured = renumbering.renumbered_schools(feed, set(config.schools), fields)
        chosen = None if schools is None else set(schools)
        if chosen is not None:
            chosen |= set(renumbering.renumbered_schools(feed, chosen, fields))
        return cls(sync=sync,
                   sections=section_rules.decide(feed, rules.include, rules.exclude),
                   schools=Selection(feed, data, set(config.schools) | set(configured),
                                     chosen, contacts=sync.contacts),
                   indexes=Indexes(data), renumbered_schools=configured,
                   sent=dict(feed.types))


FeedStep = Callable[[Feed, StoreData, StageConfig], tuple[Feed, list[DataWarning]]]
PlanStep = Callable[[Plan, StoreData, StageConfig], tuple[Plan, list[DataWarning]]]

FEED_STEPS: tuple[FeedStep, ...] = (
    contacts.leave_out_contacts,
    section_rules.filter_sections,
    school_selection.restrict_to_schools,
    usernames.choose_usernames,
    class_names.unique_section_names,
)


def stage(feed: Feed, data: StoreData, config: Config,
          schools: list[str] | None = None) -> Plan:
    """The plan for `feed` against the store `data`; `schools` limits this one sync to
    those school ids (None: the config's selection alone)."""
    cfg = StageConfig.of(config, feed, data, schools)
    found: list[DataWarning] = []
    for step in FEED_STEPS:
        feed, more = step(feed, data, cfg)
        found += more
    plan = diff.compare(feed, cfg.indexes, cfg.schools.this_sync)
    plan, ambiguous = matching.link_accounts(plan, data, cfg)
    plan, renamed = renumbering.follow_links(plan, data, cfg)
    plan, checked = data_warnings.check_data(plan, data, cfg)
    return {**plan, "warnings": merge(plan["warnings"] + ambiguous + renamed, found + checked),
            "rules": cfg.sections.removed}


def merge(first: list[DataWarning], more: list[DataWarning]) -> list[DataWarning]:
    """`first` as it is, then each of `more` whose (code, type, source id) is not there yet
    (the connector's warnings, naming file and line, come before any policy's)."""
    seen = {(w["code"], w["type"], w["source_id"]) for w in first}
    out = list(first)
    for w in more:
        key = (w["code"], w["type"], w["source_id"])
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out
