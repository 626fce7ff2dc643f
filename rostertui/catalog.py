"""Browsing the store: sorted, filterable lists and the cross-references detail views need.

Built once from a loaded store (about a second at 100,000 students) and then answers
from memory: a search over 100,000 people is a substring test over precomputed keys.
Indexes are built on first use, so opening one tab never pays for another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, partial, reduce
from itertools import compress, repeat
from operator import and_, contains, is_
from sys import intern
from typing import overload

from .model import ACTIVE, PEOPLE_TYPES, TABLES
from .records import Record, StoreData

# A column's value for one record: its search text, its status, or its schools' ids.
Cell = str | tuple[str, ...]

_SORT = {"school": ("name",), "section": ("name",), "term": ("name",), "course": ("name",)}
_PERSON_SORT = ("last_name", "first_name", "source_id")
# What a search matches, per type: what to call it (the search box says so), its fields.
Searched = tuple[tuple[str, tuple[str, ...]], ...]
_IDS: Searched = (("SIS ID", ("sis_id",)), ("source ID", ("source_id",)))
_PERSON_SEARCH: Searched = (("name", ("first_name", "last_name")), ("username", ("username",)),
                            ("email", ("email",)), *_IDS)
_SEARCH: dict[str, Searched] = {
    # teacher_ids: matched by the teachers' names (Catalog._search_key)
    "section": (("name", ("name",)), ("teacher", ("teacher_ids",)), ("period", ("period",)),
                ("subject", ("subject",)), ("course code", ("course_code",)), *_IDS),
    "school": (("name", ("name",)), *_IDS)}


class Catalog:
    def __init__(self, data: StoreData):
        self.data = data
        self._sorted: dict[str, list[Record]] = {}
        self._columns: dict[tuple[str, str], list[Cell]] = {}
        self._ids: dict[str, dict[str, Record]] = {}

    def docs(self, type_: str) -> list[Record]:
        """Every record of a type, sorted for display."""
        if type_ not in self._sorted:
            self._sorted[type_] = sorted(self.data[TABLES[type_]].values(),
                                         key=_sort_key(type_))
        return self._sorted[type_]

    def members(self, type_: str, source_ids: Iterable[str]) -> tuple[list[Record], list[str]]:
        """The records of these ids in display order (a roster), and the ids the store
        does not hold."""
        found, missing = [], []
        for sid in source_ids:
            doc = self.get(type_, sid)
            if doc is None:
                missing.append(sid)
            else:
                found.append(doc)
        return sorted(found, key=_sort_key(type_)), missing

    def get(self, type_: str, source_id: str) -> Record | None:
        if type_ not in self._ids:
            self._ids[type_] = {d["source_id"]: d for d in self.data[TABLES[type_]].values()}
        return self._ids[type_].get(source_id)

    def rows(self, type_: str, school: str | None = None, text: str = "",
             status: str | None = None) -> Sequence[Record]:
        """The records of a type in a school (None: all) whose text matches.

        A keystroke searches 100,000 people, so each filter is a C-level pass over one
        compact column kept beside the sorted records, and the result holds positions:
        a record's own dict is only read when shown (touching them all costs more, in
        cache misses alone, than the search)."""
        docs = self.docs(type_)
        needle = text.strip().lower()
        tests = [map(contains, self._column(type_, "search"), repeat(needle))] if needle else []
        if status:
            tests.append(map(is_, self._column(type_, "status"), repeat(intern(status))))
        if school:
            tests.append(map(contains, self._column(type_, "schools"), repeat(intern(school))))
        if not tests:
            return list(docs)
        passed = reduce(partial(map, and_), tests)  # each record: all its tests, and-ed
        return Picked(docs, list(compress(range(len(docs)), passed)))

    def _column(self, type_: str, name: str) -> list[Cell]:
        """One value per record of docs(type_), in its order: built on first use."""
        key = (type_, name)
        if key not in self._columns:
            column = self._search_key(type_) if name == "search" else _COLUMNS[name](type_)
            self._columns[key] = list(map(column, self.docs(type_)))
        return self._columns[key]

    @staticmethod
    def search_terms(type_: str) -> list[str]:
        """What a search of this type matches, in words: name, username, email..."""
        return [term for term, _ in _searched(type_)]

    def _search_key(self, type_: str) -> Column:
        """A record's search text: its searched fields, with the names of the teachers
        it lists (a class is looked for by its teacher)."""
        fields = [f for _, names in _searched(type_) for f in names]

        def value(doc: Record, field: str) -> str:
            if field == "teacher_ids":
                return " ".join(self.name("teacher", t) for t in doc.get(field) or ())
            return str(doc.get(field) or "")
        return lambda d: " ".join(value(d, f) for f in fields).lower()

    # -- names -------------------------------------------------------------------------

    def name(self, type_: str, source_id: str) -> str:
        doc = self.get(type_, source_id)
        if doc is None:
            return source_id
        if type_ in PEOPLE_TYPES:
            return " ".join(p for p in (doc.get("first_name"), doc.get("last_name")) if p) \
                or source_id
        return doc.get("name") or source_id

    def names(self, type_: str, source_ids: Iterable[str]) -> str:
        return ", ".join(self.name(type_, s) for s in source_ids)

    # -- cross-references ----------------------------------------------------------------

    @cached_property
    def _sections_by_person(self) -> dict[str, list[Record]]:
        index: dict[str, list[Record]] = {}
        for sec in self.docs("section"):
            for sid in (*sec.get("teacher_ids", ()), *sec.get("student_ids", ())):
                index.setdefault(sid, []).append(sec)
        return index

    def sections_of(self, source_id: str) -> list[Record]:
        return self._sections_by_person.get(source_id, [])

    @cached_property
    def _contacts_by_student(self) -> dict[str, list[tuple[Record, Record]]]:
        index: dict[str, list[tuple[Record, Record]]] = {}
        for contact in self.docs("contact"):
            for rel in contact.get("relationships") or ():
                index.setdefault(rel["student_id"], []).append((contact, rel))
        return index

    def contacts_of(self, student_id: str) -> list[tuple[Record, Record]]:
        """(contact, relationship) pairs of a student."""
        return self._contacts_by_student.get(student_id, [])

    @cached_property
    def school_stats(self) -> dict[str, dict[str, int]]:
        """Per school id: active users and sections."""
        stats: dict[str, dict[str, int]] = {}
        for type_ in PEOPLE_TYPES:
            for doc in self.data[TABLES[type_]].values():
                if doc["status"] == ACTIVE:
                    for school in doc.get("school_ids") or ():
                        stats.setdefault(school, {"users": 0, "sections": 0})["users"] += 1
        for doc in self.data[TABLES["section"]].values():
            if doc["status"] == ACTIVE:
                stats.setdefault(doc.get("school_id", ""), {"users": 0, "sections": 0})[
                    "sections"] += 1
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


Column = Callable[[Record], Cell]  # a record's value in one column


def _sort_key(type_: str) -> Callable[[Record], tuple[str, ...]]:
    fields = _PERSON_SORT if type_ in PEOPLE_TYPES else _SORT.get(type_, ("source_id",))
    return lambda d: tuple(str(d.get(f) or "").lower() for f in fields)


def _searched(type_: str) -> Searched:
    return _PERSON_SEARCH if type_ in PEOPLE_TYPES else _SEARCH.get(type_, (("name", ("name",)),))


def _schools(type_: str) -> Column:
    """The ids of the schools a record belongs to, interned: compared by identity."""
    if type_ == "section":
        return lambda d: (intern(d.get("school_id") or ""),)
    if type_ == "school":
        return lambda d: (intern(d["source_id"]),)
    return lambda d: tuple(map(intern, d.get("school_ids") or ()))


# Values kept compact, beside the records: the interned status is compared by identity.
_COLUMNS: dict[str, Callable[[str], Column]] = {
    "status": lambda _: lambda d: intern(d["status"]), "schools": _schools}
