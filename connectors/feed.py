"""What every connector returns: a feed of records, whole sets or changes.

One shape serves a full snapshot (every type `complete`), a quick change feed (every
type a delta: upserts plus deletes) and the mixed case a OneRoster manifest allows
(bulk users with delta enrollments). Staging turns a feed into actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NotRequired, Protocol, TypedDict

from rostertui.records import DataWarning, Record

# progress(type, records_so_far, total_or_None)
Progress = Callable[[str, int, "int | None"], None]


@dataclass
class TypeFeed:
    """Records of one type. `complete`: this is the whole set, so a stored record that
    is missing from it was removed at the source. Otherwise `records` are upserts and
    `deleted` lists the source ids removed.

    `unsent` names, per source id, fields this feed did not carry (a delta without the
    student's demographics row): staging keeps their stored values. "extra.*" means
    extra keys absent from the record are kept rather than removed."""

    complete: bool
    records: list[Record] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unsent: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass
class Membership:
    """Enrollments, for sources that send them apart from sections (OneRoster).

    rows: (section_id, role, user_id, active) with role "teacher" or "student".
    `complete`: the rows are every enrollment, so they define each section's roster;
    otherwise they are changes applied to the stored rosters."""

    complete: bool
    rows: list[tuple[str, str, str, bool]] = field(default_factory=list)


@dataclass
class Feed:
    source: str                      # kind, for the history ("oneroster_csv", "clever", ...)
    mode: str                        # "full" or "quick"
    types: dict[str, TypeFeed] = field(default_factory=dict)  # a missing type: no change
    membership: Membership | None = None
    district: dict[str, str] | None = None  # {"source_id", "name"} when the source names it
    cursor: str | None = None        # where the next quick sync starts (event id, time)
    warnings: list[DataWarning] = field(default_factory=list)
    version: str | None = None       # the protocol version read, e.g. OneRoster "1.2"


class SourceError(Exception):
    """A fetch or parse failure. The message is one clear line for the admin (more lines
    may list individual problems) and never contains a secret."""


class SourceCheck(TypedDict):
    """What `Connector.check` reports: the district's name (None when the source names
    none), the schools' names, a count per type or role, and the protocol version it
    talked (OneRoster "1.1" or "1.2"; Clever's is fixed)."""

    district: str | None
    schools: list[str]
    counts: dict[str, int]
    version: NotRequired[str]


class Connector(Protocol):
    """What the engine uses of a connector (connectors/__init__.py says what a connector
    class declares besides: its `source:` options and how it is built from them)."""

    kind: str

    def fetch(self, mode: str, cursor: str | None, progress: Progress | None = None) -> Feed:
        """Fetch everything (mode "full") or the changes since `cursor` ("quick")."""

    def check(self) -> SourceCheck:
        """Authenticate and make cheap calls: the district, its schools, counts."""
