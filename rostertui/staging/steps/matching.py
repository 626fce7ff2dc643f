"""Linking: a new source record that is a record the store already has becomes a link.

A source that renumbers records (every person under a new id after a SIS upgrade, or a
local account the source now sends) would otherwise stage an add beside an archive: the
delete threshold rightly blocks a whole district of those, and forcing it loses every
local field, local setting and history link. Each such pair is staged as one link
instead: an update that moves the stored record to the new source id, without the add
and the archive (commit.py applies it, references.py moves the records naming it,
renumbering.follow_links leaves out the changes that explains). A link's changes are an
update's for the feed's mode (a delta keeps the fields it did not send); it keeps the
record's earlier legacy ids and adds the id it moves from (legacy.py), so a later
renumbering naming any of them finds it.

"The same" is decided in rounds, in order, each over the adds and candidates the rounds
before left:

1. legacy ids (legacy.legacy_ids): the new record names a stored record, by its source
   id or by one of its legacy ids, in any type (people, sections, schools). That record
   is a candidate when the source no longer sends it under its id: one this sync
   archives, one a delta does not mention (a quick sync may send only the new ids, and
   not say the old ones are gone), an archived one (its link reactivates it, with its
   local fields and history), or a local account. An add naming a stored record the
   source still sends is not linked at all, and warns.
2. sync.match_existing, key by key: email, username, name (first + last); people only,
   and only active records this sync archives, or local accounts.

A pair is linked only when it is one on each side: an add matching several candidates,
or a candidate matched by several adds, links nothing and warns (`ambiguous_match`);
neither is tried again in a later round. Last, each update naming as its old id a record
the store holds active (the source swapped or reused ids) warns (`reused_id`): the
guards hold the sync on it (legacy.reused). Each round is a pass over dicts keyed by
value, so a whole district (100,000 people at once) is linked in linear time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING, TypeAlias

from connectors.feed import TypeFeed

from ... import legacy
from ...legacy import FIELD, accumulated, by_legacy_id, legacy_ids
from ...model import ACTION_TYPES, ACTIVE, PEOPLE_TYPES, label, warning
from ...records import Action, DataWarning, Plan, Record, StoreData
from ..diff import field_changes, member_changes

if TYPE_CHECKING:
    from ..pipeline import StageConfig

# sync.match_existing key -> a record's value for it (stripped, lower-cased; "": none)
Key: TypeAlias = Callable[[Record], str]
KEYS: dict[str, Key] = {
    "email": lambda d: (d.get("email") or "").strip().lower(),
    "username": lambda d: (d.get("username") or "").strip().lower(),
    "name": lambda d: " ".join(p.strip().lower() for p in (d.get("first_name") or "",
                                                           d.get("last_name") or "")
                               if p.strip())}
LEGACY = "legacy_id"  # a link's "by" when a legacy id found it
_LEGACY = frozenset({FIELD})  # to_link works out the legacy ids itself
NOTHING_SENT = TypeFeed(complete=False)


def link_accounts(plan: Plan, data: StoreData,
                  cfg: StageConfig) -> tuple[Plan, list[DataWarning]]:
    """The plan with each add that is one stored record turned into a link (without the
    archive it replaces); a warning for each add that could not be linked for
    ambiguity, and for each update naming a record held as its old id. Only the actions
    that change are new dicts."""
    keys = [k for k in cfg.sync.match_existing if k in KEYS]
    fields = cfg.sync.legacy_id_fields
    actions = plan["actions"]
    warnings: list[DataWarning] = []
    adds_of, archived_of = _adds_and_archives(actions)  # a type's linking changes only its own
    for type_ in ACTION_TYPES:
        type_keys = keys if type_ in PEOPLE_TYPES else []
        if not (fields or type_keys):
            continue
        adds = adds_of.get(type_)
        if not adds:
            continue
        stored = cfg.indexes[type_]
        pairing = Pairing(type_, adds, candidates(archived_of.get(type_, set()), stored),
                          cfg.sent.get(type_) or NOTHING_SENT)
        if fields:
            pair_by_legacy_ids(pairing, fields, stored)
        for key in type_keys:
            pairing.pair(_one(KEYS[key]), _by_key(pairing.candidates, key), key)
        warnings += pairing.warnings
        actions = pairing.apply(actions)
    return {**plan, "actions": actions}, warnings + reused_ids(actions, cfg)


def _adds_and_archives(actions: list[Action]) -> tuple[dict[str, dict[str, Action]],
                                                       dict[str, set[str]]]:
    """Per type, its adds by source id and the source ids it archives, in one pass (a
    pass per type cost seconds over a first sync's 2.3 million actions)."""
    adds: dict[str, dict[str, Action]] = {}
    archived: dict[str, set[str]] = {}
    for a in actions:
        if a["kind"] == "add":
            adds.setdefault(a["type"], {})[a["source_id"]] = a
        elif a["kind"] == "archive":
            archived.setdefault(a["type"], set()).add(a["source_id"])
    return adds, archived


def candidates(archived_now: set[str], stored: Mapping[str, Record]) -> dict[str, Record]:
    """Stored records a match key may link: active local ones and ones being archived
    (`archived_now`), in the store's order, picked out of the whole table in C."""
    wanted = archived_now | set(compress(stored, map(methodcaller("get", "local"),
                                                    stored.values())))
    picked = compress(stored.items(), map(wanted.__contains__, stored))
    return {sid: doc for sid, doc in picked if doc["status"] == ACTIVE}


def reused_ids(actions: list[Action], cfg: StageConfig) -> list[DataWarning]:
    """A `reused_id` warning for each update naming as its old id a record the store
    holds active (an add doing so was refused, and warned, by the legacy-id round)."""
    found = [r for r in legacy.reused(actions, cfg.indexes, cfg.sync.legacy_id_fields)
             if r.kind == "update"]
    if not found:
        return []
    labels = {(a["type"], a["source_id"]): a["label"] for a in actions}
    return [warning("reused_id", r.type_, r.source_id,
                    legacy.message(r, labels[r.type_, r.source_id])) for r in found]


@dataclass
class Pairing:
    """One type's linking: the adds and candidates still open, and what was decided."""

    type_: str
    adds: dict[str, Action]          # source id -> an add not yet linked or refused
    candidates: dict[str, Record]    # source id -> a stored record not yet linked or held
    sent: TypeFeed                   # the type as the source sent it
    links: dict[str, Action] = field(default_factory=dict)  # add's source id -> its link
    warnings: list[DataWarning] = field(default_factory=list)

    def pair(self, values: Callable[[Record], Iterable[str]],
             index: Mapping[str, list[str]], by: str) -> None:
        """One round: each open add's `values` looked up in `index` (value -> candidate
        source ids). An add finding one candidate that no other add found is linked;
        an add finding several, or sharing its one with others, is refused, and so are
        the candidates it found."""
        found: dict[str, list[str]] = {}   # add -> the candidates it found
        claims: dict[str, list[str]] = {}  # candidate -> the adds that found it
        for sid, add in self.adds.items():
            hits = list(dict.fromkeys(c for v in values(add["record"]) if v
                                      for c in index.get(v, ())))
            if hits:
                found[sid] = hits
                for c in hits:
                    claims.setdefault(c, []).append(sid)
        shared = {c: self.name(c) for c, adds in claims.items() if len(adds) > 1}
        for sid, hits in found.items():
            if len(hits) > 1:
                self.refuse(sid, hits, f"matches {len(hits)} existing records by {by} "
                            f"({', '.join(sorted(hits))}); none was linked")
            elif hits[0] in shared:
                self.refuse(sid, hits, f"and {len(claims[hits[0]]) - 1} other new record(s) "
                            f"match {shared[hits[0]]} by {by}; none was linked")
            else:
                self.link(sid, hits[0], by)

    def link(self, sid: str, old_sid: str, by: str) -> None:
        self.links[sid] = to_link(self.adds.pop(sid), self.candidates.pop(old_sid), by,
                                  self.sent.unsent.get(sid, frozenset()))

    def refuse(self, sid: str, held: list[str], why: str) -> None:
        """No link for the add `sid` (nor for the candidates `held`), and a warning."""
        add = self.adds.pop(sid)
        for c in held:
            self.candidates.pop(c, None)
        self.warnings.append(warning("ambiguous_match", self.type_, sid,
                                     f"{label(self.type_, add['record'])} {why}"))

    def name(self, sid: str) -> str:
        doc = self.candidates.get(sid)
        return f"{label(self.type_, doc)} ({sid})" if doc else sid

    def apply(self, actions: list[Action]) -> list[Action]:
        """`actions` with the linked adds as their links and the archives they replace
        left out."""
        if not self.links:
            return actions
        taken = {link["link"]["from"] for link in self.links.values()}
        out: list[Action] = []
        for a in actions:
            if a["type"] == self.type_:
                if a["kind"] == "archive" and a["source_id"] in taken:
                    continue
                if a["kind"] == "add":
                    a = self.links.get(a["source_id"], a)
            out.append(a)
        return out


def pair_by_legacy_ids(pairing: Pairing, fields: tuple[str, ...],
                       stored: Mapping[str, Record]) -> None:
    """The legacy-id round: an add whose legacy ids name exactly one candidate, named by
    no other add, is linked to it. An add naming a stored record that is no candidate
    (the source still sends it under its id) is refused first. The candidates only this
    round may link (records the source stopped sending) are not left to the match keys."""
    named = {sid: olds for sid, add in pairing.adds.items()
             if (olds := legacy_ids(add["record"], fields))}
    if not named:
        return
    holders = by_legacy_id(stored, fields)
    index = {old: [*([old] if old in stored else []), *holders.get(old, ())]
             for old in dict.fromkeys(old for olds in named.values() for old in olds)}
    eligible = _Eligible(pairing, stored)
    for sid, olds in named.items():
        kept = [old for old in olds if not all(map(eligible, index[old]))]
        if kept:
            pairing.refuse(sid, [], f"has legacy id {', '.join(kept)}, which the source "
                           f"still sends as another {pairing.type_}; nothing was linked")
    keyable = set(pairing.candidates)
    pairing.candidates.update(eligible.found)
    pairing.pair(lambda rec: named.get(rec["source_id"], ()),
                 {old: [c for c in found if c in eligible.found] for old, found in index.items()},
                 LEGACY)
    pairing.candidates = {c: doc for c, doc in pairing.candidates.items() if c in keyable}


class _Eligible:
    """Whether a stored record (by source id) is a legacy-id candidate: a match key's
    candidate, or a record the source does not send under its id (one a delta does not
    mention, or an archived one). `found`: those found so far."""

    def __init__(self, pairing: Pairing, stored: Mapping[str, Record]):
        self.candidates = pairing.candidates
        self.records = pairing.sent.records
        self.stored = stored
        self.found: dict[str, Record] = {}
        self._sent: set[str] | None = None

    def __call__(self, sid: str) -> bool:
        if sid in self.candidates or sid not in self.sent:
            self.found[sid] = self.stored[sid]
            return True
        return False

    @property
    def sent(self) -> set[str]:
        """The source ids the source sends (built once, on first use)."""
        if self._sent is None:
            self._sent = set(map(_SOURCE_ID, self.records))
        return self._sent


_SOURCE_ID = itemgetter("source_id")


def _one(key: Key) -> Callable[[Record], list[str]]:
    return lambda rec: [key(rec)]


def _by_key(candidates: Mapping[str, Record], key: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    value = KEYS[key]
    for sid, doc in candidates.items():
        v = value(doc)
        if v:
            out.setdefault(v, []).append(sid)
    return out


def to_link(action: Action, old: Record, by: str,
            unsent: frozenset[str] = frozenset()) -> Action:
    """The add `action` as an update of the stored record `old` (a reactivation, when
    `old` is archived), its changes an update's (`unsent`: the fields a delta did not
    carry), its legacy ids those `old` holds with the ones sent and `old`'s own id (a
    local account's id is rostertui's, not the source's: not kept)."""
    rec = action["record"]
    old_sid, new_sid = old["source_id"], rec["source_id"]
    changes = {"source_id": [old_sid, new_sid]}
    changes.update(field_changes(action["type"], old, rec, unsent | _LEGACY))
    local = bool(old.get("local"))
    held = old.get(FIELD)
    after = accumulated(held, [*(rec.get(FIELD) or ()), *(() if local else (old_sid,))],
                        new_sid)
    if after is not held:
        changes[FIELD] = [held, after]
    if local:
        changes["local"] = [True, False]
    kind, was = ("update", "") if old["status"] == ACTIVE else ("reactivate", ", archived")
    link: Action = {**action, "kind": kind, "changes": changes,
                    "link": {"by": by, "from": old_sid},
                    "label": f"link {action['label']} to {label(action['type'], old)}{was}"}
    del link["record"]
    if action["type"] == "section":
        members = member_changes(changes)
        if members:
            link["members"] = members
    return link
