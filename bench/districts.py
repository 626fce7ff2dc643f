"""The benchmark districts, generated once and cached: a bulk OneRoster set (full/) and
its next day with a 5% change as a delta set (delta/), by size, under DATA/sets/.

    python bench/districts.py SIZE [--data bench/data]   # make one (bench/run.py does)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from rostertui import demo_data  # noqa: E402

SEED = 1
CHANGE_RATE = 0.05
DATA = HERE / "data"


def folder_of(data: Path, size: int) -> Path:
    return data / "sets" / f"n{size}-s{SEED}"


def district(data: Path, size: int, log: Callable[[str], None] = print) -> Path:
    """The cached sets of a size (made first if missing): full/, delta/, complete.json."""
    folder = folder_of(data, size)
    if (folder / "complete.json").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    log(f"generating the {size:,}-student district in {folder} ...")
    # in a child process: the caller must stay small, since Linux carries a process's peak
    # (ru_maxrss) over into the steps it forks and execs
    subprocess.run([sys.executable, __file__, str(size), "--data", str(data)], check=True,
                   cwd=ROOT)
    return folder


def summary(folder: Path) -> dict[str, dict[str, object]]:
    """Rows per file of full/ and the next day's counts (complete.json)."""
    loaded: dict[str, dict[str, object]] = orjson.loads((folder / "complete.json").read_bytes())
    return loaded


def _prepare(data: Path, size: int) -> None:
    folder = folder_of(data, size)
    counts = demo_data.generate(folder / "full", students=size, seed=SEED)
    day = dict(demo_data.next_day(folder / "full", folder / "delta", change_rate=CHANGE_RATE,
                                  seed=SEED + 1, delta=True))
    day.pop("ids")
    (folder / "complete.json").write_bytes(orjson.dumps({"full": counts, "delta": day}))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("size", type=int)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    _prepare(args.data.resolve(), args.size)
