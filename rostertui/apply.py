"""Applying actions to the store's data in memory, and inverting them for undo.

One pass per type, with one index built per table touched: applying 100,000 actions
costs about as much as reading them. Only the fields an action names are written, so
fields kept locally (notes, display names) survive every sync.
"""

from __future__ import annotations

from operator import itemgetter

from .model import ACTIVE, ARCHIVED, TABLES

# "remove" only appears in reverts: the undo of an add.
STATUS_AFTER = {"add": ACTIVE, "reactivate": ACTIVE, "archive": ARCHIVED, "update": None}


def apply_actions(data: dict, actions: list[dict]) -> None:
    by_table: dict[str, list[dict]] = {}
    for action in actions:
        by_table.setdefault(TABLES[action["type"]], []).append(action)
    for table_name, table_actions in by_table.items():
        _apply_table(data.setdefault(table_name, {}), table_actions)


def _apply_table(table: dict, actions: list[dict]) -> None:
    ids = dict(zip(map(itemgetter("source_id"), table.values()), table))
    next_id = max(map(int, table), default=0) + 1
    for action in actions:
        sid = action["source_id"]
        if action["kind"] == "add":
            table[str(next_id)] = {**action["record"], "status": ACTIVE}
            ids[sid] = str(next_id)
            next_id += 1
            continue
        doc_id = ids.get(action["link"]["from"] if "link" in action else sid)
        if doc_id is None:
            continue  # gone since (a forced revert over a later sync): nothing to change
        ids[sid] = doc_id
        if action["kind"] == "remove":
            del table[doc_id]
            del ids[sid]
            continue
        doc = table[doc_id]
        for field, (_, after) in action.get("changes", {}).items():
            set_field(doc, field, after)
        if STATUS_AFTER[action["kind"]]:
            doc["status"] = STATUS_AFTER[action["kind"]]


def set_field(doc: dict, field: str, value) -> None:
    if field.startswith("extra."):
        extra = doc.setdefault("extra", {})
        key = field[len("extra."):]
        if value is None:
            extra.pop(key, None)
        else:
            extra[key] = value
    else:
        doc[field] = value


_INVERSE_KIND = {"add": "remove", "remove": "add", "update": "update",
                 "archive": "reactivate", "reactivate": "archive"}


def invert(action: dict, current: dict | None) -> dict:
    """The action that undoes `action`. `current` is the stored doc now (for an add,
    what a removal must be able to put back)."""
    kind = _INVERSE_KIND[action["kind"]]
    inverse = {k: v for k, v in action.items()
               if k not in ("changes", "members", "record", "link")}
    inverse["kind"] = kind
    inverse["changes"] = {f: [a, b] for f, (b, a) in action.get("changes", {}).items()}
    if kind == "remove":
        inverse["record"] = current
    elif kind == "add":
        inverse["record"] = {k: v for k, v in action["record"].items() if k != "status"}
    return inverse
