"""sync.match_existing: link a new source record to an account the store already has.

A record whose source id is new, but whose email, username or name (tried in the
configured order) matches exactly one stored account of its type that the source no
longer names (a local account, or one from before the source changed its ids), is linked
to that account: an update that moves the account to the new source id, instead of an
add beside it (and an archive of the old one). Two candidates link nothing and warn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import ACTIVE, PEOPLE_TYPES, label, warning
from ..diff import field_changes

if TYPE_CHECKING:
    from ..pipeline import StageConfig

KEYS = {"email": lambda d: (d.get("email") or "").strip().lower(),
        "username": lambda d: (d.get("username") or "").strip().lower(),
        "name": lambda d: " ".join(p.strip().lower() for p in (d.get("first_name") or "",
                                                               d.get("last_name") or "")
                                   if p.strip())}


def link_accounts(plan: dict, data: dict, cfg: StageConfig) -> tuple[dict, list[dict]]:
    """The plan with each add that matches one stored account turned into a link (an
    update moving that account to the new source id, without its archive); a warning
    for each add that matches several. Only the actions that change are new dicts."""
    keys = [k for k in cfg.sync["match_existing"] if k in KEYS]
    if not keys:
        return plan, []
    actions: list[dict] = plan["actions"]
    warnings: list[dict] = []
    for type_ in PEOPLE_TYPES:
        adds = [a for a in actions if a["type"] == type_ and a["kind"] == "add"]
        if adds:
            candidates = _candidates(actions, cfg.indexes[type_], type_)
            actions = _link_type(actions, type_, adds, candidates, keys, warnings)
    return {**plan, "actions": actions}, warnings


def _candidates(actions: list[dict], stored: dict[str, dict], type_: str) -> dict[str, dict]:
    """Stored accounts the source does not name: local ones and ones being archived."""
    archived_now = {a["source_id"] for a in actions
                    if a["type"] == type_ and a["kind"] == "archive"}
    return {sid: doc for sid, doc in stored.items()
            if doc["status"] == ACTIVE and (doc.get("local") or sid in archived_now)}


def _link_type(actions: list[dict], type_: str, adds: list[dict],
               candidates: dict[str, dict], keys: list[str],
               warnings: list[dict]) -> list[dict]:
    """`actions` with this type's matching adds linked and the archives they replace
    left out; ambiguous matches are added to `warnings`."""
    lookup = {k: _by_key(candidates, KEYS[k]) for k in keys}
    taken: set[str] = set()
    linked: dict[int, dict] = {}  # id() of an add -> the link that replaces it
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


def _by_key(candidates: dict[str, dict], key) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for sid, doc in candidates.items():
        value = key(doc)
        if value:
            out.setdefault(value, []).append(sid)
    return out


def _to_link(action: dict, old: dict, by: str) -> dict:
    """The add `action` as an update of the stored account `old`."""
    rec = action["record"]
    changes = {"source_id": [old["source_id"], rec["source_id"]]}
    changes.update(field_changes(action["type"], old, rec))
    if old.get("local"):
        changes["local"] = [True, False]
    link = {k: v for k, v in action.items() if k != "record"}
    link.update(kind="update", changes=changes, link={"by": by, "from": old["source_id"]},
                label=f"link {action['label']} to {label(action['type'], old)}")
    return link
