"""One benchmark step, run by bench/run.py in a fresh process so that its peak memory
(resource.getrusage's ru_maxrss) is the step's own.

    python bench/steps.py STEP --sets SET_DIR --work WORK_DIR [--url URL] [--profile OUT]

Prints one JSON line: {"seconds", "cpu", "peak_mb", "phases": {name: seconds}, "info": {}}.
`seconds` is the wall time of the step's work only; setup (copying a store, starting
a server) is outside it. Phases are the engine's own calls, timed by wrapping them.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import os
import resource
import sys
import time
from collections import deque
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rostertui.engine as engine_module  # noqa: E402
from connectors.oneroster_csv import OneRosterCsvConnector  # noqa: E402
from rostertui import safety, staging  # noqa: E402
from rostertui.config import from_dict  # noqa: E402
from rostertui.engine import Engine  # noqa: E402
from rostertui.files import atomic_write  # noqa: E402
from rostertui.gcpause import gc_paused  # noqa: E402
from rostertui.model import ACTIVE, ARCHIVED, TABLES  # noqa: E402
from rostertui.store import Store  # noqa: E402

# A district this size archives thousands in one day's 5% change: the default 500-record
# delete threshold would (rightly) block the quick sync's commit.
DELETE_THRESHOLD = 1_000_000
NAIVE_CAP = 60.0


def engine(work: Path, source: Path) -> Engine:
    """The bundled demo's settings (rostertui.demo: the defaults for a OneRoster source,
    which is not asked for a graduation year), and the delete threshold above."""
    cfg = from_dict({"source": {"kind": "oneroster_csv", "path": str(source)},
                     "sync": {"delete_threshold": DELETE_THRESHOLD},
                     "store": {"path": str(work / "store.json")}}, base_dir=work)
    return Engine(cfg, OneRosterCsvConnector(cfg.source["path"]))


class Phases:
    """Wall time per wrapped call, summed by name; besides, for a shared machine where
    wall times wander, the calling thread's CPU time per name (`cpu`), and the process's
    peak memory when each name last ended (`peak_mb`: the phase that raised it is the
    first whose figure reaches the step's peak)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.peak_mb: dict[str, float | None] = {}

    def wrap(self, owner, attr: str, name: str) -> None:
        fn = getattr(owner, attr)

        def timed(*args, **kwargs):
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
                self.cpu[name] = self.cpu.get(name, 0.0) + time.thread_time() - cpu
                self.peak_mb[name] = _hwm()
        setattr(owner, attr, timed)

    def info(self) -> dict:
        return {"phase_cpu": self.cpu, "phase_peak_mb": self.peak_mb}

    def engine(self, eng: Engine) -> None:
        self.wrap(eng.store, "load", "store load")
        self.wrap(eng.connector, "fetch", "fetch (connector)")
        self.wrap(staging, "stage", "stage (policies + diff)")
        self.wrap(safety, "block_reasons", "safety checks")
        self.wrap(eng.store.plans, "write", "plan write")
        self.wrap(eng.store.plans, "read", "plan read")
        self.wrap(eng.store.plans, "settle", "plan writer awaited")
        self.wrap(engine_module, "verify_plan", "verify (before-values)")
        self.wrap(engine_module, "commit_plan", "apply")
        self.wrap(eng.store, "write", "store write")


# -- the steps: each returns (seconds, phases, info) ------------------------------------

def csv_read(a) -> tuple:
    """The connector's fetch, as the engine calls it: with the cycle collector paused for
    the whole sync (re-enabled with millions of new objects alive, its first pass alone
    would add a second or two)."""
    with gc_paused():
        start = time.perf_counter()
        feed = OneRosterCsvConnector(a.sets / "full").fetch("full", None)
        seconds = time.perf_counter() - start
    return seconds, {}, {"records": {t: len(f.records) for t, f in feed.types.items()},
                         "enrollments": len(feed.membership.rows)}


def clever_fetch(a) -> tuple:
    from connectors.clever import CleverConnector
    from connectors.loopback.clever_server import TOKEN
    connector = CleverConnector(base_url=a.url, token=TOKEN, page_size=10_000)
    with gc_paused():  # as the engine calls it (see csv_read)
        start = time.perf_counter()
        feed = connector.fetch("full", None)
        seconds = time.perf_counter() - start
    return seconds, {}, {"records": {t: len(f.records) for t, f in feed.types.items()}}


def _sync(a, source: str, mode: str, commit: bool) -> tuple:
    eng = engine(a.work, a.sets / source)
    phases = Phases()
    phases.engine(eng)
    start = time.perf_counter()
    report = eng.sync(mode, commit=commit)
    seconds = time.perf_counter() - start
    counts = {t: {k: n for k, n in c.items() if n} for t, c in report["counts"].items()}
    return seconds, phases.times, {**phases.info(), "status": report["status"], "counts": counts,
                                   "warnings": len(report["warnings"])}


def stage(a) -> tuple:
    """`rostertui sync --full` on an empty store: fetch, stage, write the plan."""
    return _sync(a, "full", "full", commit=False)


def sync_commit(a) -> tuple:
    """`rostertui sync --full --commit` on an empty store."""
    return _sync(a, "full", "full", commit=True)


def quick(a) -> tuple:
    """`rostertui sync --quick --commit` of the next day's 5% delta on the committed store."""
    return _sync(a, "delta", "quick", commit=True)


def quick_stage(a) -> tuple:
    return _sync(a, "delta", "quick", commit=False)


def commit(a) -> tuple:
    """`rostertui commit` of the staged sync in the work folder."""
    eng = engine(a.work, a.sets / "full")
    phases = Phases()
    phases.engine(eng)
    start = time.perf_counter()
    report = eng.commit()
    seconds = time.perf_counter() - start
    return seconds, phases.times, {**phases.info(), "status": report["status"],
                                   "enabled": report["enabled"]}


def store_load(a) -> tuple:
    store = Store(a.work / "store.json")
    start = time.perf_counter()
    data = store.load()
    seconds = time.perf_counter() - start
    return seconds, {}, {"docs": sum(len(t) for t in data.values()),
                         "mb": round(store.path.stat().st_size / 1e6, 1)}


def guards(a) -> tuple:
    """safety.block_reasons alone, on three plans staged beforehand (untimed) as the
    engine stages them: the next day's 5% delta and the full set with no enrollment row
    at all (every section emptied: the enrollment guards' worst case), both against the
    committed store in the work folder, and a first full sync into an empty store (every
    record an add). `seconds` is the slowest of the three."""
    from dataclasses import replace

    from connectors.feed import Membership

    cfg = engine(a.work, a.sets / "full").config
    committed = Store(a.work / "store.json").load()
    empty = Store(a.work / "empty" / "store.json").load()
    phases, info = {}, {}
    with gc_paused():
        full = OneRosterCsvConnector(a.sets / "full").fetch("full", None)
        delta = OneRosterCsvConnector(a.sets / "delta").fetch("quick", None)
        cases = (("quick 5% delta", delta, committed),
                 ("every section emptied", replace(full, membership=Membership(True)),
                  committed),
                 ("first full sync", full, empty))
        for name, feed, data in cases:
            actions = staging.stage(feed, data, cfg)["actions"]
            start = time.perf_counter()
            reasons = safety.block_reasons(actions, data, cfg)
            phases[name] = time.perf_counter() - start
            info[name] = {"actions": len(actions), "reasons": len(reasons)}
            del actions
    return max(phases.values()), phases, info


def floor(a) -> tuple:
    """The floor: the csv module reading every row of every CSV of the set (streamed, as
    an importer reads; keeping them all would only add allocation), and orjson writing
    the committed store (loaded beforehand, untimed) with the same temp file + fsync +
    rename as ours. The cycle collector is paused for both, as our code pauses it."""
    data = Store(a.work / "store.json").load()
    rows = 0
    with gc_paused():
        start = time.perf_counter()
        for path in sorted((a.sets / "full").glob("*.csv")):
            with open(path, newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
                deque(reader, maxlen=0)  # every row parsed, in C
                rows += reader.line_num
        read = time.perf_counter() - start
        start = time.perf_counter()
        atomic_write(a.work / "floor.json", orjson.dumps(data))
        write = time.perf_counter() - start
    return read + write, {"csv module read": read, "orjson write of the store": write}, {
        "lines": rows}


def naive(a) -> tuple:
    """The same 5% change as the staged quick sync, one TinyDB upsert per record through
    plain TinyDB (its default JSONStorage), stopped after NAIVE_CAP seconds."""
    from tinydb import Query, TinyDB

    docs = _naive_docs(a.work)
    db = TinyDB(a.work / "store.json")
    record = Query()
    done, start = 0, time.perf_counter()
    for table, doc in docs:
        db.table(table).upsert(doc, record.source_id == doc["source_id"])
        done += 1
        if time.perf_counter() - start > NAIVE_CAP:
            break
    elapsed = time.perf_counter() - start
    rate = done / elapsed
    capped = done < len(docs)
    seconds = len(docs) / rate if capped else elapsed
    return seconds, {}, {"records": len(docs), "done": done, "elapsed": round(elapsed, 2),
                         "extrapolated": capped, "per_upsert": round(elapsed / done, 3)}


def _naive_docs(work: Path) -> list[tuple[str, dict]]:
    """(table, whole new doc) for every enabled action of the staged sync."""
    store = Store(work / "store.json")
    data = store.load()
    doc = data["syncs"][str(max(int(i) for i in data["syncs"]))]
    plan = store.plans.read(doc, data["meta"]["1"]["store_id"])
    docs, by_id = [], {}
    for action in plan["actions"]:
        if not action["enabled"]:
            continue
        table = TABLES[action["type"]]
        if action["kind"] == "add":
            doc = {**action["record"], "status": ACTIVE}
        else:
            if table not in by_id:
                by_id[table] = {d["source_id"]: d for d in data[table].values()}
            doc = dict(by_id[table][action["source_id"]])
            for field, (_, after) in action.get("changes", {}).items():
                if field.startswith("extra."):
                    doc["extra"] = {**doc.get("extra", {}), field[6:]: after}
                else:
                    doc[field] = after
            if action["kind"] == "archive":
                doc["status"] = ARCHIVED
            elif action["kind"] == "reactivate":
                doc["status"] = ACTIVE
        docs.append((table, doc))
    return docs


def _hwm() -> float | None:
    """VmHWM (this address space's peak), to cross-check ru_maxrss, which Linux carries
    over from the parent across fork and exec."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


STEPS = {f.__name__: f for f in (csv_read, clever_fetch, stage, sync_commit, quick,
                                 quick_stage, commit, store_load, guards, floor, naive)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=sorted(STEPS))
    ap.add_argument("--sets", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--url")
    ap.add_argument("--profile", type=Path, help="write cProfile stats of the step here")
    a = ap.parse_args()
    a.sets, a.work = a.sets.resolve(), a.work.resolve()
    a.work.mkdir(parents=True, exist_ok=True)
    profiler = None
    if a.profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    cpu = time.process_time()
    seconds, phases, info = STEPS[a.step](a)
    cpu = time.process_time() - cpu
    if profiler:
        profiler.disable()
        profiler.dump_stats(a.profile)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(orjson.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak, "hwm_mb": _hwm(),
                        "load": os.getloadavg()[0], "phases": phases,
                        "info": info}).decode(), flush=True)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    gc.freeze()
    os._exit(0)  # skip tearing down a store's millions of objects: not part of any step


if __name__ == "__main__":
    main()
