"""Time a full sync + commit of a demo-data district, phase by phase, beside the floor.

    python bench/full_sync.py [--students 100000] [--dir bench/data]

The floor is what no importer can beat: reading the same CSVs with the csv module and
writing a store of the same size with orjson. Prints one line per phase (seconds) and
the peak memory of the process.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.oneroster_csv import OneRosterCsvConnector  # noqa: E402
from rostertui import demo_data, staging  # noqa: E402
from rostertui.bulk import gc_paused  # noqa: E402
from rostertui.config import from_dict  # noqa: E402
from rostertui.engine import Engine  # noqa: E402


def district(base: Path, students: int) -> Path:
    out = base / f"d{students}"
    if not (out / "manifest.csv").exists():
        demo_data.generate(out, students=students, seed=1)
    return out


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label:34} {time.perf_counter() - start:7.2f} s", flush=True)
    return result


def floor(folder: Path, store: Path) -> None:
    def read():
        return {p.stem: list(csv.reader(p.open(newline=""))) for p in folder.glob("*.csv")}
    rows = timed("floor: csv module read", read)
    timed("floor: orjson write of the store", lambda: store.write_bytes(orjson.dumps(
        _store_like(rows))))


def _store_like(rows: dict) -> dict:
    users = rows["users"]
    header = users[0]
    return {"users": {str(i): dict(zip(header, r)) for i, r in enumerate(users[1:], 1)},
            "enrollments": {str(i): r for i, r in enumerate(rows["enrollments"][1:], 1)}}


def phases(folder: Path, work: Path) -> None:
    engine = Engine(from_dict({"source": {"kind": "oneroster_csv", "path": str(folder)},
                               "store": {"path": str(work / "store.json")}}, base_dir=work))
    with gc_paused():
        feed = timed("csv read + map (connector)", lambda: OneRosterCsvConnector(folder)
                     .fetch("full", None))
        data = engine.store.load()
        plan = timed("stage (diff against empty store)", lambda: staging.stage(feed, data))
        timed("write plan", lambda: engine.store.write_plan(1, plan))
    del feed, plan
    (work / "store.json").unlink(missing_ok=True)
    timed("whole: rostertui sync --full --commit", lambda: engine.sync(commit=True))
    timed("load the committed store", engine.store.load)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, default=Path(__file__).parent / "data")
    args = ap.parse_args()
    folder = timed("demo-data (cached after first run)",
                   lambda: district(args.dir, args.students))
    with tempfile.TemporaryDirectory() as tmp:
        floor(folder, Path(tmp) / "floor.json")
        phases(folder, Path(tmp))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory':34} {peak:7.0f} MB")


if __name__ == "__main__":
    main()
