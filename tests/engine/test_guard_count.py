"""The dashboard's guards, counted in a child process (rostertui/guard_count.py): the same
reasons `rostertui commit` counts in its own process, for the ticks as the dashboard shows
them, never run in the dashboard's process, refused on a store that moved on, and every
failure one line."""

from __future__ import annotations

import dataclasses
import sys
import threading
from types import MappingProxyType

import pytest

from rostertui import guard_count, safety
from rostertui.engine import Engine
from rostertui.errors import BlockedError, RosterError
from rostertui.invariants import meta_of

from ..support.feeds import config, district

ARCHIVES = [f"student:s{i}" for i in range(10, 20)]
UPDATES = [f"student:s{i}" for i in range(10)]
MOST = [*ARCHIVES, *UPDATES[:4], "section:c1"]  # c1's update drops the archived students


def regraded(n: int):
    """n students left of 20, all regraded: 20 - n archives and n updates."""
    feed = district(n)
    for rec in feed.types["student"].records:
        rec["grade"] = "07"
    return feed


@pytest.fixture
def staged(tmp_path, source) -> tuple[Engine, int]:
    """20 students committed; then 10 archived and 10 regraded, staged: over the delete
    threshold (5), the change threshold (20 of 20 students changed) and the enrollment
    one (c1 loses 10 of its 21 members)."""
    engine = Engine(config(tmp_path, delete_threshold=5), connector=source)
    source.next = district(20)
    engine.sync(commit=True)
    source.next = regraded(10)
    return engine, engine.sync()["sync_id"]


def both(reasons: list[str]) -> bool:
    """The delete and the change guards are among the reasons."""
    return any("over sync.delete_threshold (5)" in r for r in reasons) \
        and any("over sync.change_threshold_percent" in r for r in reasons)


def in_process_runs(monkeypatch) -> list[int]:
    """Runs of the guards in this process (the child's are its own)."""
    runs: list[int] = []
    real = safety.block_reasons

    def counted(*args):
        runs.append(1)
        return real(*args)
    monkeypatch.setattr(safety, "block_reasons", counted)
    return runs


def fresh(engine: Engine) -> Engine:
    return Engine(engine.config, connector=engine.connector)


def commit_says(engine: Engine, sync_id: int) -> list[str]:
    """The reasons `commit` refuses with; none when it commits."""
    try:
        fresh(engine).commit(sync_id)
    except BlockedError as exc:
        return str(exc).split(" is blocked: ")[1].split(". Untick those")[0].split("; ")
    return []


@pytest.mark.parametrize("unticked", [
    ARCHIVES[:1],                   # still both guards
    ARCHIVES[:6],                   # under the delete threshold, over the change one
    MOST,                           # none: 6 of 20 changed, no enrollment removed
    UPDATES,                        # the archives alone
], ids=["one", "six-archives", "most", "updates"])
def test_the_dashboards_count_is_the_commits_and_runs_in_a_child(staged, monkeypatch,
                                                                 unticked):
    engine, sid = staged
    review = engine.indexed_review(sid)
    review.set_enabled(unticked, False)
    runs = in_process_runs(monkeypatch)
    counted = engine.block_reasons(review)
    assert runs == []  # the dashboard's process never ran the guards
    monkeypatch.undo()
    assert counted == fresh(engine).block_reasons(fresh(engine).review(sid))  # the CLI's
    assert counted == commit_says(engine, sid)


def test_the_cases_above_block_and_unblock(staged):
    """(So the comparison above compares reasons, not only empty lists.)"""
    engine, sid = staged
    review = engine.indexed_review(sid)
    review.set_enabled(ARCHIVES[:1], False)
    assert both(engine.block_reasons(review))
    review.set_enabled(MOST, False)
    assert engine.block_reasons(review) == []


def test_the_child_counts_the_ticks_it_is_given_not_the_toggle_log(staged):
    """The dashboard's ticks as shown are counted; another session's, on disk, are not."""
    engine, sid = staged
    review = engine.indexed_review(sid)
    fresh(engine).set_enabled(sid, MOST, False)  # elsewhere: unblocked
    request = guard_count.Request(engine.store.path, review.doc, frozenset(), engine.config.sync,
                                  engine.config.limits, state(engine))
    assert both(guard_count.count(request))


def state(engine: Engine) -> str | None:
    return meta_of(engine.store.load())["state"]


def request_for(engine: Engine, sync_id: int, **changes) -> guard_count.Request:
    review = engine.indexed_review(sync_id)
    request = guard_count.Request(engine.store.path, review.doc, frozenset(ARCHIVES[:1]),
                                  engine.config.sync, engine.config.limits, state(engine))
    return dataclasses.replace(request, **changes)


def test_a_count_on_a_store_that_moved_on_is_refused(staged):
    engine, sid = staged
    with pytest.raises(RosterError, match="the store changed while the guards were counted"):
        guard_count.count(request_for(engine, sid, state="another"))


def test_a_store_that_cannot_be_read_is_one_line(staged):
    engine, sid = staged
    engine.store.path.write_text("{not json\n")
    with pytest.raises(RosterError) as caught:
        guard_count.count(request_for(engine, sid))
    assert "the store is not valid JSON" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_child_that_fails_outright_is_one_line(staged):
    engine, sid = staged
    broken = {**engine.indexed_review(sid).doc}
    del broken["id"]  # a KeyError in the child: a traceback on its stderr
    with pytest.raises(RosterError, match="^the guards could not be counted: KeyError") as caught:
        guard_count.count(request_for(engine, sid, doc=broken))
    assert "\n" not in str(caught.value)


def test_a_child_that_cannot_start_is_one_line(staged, monkeypatch):
    """Found by attack: an OSError starting the child (no memory, a process limit, the
    venv rebuilt) crashed the dashboard with a traceback."""
    engine, sid = staged

    def no_process(*args, **kwargs):
        raise OSError(12, "Cannot allocate memory")
    monkeypatch.setattr(guard_count.subprocess, "Popen", no_process)
    with pytest.raises(RosterError, match="^the guards could not be counted: .*memory"):
        guard_count.count(request_for(engine, sid))


def test_a_newer_count_stops_the_child_of_the_one_before(staged, monkeypatch):
    """Found by attack: each replaced recount kept its child running, each holding a
    parsed store and plan. The first child here would sleep for a minute."""
    engine, sid = staged
    real, started = guard_count.subprocess.Popen, threading.Event()

    def first_sleeps(args, **kwargs):
        if not started.is_set():
            args = [sys.executable, "-c", "import time; time.sleep(60)"]
        proc = real(args, **kwargs)
        started.set()
        return proc
    monkeypatch.setattr(guard_count.subprocess, "Popen", first_sleeps)
    failed: list[str] = []

    def first() -> None:
        try:
            guard_count.count(request_for(engine, sid))
        except RosterError as exc:
            failed.append(str(exc))
    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    assert both(guard_count.count(request_for(engine, sid, disabled=frozenset())))
    thread.join(10)
    assert not thread.is_alive()
    assert failed == ["the guards could not be counted: a newer count replaced it"]


def test_settings_that_cannot_be_sent_are_one_line(staged):
    """Found by attack: a policy built in code that does not pickle closed the dashboard."""
    engine, sid = staged
    odd = dataclasses.replace(engine.config.sync, required_fields=MappingProxyType({}))
    with pytest.raises(RosterError, match="^the guards could not be counted: .*pickle"):
        guard_count.count(request_for(engine, sid, sync=odd))
