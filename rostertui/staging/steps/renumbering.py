"""Renumbering without loss: schools the config names by an old id, and what a link
changes beyond its own record.

A source that renumbers everyone (Infinite Campus's OneRoster 1.2 upgrade, Clever's v3
for non-students) keeps each record's old id in a legacy field (rostertui/legacy.py reads
them; matching.py pairs an add with the record its legacy id names before any match key
is tried). Here:

- `renumbered_schools`: a school `schools:` names by an id the source replaced stays
  selected by its new id, with a warning to rename it;
- `follow_links` (a plan step, after matching): a link moves a record to its new id, and
  commit rewrites the records naming it (references.py). A change the diff staged only
  because those records name the new id (a section's students, a contact's students, a
  person's schools) is what commit does anyway: it is left out, so a renumbered
  district stages its links and nothing else. That holds too when a delta's enrollments
  name the new ids beside rosters that still hold the old ones: renamed, each member is
  there once. A change with more in it (a student really added) stays, naming the new
  ids, its `members` counting only the real moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.feed import Feed

from ...legacy import legacy_ids
from ...model import MEMBER_FIELDS, warning
from ...records import Action, DataWarning, Plan, StoreData
from ...references import Reference, Renames, of_holder, renamed, renames_of

if TYPE_CHECKING:
    from ..pipeline import StageConfig

_MEMBER_TARGETS = {"teacher_ids": "teacher", "student_ids": "student"}


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
    """`action` without the changes its references' renames explain, and naming the new
    ids in the rest; None for an update left with nothing to do."""
    changes = action["changes"]
    explained: set[str] = set()
    renamed_after: dict[str, list[Any]] = {}
    for ref in refs:
        if ref.field not in changes:
            continue
        names = moved[ref.target]
        before, after = (renamed(v, ref, names) for v in changes[ref.field])
        if _same(ref.field, before, after):
            explained.add(ref.field)
        elif after is not changes[ref.field][1]:
            renamed_after[ref.field] = [changes[ref.field][0], after]
    rosters = action["type"] == "section" and any(
        _MEMBER_TARGETS[f] in moved for f in MEMBER_FIELDS if f in changes)
    if not explained and not renamed_after and not rosters:
        return action
    kept = {f: renamed_after.get(f, pair) for f, pair in changes.items() if f not in explained}
    if not kept and action["kind"] == "update" and "link" not in action:
        return None
    out: Action = {**action, "changes": kept}
    out.pop("members", None)
    members = {f: _moves(kept[f], moved.get(_MEMBER_TARGETS[f], {}))
               for f in MEMBER_FIELDS if f in kept}
    if members:
        out["members"] = members
    return out


def _same(field: str, before: object, after: object) -> bool:
    """Whether a field's renamed before- and after-values are one value: a roster as a
    set of members (their order or a repeat is no change), anything else as it is."""
    if field in MEMBER_FIELDS:
        return _members(before) == _members(after)
    return before == after


def _members(value: object) -> set[Any]:
    return set(value) if isinstance(value, list) else set()


def _moves(change: list[Any], names: dict[str, str]) -> dict[str, list[str]]:
    """A roster change's real moves: members added (as the source names them now) and
    removed (as the store names them), a renumbered member being neither."""
    before, after = (_members(v) for v in change)
    now = {names.get(m, m) for m in after}
    kept = {names.get(m, m) for m in before}
    return {"added": sorted(now - kept),
            "removed": sorted(m for m in before if names.get(m, m) not in now)}
