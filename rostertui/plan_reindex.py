"""Plan indexes made again (plan_index.py): when one is missing or stale, the plan is
parsed and indexed in a child process (`python -m rostertui.plan_reindex`), so that the
parse, a second or more of one C call holding the GIL at 230,000 actions, never runs in
the dashboard's process, which waits without the GIL. Only a plan that passes every
check PlanFiles.read makes is indexed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import orjson

from . import children, plan_index
from .errors import RosterError
from .gcpause import gc_paused
from .plans import PlanFiles, check_plan, digest
from .records import SyncRecord

Explain = Callable[[SyncRecord], object]


def open_plans(plans: PlanFiles, docs: Iterable[SyncRecord], store_id: Callable[[], str],
               explain: Explain) -> dict[int, plan_index.PlanIndex]:
    """The indexes of these syncs' plans, by sync id; those missing or stale are rebuilt
    first, all in one child process, from plans that pass every check PlanFiles.read
    makes (`store_id()`: the store's, asked only then). For a plan that cannot be
    indexed, `explain(doc)` raises its own error (PlanFiles.read's: missing, changed,
    another store's, of the wrong shape)."""
    found: dict[int, plan_index.PlanIndex] = {}
    missing: list[SyncRecord] = []
    for doc in docs:
        index = plan_index.open_index(plans.path(doc["id"]), doc["plan_digest"])
        if index is None:
            missing.append(doc)
        else:
            found[doc["id"]] = index
    if missing:
        plans.settle()  # a plan this process is still writing
        why = rebuild([(plans.path(d["id"]), d) for d in missing], store_id())
        for doc in missing:
            index = plan_index.open_index(plans.path(doc["id"]), doc["plan_digest"])
            if index is None:
                explain(doc)
                raise RosterError(f"the actions of sync {doc['id']} could not be indexed: "
                                  f"{why.get(doc['id'], 'no index was written')}")
            found[doc["id"]] = index
    return found


def rebuild(plans: list[tuple[Path, SyncRecord]], store_id: str) -> dict[int, str]:
    """Index these plans (each with its sync's record) in a child process: the parse holds
    that process's GIL, not this one's. Returns why, by sync id, for those that failed."""
    request = orjson.dumps({"store_id": store_id,
                            "plans": [[str(path.absolute()), doc] for path, doc in plans]})
    proc = children.run("plan_reindex", input=request)
    try:
        answers = orjson.loads(proc.stdout)
    except orjson.JSONDecodeError:
        why = children.last_line(proc.stderr) or proc.returncode
        answers = [f"the indexer failed: {why}"] * len(plans)
    return {doc["id"]: why for (_, doc), why in zip(plans, answers) if why}


def index_file(plan_path: Path, doc: SyncRecord, store_id: str) -> str | None:
    """Index `doc`'s plan file if it passes PlanFiles.read's checks (its digest, its
    binding to the sync and the store, its shape); None when done, else why not."""
    try:
        with open(plan_path, "rb") as fh:
            st = os.fstat(fh.fileno())
            payload = fh.read()
        plan_digest = doc["plan_digest"] or ""
        if digest(payload) != plan_digest:
            return f"{plan_path} is not the plan its sync recorded"
        with gc_paused():
            plan = orjson.loads(payload)
        check_plan(plan, doc, store_id, plan_path)
        plan_index.write_index(plan_index.index_path(plan_path), plan,
                               plan_index.locate(payload, plan["actions"]),
                               plan_index.stamp(plan_digest, st))
    except (RosterError, OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
        return f"{plan_path}: {exc}"
    return None


def main() -> None:
    """The child of `rebuild`: {"store_id", "plans": [[plan path, sync record], ...]} on
    stdin, a JSON list of None or why not on stdout."""
    request = orjson.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(orjson.dumps([index_file(Path(path), doc, request["store_id"])
                                          for path, doc in request["plans"]]))


if __name__ == "__main__":
    main()
