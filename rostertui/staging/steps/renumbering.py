"""Renumbering without loss: legacy ids, and what a link changes beyond its own record.

A source that renumbers everyone (Infinite Campus's OneRoster 1.2 upgrade, Clever's v3
for non-students) keeps each record's old id in a legacy field. Read here:

- `legacy_ids`: the old ids a new record names, from the fields sync.legacy_id_fields
  lists (default `legacy_ids`, which the connectors fill from Clever's `legacy_id` and
  OneRoster's `metadata.*legacy*` columns; an `extra.<key>` names a column the connector
  keeps in `extra`; an empty list turns legacy ids off). matching.py pairs an add with
  the record its legacy id names before any match key is tried.
- `follow_links` (a plan step, after matching): a link moves a record to its new id, and
  commit rewrites the records naming it (references.py). A change the diff staged only
  because those records name the new id (a section's students, a contact's students, a
  person's schools) is what commit does anyway: it is left out, so a renumbered
  district stages its links and nothing else. A change with more in it (a student
  really added) stays, its `members` counting only the real moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.feed import Feed

from ...model import MEMBER_FIELDS, warning
from ...records import Action, DataWarning, Plan, Record, StoreData
from ...references import Reference, Renames, of_holder, renamed, renames_of

if TYPE_CHECKING:
    from ..pipeline import StageConfig

EXTRA = "extra."
_MEMBER_TARGETS = {"teacher_ids": "teacher", "student_ids": "student"}


def legacy_ids(rec: Record, fields: tuple[str, ...]) -> list[str]:
    """The old source ids `rec` names in `fields` (its own id left out), each once."""
    found: list[str] = []
    for field in fields:
        if field.startswith(EXTRA):
            value = (rec.get("extra") or {}).get(field[len(EXTRA):])
        else:
            value = rec.get(field)
        values = value if isinstance(value, list) else [value]
        found += [v.strip() for v in values if isinstance(v, str) and v.strip()]
    own = rec.get("source_id")
    return [v for v in dict.fromkeys(found) if v != own]


def renumbered_schools(feed: Feed, selected: set[str],
                       fields: tuple[str, ...]) -> dict[str, str]:
    """{new id: old id} of the schools in `selected` (by their old id) that the source
    now sends under a new id, naming the old one as a legacy id."""
    sent = feed.types.get("school")
    if not selected or not fields or sent is None:
        return {}
    return {rec["source_id"]: old for rec in sent.records
            for old in legacy_ids(rec, fields) if old in selected}


def follow_links(plan: Plan, data: StoreData,
                 cfg: StageConfig) -> tuple[Plan, list[DataWarning]]:
    """The plan without the changes its links explain (see the module's doc), and a
    warning for each school `schools:` names by an id the source replaced."""
    warnings = [warning("renumbered_school", "school", new,
                        f"school {old} is {new} at the source now (it names {old} as its "
                        f"legacy id): rename it in the config's schools: section")
                for new, old in cfg.renumbered_schools.items()]
    moved = renames_of(plan["actions"])
    if not moved:
        return plan, warnings
    actions: list[Action] = []
    for action in plan["actions"]:
        refs = of_holder(action["type"], moved) if action.get("changes") else []
        followed = _followed(action, refs, moved) if refs else action
        if followed is not None:
            actions.append(followed)
    return {**plan, "actions": actions}, warnings


def _followed(action: Action, refs: list[Reference], moved: Renames) -> Action | None:
    """`action` without the changes its references' renames explain; None for an update
    left with nothing to do."""
    changes = action["changes"]
    explained = {r.field for r in refs if r.field in changes
                 and renamed(changes[r.field][0], r, moved[r.target]) == changes[r.field][1]}
    rosters = action["type"] == "section" and any(
        _MEMBER_TARGETS[f] in moved for f in MEMBER_FIELDS if f in changes)
    if not explained and not rosters:
        return action
    kept = {f: pair for f, pair in changes.items() if f not in explained}
    if not kept and action["kind"] == "update" and "link" not in action:
        return None
    out: Action = {**action, "changes": kept}
    out.pop("members", None)
    members = {f: _moves(kept[f], moved.get(_MEMBER_TARGETS[f], {}))
               for f in MEMBER_FIELDS if f in kept}
    if members:
        out["members"] = members
    return out


def _moves(change: list[Any], names: dict[str, str]) -> dict[str, list[str]]:
    """A roster change's real moves: members added (as the source names them now) and
    removed (as the store names them), a renumbered member being neither."""
    before, after = (set(v) if isinstance(v, list) else set() for v in change)
    kept = {names.get(m, m) for m in before}
    return {"added": sorted(after - kept),
            "removed": sorted(m for m in before if names.get(m, m) not in after)}
