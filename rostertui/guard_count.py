"""The guards counted for the dashboard in a child process (`python -m rostertui.guard_count`).

Once the ticks changed since staging, the guards (safety.block_reasons) read every action
of the plan and the whole store: at 100,000 students that is parsing 150 MB and 126 MB
of JSON and C-level passes over 232,000 actions, each one call holding the GIL for 100
ms and more, so the dashboard stalled wherever in its process they ran. Here the child
parses the store and the plan, ticks the actions as the dashboard shows them, and prints
the reasons; the dashboard waits on the pipe without the GIL, and never holds the store
or the plan. The CLI counts in its own process (Engine.block_reasons), with the same
safety.block_reasons over the same ticks.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import orjson

from . import children, safety
from .config import Config, Limits, SyncPolicy
from .errors import RosterError
from .files import private_umask
from .records import SyncRecord
from .store import Store, meta_of
from .text import safe


@dataclass(frozen=True)
class Request:
    """What the child counts: `doc`'s plan in the store at `store_path` (absolute: the
    child starts in another folder), with the actions in `disabled` unticked, under these
    settings, on the store's `state`."""

    store_path: Path
    doc: SyncRecord
    disabled: frozenset[str]
    sync: SyncPolicy
    limits: Limits
    state: str | None


# The child counting for each sync now: a newer count (newer ticks) stops the one before,
# whose answer no one will show, so that quick unticks never leave several children each
# holding a parsed store and plan (1.3 GB at 100,000 students).
_running: dict[tuple[Path, int], subprocess.Popen[bytes]] = {}
_lock = threading.Lock()


def count(request: Request) -> list[str]:
    """The guards' reasons, counted in a child process; RosterError (one line) when they
    could not be (the request cannot be sent, the child could not start or failed, or a
    newer count replaced it)."""
    try:
        sent = pickle.dumps(request)
        stdout, stderr, code = _run(request, sent)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        # no process to be had (memory, process limits, the venv gone), or settings built
        # in code that cannot be sent (found by attack: both closed the dashboard)
        raise RosterError(f"the guards could not be counted: {safe(exc)}") from None
    try:
        answer = orjson.loads(stdout)
    except orjson.JSONDecodeError:
        last = children.last_line(stderr)
        why = safe(last) if last else ("a newer count replaced it" if code < 0
                                        else f"exit {code}")
        raise RosterError(f"the guards could not be counted: {why}") from None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        raise RosterError(safe(answer["error"]))
    if not isinstance(answer, dict) or not isinstance(answer.get("reasons"), list):
        raise RosterError("the guards could not be counted: the child's answer has no reasons")
    reasons: list[str] = answer["reasons"]
    return reasons


def _run(request: Request, sent: bytes) -> tuple[bytes, bytes, int]:
    """The child's output and exit code, the child before it for this sync stopped."""
    key = (request.store_path, request.doc.get("id", 0))
    with _lock:
        before = _running.pop(key, None)
        if before is not None:
            before.kill()
        proc = children.start("guard_count")
        _running[key] = proc
    try:
        stdout, stderr = proc.communicate(sent)
    finally:
        with _lock:
            if _running.get(key) is proc:
                del _running[key]
    return stdout, stderr, proc.returncode


def counted(request: Request) -> list[str]:
    """The reasons (in the child): the plan's actions as ticked in `request`, against the
    store, refused if the store moved on from `request.state` (a commit since)."""
    store = Store(request.store_path)
    data = store.load()
    if meta_of(data)["state"] != request.state:
        raise RosterError("the store changed while the guards were counted; "
                          "open the report again")
    actions = store.plans.read(request.doc, meta_of(data)["store_id"])["actions"]
    for action in actions:
        action["enabled"] = action["id"] not in request.disabled
    cfg = Config(path=None, source={}, store_path=store.path, sync=request.sync,
                 limits=request.limits)
    return safety.block_reasons(actions, data, cfg)


@private_umask
def main() -> None:
    """The child of `count`: a pickled Request on stdin; {"reasons": [...]} or
    {"error": one line} on stdout."""
    gc.disable()  # records hold no cycles; the process ends once it has answered
    request: Request = pickle.loads(sys.stdin.buffer.read())
    try:
        answer: dict[str, object] = {"reasons": counted(request)}
    except RosterError as exc:
        answer = {"error": safe(exc)}
    sys.stdout.buffer.write(orjson.dumps(answer))
    sys.stdout.flush()
    os._exit(0)  # answered: freeing the parsed store and plan would only keep the parent waiting


if __name__ == "__main__":
    main()
