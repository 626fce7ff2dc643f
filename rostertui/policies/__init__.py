"""District policies around the diff: what a sync takes in, how it names and matches
accounts, and what it warns about. `stage` is the whole staging pipeline:

    contacts on/off -> section rules -> school selection -> usernames -> unique names
    -> diff (staging.py) -> account matching -> data warnings
"""

from __future__ import annotations

from itertools import compress
from operator import itemgetter

from connectors.feed import Feed

from .. import staging
from ..apply import set_field
from ..config import Config
from ..model import ACTION_TYPES, ACTIVE, PEOPLE_TYPES, TABLES
from ..scope import restrict
from . import class_names, data_warnings, matching, section_rules, usernames


def stage(feed: Feed, data: dict, cfg: Config, schools: list[str] | None = None) -> dict:
    """The plan for `feed`; `schools` limits this one sync (scope.py)."""
    sync = cfg.sync
    if not sync["contacts"]:
        feed.types.pop("contact", None)
    feed, rules = section_rules.apply(feed, sync["sections"]["include"],
                                      sync["sections"]["exclude"])
    left_out: dict[str, dict] = {}
    if cfg.schools:
        left_out = _people(feed)
        feed, _ = restrict(feed, data, set(cfg.schools))
        for type_ in PEOPLE_TYPES:
            for rec in feed.types[type_].records if type_ in feed.types else ():
                left_out.pop(rec["source_id"], None)
    naming = usernames.apply(feed, sync["username_source"])
    if sync["unique_section_names"]:
        class_names.apply(feed, data)
    indexes = staging.Indexes(data)
    plan = staging.stage(feed, data, schools, indexes)
    matching.link(plan, data, sync["match_existing"], indexes)
    required = sync["required_fields"]
    after = after_state(plan["actions"], data, indexes, data_warnings.types_read(required))
    plan["warnings"] = _merge(plan["warnings"], naming + data_warnings.compute(
        after, required, left_out))
    plan["rules"] = rules
    return plan


def _people(feed: Feed) -> dict[str, dict]:
    return {r["source_id"]: r for t in PEOPLE_TYPES if t in feed.types
            for r in feed.types[t].records}


def _merge(first: list[dict], more: list[dict]) -> list[dict]:
    """Warnings without repeats: the connector's own (naming file and line) come first."""
    seen = {(w["code"], w["type"], w["source_id"]) for w in first}
    out = list(first)
    for w in more:
        key = (w["code"], w["type"], w["source_id"])
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def after_state(actions: list[dict], data: dict, indexes: staging.Indexes | None = None,
                types=ACTION_TYPES) -> dict[str, dict[str, dict]]:
    """Active records per type (of `types`) as they will be once the enabled actions are
    applied. The store's own docs are shared, never changed: an update works on a copy."""
    stored = indexes if indexes is not None else staging.Indexes(data)
    state = {t: _active(data[TABLES[t]].values()) for t in ACTION_TYPES if t in types}
    for a in actions:
        if not a["enabled"] or a["type"] not in state:
            continue
        records, sid = state[a["type"]], a["source_id"]
        if a["kind"] == "add":
            records[sid] = a["record"]
        elif a["kind"] == "archive":
            records.pop(sid, None)
        else:
            old_sid = a["link"]["from"] if "link" in a else sid
            records.pop(old_sid, None)
            records[sid] = _changed(stored[a["type"]].get(old_sid, {}), a["changes"])
    return state


def _active(docs) -> dict[str, dict]:
    """{source_id: doc} of the active docs, in their order (C-level passes)."""
    active = map(ACTIVE.__eq__, map(itemgetter("status"), docs))
    return dict(compress(zip(map(itemgetter("source_id"), docs), docs), active))


def _changed(doc: dict, changes: dict) -> dict:
    rec = {**doc, "extra": dict(doc.get("extra") or {})}
    for field, (_, after) in changes.items():
        set_field(rec, field, after)
    return rec
