"""The raw results of a `make bench` run (bench/out/results.json), and their medians.

    steps      "SIZE:STEP" -> one dict per run of bench/steps.py: seconds, cpu, peak_mb,
               load, phases, info
    dashboard  one dict per run of bench/dashboard.py: its scenarios, each with its steps
               (wall and stalls in seconds) and the load average before and after
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

Run = dict[str, Any]
MILLION = 1_000_000


@dataclass(frozen=True)
class DashStep:
    """One step of bench/dashboard.py, the median of its runs."""

    key: str
    label: str
    wall: float  # seconds
    worst: float  # the longest stall during it
    p99: float
    runs: int
    note: str  # the last run's


class Results:
    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.steps: dict[tuple[int, str], list[Run]] = {
            (int(k.split(":")[0]), k.split(":")[1]): v for k, v in raw["steps"].items()}
        self.dashboard: list[dict[str, Any]] = raw.get("dashboard") or []

    @classmethod
    def read(cls, path: Path) -> Results:
        return cls(orjson.loads(path.read_bytes()))

    def write(self, path: Path) -> None:
        path.write_bytes(orjson.dumps(self.raw))

    @property
    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = self.raw["info"]
        return info

    @property
    def sizes(self) -> list[int]:
        """The sizes every step ran at (the million, a single step, is apart)."""
        return sorted(int(k) for k in self.raw["sets"] if int(k) != MILLION)

    def has(self, size: int, step: str) -> bool:
        return (size, step) in self.steps

    def runs(self, size: int, step: str) -> list[Run]:
        return self.steps.get((size, step), [])

    def med(self, size: int, step: str, key: str = "seconds") -> float:
        return float(statistics.median(r[key] for r in self.steps[size, step]))

    def phase(self, size: int, step: str, name: str) -> float:
        return float(statistics.median(r["phases"].get(name, 0.0)
                                       for r in self.steps[size, step]))

    # -- the dashboard -------------------------------------------------------------------

    def scenarios(self) -> list[str]:
        """The scenarios with at least one run that did not fail."""
        return list(dict.fromkeys(s["name"] for run in self.dashboard
                                  for s in run["scenarios"] if "failed" not in s))

    def failures(self) -> list[tuple[str, str]]:
        """(scenario, its error's last line) for every run of a scenario that failed."""
        return [(s["name"], s["failed"]) for run in self.dashboard for s in run["scenarios"]
                if "failed" in s]

    def _of(self, scenario: str) -> list[dict[str, Any]]:
        return [s for run in self.dashboard for s in run["scenarios"]
                if s["name"] == scenario and "failed" not in s]

    def dash_steps(self, scenario: str) -> list[DashStep]:
        """The scenario's steps in order, each the median of its runs."""
        by_key: dict[str, list[dict[str, Any]]] = {}
        for run in self._of(scenario):
            for step in run["steps"]:
                by_key.setdefault(step["key"], []).append(step)
        return [DashStep(key, steps[-1]["label"],
                         statistics.median(s["wall"] for s in steps),
                         statistics.median(s["stalls"]["worst"] for s in steps),
                         statistics.median(s["stalls"]["p99"] for s in steps),
                         len(steps), steps[-1]["note"])
                for key, steps in by_key.items()]

    def dash_step(self, key: str) -> DashStep | None:
        return next((s for name in self.scenarios() for s in self.dash_steps(name)
                     if s.key == key), None)

    def whole(self, scenario: str) -> tuple[float, float, str]:
        """(longest stall, p99, the step it happened in) over the whole scenario from
        launch: medians of the runs, and the step of the run with the median longest."""
        runs = sorted(self._of(scenario), key=lambda s: s["whole"]["worst"])
        middle = runs[len(runs) // 2]
        return (statistics.median(s["whole"]["worst"] for s in runs),
                statistics.median(s["whole"]["p99"] for s in runs), middle["worst_in"])

    def loads(self) -> list[tuple[float, float]]:
        """The 1-minute load average before and after each dashboard scenario run."""
        return [(s["load_before"][0], s["load_after"][0])
                for run in self.dashboard for s in run["scenarios"] if "failed" not in s]
