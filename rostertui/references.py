"""Fields that name other records by source id, and how a link moves them.

A link (staging/steps/matching.py) moves a record to a new source id: an account found
by a legacy id or a match key when the source renumbered it. The records that name it
must then name the new id: a section its students, teachers and school, a contact its
students, a person their schools, a course its school. One rule (`renamed`) is used
three times, so the three always agree:

- staging leaves out a change that the sync's links already explain (a section whose
  only change is its students' new ids stages nothing: renumbering.follow_links);
- commit rewrites those fields in the same write as the links (commit.apply_actions),
  and staging's after-state does the same in memory (commit.after_state);
- a revert's links (new id back to old) rewrite them back.

A list keeps its order, except that a list that was sorted (by id) is sorted again:
every source sends its member lists, schools and relationships sorted, so a list
rewritten here equals the list the source sends under the new ids, and the next sync
finds nothing to change. A rewritten list names each id once: a roster that holds a
member under both ids (a delta's enrollments name the new one beside the stored old one)
holds it once, under the new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import TypeAlias

from .records import Action, Record

# type -> {old source id: new source id}, for the links of a plan
Renames: TypeAlias = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Reference:
    """`holder` records' `field` names `target` records: one id, a list of ids, or (with
    `key`) a list of mappings each naming one under `key`."""

    holder: str
    field: str
    target: str
    key: str | None = None


PEOPLE_WITH_SCHOOLS = ("teacher", "student", "staff", "contact")
REFERENCES: tuple[Reference, ...] = (
    Reference("section", "teacher_ids", "teacher"),
    Reference("section", "student_ids", "student"),
    Reference("section", "school_id", "school"),
    Reference("contact", "relationships", "student", key="student_id"),
    *(Reference(t, "school_ids", "school") for t in PEOPLE_WITH_SCHOOLS),
    Reference("course", "school_id", "school"),
)


def renames_of(actions: Iterable[Action]) -> Renames:
    """{type: {old id: new id}} of the links among `actions`."""
    out: Renames = {}
    for action in actions:
        link = action.get("link")
        if link is not None:
            out.setdefault(action["type"], {})[link["from"]] = action["source_id"]
    return out


def of_holder(type_: str, renames: Renames) -> list[Reference]:
    """The references held by `type_` records whose targets some link renames."""
    return [r for r in REFERENCES if r.holder == type_ and r.target in renames]


def renamed(value: object, ref: Reference, names: Mapping[str, str]) -> object:
    """`value` of `ref.field` with every id `names` renames replaced; `value` itself (the
    same object) when none is. A sorted list is sorted again (see the module's doc)."""
    if isinstance(value, str):
        return names.get(value, value)
    if not isinstance(value, list) or not value:
        return value
    if ref.key is None:
        return _renamed_ids(value, names)
    return _renamed_mappings(value, ref.key, names)


def _renamed_ids(ids: list[object], names: Mapping[str, str]) -> object:
    try:
        if names.keys().isdisjoint(ids):  # C-level: the usual list, no id renamed
            return ids
    except TypeError:  # an unhashable item (a store edited by hand): none of ours
        if not any(isinstance(i, str) and i in names for i in ids):
            return ids
    texts = _in_order(ids)
    if texts is not None:
        return sorted({names.get(i, i) for i in texts})
    return _once([names.get(i, i) if isinstance(i, str) else i for i in ids])


def _renamed_mappings(items: list[object], key: str, names: Mapping[str, str]) -> object:
    def new(item: object) -> object:
        if isinstance(item, dict) and isinstance(item.get(key), str) and item[key] in names:
            return {**item, key: names[item[key]]}
        return item

    out = list(map(new, items))
    if all(map(lambda a, b: a is b, out, items)):
        return items
    if _in_order([i.get(key) if isinstance(i, dict) else None for i in items]) is not None:
        ordered = sorted((i for i in out if isinstance(i, dict)), key=itemgetter(key))  # all
        return _once(ordered)
    return _once(out)


def _once(items: Iterable[object]) -> list[object]:
    """`items` with each repeat of an earlier item left out: ids by a set, anything else
    (a contact's relationships, unhashable) by equality, as such lists are short."""
    ids: set[str] = set()
    out: list[object] = []
    for item in items:
        if isinstance(item, str):
            if item in ids:
                continue
            ids.add(item)
        elif item in out:
            continue
        out.append(item)
    return out


def _in_order(values: list[object]) -> list[str] | None:
    """`values` when they are all text ids in sorted order, else None (a list holding
    anything else never counts as sorted)."""
    texts = [v for v in values if isinstance(v, str)]
    if len(texts) == len(values) and texts == sorted(texts):
        return texts
    return None


def rewrite(docs: Iterable[Record], ref: Reference, names: Mapping[str, str]) -> None:
    """Rewrite `ref.field` of each of `docs` in place (commit: the store's own docs)."""
    field = ref.field
    for doc in docs:
        value = doc.get(field)
        new = renamed(value, ref, names)
        if new is not value:
            doc[field] = new
