"""Commit and revert: what they do to the store's data in memory, and how they are recorded.

The engine (engine.py) takes the lock, loads the store, calls these, and writes the store
once. Here:

- checking: every action against the record it names (`verify_plan`, `mismatches`);
- applying: `apply_actions`, the one place actions change records, and `after_state`,
  what applying them would leave (staging's data warnings read it);
- recording a commit: `commit_plan` (the sync's record, the store's state and cursor);
- recording a revert: `inverse_plan`, `revert_plan`, and the conflicts that refuse one
  (`applied_after`, `conflict_error`).

Applying is one pass per type, with one index built per table touched: applying 100,000
actions costs about as much as reading them. Only the fields an action names are written,
so fields kept locally (notes, display names) survive every sync. A link moves a record
to a new source id (the source renumbered it); the records naming it (section members,
a contact's students, schools) are rewritten in the same pass (references.py), and a
revert's links rewrite them back.

Before anything is applied, every action is checked against the record it names: its
before-values must be the store's current values (an optimistic check per record). A plan
staged on this very store passes by construction; a plan that does not match, or a revert
over records changed since, is refused, or with `force` applied as far as it safely can
be: never a second record with the same source id.

A revert is itself a sync (mode "revert"), committed at once, so it shows in the history
and can be reverted in turn: that is how a reverted sync is redone. When the reverted sync
was the last commit, the store's state and cursor go back to what they were, so syncs
staged before it are no longer stale. Conflicts are judged per record and in commit order,
never by sync ids: a record the sync changed conflicts when a sync whose changes were
applied after it (and stand) changed it again, or when it is no longer as the sync left
it (`mismatches`, "after" side).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from itertools import compress
from operator import itemgetter
from typing import Any

from . import clock, history, lifecycle, references
from .errors import RosterError
from .lifecycle import SyncStatus
from .model import ACTION_TYPES, ACTIVE, ARCHIVED, SOURCE_FIELDS, TABLES
from .records import Action, Plan, Record, StoreData, SyncRecord, Table
from .references import REFERENCES, Reference, Renames
from .store import meta_of, syncs_of

Changes = dict[str, list[Any]]  # an action's {field: [before, after]}

# "remove" only appears in reverts: the undo of an add.
STATUS_AFTER: dict[str, str | None] = {"add": ACTIVE, "reactivate": ACTIVE, "archive": ARCHIVED,
                                       "update": None}
# The status a record must have before an action, and after it.
_STATUS_BEFORE = {"update": ACTIVE, "archive": ACTIVE, "reactivate": ARCHIVED, "remove": ACTIVE}
_STATUS_AFTERWARDS = {"add": ACTIVE, "update": ACTIVE, "archive": ARCHIVED, "reactivate": ACTIVE}
LISTED = 20


class MismatchError(RosterError):
    """Actions whose before-values are not the store's current values."""

    def __init__(self, message: str, ids: list[str]):
        super().__init__(message)
        self.ids = ids


# -- checking ------------------------------------------------------------------------------

def enabled_actions(plan: Plan) -> list[Action]:
    """The plan's actions that a commit applies (or applied): the ticked ones."""
    return [a for a in plan["actions"] if a["enabled"]]


def verify_plan(data: StoreData, doc: SyncRecord, plan: Plan) -> DocIds:
    """Every enabled action's before-values are the store's record now, or nothing is
    done (a plan that is not of this store as it is). Returns the tables' ids it looked
    the records up by, for commit_plan."""
    enabled = enabled_actions(plan)
    ids = DocIds(data)
    wrong = mismatches(data, enabled + plan["reference"], ids=ids)
    if wrong:
        raise refuse(f"sync {doc['id']} does not match the store: its before-values "
                     "differ from", wrong, "discard it and stage again")
    return ids


def _ids(table: Table) -> dict[str, str]:
    """{source_id: doc_id} of a table (C-level passes)."""
    return dict(zip(map(itemgetter("source_id"), table.values()), table))


class DocIds(dict[str, dict[str, str]]):
    """_ids of each table of `data`, built on first use (30 ms per 100,000 records) and
    kept up to date by apply_actions, so that a commit's checks and its apply share them.
    Valid while `data` is changed by nothing else."""

    def __init__(self, data: StoreData):
        super().__init__()
        self.data = data

    def __missing__(self, table_name: str) -> dict[str, str]:
        self[table_name] = built = _ids(self.data.get(table_name, {}))
        return built


def _group(data: StoreData, actions: list[Action]) -> dict[str, list[Action]]:
    by_table: dict[str, list[Action]] = {}
    for action in actions:
        by_table.setdefault(TABLES[action["type"]], []).append(action)
    return by_table


def mismatches(data: StoreData, actions: list[Action], side: str = "before",
               ids: DocIds | None = None) -> list[str]:
    """Ids of the actions whose `side` ("before": what it expects to find; "after": what
    it left) differs from the store's current record."""
    out: list[str] = []
    tables = DocIds(data) if ids is None else ids
    for table_name, table_actions in _group(data, actions).items():
        table = data.get(table_name, {})
        ids_of = tables[table_name]
        for action in table_actions:
            sid = action["source_id"]
            link = action.get("link")
            if link is not None and _taken(link, sid, ids_of, side):
                out.append(action["id"])
                continue
            if side == "before" and link is not None:
                sid = link["from"]
            doc_id = ids_of.get(sid)
            if not matches(action, None if doc_id is None else table[doc_id], side):
                out.append(action["id"])
    return out


def _taken(link: dict[str, str], sid: str, ids: Mapping[str, str], side: str) -> bool:
    """Whether the id a link moves a record to ("before": its new id; "after": the old
    one, which its undo would move it back to) is held by another record now."""
    return (sid if side == "before" else link["from"]) in ids


def matches(action: Action, doc: Record | None, side: str) -> bool:
    kind = action["kind"]
    before = side == "before"
    status = (_STATUS_BEFORE if before else _STATUS_AFTERWARDS).get(kind)
    if status is None:  # add before, remove after: the record must not be there
        return doc is None
    if doc is None or doc.get("status") != status:
        return False
    if kind in ("add", "remove"):  # the record as added, or as it was when removed
        fields = SOURCE_FIELDS[action["type"]]
        return all(get_field(doc, f) == v for f, v in action["record"].items() if f in fields)
    i = 0 if before else 1
    return all(get_field(doc, f) == pair[i] for f, pair in action.get("changes", {}).items())


def refuse(what: str, ids: list[str], hint: str) -> MismatchError:
    shown = ", ".join(ids[:LISTED]) + (f" and {len(ids) - LISTED} more" if len(ids) > LISTED
                                       else "")
    return MismatchError(f"{what} {len(ids)} record(s) ({shown}); {hint}", ids)


# -- applying ------------------------------------------------------------------------------

def apply_actions(data: StoreData, actions: list[Action], adopt: bool = False,
                  ids: DocIds | None = None) -> None:
    """Apply `actions`, which have been checked (or are forced): an add whose record is
    there puts back its fields, a change to a record that is gone changes nothing, and a
    link to a source id another record holds moves nothing. The records that name a
    linked record are then rewritten to name its new id (references.py).

    `adopt`: an add's record itself becomes the store's doc (its status set), rather than
    a copy: a first sync would otherwise hold every record twice (2.3 million at a million
    students). Only for a plan already written and read by nothing else after: the
    record no longer is the plan's as staged. `ids`: verify_plan's, if it looked."""
    moved: Renames = {}
    tables = DocIds(data) if ids is None else ids
    for table_name, table_actions in _group(data, actions).items():
        _apply_table(data.setdefault(table_name, {}), table_actions, moved, adopt,
                     tables[table_name])
    for ref in REFERENCES:
        if ref.target in moved:
            references.rewrite(data.get(TABLES[ref.holder], {}).values(), ref, moved[ref.target])


def _apply_table(table: Table, actions: list[Action], moved: Renames, adopt: bool,
                 ids: dict[str, str]) -> None:
    """Apply one table's actions, keeping `ids` (its _ids) up to date; each link that
    moved a record is added to `moved`."""
    next_id = max(map(int, table), default=0) + 1
    for action in actions:
        sid = action["source_id"]
        if action["kind"] == "add" and sid not in ids:
            record = action["record"] if adopt else dict(action["record"])
            record["status"] = ACTIVE
            table[str(next_id)] = record
            ids[sid] = str(next_id)
            next_id += 1
            continue
        link = action.get("link")
        doc_id = ids.get(link["from"] if link else sid)
        if doc_id is None or (link and sid in ids):
            continue  # gone since, or its new id taken (a forced revert): nothing to change
        if action["kind"] == "remove":
            del table[doc_id]
            del ids[sid]
            continue
        if link:
            del ids[link["from"]]
            moved.setdefault(action["type"], {})[link["from"]] = sid
        ids[sid] = doc_id
        doc = table[doc_id]
        if action["kind"] == "add":  # forced: the record is there; put back its fields
            doc.update(action["record"])
        _write_changes(doc, action.get("changes", {}))
        status = STATUS_AFTER[action["kind"]]
        if status:
            doc["status"] = status


def _write_changes(doc: Record, changes: Changes) -> None:
    for field, (_, after) in changes.items():
        set_field(doc, field, after)


def after_state(actions: Iterable[Action], data: StoreData,
                stored: Mapping[str, dict[str, Record]],
                types: Iterable[str] = ACTION_TYPES) -> dict[str, dict[str, Record]]:
    """Active records per type (of `types`) as they will be once the enabled actions are
    applied; `stored`: the store's records by type and source id (staging's Indexes). The
    store's own docs are shared, never changed: an update, or a record naming one that a
    link moves, is a copy."""
    wanted = set(types)
    state = {t: _active(data[TABLES[t]].values()) for t in ACTION_TYPES if t in wanted}
    links: list[Action] = []
    for a in actions:
        if not a["enabled"]:
            continue
        if "link" in a:
            links.append(a)
        if a["type"] not in state:
            continue
        records, sid = state[a["type"]], a["source_id"]
        if a["kind"] == "add":
            records[sid] = a["record"]
        elif a["kind"] == "archive":
            records.pop(sid, None)
        else:
            old_sid = a["link"]["from"] if "link" in a else sid
            records.pop(old_sid, None)
            records[sid] = _changed(stored[a["type"]].get(old_sid, {}), a["changes"])
    moved = references.renames_of(links)
    for ref in REFERENCES:
        if ref.target in moved and ref.holder in state:
            _rename_in(state[ref.holder], ref, moved[ref.target])
    return state


def _rename_in(records: dict[str, Record], ref: Reference, names: Mapping[str, str]) -> None:
    """`records` with each one naming a moved record replaced by a copy naming its new id."""
    for sid, rec in records.items():
        value = rec.get(ref.field)
        new = references.renamed(value, ref, names)
        if new is not value:
            records[sid] = {**rec, ref.field: new}


def _active(docs: Collection[Record]) -> dict[str, Record]:
    """{source_id: doc} of the active docs, in their order (C-level passes)."""
    active = map(ACTIVE.__eq__, map(itemgetter("status"), docs))
    return dict(compress(zip(map(itemgetter("source_id"), docs), docs), active))


def _changed(doc: Record, changes: Changes) -> Record:
    """A copy of `doc` with `changes` written (its `extra` copied too, as they may change it)."""
    rec = {**doc, "extra": dict(doc.get("extra") or {})}
    _write_changes(rec, changes)
    return rec


def get_field(doc: Record, field: str) -> object:
    """A record's field, or a key of its `extra` ("extra.<key>"); None when absent."""
    if field.startswith("extra."):
        return (doc.get("extra") or {}).get(field[len("extra."):])
    return doc.get(field)


def set_field(doc: Record, field: str, value: object) -> None:
    if field.startswith("extra."):
        extra = doc.setdefault("extra", {})
        key = field[len("extra."):]
        if value is None:
            extra.pop(key, None)
        else:
            extra[key] = value
    else:
        doc[field] = value


# -- recording a commit --------------------------------------------------------------------

def commit_plan(data: StoreData, doc: SyncRecord, plan: Plan, overridden: list[str],
                ids: DocIds | None = None) -> None:
    """Apply the verified plan's enabled actions (and its terms and courses) to `data`, and
    record the commit: the sync's record, the store's state and cursor, and every other
    pending sync marked stale. `overridden`: the guards that fired and were forced.

    The plan's added records become the store's docs (apply_actions, `adopt`): its file
    must be written, and its writer settled (PlanFiles.settle), before this is called.
    `ids`: what verify_plan returned, when nothing changed `data` since."""
    enabled = enabled_actions(plan)
    apply_actions(data, enabled + plan["reference"], adopt=True, ids=ids)
    meta = meta_of(data)
    doc["cursor_before"] = meta["cursor"]
    doc["commit_seq"] = next_commit_seq(data)
    meta["state"] = f"sync-{doc['id']}"
    meta["last_commit_started_at"] = doc["started_at"]
    if plan["cursor"] is not None:
        meta["cursor"] = plan["cursor"]
    if plan["district"]:
        meta["district"] = plan["district"]
    disabled = [a["id"] for a in plan["actions"] if not a["enabled"]]
    doc.update({"status": SyncStatus.COMMITTED.value, "committed_at": clock.stamp(),
                "enabled": len(enabled), "reverted_by": None, "disabled": len(disabled),
                "forced": bool(overridden), "blocked_reasons": overridden,
                "disabled_ids": disabled})
    for other in syncs_of(data).values():
        if lifecycle.pending(other):
            other["error"] = f"stale: sync {doc['id']} was committed after it was staged"


def next_commit_seq(data: StoreData) -> int:
    """The next number in commit order (sync ids are in staging order, not commit order)."""
    meta = meta_of(data)
    meta["commit_seq"] = meta.get("commit_seq", 0) + 1
    return meta["commit_seq"]


# -- recording a revert --------------------------------------------------------------------

def applied_after(data: StoreData, doc: SyncRecord) -> list[SyncRecord]:
    """The syncs (not reverts) whose changes are in effect now and were last applied
    after `doc` was committed: a sync reverted since is not, a sync redone since is, as of
    its redo. A revert of a later sync thus never stands in the way of undoing an
    earlier one, whatever the order of ids."""
    syncs = syncs_of(data)
    after = history.commit_order(doc)
    out: list[SyncRecord] = []
    for original in syncs.values():
        if original["mode"] == "revert" or original["status"] not in history.APPLIED:
            continue
        last = _last_applied(syncs, original)
        if last is not None and history.commit_order(last) > after:
            out.append(original)
    return out


def _last_applied(syncs: dict[str, SyncRecord], original: SyncRecord) -> SyncRecord | None:
    """The sync that last applied `original`'s changes (itself, or a redo), or None when
    they are undone now. Walks revert, redo, revert... as far as it goes."""
    applied = original
    while applied["status"] == SyncStatus.REVERTED:
        undo = syncs[str(applied["reverted_by"])]
        if undo["status"] != SyncStatus.REVERTED:
            return None  # the undo stands
        applied = syncs[str(undo["reverted_by"])]  # redone
    return applied


DONE = {"revert": SyncStatus.REVERTED.value, "redo": "redone"}  # "cannot be <done>"


def conflict_error(sid: int, clashing: list[str], verb: str) -> RosterError:
    return refuse(f"sync {sid} cannot be {DONE[verb]}: since then, something else changed",
                  clashing, f"{verb} with --force to put back its before-values anyway")


def inverse_plan(data: StoreData, plan: Plan) -> Plan:
    """The plan that undoes the applied actions of `plan`, as the store is now. Terms and
    courses that a later sync refreshed again are left as they are now: every sync
    refreshes them, so they are never a conflict, and never put back over newer data."""
    applied = enabled_actions(plan)
    newer = set(mismatches(data, plan["reference"], side="after"))
    reference = [a for a in plan["reference"] if a["id"] not in newer]
    return {"actions": _inverse(data, applied), "reference": _inverse(data, reference),
            "warnings": [], "cursor": None, "district": None, "rules": []}


def revert_plan(data: StoreData, doc: SyncRecord, undo_plan: Plan, started: str,
                exact: bool) -> SyncRecord:
    """Apply the inverse plan to `data` and record it: the revert's new sync record.

    `exact`: nothing had changed the sync's records since (not forced over conflicts).
    Only then, and only if `doc` was itself exact, does the store claim again the state
    `doc` was staged on: a forced revert leaves a store no sync was staged on."""
    inverse = undo_plan["actions"]
    undo = history.new_sync(data, mode="revert", trigger="manual", source=doc["source"],
                            started_at=started)
    meta = meta_of(data)
    undo.update({"base_state": meta["state"], "cursor_before": meta["cursor"],
                 "commit_seq": next_commit_seq(data), "exact": exact})
    apply_actions(data, inverse + undo_plan["reference"])
    base = doc["base_state"]  # a committed sync was staged on a state: never None
    if exact and doc["exact"] and base is not None and meta["state"] == f"sync-{doc['id']}":
        meta["state"] = base  # exactly the store it was staged on, again
        meta["cursor"] = doc["cursor_before"]
    else:
        meta["state"] = f"sync-{undo['id']}"
    now = clock.stamp()
    undo.update({"status": SyncStatus.COMMITTED.value, "finished_at": now, "committed_at": now,
                 "reverts": doc["id"], "counts": history.counts(inverse),
                 "enabled": len(inverse), "disabled_ids": []})
    doc.update({"status": SyncStatus.REVERTED.value, "reverted_by": undo["id"]})
    return undo


_INVERSE_KIND = {"add": "remove", "remove": "add", "update": "update",
                 "archive": "reactivate", "reactivate": "archive"}


def invert(action: Action, current: Record | None) -> Action:
    """The action that undoes `action`. `current` is the stored doc now (for an add,
    what a removal must be able to put back)."""
    kind = _INVERSE_KIND[action["kind"]]
    inverse: Action = {"id": action["id"], "type": action["type"], "kind": kind,
                       "source_id": action["source_id"], "label": action["label"],
                       "enabled": action["enabled"],
                       "changes": {f: [a, b] for f, (b, a) in action.get("changes", {}).items()}}
    if "members" in action:  # a section's roster moves, the other way
        inverse["members"] = {f: {"added": m["removed"], "removed": m["added"]}
                              for f, m in action["members"].items()}
    if "link" in action:  # undo a relink: find the record by its new id, give back the old
        inverse["source_id"] = action["link"]["from"]
        inverse["id"] = f"{action['type']}:{action['link']['from']}"
        inverse["link"] = {"by": "revert", "from": action["source_id"]}
    if kind == "remove":
        assert current is not None  # _inverse skips an add whose record is gone
        inverse["record"] = current
    elif kind == "add":
        inverse["record"] = {k: v for k, v in action["record"].items() if k != "status"}
    return inverse


def _inverse(data: StoreData, actions: list[Action]) -> list[Action]:
    docs: dict[str, dict[str, Record]] = {}
    out: list[Action] = []
    for action in reversed(actions):
        table = TABLES[action["type"]]
        if table not in docs:
            docs[table] = {d["source_id"]: d for d in data[table].values()}
        current = docs[table].get(action["source_id"])
        if action["kind"] == "add" and current is None:
            continue  # forced over a later change: the record it added is gone already
        out.append(invert(action, current))
    return out
