"""The shape of what the store keeps besides the roster: sync records and the meta record.

One table of field -> (accepted types, default) per record, so that creating a record,
filling in the fields a store written by an older rostertui lacks, and checking a store
edited by hand all agree.
"""

from __future__ import annotations

from typing import Any

NoneType = type(None)
_TEXT = (str,)
_MAYBE_TEXT = (str, NoneType)
_MAYBE_INT = (int, NoneType)

# field: (accepted types, default); a list or dict default is copied per record
SYNC_FIELDS: dict[str, tuple[tuple[type, ...], Any]] = {
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
}

META_FIELDS: dict[str, tuple[tuple[type, ...], Any]] = {
    "state": (_TEXT, "empty"),
    "cursor": (_MAYBE_TEXT, None),
    "district": ((dict, NoneType), None),
    "enabled": ((bool,), True),
    "last_commit_started_at": (_MAYBE_TEXT, None),
    "store_id": (_MAYBE_TEXT, None),
    "commit_seq": ((int,), 0),
}


def with_defaults(record: dict, fields: dict) -> dict:
    """`record` with every field it lacks at its default (stores from older versions)."""
    out = {key: _copy(default) for key, (_, default) in fields.items() if key not in record}
    out.update(record)
    return out


def wrong_field(record: dict, fields: dict) -> str | None:
    """The first field of `record` whose value is not of its accepted types."""
    for key, (types, _) in fields.items():
        value = record.get(key)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return key
    return None


def _copy(value):
    return type(value)(value) if isinstance(value, (list, dict)) else value
