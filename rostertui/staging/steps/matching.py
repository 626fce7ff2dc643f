"""Linking: a new source record that is a record the store already has becomes a link.

A source that renumbers records (every person under a new id after a SIS upgrade, or a
local account the source now sends) would otherwise stage an add beside an archive: the
delete threshold rightly blocks a whole district of those, and forcing it loses every
local field, local setting and history link. Each such pair is staged as one link
instead: an update that moves the stored record to the new source id, without the add
and the archive (commit.py applies it, references.py moves the records naming it,
renumbering.follow_links leaves out the changes that explains).

Which stored records may be linked (candidates): active ones that this sync archives
(the source no longer names them), and local accounts. "The same" is decided in rounds,
in order, each over the adds and candidates the rounds before left:

1. legacy ids (renumbering.legacy_ids): the new record names the candidate's source id,
   in any type (people, sections, schools). An add whose legacy id names a record the
   source still sends is not linked at all, and warns.
2. sync.match_existing, key by key: email, username, name (first + last); people only.

A pair is linked only when it is one on each side: an add matching several candidates,
or a candidate matched by several adds, links nothing and warns (`ambiguous_match`);
neither is tried again in a later round. Each round is a pass over dicts keyed by value,
so a whole district (100,000 people at once) is linked in linear time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from ...model import ACTION_TYPES, ACTIVE, PEOPLE_TYPES, label, warning
from ...records import Action, DataWarning, Plan, Record, StoreData
from ..diff import field_changes, member_changes
from .renumbering import legacy_ids

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


def link_accounts(plan: Plan, data: StoreData,
                  cfg: StageConfig) -> tuple[Plan, list[DataWarning]]:
    """The plan with each add that is one stored record turned into a link (without the
    archive it replaces); a warning for each add that could not be linked for
    ambiguity. Only the actions that change are new dicts."""
    keys = [k for k in cfg.sync.match_existing if k in KEYS]
    fields = cfg.sync.legacy_id_fields
    actions = plan["actions"]
    warnings: list[DataWarning] = []
    for type_ in ACTION_TYPES:
        type_keys = keys if type_ in PEOPLE_TYPES else []
        if not (fields or type_keys):
            continue
        adds = {a["source_id"]: a for a in actions if a["type"] == type_ and a["kind"] == "add"}
        if not adds:
            continue
        stored = cfg.indexes[type_]
        pairing = Pairing(type_, adds, candidates(actions, stored, type_))
        if fields:
            pair_by_legacy_ids(pairing, fields, stored)
        for key in type_keys:
            pairing.pair(_one(KEYS[key]), _by_key(pairing.candidates, key), key)
        warnings += pairing.warnings
        actions = pairing.apply(actions)
    return {**plan, "actions": actions}, warnings


def candidates(actions: list[Action], stored: Mapping[str, Record],
               type_: str) -> dict[str, Record]:
    """Stored records the source does not name: local ones and ones being archived."""
    archived_now = {a["source_id"] for a in actions
                    if a["type"] == type_ and a["kind"] == "archive"}
    return {sid: doc for sid, doc in stored.items()
            if doc["status"] == ACTIVE and (doc.get("local") or sid in archived_now)}


@dataclass
class Pairing:
    """One type's linking: the adds and candidates still open, and what was decided."""

    type_: str
    adds: dict[str, Action]          # source id -> an add not yet linked or refused
    candidates: dict[str, Record]    # source id -> a stored record not yet linked or held
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
        self.links[sid] = to_link(self.adds.pop(sid), self.candidates.pop(old_sid), by)

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
    no other add, is linked to it. An add naming a record the source still sends (an
    active, source record this sync does not archive) is refused first."""
    named = {sid: legacy_ids(add["record"], fields) for sid, add in pairing.adds.items()}
    for sid, olds in named.items():
        kept = [old for old in olds if old not in pairing.candidates and _held(stored.get(old))]
        if kept:
            pairing.refuse(sid, [], f"has legacy id {', '.join(kept)}, which the source "
                           f"still sends as another {pairing.type_} (or a quick sync did not "
                           "say it was removed: a full sync can link it); nothing was linked")
    pairing.pair(lambda rec: named[rec["source_id"]],
                 {sid: [sid] for sid in pairing.candidates}, LEGACY)


def _held(doc: Record | None) -> bool:
    """A stored record that stays as it is: active and from the source."""
    return doc is not None and doc["status"] == ACTIVE and not doc.get("local")


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


def to_link(action: Action, old: Record, by: str) -> Action:
    """The add `action` as an update of the stored record `old`."""
    rec = action["record"]
    changes = {"source_id": [old["source_id"], rec["source_id"]]}
    changes.update(field_changes(action["type"], old, rec))
    if old.get("local"):
        changes["local"] = [True, False]
    link: Action = {**action, "kind": "update", "changes": changes,
                    "link": {"by": by, "from": old["source_id"]},
                    "label": f"link {action['label']} to {label(action['type'], old)}"}
    del link["record"]
    if action["type"] == "section":
        members = member_changes(changes)
        if members:
            link["members"] = members
    return link
