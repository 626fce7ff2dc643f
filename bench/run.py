"""`make bench`: rostertui at district scale, beside the naive way and the floor, and the
dashboard with its stall probe; writes BENCHMARKS.md.

    python bench/run.py --million            # everything (make bench)
    python bench/run.py --sizes 10000 --runs 1 --no-naive --no-clever \\
        --dashboard-students 10000           # a quick look

Districts come from bench/districts.py (cached under bench/data/sets/ by size). Every
step runs in a fresh process (bench/steps.py) so its peak memory (getrusage) is its own;
each is run --runs times and the median is reported. The Clever fetch is served by the
loopback Clever server (bench/clever_data.py) from the 100,000 district converted to
Clever JSON. The dashboard runs bench/dashboard.py --dashboard-runs times. With --million,
a 1,000,000-student district's full sync + commit runs once, alone (minutes), then on the
store it made the next day's quick sync + commit and a store load, once each.
The raw results go to bench/out/results.json; BENCHMARKS.md is written from them
(bench/report.py, its targets from bench/targets.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402
from districts import DATA, district, summary  # noqa: E402
from results import MILLION, Results, Run  # noqa: E402

PY = sys.executable
CLEVER_SIZE = 100_000
TARGET_SIZE = 100_000
Log = Callable[[str], None]


# -- running steps -----------------------------------------------------------------------

class Runner:
    def __init__(self, args: argparse.Namespace, log: Log):
        self.args, self.log = args, log
        self.results: dict[str, list[Run]] = {}
        self.profiled: list[Any] | None = None
        self.work: Path = args.out_dir / "work"
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)

    def step(self, size: int, name: str, sets: Path, work: Path, *extra: str,
             record: bool = True, profile: Path | None = None) -> Run:
        cmd = [PY, str(HERE / "steps.py"), _child(name), "--sets", str(sets),
               "--work", str(work), *extra]
        if profile:
            cmd += ["--profile", str(profile)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"bench step {name} ({size:,}) failed:\n{proc.stderr[-4000:]}")
        result: Run = orjson.loads(proc.stdout.strip().splitlines()[-1])
        if record:
            self.results.setdefault(f"{size}:{name}", []).append(result)
            self.log(f"  {size:>9,}  {name:14} {result['seconds']:8.2f} s  "
                     f"peak {result['peak_mb']:6.0f} MB")
        return result

    def copy(self, src: Path | None, name: str) -> Path:
        dst = self.work / name
        shutil.rmtree(dst, ignore_errors=True)
        if src is None:
            dst.mkdir(parents=True)
        else:
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.lock*"))
        return dst

    def size(self, size: int, folder: Path, url: str | None) -> None:
        keep = self.work / f"base-{size}"
        staged, committed, quick_staged = keep / "staged", keep / "committed", keep / "quick"
        a = self.args
        for run in range(a.runs):
            self.log(f"-- {size:,} students, run {run + 1} of {a.runs}")
            self.step(size, "csv_read", folder, self.copy(None, "w"))
            if url and size == CLEVER_SIZE:
                self.step(size, "clever_fetch", folder, self.copy(None, "w"), "--url", url)
            w = self.copy(None, "w")
            self.step(size, "stage", folder, w)
            if run == 0:
                shutil.rmtree(staged, ignore_errors=True)
                shutil.move(str(w), staged)
            self.step(size, "commit", folder, self.copy(staged, "w"))
            w = self.copy(None, "w")
            self.step(size, "sync_commit", folder, w)
            if run == 0:
                shutil.rmtree(committed, ignore_errors=True)
                shutil.move(str(w), committed)
                w = self.copy(committed, "w")
                self.step(size, "quick_stage", folder, w, record=False)
                shutil.rmtree(quick_staged, ignore_errors=True)
                shutil.move(str(w), quick_staged)
            self.step(size, "quick", folder, self.copy(committed, "w"))
            self.step(size, "commit_quick", folder, self.copy(quick_staged, "w"))
            self.step(size, "store_load", folder, self.copy(committed, "w"))
            self.step(size, "guards", folder, self.copy(committed, "w"))
            self.step(size, "floor", folder, self.copy(committed, "w"))
            if a.naive and (run < a.naive_runs or size == TARGET_SIZE):
                self.step(size, "naive", folder, self.copy(quick_staged, "w"))
        shutil.rmtree(self.work / "w", ignore_errors=True)
        if a.profile and size == TARGET_SIZE:
            self.profile(size, folder, committed, staged)
        if not a.keep:
            shutil.rmtree(keep, ignore_errors=True)

    def million(self, folder: Path) -> None:
        """The full sync + commit of the million, once (it takes minutes); then, on the
        store it made, the next day's quick sync + commit and a load of the store, once
        each: what a district this size lives with every day."""
        self.log("-- 1,000,000 students, one run of each")
        w = self.copy(None, "w")
        self.step(MILLION, "sync_commit", folder, w)
        committed = self.work / "million"
        shutil.rmtree(committed, ignore_errors=True)
        shutil.move(str(w), committed)
        self.step(MILLION, "store_load", folder, self.copy(committed, "w"))
        self.step(MILLION, "quick", folder, self.copy(committed, "w"))
        shutil.rmtree(self.work / "w", ignore_errors=True)
        shutil.rmtree(committed, ignore_errors=True)

    def profile(self, size: int, folder: Path, committed: Path, staged: Path) -> None:
        """cProfile of the slowest step of our own (not the floor, naive or Clever)."""
        ours = [s for s in ("csv_read", "stage", "commit", "sync_commit", "quick",
                            "commit_quick", "store_load") if f"{size}:{s}" in self.results]
        slowest = max(ours, key=lambda s: median_seconds(self.results[f"{size}:{s}"]))
        self.log(f"profiling {slowest} at {size:,} ...")
        src = {"commit": staged, "quick": committed, "store_load": committed}.get(slowest)
        out = self.args.out_dir / f"profile-{slowest}-{size}.pstats"
        self.step(size, slowest, folder, self.copy(src, "w"), record=False, profile=out)
        self.profiled = [slowest, size, str(out)]


def _child(name: str) -> str:
    return {"commit_quick": "commit"}.get(name, name)


def median_seconds(runs: list[Run]) -> float:
    return float(statistics.median(r["seconds"] for r in runs))


# -- the Clever server and the dashboard -------------------------------------------------

class CleverServerProcess:
    def __init__(self, folder: Path, log: Log):
        log("starting the loopback Clever server (renders every page once) ...")
        self.proc = subprocess.Popen([PY, str(HERE / "clever_data.py"), "serve", str(folder)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=ROOT)
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.stdin: IO[str] = self.proc.stdin
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise SystemExit("the Clever server did not start")

    def close(self) -> None:
        self.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def clever_set(folder: Path, log: Log) -> Path:
    out = folder / "clever"
    if not (out / "complete").exists():
        log("converting it to Clever JSON ...")
        subprocess.run([PY, str(HERE / "clever_data.py"), "convert", str(folder / "full"),
                        str(out)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        (out / "complete").touch()
    return out


def dashboard(args: argparse.Namespace, log: Log) -> list[dict[str, Any]]:
    """bench/dashboard.py's results, one per run; each run prints its steps as it goes."""
    runs = []
    for run in range(args.dashboard_runs):
        log(f"-- dashboard (bench/dashboard.py), run {run + 1} of {args.dashboard_runs}")
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            proc = subprocess.run([PY, str(HERE / "dashboard.py"), "--students",
                                   str(args.dashboard_students), "--data", str(args.data),
                                   "--work", str(args.out_dir / "dashboard"), "--json",
                                   out.name], cwd=ROOT)
            runs.append(orjson.loads(Path(out.name).read_bytes()) if proc.returncode == 0 else
                        {"students": args.dashboard_students, "scenarios": [{
                            "name": "dashboard", "failed": f"exit {proc.returncode}"}]})
    return runs


# -- the machine -----------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    mem = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")),
                       cpu)
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gb": mem / 1024 ** 3, "cpu": cpu,
            "python": platform.python_version(), "os": platform.platform(),
            "orjson": orjson.__version__, "load": os.getloadavg()}


# -- main ------------------------------------------------------------------------------------

def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,300000",
                    type=lambda s: sorted(int(x) for x in s.split(",")))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--million", action="store_true",
                    help="also 1,000,000 students: full sync + commit, quick sync, load; once each "
                    "(minutes)")
    ap.add_argument("--naive-runs", type=int, default=1,
                    help="runs of the naive way at sizes other than 100,000 (--runs there)")
    ap.add_argument("--no-naive", dest="naive", action="store_false")
    ap.add_argument("--no-clever", dest="clever", action="store_false")
    ap.add_argument("--no-dashboard", dest="dashboard", action="store_false")
    ap.add_argument("--dashboard-runs", type=int, default=3)
    ap.add_argument("--dashboard-students", type=int, default=TARGET_SIZE)
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    ap.add_argument("--keep", action="store_true", help="keep the work stores in bench/out")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out-dir", type=Path, default=HERE / "out")
    ap.add_argument("--report", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--from-results", type=Path,
                    help="only write the report, from a results.json an earlier run saved")
    args = ap.parse_args()
    args.data, args.out_dir = args.data.resolve(), args.out_dir.resolve()
    return args


def main() -> None:
    args = parse()
    started = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - started:6.0f} s] {msg}", flush=True)

    if args.from_results:
        report.write(args.report, Results.read(args.from_results))
        log(f"wrote {args.report} from {args.from_results}")
        return
    info = machine()
    log(f"{info['cores']} cores, {info['memory_gb']:.1f} GB, load {info['load'][0]:.2f}")
    sizes = args.sizes + ([MILLION] if args.million else [])
    folders = {size: district(args.data, size, log) for size in sizes}
    server = None
    if args.clever and CLEVER_SIZE in args.sizes:
        server = CleverServerProcess(clever_set(folders[CLEVER_SIZE], log), log)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    runner = Runner(args, log)
    try:
        for size in args.sizes:
            runner.size(size, folders[size], server.url if server else None)
    finally:
        if server:
            server.close()
    if args.million:
        runner.million(folders[MILLION])
    dash = dashboard(args, log) if args.dashboard else []
    results = Results({
        "steps": runner.results, "dashboard": dash, "info": info,
        "sets": {str(s): summary(f) for s, f in folders.items()},
        "started": started, "load_end": os.getloadavg(),
        "minutes": (time.time() - started) / 60, "profiled": runner.profiled,
        "args": {"runs": args.runs, "million": args.million},
        **({} if args.million else {"million_skipped":
            "not run this time (bench/run.py without `--million`; `make bench` runs it)"})})
    saved = args.out_dir / "results.json"
    results.write(saved)
    report.write(args.report, results)
    log(f"wrote {args.report} (raw results: {saved})")


if __name__ == "__main__":
    main()
