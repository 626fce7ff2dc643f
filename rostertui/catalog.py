"""Browsing the store: sorted, filterable lists and the cross-references detail views need.

Built from a StoreView (store_index.py). The dashboard's reads the store's index, never
the whole store, and is `load`ed a type at a time, a part at a time, in a worker thread:
no call holds the GIL for long, and each list shows as soon as its type is in. Rows are
entries (lists.py): a record less what only its own screen shows, which `get` reads
from the store when the record is opened. A search over 100,000 people is a substring
test over search texts made as the list is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress, count, repeat
from operator import contains, is_, itemgetter, or_
from sys import intern
from typing import Any, overload

from . import lists
from .lists import person_name, searched
from .model import ALL_TYPES, PEOPLE_TYPES
from .records import Record, StoreData
from .store_index import DataView, StaleIndex, StoreView

_SOURCE_ID = itemgetter("source_id")


@dataclass
class _Listed:
    """One type's list as loaded, with the compact columns the filters pass over."""

    entries: list[Record] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # each entry's place in its table
    status: list[str] = field(default_factory=list)  # interned: compared by identity
    schools: list[Collection[str]] = field(default_factory=list)  # the school ids of each
    ids: dict[str, int] = field(default_factory=dict)  # source id -> position
    # a class's teachers and students (sections only): whose classes a person has
    members: tuple[list[Collection[str]], list[Collection[str]]] = field(
        default_factory=lambda: ([], []))


class Catalog:
    def __init__(self, view: StoreView):
        self.view = view
        self._lists: dict[str, _Listed] = {}
        self._contacts_by_student: dict[str, list[tuple[Record, Record]]] = {}
        self._searched: dict[str, tuple[str, list[int]]] = {}  # type: its last search

    @classmethod
    def of(cls, data: StoreData) -> Catalog:
        """Every list of a store already in memory."""
        catalog = cls(DataView(data))
        for type_ in ALL_TYPES:
            catalog.load(type_)
        return catalog

    # -- loading -----------------------------------------------------------------------

    def load(self, type_: str, between: float = 0.0) -> None:
        """Read the list of `type_`, a part at a time (each a few milliseconds), and the
        cross-references it brings. Until it is in, the type has no rows. `between`:
        seconds to sleep after each part, so that a UI thread waiting for the GIL gets
        it at once, however busy this thread is."""
        named = lists.NAMED_BY.get(type_)
        if named and not self.loaded(named):
            self.load(named)  # a class is searched by its teachers' names
        teachers = {d["source_id"]: self.name("teacher", d["source_id"])
                    for d in self.docs("teacher")} if named else {}
        listed = _Listed()
        fields = self.view.fields(type_)
        for rows, order in self.view.parts(type_):
            entries = lists.entries(fields, rows)
            listed.ids.update(zip(map(_SOURCE_ID, entries), count(len(listed.entries))))
            listed.entries += entries
            listed.search += lists.search_texts(type_, fields, rows, teachers)
            listed.order += order
            listed.status += map(intern, map(_STATUS, entries))
            listed.schools += _schools(type_, entries)
            if type_ == "section":
                listed.members[0].extend(_ids(entries, "teacher_ids"))
                listed.members[1].extend(_ids(entries, "student_ids"))
            time.sleep(between)
        if type_ == "contact":
            self._contacts_by_student = _by_student(listed.entries)
        self._lists[type_] = listed  # whole, once: another thread may be reading

    def loaded(self, type_: str) -> bool:
        return type_ in self._lists

    def _listed(self, type_: str) -> _Listed:
        return self._lists.get(type_) or _Listed()

    # -- lists -------------------------------------------------------------------------

    def docs(self, type_: str) -> list[Record]:
        """Every entry of a type, sorted for display."""
        return self._listed(type_).entries

    def entry(self, type_: str, source_id: str) -> Record | None:
        """A record's entry (its listed fields: lists.LISTED)."""
        listed = self._listed(type_)
        at = listed.ids.get(source_id)
        return None if at is None else listed.entries[at]

    def get(self, type_: str, source_id: str) -> Record | None:
        """The whole record, read from the store (a detail screen shows it all): a
        millisecond or two, from the part of the store file that holds it. None if the
        store does not hold it, or no longer where its index says (changed in place:
        the index is dropped, and the store read again at the next look)."""
        listed = self._listed(type_)
        at = listed.ids.get(source_id)
        if at is None:
            return None
        try:
            doc = self.view.record(type_, listed.order[at])
        except StaleIndex:
            return None
        return doc if doc.get("source_id") == source_id else None

    def members(self, type_: str, source_ids: Iterable[str]) -> tuple[list[Record], list[str]]:
        """The entries of these ids in display order (a roster), and the ids the store
        does not hold."""
        listed = self._listed(type_)
        found, missing = [], []
        for sid in source_ids:
            at = listed.ids.get(sid)
            if at is None:
                missing.append(sid)
            else:
                found.append(at)
        return [listed.entries[at] for at in sorted(found)], missing

    def rows(self, type_: str, school: str | None = None, text: str = "",
             status: str | None = None) -> Sequence[Record]:
        """The entries of a type in a school (None: all) whose text matches.

        A keystroke searches 100,000 people, so each filter is a C-level pass over one
        compact column, and the result holds positions: an entry is only read when
        shown (touching them all costs more, in cache misses alone, than the search)."""
        listed = self._listed(type_)
        found = self._matching(type_, listed, text.strip().lower())
        filters: list[tuple[Sequence[Any], Callable[[Any, Any], bool], str]] = []
        if status:
            filters.append((listed.status, is_, intern(status)))  # interned: by identity
        if school:
            filters.append((listed.schools, contains, school))
        if found is None and not filters:
            return list(listed.entries)
        kept: Iterable[int] = range(len(listed.entries)) if found is None else found
        for column, test, value in filters:
            values = column if found is None else map(column.__getitem__, kept)
            kept = list(compress(kept, map(test, values, repeat(value))))
            found = kept
        return Picked(listed.entries, list(kept))

    def _matching(self, type_: str, listed: _Listed, needle: str) -> list[int] | None:
        """The positions whose search text holds `needle` (None: no search). Typing on
        narrows the last search's matches rather than passing over them all again."""
        if not needle:
            return None
        last, matched = self._searched.get(type_, ("", None))
        if matched is not None and last and needle.startswith(last):
            texts = map(listed.search.__getitem__, matched)
            found = list(compress(matched, map(contains, texts, repeat(needle))))
        else:
            found = list(compress(count(), map(contains, listed.search, repeat(needle))))
        self._searched[type_] = (needle, found)
        return found

    @staticmethod
    def search_terms(type_: str) -> list[str]:
        """What a search of this type matches, in words: name, username, email..."""
        return [term for term, _ in searched(type_)]

    # -- names -------------------------------------------------------------------------

    def name(self, type_: str, source_id: str) -> str:
        doc = self.entry(type_, source_id)
        if doc is None:
            return source_id
        if type_ in PEOPLE_TYPES:
            return person_name(doc) or source_id
        return doc.get("name") or source_id

    def names(self, type_: str, source_ids: Iterable[str]) -> str:
        return ", ".join(self.name(type_, s) for s in source_ids)

    # -- cross-references ----------------------------------------------------------------

    def sections_of(self, source_id: str) -> list[Record]:
        """A person's classes, as teacher or student, in display order: one C-level pass
        over the classes' members (25,000 classes: a few milliseconds)."""
        listed = self._listed("section")
        teaches, attends = (map(contains, column, repeat(source_id))
                            for column in listed.members)
        return list(compress(listed.entries, map(or_, teaches, attends)))

    def contacts_of(self, student_id: str) -> list[tuple[Record, Record]]:
        """(contact, relationship) pairs of a student."""
        return self._contacts_by_student.get(student_id, [])

    def school_stats(self) -> dict[str, dict[str, int]]:
        """Per school id: active users and sections (from the lists' counts)."""
        stats: dict[str, dict[str, int]] = {}
        for type_, column in ((t, "users") for t in PEOPLE_TYPES):
            for school, n in self.view.per_school(type_).items():
                stats.setdefault(school, {"users": 0, "sections": 0})[column] += n
        for school, n in self.view.per_school("section").items():
            stats.setdefault(school, {"users": 0, "sections": 0})["sections"] += n
        return stats


class Picked(Sequence[Record]):
    """The records of `docs` at `positions`, read on access."""

    def __init__(self, docs: list[Record], positions: list[int]):
        self.docs, self.positions = docs, positions

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            return [self.docs[p] for p in self.positions[index]]
        return self.docs[self.positions[index]]


_STATUS = itemgetter("status")


def _ids(entries: list[Record], field: str) -> list[Collection[str]]:
    """Each entry's list of ids in `field`, to be tested with `in` in C (an empty one
    for none)."""
    values: list[Any] = list(map(dict.get, entries, repeat(field)))
    return values if None not in values else [v or () for v in values]


def _schools(type_: str, entries: list[Record]) -> list[Collection[str]]:
    """The ids of the schools each entry belongs to: a person's, a class's, a school."""
    if type_ == "section":
        return [(s or "",) for s in map(dict.get, entries, repeat("school_id"))]
    if type_ == "school":
        return [(s,) for s in map(_SOURCE_ID, entries)]
    return _ids(entries, "school_ids")


def _by_student(contacts: list[Record]) -> dict[str, list[tuple[Record, Record]]]:
    index: dict[str, list[tuple[Record, Record]]] = {}
    for contact in contacts:
        for rel in contact.get("relationships") or ():
            index.setdefault(rel["student_id"], []).append((contact, rel))
    return index
