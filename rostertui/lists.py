"""The lists the dashboard browses, one per record type, built from the store's tables.

A list holds, in display order, each record's entry and the record's place in its table.
An entry holds the fields lists, names, filters and related lists show (LISTED), those
its sort and search read, and of the source's further fields (`extra`) only the
preferred names, by which people are shown (model.shown_names). Anything else is read
from the whole record (Catalog.get), when one is opened.

Built by the index writer (store_index.py) at every store write that changes the type's
table, so it must be cheap: each record is visited once, its fields read in one C-level
pass, and the rest is done over those rows, mostly in C (a third of a second for 100,000
students). The search texts are made by the reader, a part at a time (`search_texts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, compress, repeat
from operator import add, contains, itemgetter, or_
from typing import Any, TypeVar

from .model import ACTIVE, PEOPLE_TYPES, TABLES
from .records import Record, StoreData

# What a search matches, per type: what to call it (the search box says so), its fields.
Searched = tuple[tuple[str, tuple[str, ...]], ...]
_IDS: Searched = (("SIS ID", ("sis_id",)), ("source ID", ("source_id",)))
_PERSON_SEARCH: Searched = (("name", ("first_name", "last_name")), ("username", ("username",)),
                            ("email", ("email",)), *_IDS)
_SEARCH: dict[str, Searched] = {
    # teacher_ids: matched by the teachers' names
    "section": (("name", ("name",)), ("teacher", ("teacher_ids",)), ("period", ("period",)),
                ("subject", ("subject",)), ("course code", ("course_code",)), *_IDS),
    "school": (("name", ("name",)), *_IDS)}
_SORT = {"school": ("name",), "section": ("name",), "term": ("name",), "course": ("name",)}
_PERSON_SORT = ("last_name", "first_name", "source_id")

_PERSON = ("source_id", "first_name", "middle_name", "last_name", "username", "email",
           "sis_id", "school_ids", "status")
# An entry's fields, per type: what the lists (screens/columns.py), the names, the
# filters and the detail screens' related lists read.
LISTED: dict[str, tuple[str, ...]] = {
    "school": ("source_id", "name", "sis_id", "status"),
    "teacher": _PERSON, "staff": _PERSON, "student": (*_PERSON, "grade"),
    "contact": (*_PERSON, "phone", "relationships"),
    "section": ("source_id", "name", "period", "teacher_ids", "student_ids", "school_id",
                "term_ids", "subject", "class_type", "status"),
    "term": ("source_id", "name", "status"), "course": ("source_id", "name", "status")}
SHOWN_EXTRA = ("preferred_first_name", "preferred_last_name")
# The tables a type's list is built from besides its own: a class is searched by the
# names of its teachers.
NAMED_BY = {"section": "teacher"}

Row = Sequence[Any]  # an entry's values, in the order of its list's fields
T = TypeVar("T")
SLICE = 8_192  # records per C-level pass (a few milliseconds)


@dataclass(frozen=True)
class TypeList:
    """One type's list. `order[i]`: the table position (file order) of `rows[i]`."""

    fields: list[str]
    rows: list[Row]
    order: list[int]
    counts: dict[str, int]  # active, archived
    schools: dict[str, int]  # active records per school id


def entries(fields: list[str], rows: list[Row]) -> list[Record]:
    """Rows as entries, in C."""
    return list(map(dict, map(zip, repeat(fields), rows)))


def searched(type_: str) -> Searched:
    return _PERSON_SEARCH if type_ in PEOPLE_TYPES else _SEARCH.get(type_, (("name", ("name",)),))


def build(type_: str, data: StoreData) -> TypeList:
    """The list of `type_` in `data`: its records sorted for display, each one's entry
    holding the fields its search reads too (`search_texts`, made by the reader)."""
    docs = list(data[TABLES[type_]].values())
    sort = _PERSON_SORT if type_ in PEOPLE_TYPES else _SORT.get(type_, ("source_id",))
    search = [f for _, names in searched(type_) for f in names]
    fields = list(dict.fromkeys([*LISTED[type_], *sort, *search]))  # what the list reads
    rows = _rows(docs, fields)
    keys = _joined(_picked(rows, fields, sort), "\0")
    order = sorted(range(len(docs)), key=keys.__getitem__)
    preferred = _preferred(docs) if type_ in PEOPLE_TYPES else []
    if any(preferred):
        fields.append("extra")
        rows = list(map(add, rows, zip(preferred)))
    active = list(map(ACTIVE.__eq__, map(itemgetter(fields.index("status")), rows)))
    return TypeList(fields=fields, rows=list(map(rows.__getitem__, order)), order=order,
                    counts={"active": active.count(True), "archived": active.count(False)},
                    schools=_per_school(type_, rows, fields, active))


def _rows(docs: list[Record], fields: list[str]) -> list[tuple[Any, ...]]:
    """Each record's `fields`, read in one C-level pass over the records (each record's
    dict is visited once, while it is in the cache)."""
    try:
        return _sliced(partial(map, itemgetter(*fields)), docs)
    except KeyError:  # a record lacking a field (a store edited by hand): the slow way
        return [tuple(d.get(f) for f in fields) for d in docs]


def _sliced(step: Callable[[list[Any]], Iterable[T]], items: list[Any]) -> list[T]:
    """`list(step(items))`, SLICE items at a time: a C-level pass over 100,000 records
    would hold the GIL for tens of milliseconds in one call (the dashboard's own commits
    write the index in a worker thread, beside the UI's)."""
    out: list[T] = []
    for start in range(0, len(items), SLICE):
        out += step(items[start:start + SLICE])
    return out


def search_texts(type_: str, fields: list[str], rows: Sequence[Row],
                 teachers: Mapping[str, str]) -> list[str]:
    """Each row's search text: its searched fields, lowercased; a class's teachers by
    name (`teachers`: id -> name), as a class is looked for by its teacher. Mostly in C:
    2,000 rows take a few milliseconds."""
    search = [f for _, names in searched(type_) for f in names]
    if "teacher_ids" not in search:
        return _joined(_picked(rows, fields, search), " ")
    at = [fields.index(f) for f in search]
    named = fields.index("teacher_ids")
    return _joined((tuple(" ".join(teachers.get(t, t) for t in row[i] or ()) if i == named
                          else row[i] for i in at) for row in rows), " ")


def _picked(rows: Sequence[Row], fields: list[str],
            wanted: Sequence[str]) -> Iterable[tuple[Any, ...]]:
    """The `wanted` values of each row, as a tuple."""
    at = [fields.index(f) for f in wanted]
    return map(itemgetter(*at), rows) if len(at) > 1 else zip(map(itemgetter(*at), rows))


def _text(values: tuple[Any, ...]) -> tuple[str, ...]:
    """The values as text, "" for none."""
    return tuple(v if isinstance(v, str) else str(v or "") for v in values)


def _joined(values: Iterable[tuple[Any, ...]], sep: str) -> list[str]:
    """Each record's values as text, joined by `sep`, lowercased.

    Joined by NUL (which sorts before any character), a display key orders as the tuple
    of its fields would, at a third of the cost of comparing tuples."""
    values = list(values)
    try:
        joined = _sliced(partial(map, sep.join), values)
    except TypeError:  # a value that is not text (None, a number): each made text first
        joined = list(map(sep.join, map(_text, values)))
    return _sliced(partial(map, str.lower), joined)


def _preferred(docs: list[Record]) -> list[dict[str, Any] | None]:
    """Each person's preferred names, from `extra` (None: the source gave none). Those
    who have some are found in C; only they are visited."""
    extras: list[Any] = list(map(dict.get, docs, repeat("extra")))
    out: list[dict[str, Any] | None] = [None] * len(docs)
    try:
        named = [map(contains, extras, repeat(k)) for k in SHOWN_EXTRA]
        some = list(compress(range(len(docs)), map(or_, *named)))
    except TypeError:  # an `extra` that is not a mapping (a store edited by hand)
        some = [n for n, x in enumerate(extras) if isinstance(x, dict)]
    for n in some:
        extra = extras[n]
        out[n] = {k: extra[k] for k in SHOWN_EXTRA if k in extra} or None
    return out


def person_name(doc: Record) -> str:
    """First and last name, as Catalog.name gives a person's (and a class is searched by)."""
    return " ".join(p for p in (doc.get("first_name"), doc.get("last_name")) if p)


def _per_school(type_: str, rows: list[tuple[Any, ...]], fields: list[str],
                active: list[bool]) -> dict[str, int]:
    """Active people per school id (one in each of their schools) or active classes per
    school id; other types count nothing."""
    if type_ == "section":
        schools = map(itemgetter(fields.index("school_id")), compress(rows, active))
        return dict(Counter(s or "" for s in schools))
    if type_ in PEOPLE_TYPES:
        schools = map(itemgetter(fields.index("school_ids")), compress(rows, active))
        return dict(Counter(chain.from_iterable(filter(None, schools))))
    return {}
