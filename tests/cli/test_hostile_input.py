"""Hostile and broken input through the real CLI: each case of tests/support/hostile/cases.py runs
`rostertui sync --commit` on a copy of a store that holds the Ed-Fi district (or the
padded one, for the guards that need more records), and must be rejected naming the file
and line or record with the store unchanged, accepted with exactly the result the case
says, or blocked by the guard the case names."""

from __future__ import annotations

import shutil
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors import oneroster_csv
from connectors.feed import SourceError

from ..support.hostile.cases import BASES, CASES, CONFIG, Accepted, Blocked, Case, Rejected
from ..support.hostile.sets import huge_field
from ..support.hostile.workdir import Run, Workdir
from ..support.paths import FIXTURES

EDFI = FIXTURES / "oneroster-csv" / "edfi-v1p1"


def copy_set(work: Workdir, base: str = "edfi") -> Path:
    """The Ed-Fi set copied into the folder, made into the case's base district."""
    folder = work.root / "set"
    shutil.copytree(EDFI, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    BASES[base](folder)
    return folder


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> Callable[[str], Workdir]:
    """Per base district, a store holding it, committed through the CLI once for every
    case on it."""
    made: dict[str, Workdir] = {}

    def get(base: str) -> Workdir:
        if base not in made:
            work = Workdir(tmp_path_factory.mktemp(f"base-{base}"))
            work.write_config(CONFIG.replace("{source}", str(copy_set(work, base))))
            run = work.cli("sync", "--commit", "--json")
            assert run.code == 0 and run.json["status"] == "committed", run.err
            made[base] = work
        return made[base]
    return get


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_case(case: Case, bases, tmp_path):
    work = Workdir(tmp_path)
    work.copy_store(bases(case.base))
    source = case.build(copy_set(work, case.base)) or work.root / "set"
    work.write_config(case.config.replace("{source}", str(source)))
    before = Before(work.store.read_bytes(), work.roster(), work.syncs(), work.plans(),
                    work.files())

    run = work.cli("sync", "--commit", "--json")

    assert work.files() == before.files, "a file was written outside the store's folder"
    VERIFY[type(case.expect)](case.expect, work, run, before)
    if case.check:
        case.check(work, run)


@dataclass
class Before:
    store: bytes
    roster: dict
    syncs: list
    plans: dict
    files: set


def rejected(expect: Rejected, work: Workdir, run: Run, before: Before) -> None:
    assert (run.code, run.out) == (1, ""), run.err
    problem = first_problem(run)
    assert all(part in problem for part in expect.where), run.err
    if expect.problems == 1:
        assert len(run.err.splitlines()) == 1, run.err
    elif expect.problems is not None:
        assert run.error.endswith(f"(and {expect.problems - 1} more, listed below)"), run.err
    assert all(part in run.err for part in expect.also), run.err
    assert work.roster() == before.roster and work.plans() == before.plans
    if expect.recorded:
        *older, newest = work.syncs()
        assert older == before.syncs
        assert newest["status"] == "failed" and problem in newest["error"]
    else:
        assert work.store.read_bytes() == before.store


def accepted(expect: Accepted, work: Workdir, run: Run, before: Before) -> None:
    assert run.code == 0, run.err
    if expect.changes:
        assert run.json["status"] == "committed"
    elif run.json["status"] != "committed":  # nothing at all to apply: recorded, not staged
        assert run.json["status"] == "discarded" and work.syncs()[-1]["note"] == "no changes"
    assert sum(sum(kinds.values()) for kinds in run.json["counts"].values()) == expect.changes
    if not expect.changes:
        assert work.roster()["students"] == before.roster["students"]


def blocked(expect: Blocked, work: Workdir, run: Run, before: Before) -> None:
    assert run.code == 3, run.err
    reasons = run.json["blocked_reasons"]
    assert run.json["status"] == "blocked" and reasons
    if expect.reasons:
        assert len(reasons) == len(expect.reasons), reasons
        assert all(part in reason for part, reason in zip(expect.reasons, reasons)), reasons
    assert work.roster() == before.roster
    assert work.syncs()[-1]["status"] == "blocked"
    assert f"sync-{run.json['sync_id']}.json" in work.plans()


VERIFY = {Rejected: rejected, Accepted: accepted, Blocked: blocked}


def first_problem(run: Run) -> str:
    """The problem named first, on the error line itself; any others follow it."""
    line = run.error.removeprefix("rostertui: error: ")
    return line.split(" (and ")[0] if line.endswith("more, listed below)") else line


def test_the_corpus_is_large_and_covers_every_outcome():
    ids = [case.id for case in CASES]
    assert len(ids) >= 30 and len(set(ids)) == len(ids)
    kinds = {type(case.expect) for case in CASES}
    assert kinds == {Rejected, Accepted, Blocked}
    assert sum(not getattr(c.expect, "recorded", True) for c in CASES) >= 3  # config errors
    # each percentage guard just under (accepted) and just over (blocked) its threshold
    named = " ".join(r for c in CASES if isinstance(c.expect, Blocked) for r in c.expect.reasons)
    for key in ("delete_threshold_percent", "clear_threshold_percent",
                "enrollment_threshold_percent", "change_threshold_percent"):
        assert f"sync.{key}" in named, key


def test_a_huge_field_is_refused_before_it_is_all_in_memory(tmp_path):
    """csv's field limit only applies once a whole line is read; a 2 GiB line must not be."""
    folder = tmp_path / "set"
    shutil.copytree(EDFI, folder)
    huge_field("classes.csv", ",120,", 32)(folder)
    tracemalloc.start()
    try:
        with pytest.raises(SourceError, match="classes.csv line 2: a line longer than"):
            oneroster_csv.OneRosterCsvConnector(folder).fetch("full", None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * 1024 ** 2, f"{peak / 1024 ** 2:.0f} MiB held for a 32 MiB field"
