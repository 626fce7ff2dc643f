"""BENCHMARKS.md, written from the results of a `make bench` run (results.Results)."""

from __future__ import annotations

import pstats
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import targets
from results import MILLION, Results
from targets import secs

REST = "(rest: lock, history, report)"
NAIVE_CAP = 60  # seconds; bench/steps.py stops the naive way there

# step -> what the tables call it
STEP_NAMES = {
    "csv_read": "CSV read (connector: parse + map + checks)",
    "clever_fetch": "Clever fetch, loopback server, pages of 10,000",
    "stage": "full staging (`sync --full`: read, stage, plan written)",
    "commit": "the commit of that full staging (`commit`)",
    "sync_commit": "full sync + commit (`sync --full --commit`)",
    "quick": "quick 5% re-sync + commit (`sync --quick --commit`)",
    "commit_quick": "the commit alone of the 5% change (`commit`)",
    "store_load": "store load (the whole file, orjson)",
    "guards": "guards alone (`safety.block_reasons`, slowest of 3 staged plans)",
    "floor": "floor: csv module read + orjson write of the store",
    "naive": "naive: the 5% change, one TinyDB upsert per record",
}

REPRODUCE = """\
    make bench                     # everything below, the million included; writes this file
    .venv/bin/python bench/run.py --sizes 10000 --runs 1 --no-naive --no-clever \\
        --dashboard-students 10000   # a quick look (the million is left out without --million)
    .venv/bin/python bench/run.py --sizes 300000 --runs 1 --million --no-naive --no-clever \\
        --no-dashboard --report /tmp/million.md   # the million beside the 300,000 run, alone
    .venv/bin/python bench/dashboard.py --students 100000   # the dashboard alone, with its stalls
    .venv/bin/python bench/steps.py quick --sets bench/data/sets/n100000-s1 --work DIR   # one step
    .venv/bin/python bench/run.py --from-results bench/out/results.json   # rewrite this file
"""

DASHBOARD_METHOD = """\
Each scenario runs in a fresh process, on stores built afresh by the CLI at the start of \
each run (`rostertui sync --full --commit`, and `sync --full` into an empty store for the \
report), driven by Pilot at 80×24 with notifications shown. **wall**: from the key press \
(or the launch) to the first screen update that shows the result, everything it loads \
included (a detail screen's sync history too). Keys marked "1 s after launch" and "during \
start-up" are sent at fixed times from another thread, as a person types, whatever the \
dashboard is doing. **stall**: a 20 ms timer on the app's event loop, running from launch, \
records how late each tick is; a step's longest stall and 99th percentile are over the \
ticks that overlap it. The refresh step starts when the other process's commit has ended \
and counts stalls until the reload's workers are done. Headless: the terminal's own \
drawing is not in these times.
"""


def write(path: Path, r: Results) -> None:
    out = StringIO()
    w = out.write
    info, raw = r.info, r.raw
    when = datetime.fromtimestamp(raw["started"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    w("# Benchmarks\n\n")
    w(f"Written by `make bench` (bench/run.py) on {when}, in {raw['minutes']:.0f} minutes. "
      f"Every number is the **median of {raw['args']['runs']} runs** unless its row says "
      "otherwise; each run of each step is a fresh process, so its peak memory "
      "(`resource.getrusage` ru_maxrss) is the step's own.\n\n")
    w(f"**Machine:** {info['cores']} cores, {info['memory_gb']:.1f} GB memory, {info['cpu']}; "
      f"Python {info['python']}, orjson {info['orjson']}; {info['os']}. Load average at the "
      f"start {info['load'][0]:.2f}, at the end {raw['load_end'][0]:.2f} (the machine is "
      "shared: other work shows up as noise in wall times).\n\n")
    w("## Reproduce\n\n" + REPRODUCE + "\n")
    w(_data(r))
    w("## Targets (2-core machine, 100,000 students unless stated)\n\n")
    w(targets.table(targets.issue_targets(r)) + "\n")
    if r.dashboard and r.dashboard[0]["students"] != targets.SIZE:
        w(f"The dashboard rows were measured at {r.dashboard[0]['students']:,} students "
          "(--dashboard-students), not at the targets' 100,000.\n\n")
    earlier = targets.earlier_targets(r)
    if earlier:
        w("### Earlier targets, still measured\n\n" + targets.table(earlier) + "\n")
    w(_dashboard(r))
    w(_medians(r))
    w(_phases(r))
    w(_naive_and_floor(r))
    w(_profile(r))
    w(_where_one_machine_stops(r))
    path.write_text(out.getvalue())


def _data(r: Results) -> str:
    sets = r.raw["sets"]
    text = ["Data: `rostertui demo-data --students N --seed 1` (about 6% teachers and staff, 7 "
            "enrollments and one guardian per student), and its next day with "
            "`--change-rate 0.05 --delta` (seed 2), cached in bench/data/sets/.\n\n",
            "| district | users | enrollments | sections | delta rows (users / enrollments) |\n",
            "|---|---|---|---|---|\n"]
    for size in sorted(int(k) for k in sets):
        full, delta = sets[str(size)]["full"], sets[str(size)]["delta"]
        text.append(f"| {size:,} students | {full['users']:,} | {full['enrollments']:,} | "
                    f"{full['classes']:,} | {delta['files'].get('users', 0):,} / "
                    f"{delta['files'].get('enrollments', 0):,} |\n")
    return "".join(text) + "\n"


def _dashboard(r: Results) -> str:
    if not r.dashboard:
        return "## Dashboard\n\nNot run (`--no-dashboard`).\n\n"
    students = r.dashboard[0]["students"]
    text = [f"## Dashboard (bench/dashboard.py, Pilot at 80×24, {students:,} students)\n\n",
            DASHBOARD_METHOD, f"\nMedian of {len(r.dashboard)} run(s) per line. ",
            "Load average (1 minute) before → after each scenario run: "
            + ", ".join(f"{a:.1f} → {b:.1f}" for a, b in r.loads()) + ".\n\n"]
    for name, error in r.failures():
        text.append(f"**{name}: a run failed**, so its steps are missing or from fewer runs: "
                    f"`{error}`\n\n")
    for name in r.scenarios():
        worst, p99, where = r.whole(name)
        text.append(f"**{name}**\n\n| step | wall | longest stall | p99 stall |\n"
                    "|---|---|---|---|\n")
        for s in r.dash_steps(name):
            note = f" ({s.note})" if s.note else ""
            text.append(f"| {s.label}{note} | {s.wall * 1000:,.0f} ms | "
                        f"{s.worst * 1000:,.0f} ms | {s.p99 * 1000:,.0f} ms |\n")
        text.append(f"| **the whole scenario, from launch** (longest during: {where}) | | "
                    f"**{worst * 1000:,.0f} ms** | {p99 * 1000:,.0f} ms |\n\n")
    return "".join(text)


def _sizes(r: Results) -> list[int]:
    return r.sizes + ([MILLION] if r.has(MILLION, "sync_commit") else [])


def _medians(r: Results) -> str:
    sizes = _sizes(r)
    runs = r.raw["args"]["runs"]
    text = ["## Medians\n\n", "| step | " + " | ".join(f"{s:,} students" for s in sizes)
            + " |\n", "|---|" + "---|" * len(sizes) + "\n"]
    for step, label in STEP_NAMES.items():
        if not any(r.has(s, step) for s in sizes):
            continue
        cells = []
        for size in sizes:
            if not r.has(size, step):
                cells.append("–")
                continue
            cell = secs(r.med(size, step))
            if step != "naive":
                cell += f" · {r.med(size, step, 'peak_mb'):,.0f} MB"
            n = len(r.runs(size, step))
            if n != runs:
                cell += f" ({n} run{'s' * (n > 1)})"
            first = r.runs(size, step)[0]
            if step == "naive" and first["info"]["extrapolated"]:
                x = first["info"]
                cell += (f" (extrapolated: {x['done']:,} of {x['records']:,} upserts in "
                         f"{x['elapsed']:.0f} s)")
            cells.append(cell)
        text.append(f"| {label} | " + " | ".join(cells) + " |\n")
    text.append("\nEach cell: wall time · peak memory of the process. Steps that start from a "
                "store (commit, quick, load, floor's write, naive) start from a copy of the "
                "store the first run's full sync + commit made.")
    if r.has(MILLION, "sync_commit"):
        text.append(" The 1,000,000 column is a single run of each of its steps (the full "
                    "sync + commit takes minutes, and the issue asks whether it completes and "
                    "in how much memory): the quick sync and the load start from the store "
                    "that run made.")
    loads = {s: [x["load"] for (z, _), xs in r.steps.items() if z == s for x in xs
                 if "load" in x] for s in sizes}
    if any(loads.values()):
        text.append("\n\nThe 1-minute load average at the end of the steps was "
                    + "; ".join(f"{min(v):.1f} to {max(v):.1f} at {s:,}"
                                for s, v in loads.items() if v)
                    + f" (on {r.info['cores']} cores). Above about 1, another process competed "
                    "for the cores and wall times grew; the CPU time of each step is in "
                    "results.json.")
    return "".join(text) + "\n\n"


def _phases(r: Results) -> str:
    text = ["### Where the time goes (medians, seconds)\n\n"]
    for step in ("sync_commit", "quick", "commit_quick"):
        have = [s for s in _sizes(r) if r.has(s, step)]
        if not have:
            continue
        names = list(dict.fromkeys(k for s in have for x in r.runs(s, step) for k in x["phases"]))
        text += [f"**{STEP_NAMES[step]}**, by phase:\n\n",
                 "| phase | " + " | ".join(f"{s:,}" for s in have) + " |\n",
                 "|---|" + "---|" * len(have) + "\n"]
        for name in names + [REST]:
            cells = [r.med(s, step) - sum(r.phase(s, step, n) for n in names) if name == REST
                     else r.phase(s, step, name) for s in have]
            text.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in cells) + " |\n")
        text.append("\n")
    return "".join(text)


def _naive_and_floor(r: Results) -> str:
    text = []
    if r.has(targets.SIZE, "naive"):
        x = r.runs(targets.SIZE, "naive")[0]["info"]
        text.append(
            "**The naive way** opens the store with plain `TinyDB(path)` (default "
            "JSONStorage) and calls `table.upsert(doc, Query().source_id == id)` once per "
            f"changed record ({x['records']:,} records for the 5% change). TinyDB reads and "
            f"rewrites the whole file on every call: {x['per_upsert']:.2f} s per upsert here, "
            f"so the run is stopped after {NAIVE_CAP} s ({x['done']:,} upserts) and the total "
            "is extrapolated from that rate.\n\n")
    if any(step == "floor" for _, step in r.steps):
        text.append(
            "**The floor** parses every row of every CSV of the set with `csv.reader` "
            "(streamed, as an importer reads them), then writes the committed store (loaded "
            "beforehand, untimed) with `orjson.dumps` through the same temp file + fsync + "
            "rename as the store uses, with the cycle collector paused as rostertui pauses "
            "it. It builds no records, checks nothing and diffs nothing: no importer can be "
            "faster.\n\n")
    return "".join(text)


def _profile(r: Results) -> str:
    profiled = r.raw.get("profiled")
    if not profiled or not Path(profiled[2]).exists():
        return ""
    step, size, path = profiled
    return (f"## Profile of the slowest step: {STEP_NAMES[step]} at {size:,}\n\n"
            "cProfile (its overhead makes the total longer than the wall time above); top "
            "lines by cumulative time, then by own time:\n\n```\n"
            + _profile_text(Path(path), "cumulative", 28) + "```\n\n```\n"
            + _profile_text(Path(path), "tottime", 18) + "```\n\n")


def _profile_text(path: Path, key: str, n: int) -> str:
    buf = StringIO()
    stats = pstats.Stats(str(path), stream=buf)
    stats.strip_dirs().sort_stats(key).print_stats(n)
    text = buf.getvalue()
    return text[text.find("   ncalls"):].rstrip() + "\n"


def _where_one_machine_stops(r: Results) -> str:
    """The per-student costs (at the million where it was measured, else at the largest
    size), extrapolated, and the million as measured."""
    have = [s for s in r.sizes if r.has(s, "store_load") and r.has(s, "sync_commit")
            and r.has(s, "floor")]
    if not have:
        return ""
    big = max(have)
    at = MILLION if r.has(MILLION, "store_load") else big
    load = r.med(at, "store_load") / at
    mb = r.runs(at, "store_load")[0]["info"]["mb"] / at
    write = r.phase(big, "floor", "orjson write of the store") / big
    peak = r.med(MILLION if r.has(MILLION, "sync_commit") else big, "sync_commit",
                 "peak_mb") / (MILLION if r.has(MILLION, "sync_commit") else big)
    quick = (r.med(MILLION, "quick") / MILLION if r.has(MILLION, "quick") else
             r.med(big, "quick") / big if r.has(big, "quick") else None)
    ram = r.info["memory_gb"] * 1024
    text = ["## Where one machine stops\n\n", _million(r),
            f"Per student, the store costs {mb * 1e3:.2f} KB on disk and {load * 1e6:.1f} µs "
            f"to load (measured at {at:,}), {write * 1e6:.1f} µs to write (orjson + fsync, "
            f"at {big:,}), and a full sync peaks at {peak * 1e3:.1f} KB of memory per student. "
            "Extrapolated linearly:\n\n",
            "| students | store file | load | write | full-sync peak memory |\n",
            "|---|---|---|---|---|\n"]
    for n in (100_000, 300_000, 1_000_000, 3_000_000):
        text.append(f"| {n:,} | {n * mb / 1000:.2f} GB | {n * load:.1f} s | {n * write:.1f} s | "
                    f"{n * peak / 1024:.1f} GB |\n")
    limits = sorted([(int(10 / (load + write)), "a quick sync's whole load + write of the "
                      "store passes 10 s"),
                     (int(ram * 0.8 / peak), f"a full sync's peak memory passes 80% of this "
                      f"machine's {r.info['memory_gb']:.0f} GB")]
                    + ([(int(60 / quick), "a quick sync passes a minute")] if quick else []))
    text.append("\nWhat breaks first, as the district grows (from the line above): "
                + "; then ".join(f"{what} near {n:,} students" for n, what in limits)
                + ".\n\n" + BEYOND)
    return "".join(text)


def _million(r: Results) -> str:
    """The million's runs as measured (one each), by phase."""
    if not r.has(MILLION, "sync_commit"):
        return ""
    lines = ["**Measured at 1,000,000 students** (one run each; the store the full sync made "
             "is the quick sync's and the load's):\n\n"]
    for step in ("sync_commit", "quick", "store_load"):
        if r.has(MILLION, step):
            run = r.runs(MILLION, step)[0]
            lines.append(f"- {STEP_NAMES[step]}: **{secs(run['seconds'])}**, peak "
                         f"{run['peak_mb'] / 1024:.1f} GB")
            if run["phases"]:
                lines.append("; " + ", ".join(f"{k} {v:.1f} s" for k, v in run["phases"].items()
                                               if v >= 0.05))
            lines.append(".\n")
    return "".join(lines) + "\n" + _first_to_break(r)


def _first_to_break(r: Results) -> str:
    """At the million: the daily quick sync, and how much of it is the whole-file store."""
    if not r.has(MILLION, "quick"):
        return ""
    run, full = r.runs(MILLION, "quick")[0], r.runs(MILLION, "sync_commit")[0]
    store = sum(v for k, v in run["phases"].items() if k in ("store load", "store write"))
    return (f"What breaks first at a million is the daily quick sync, not the first import: "
            f"{secs(run['seconds'])} for a 5% change, {store / run['seconds']:.0%} of it "
            f"loading and writing back the whole store file ({secs(store)}), and its peak "
            f"({run['peak_mb'] / 1024:.1f} GB) "
            + ("above" if run["peak_mb"] > full["peak_mb"] else "near")
            + f" the full sync's ({full['peak_mb'] / 1024:.1f} GB), since it holds the "
            "whole store and the change together. Loading grows faster than the store: "
            + ", ".join(f"{secs(r.med(n, 'store_load'))} at {n:,}"
                        for n in [*r.sizes, MILLION] if r.has(n, "store_load"))
            + " (not profiled at a million: a lead for the next round). The dashboard was "
            "measured at 100,000 only.\n\n")


BEYOND = """\
Beyond one machine's whole-file store a deployment keeps the same engine (connectors, \
staging, plans, review) and replaces the store: SQLite in WAL mode first (one file, \
row-level updates, an index on (type, source_id), so a 5% change writes 5% of the rows and \
the dashboard reads one page at a time), then PostgreSQL for state-wide scale or several \
admins at once, with the staged plans as tables instead of JSON files, and districts \
sharded by tenant so that each sync only touches its own rows.
"""
