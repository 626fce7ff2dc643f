"""sync.match_existing: link a new source record to an account the store already has.

A record whose source id is new, but whose email, username or name (tried in the
configured order) matches exactly one stored account of its type that the source no
longer names (a local account, or one from before the source changed its ids), is linked
to that account: an update that moves the account to the new source id, instead of an
add beside it (and an archive of the old one). Two candidates link nothing and warn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeAlias

from ...model import ACTIVE, PEOPLE_TYPES, label, warning
from ...records import Action, DataWarning, Plan, Record, StoreData
from ..diff import field_changes

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


def link_accounts(plan: Plan, data: StoreData,
                  cfg: StageConfig) -> tuple[Plan, list[DataWarning]]:
    """The plan with each add that matches one stored account turned into a link (an
    update moving that account to the new source id, without its archive); a warning
    for each add that matches several. Only the actions that change are new dicts."""
    keys = [k for k in cfg.sync.match_existing if k in KEYS]
    if not keys:
        return plan, []
    actions = plan["actions"]
    warnings: list[DataWarning] = []
    for type_ in PEOPLE_TYPES:
        adds = [a for a in actions if a["type"] == type_ and a["kind"] == "add"]
        if adds:
            candidates = _candidates(actions, cfg.indexes[type_], type_)
            actions = _link_type(actions, type_, adds, candidates, keys, warnings)
    return {**plan, "actions": actions}, warnings


def _candidates(actions: list[Action], stored: Mapping[str, Record],
                type_: str) -> dict[str, Record]:
    """Stored accounts the source does not name: local ones and ones being archived."""
    archived_now = {a["source_id"] for a in actions
                    if a["type"] == type_ and a["kind"] == "archive"}
    return {sid: doc for sid, doc in stored.items()
            if doc["status"] == ACTIVE and (doc.get("local") or sid in archived_now)}


def _link_type(actions: list[Action], type_: str, adds: list[Action],
               candidates: dict[str, Record], keys: list[str],
               warnings: list[DataWarning]) -> list[Action]:
    """`actions` with this type's matching adds linked and the archives they replace
    left out; ambiguous matches are added to `warnings`."""
    lookup = {k: _by_key(candidates, KEYS[k]) for k in keys}
    taken: set[str] = set()
    linked: dict[int, Action] = {}  # id() of an add -> the link that replaces it
    for action in adds:
        rec = action["record"]
        for key in keys:
            value = KEYS[key](rec)
            found = [sid for sid in lookup[key].get(value, ()) if sid not in taken] \
                if value else []
            if len(found) == 1:
                taken.add(found[0])
                linked[id(action)] = _to_link(action, candidates[found[0]], key)
                break
            if len(found) > 1:
                warnings.append(warning(
                    "ambiguous_match", type_, rec["source_id"],
                    f"{label(type_, rec)} matches {len(found)} existing accounts by {key} "
                    f"({', '.join(sorted(found))}); none was linked"))
                break
    if not taken:
        return actions
    return [linked.get(id(a), a) for a in actions if not (
        a["type"] == type_ and a["kind"] == "archive" and a["source_id"] in taken)]


def _by_key(candidates: dict[str, Record], key: Key) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for sid, doc in candidates.items():
        value = key(doc)
        if value:
            out.setdefault(value, []).append(sid)
    return out


def _to_link(action: Action, old: Record, by: str) -> Action:
    """The add `action` as an update of the stored account `old`."""
    rec = action["record"]
    changes = {"source_id": [old["source_id"], rec["source_id"]]}
    changes.update(field_changes(action["type"], old, rec))
    if old.get("local"):
        changes["local"] = [True, False]
    link: Action = {**action, "kind": "update", "changes": changes,
                    "link": {"by": by, "from": old["source_id"]},
                    "label": f"link {action['label']} to {label(action['type'], old)}"}
    del link["record"]
    return link
