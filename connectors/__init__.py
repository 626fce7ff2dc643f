"""Sources of roster data. Each returns a connectors.feed.Feed; none imports the UI.

A connector is a class in its own module that declares everything about itself:

    kind                       the value of `source.kind` that picks it
    options                    its `source:` keys, as connectors.options.Option: type,
                               default, required, secret, bounds or choices, help
    check_options(options)     what no single key can say (raises OptionError)
    from_options(options)      the connector for a checked `source:` mapping
    fetch(mode, cursor, ...)   and check(): the connectors.feed.Connector protocol

and, in NOT_CARRIED below, the record fields it can never fill (carried_fields).
rostertui.config checks `source:` against the chosen connector's declaration, and asks
by default only for required fields the source carries. A new
source is a new module, one line in CONNECTORS below, and its keys in
config.example.yaml (tests/connectors/test_source_options.py holds the file to the
declarations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from rostertui.model import SOURCE_FIELDS

from .clever import CleverConnector
from .feed import Connector, Feed, Progress, SourceCheck, SourceError
from .oneroster_csv import OneRosterCsvConnector
from .oneroster_rest import OneRosterRestConnector
from .options import Option


class ConnectorClass(Protocol):
    """A connector class as CONNECTORS holds it: what it declares (see above)."""

    @property
    def kind(self) -> str: ...

    @property
    def options(self) -> tuple[Option, ...]: ...

    def check_options(self, options: dict[str, Any]) -> None: ...

    def from_options(self, options: dict[str, Any]) -> Connector: ...


_CLASSES: tuple[ConnectorClass, ...] = (OneRosterCsvConnector, CleverConnector,
                                        OneRosterRestConnector)
# kind -> connector class, in the order the config's messages list them
CONNECTORS: dict[str, ConnectorClass] = {c.kind: c for c in _CLASSES}

# The people's fields a source never fills, per kind and type (every other field of
# rostertui.model.SOURCE_FIELDS it can). OneRoster 1.1 users have no graduation year,
# student or teacher number, state id, title or department; both OneRoster sources map
# users with connectors.oneroster_map. Clever v3 carries them all.
_ONEROSTER_GAPS: Mapping[str, frozenset[str]] = {
    "student": frozenset({"graduation_year", "student_number", "state_id"}),
    "teacher": frozenset({"teacher_number", "title", "state_id"}),
    "staff": frozenset({"title", "department", "state_id"}),
    "contact": frozenset({"phone_type", "state_id"}),
}
NOT_CARRIED: dict[str, Mapping[str, frozenset[str]]] = {
    OneRosterCsvConnector.kind: _ONEROSTER_GAPS, OneRosterRestConnector.kind: _ONEROSTER_GAPS,
    CleverConnector.kind: {}}


def carried_fields(kind: str) -> dict[str, frozenset[str]]:
    """The fields a `kind` source can fill, per record type."""
    gaps = NOT_CARRIED.get(kind, {})
    return {type_: frozenset(fields) - gaps.get(type_, frozenset())
            for type_, fields in SOURCE_FIELDS.items()}


def make_connector(source: dict[str, Any]) -> Connector:
    """The connector for a config's `source` section (checked by rostertui.config), built
    now: settings it refuses (plain http to another machine) raise SourceError."""
    kind = source["kind"]
    if kind not in CONNECTORS:
        raise ValueError(f"source.kind {kind} is not available yet")
    return CONNECTORS[kind].from_options(source)


def connector_for(source: dict[str, Any]) -> Connector:
    """The connector for a checked `source` section, built when it is first used: what
    the CLI and the dashboard give the engine. A setting the connector refuses fails the
    sync or check that needs it (recorded in the history, said in one line), not the
    commands that only read the store."""
    return _Deferred(source)


class _Deferred:
    def __init__(self, source: dict[str, Any]) -> None:
        self.kind: str = source["kind"]
        self._source = source
        self._built: Connector | None = None

    def _connector(self) -> Connector:
        if self._built is None:
            self._built = make_connector(self._source)
        return self._built

    def fetch(self, mode: str, cursor: str | None, progress: Progress | None = None) -> Feed:
        return self._connector().fetch(mode, cursor, progress)

    def check(self) -> SourceCheck:
        return self._connector().check()


__all__ = ["CONNECTORS", "NOT_CARRIED", "Connector", "ConnectorClass", "SourceCheck",
           "SourceError", "carried_fields", "connector_for", "make_connector"]
