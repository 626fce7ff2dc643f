"""The shapes the engine passes around: actions, plans, sync records, reports, warnings.

Actions, plans and records stay plain dicts at run time (fast to build, diff and
serialise at district scale); these TypedDicts say which keys each has, for the reader
and for mypy. For the records the store keeps besides the roster (sync records and the
meta record) there is also one table of field -> (accepted types, default), so that
creating a record, filling in the fields a store written by an older rostertui lacks,
and checking a store edited by hand all agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

Record = dict[str, Any]            # a roster record: model.SOURCE_FIELDS[type] and more
Counts = dict[str, dict[str, int]]  # {type: {kind: n}}
Table = dict[str, Record]          # a store table: {doc_id: record}
# The whole store: {table name: {doc_id: record}}. Its "syncs" table holds SyncRecords and
# its "meta" table one Meta under "1": read them through store.syncs_of and store.meta_of.
StoreData = dict[str, Table]


class DataWarning(TypedDict):
    """A data warning (model.warning), in the history, the CLI and the CSV export."""
    code: str
    type: str
    source_id: str
    message: str


class Action(TypedDict):
    """One change a plan holds (staging/diff.py): `<type>:<source_id>` once per record."""
    id: str
    type: str
    kind: str                                     # add|update|archive|reactivate; remove
    source_id: str
    label: str
    enabled: bool
    record: NotRequired[Record]                   # add (and a revert's remove)
    changes: NotRequired[dict[str, list[Any]]]    # field: [before, after]
    members: NotRequired[dict[str, dict[str, list[str]]]]  # sections: added, removed
    # a link (steps/matching.py): {"by": legacy_id|email|username|name|revert, "from":
    # the old source id}, an update moving the stored record to `source_id`
    link: NotRequired[dict[str, str]]


class Plan(TypedDict):
    """A staged sync's plan file (plans.py), bound to its store and sync."""
    actions: list[Action]
    reference: list[Action]                       # terms and courses
    warnings: list[DataWarning]
    cursor: str | None
    district: dict[str, Any] | None
    rules: list[dict[str, Any]]                   # section rules and what each removed
    store_id: NotRequired[str]
    sync_id: NotRequired[int]
    base_state: NotRequired[str | None]


class SyncRecord(TypedDict):
    """A sync in the store's `syncs` table (SYNC_FIELDS below holds the same)."""
    id: int
    status: str                                   # a lifecycle.SyncStatus value
    mode: str
    trigger: str
    user: str
    source: dict[str, Any]
    started_at: str
    finished_at: str | None
    committed_at: str | None
    counts: Counts
    enabled: int
    disabled: int
    warnings: int
    warning_codes: dict[str, int]
    blocked_reasons: list[str]
    base_state: str | None
    error: str | None
    forced: bool
    exact: bool
    reverts: int | None
    reverted_by: int | None
    plan_digest: str | None
    disabled_ids: list[str]
    commit_seq: int
    cursor_before: str | None
    note: str | None                              # e.g. "no changes" (recorded discarded)
    renumbered: int                               # links of records the source renumbered


class Meta(TypedDict):
    """The store's meta record (META_FIELDS below holds the same)."""
    state: str                                    # "empty", "sync-<id>" or "local-<id>"
    cursor: str | None
    district: dict[str, Any] | None
    enabled: bool
    last_commit_started_at: str | None
    store_id: str                                 # None on disk in older stores: load fills it
    commit_seq: int


class Report(TypedDict):
    """What `sync`, `commit`, `revert` and `show` report (the `--json` object)."""
    sync_id: int
    mode: str
    status: str
    counts: Counts
    warnings: list[DataWarning]
    enabled: int
    disabled: int
    blocked_reasons: list[str]
    error: str | None
    renumbered: int                               # links of records the source renumbered
    actions: NotRequired[list[Action]]
    asked_mode: NotRequired[str]                  # sync: the mode asked, when the source
    #                                               sent the other one (see "mode")


class SchoolRow(TypedDict):
    """A school as Engine.schools lists it: whether it is synced, its local org, counts."""
    school: Record
    synced: bool
    local_org: str | None
    users: int
    sections: int


class StoreStatus(TypedDict):
    """Engine.status: the source, the store and its last sync."""
    source: dict[str, Any]
    store: str
    district: dict[str, Any] | None
    enabled: bool
    last_sync: SyncRecord | None
    counts: Counts


NoneType = type(None)
_TEXT = (str,)
_MAYBE_TEXT = (str, NoneType)
_MAYBE_INT = (int, NoneType)

# field: (accepted types, default); a list or dict default is copied per record
Fields = dict[str, tuple[tuple[type, ...], object]]

SYNC_FIELDS: Fields = {
    "id": ((int,), None),
    "status": (_TEXT, None),
    "mode": (_TEXT, "full"),
    "trigger": (_TEXT, "manual"),
    "user": (_TEXT, ""),
    "source": ((dict,), {}),
    "started_at": (_TEXT, ""),
    "finished_at": (_MAYBE_TEXT, None),
    "committed_at": (_MAYBE_TEXT, None),
    "counts": ((dict,), {}),
    "enabled": ((int,), 0),
    "disabled": ((int,), 0),
    "warnings": ((int,), 0),
    "warning_codes": ((dict,), {}),
    "blocked_reasons": ((list,), []),
    "base_state": (_MAYBE_TEXT, None),
    "error": (_MAYBE_TEXT, None),
    "forced": ((bool,), False),
    "exact": ((bool,), True),
    "reverts": (_MAYBE_INT, None),
    "reverted_by": (_MAYBE_INT, None),
    "plan_digest": (_MAYBE_TEXT, None),
    "disabled_ids": ((list,), []),
    "commit_seq": ((int,), 0),
    "cursor_before": (_MAYBE_TEXT, None),
    "note": (_MAYBE_TEXT, None),
    "renumbered": ((int,), 0),
}

META_FIELDS: Fields = {
    "state": (_TEXT, "empty"),
    "cursor": (_MAYBE_TEXT, None),
    "district": ((dict, NoneType), None),
    "enabled": ((bool,), True),
    "last_commit_started_at": (_MAYBE_TEXT, None),
    "store_id": (_MAYBE_TEXT, None),
    "commit_seq": ((int,), 0),
}


# The tables above and the TypedDicts name the same fields.
assert SYNC_FIELDS.keys() == SyncRecord.__annotations__.keys()
assert META_FIELDS.keys() == Meta.__annotations__.keys()


def with_defaults(record: Mapping[str, Any], fields: Fields) -> dict[str, Any]:
    """`record` with every field it lacks at its default (stores from older versions)."""
    out: dict[str, Any] = {key: _copy(default) for key, (_, default) in fields.items()
                           if key not in record}
    out.update(record)
    return out


def wrong_field(record: Mapping[str, object], fields: Fields) -> str | None:
    """The first field of `record` whose value is not of its accepted types."""
    for key, (types, _) in fields.items():
        value = record.get(key)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return key
    return None


def _copy(value: object) -> object:
    return type(value)(value) if isinstance(value, (list, dict)) else value
