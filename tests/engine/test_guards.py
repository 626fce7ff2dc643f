"""Guards on every kind of loss (rostertui/safety.py): clears, enrollments, changes and a
revert's removals, each at its boundary.

The engine-level tests feed the engine through tests/support/feeds.py's FeedSource, the one
seam every connector (OneRoster CSV, Clever, OneRoster REST) goes through: the guards
read only the staged actions and the store, so they hold for any feed. The CSV tests at
the end run the real CLI on a generated 2,000-student district.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from tinydb import TinyDB

from connectors.feed import Feed, Membership
from rostertui import cli, demo_data
from rostertui.engine import Engine
from rostertui.errors import BlockedError
from rostertui.safety import block_reasons

from ..support.feeds import config, district, full_feed, section, student

STUDENTS = 100
SECTIONS = 100
PER_SECTION = 3  # students; with the teacher, 400 enrollments in all


def base() -> Feed:
    """100 students (each with an extra key) in 100 sections of 3, all taught by t1."""
    feed = district(STUDENTS)
    for rec in feed.types["student"].records:
        rec.update(grade="05", extra={"ell": "N"})
    feed.types["section"].records = [
        section(f"c{i}", [f"s{(PER_SECTION * i + j) % STUDENTS}" for j in range(PER_SECTION)])
        for i in range(SECTIONS)]
    return feed


def guarded(path, source, **sync) -> Engine:
    """An engine with the base district committed, under these guard settings."""
    engine = Engine(config(path, **sync), connector=source)
    source.next = base()
    assert engine.sync(commit=True)["status"] == "committed"
    return engine


def students(feed: Feed) -> list[dict]:
    return feed.types["student"].records


def sections(feed: Feed) -> list[dict]:
    return feed.types["section"].records


# -- the day-two edits, each making `n` of its losses ------------------------------------

def clear(field: str, empty) -> Callable[[Feed, int], None]:
    def edit(feed: Feed, n: int) -> None:
        for rec in students(feed)[:n]:
            rec[field] = list(empty) if isinstance(empty, list) else empty
    return edit


def clear_extra(feed: Feed, n: int) -> None:
    for rec in students(feed)[:n]:
        rec["extra"] = {}


def drop_teachers(feed: Feed, n: int) -> None:
    for sec in sections(feed)[:n]:
        sec["teacher_ids"] = []


def unenroll(feed: Feed, n: int) -> None:
    """Take one student out of each section in turn, round the list: n members removed,
    no section emptied."""
    secs = sections(feed)
    for i in range(n):
        secs[i % len(secs)]["student_ids"].pop()


def archive_sections(feed: Feed, n: int) -> None:
    """Archive 25 sections (their 100 enrollments), then unenroll the rest of n."""
    del sections(feed)[:25]
    unenroll(feed, n - 100)


def rename(feed: Feed, n: int) -> None:
    for rec in students(feed)[:n]:
        rec["last_name"] = "Renamed"


def archive_and_rename(feed: Feed, n: int) -> None:
    """Archive 25 students (not over the delete threshold) and rename the rest of n."""
    del students(feed)[:25]
    rename(feed, n - 25)


@dataclass
class Case:
    edit: Callable[[Feed, int], None]
    limit: int        # the most losses that still commit
    reason: str       # the reason at limit + 1
    untick: str       # one action whose unticking unblocks
    sync: dict


CLEAR = "over sync.clear_threshold_percent (10%)"
ENROLL = "over sync.enrollment_threshold_percent (25%)"
CHANGE = ("would be changed (updated, archived, reactivated or removed), "
          "over sync.change_threshold_percent (50%)")


def cleared(field: str, what: str = "students") -> str:
    return f"11 of 100 active {what} (11%) would have {field} cleared, {CLEAR}"


CASES = {
    **{f"clear {field} to {empty!r}": Case(clear(field, empty), 10, cleared(field),
                                           "student:s0", {})
       for field, empty in (("email", ""), ("sis_id", ""), ("first_name", ""),
                            ("last_name", ""), ("grade", ""), ("school_ids", []),
                            ("email", None))},
    "clear extra.ell": Case(clear_extra, 10, cleared("extra.ell"), "student:s0", {}),
    "clear section teacher_ids": Case(drop_teachers, 10, cleared("teacher_ids", "sections"),
                                      "section:c0", {}),
    "enrollments removed": Case(
        unenroll, 100, "101 of 400 active enrollments (25.2%) would be removed (section "
        f"student_ids and teacher_ids), {ENROLL}", "section:c0", {}),
    "enrollments of archived sections": Case(
        archive_sections, 100, "101 of 400 active enrollments (25.2%) would be removed "
        f"(section student_ids and teacher_ids), {ENROLL}", "section:c25", {}),
    "sections left without a teacher": Case(
        drop_teachers, 25, "26 of 100 active sections with members (26%) would be left with "
        f"no students (0, student_ids) or no teacher (26, teacher_ids), {ENROLL}",
        "section:c0", {"clear_threshold_percent": 100}),
    "records changed": Case(rename, 50, f"51 of 100 active students (51%) {CHANGE}",
                            "student:s0", {}),
    "archives count as changes": Case(archive_and_rename, 50,
                                      f"51 of 100 active students (51%) {CHANGE}",
                                      "student:s30", {}),
}


def day_two(case: Case, n: int) -> Feed:
    feed = base()
    case.edit(feed, n)
    return feed


@pytest.mark.parametrize("name", CASES)
def test_guard_commits_at_its_boundary(tmp_path, source, name):
    case = CASES[name]
    engine = guarded(tmp_path, source, **case.sync)
    source.next = day_two(case, case.limit)
    report = engine.sync(commit=True)
    assert report["blocked_reasons"] == [] and report["status"] == "committed"


@pytest.mark.parametrize("name", CASES)
def test_guard_blocks_one_over_and_unticking_unblocks(tmp_path, source, name):
    case = CASES[name]
    engine = guarded(tmp_path, source, **case.sync)
    before = TinyDB(engine.store.path).storage.read()
    source.next = day_two(case, case.limit + 1)
    report = engine.sync(commit=True)
    assert report["status"] == "blocked"
    assert report["blocked_reasons"] == [case.reason]
    assert _roster(TinyDB(engine.store.path).storage.read()) == _roster(before)
    with pytest.raises(BlockedError) as exc:
        engine.commit()
    assert case.reason in str(exc.value) and exc.value.exit_code == 3
    assert engine.commit(disable=[case.untick])["status"] == "committed"


def _roster(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("syncs", "meta")}


def test_a_school_year_rollover_trips_the_change_guard(tmp_path, source):
    """Every student moves up a grade: intended to stop for review."""
    engine = guarded(tmp_path, source)
    feed = base()
    for rec in students(feed):
        rec["grade"] = "06"
    source.next = feed
    report = engine.sync(commit=True)
    assert report["blocked_reasons"] == [f"100 of 100 active students (100%) {CHANGE}"]


def test_a_relink_is_not_a_clear_of_the_source_id(tmp_path, source):
    """Twelve local accounts linked to new source records by email: updates whose
    changes include source_id and `local`, neither of which is a loss."""
    engine = guarded(tmp_path, source, clear_threshold_percent=0,
                     match_existing=["source_id", "email"])
    for i in range(STUDENTS, STUDENTS + 12):
        engine.create_local("student", {"first_name": "Lo", "last_name": "Cal",
                                        "email": f"s{i}@example.org"})
    feed = base()
    students(feed).extend(student(f"s{i}") for i in range(STUDENTS, STUDENTS + 12))
    source.next = feed
    report = engine.sync(commit=True)
    links = [a for a in engine.plan(report["sync_id"])["actions"] if "link" in a]
    assert len(links) == 12 and all("source_id" in a["changes"] for a in links)
    assert report["blocked_reasons"] == [] and report["status"] == "committed"


def revert_of_adds(path, source, added: int) -> tuple[Engine, int]:
    """The base district, then a committed sync adding `added` students: reverting it
    removes them."""
    engine = guarded(path, source)
    feed = base()
    students(feed).extend(student(f"s{i}") for i in range(STUDENTS, STUDENTS + added))
    source.next = feed
    second = engine.sync(commit=True)
    assert second["status"] == "committed"
    return engine, second["sync_id"]


def test_a_revert_removing_up_to_the_threshold_commits(tmp_path, source):
    engine, sync_id = revert_of_adds(tmp_path, source, 33)  # 33 of 133: 24.8%
    assert engine.revert(sync_id)["status"] == "committed"


def test_a_revert_removing_over_the_threshold_is_blocked(tmp_path, source):
    engine, sync_id = revert_of_adds(tmp_path, source, 34)  # 34 of 134: 25.4%
    with pytest.raises(BlockedError) as exc:
        engine.revert(sync_id)
    assert ("34 of 134 active students (25.4%) would be archived or removed (34 removed), "
            "over sync.delete_threshold_percent (25%)") in str(exc.value)
    assert engine.revert(sync_id, force=True)["status"] == "committed"


def revert_of_enrollments(path, source, added: int) -> tuple[Engine, int]:
    """The base district, then a committed sync adding `added` members to sections (two
    per section): reverting it removes them, by section updates that carry no `members`."""
    engine = guarded(path, source)
    feed = base()
    for i in range(added):
        sid = (PER_SECTION * (i // 2) + 50 + i % 2) % STUDENTS  # not yet in that section
        sections(feed)[i // 2]["student_ids"].append(f"s{sid}")
    source.next = feed
    second = engine.sync(commit=True)
    assert second["status"] == "committed"
    return engine, second["sync_id"]


def test_a_revert_removing_enrollments_up_to_the_threshold_commits(tmp_path, source):
    engine, sync_id = revert_of_enrollments(tmp_path, source, 133)  # of 533: 24.95%
    assert engine.revert(sync_id)["status"] == "committed"


def test_a_revert_removing_enrollments_over_the_threshold_is_blocked(tmp_path, source):
    engine, sync_id = revert_of_enrollments(tmp_path, source, 134)
    with pytest.raises(BlockedError, match=re.escape(
            f"134 of 534 active enrollments (25.1%) would be removed (section student_ids "
            f"and teacher_ids), {ENROLL}")):
        engine.revert(sync_id)


def test_a_false_or_zero_is_a_value_not_an_empty_one(tmp_path):
    """Straight through the entry point: True -> False clears nothing, 0 -> None does."""
    cfg = config(tmp_path, change_threshold_percent=100)
    data = {"students": {str(i): {"source_id": f"s{i}", "status": "active"}
                         for i in range(20)}}
    actions = [{"id": f"student:s{i}", "type": "student", "kind": "update",
                "source_id": f"s{i}", "enabled": True,
                "changes": {"extra.iep": [True, False], "graduation_year": [0, None],
                            "extra.ell": [None, ""]}}
               for i in range(20)]
    assert block_reasons(actions, data, cfg) == [
        f"20 of 20 active students (100%) would have graduation_year cleared, {CLEAR}"]


def test_an_emptied_complete_membership_is_blocked(tmp_path, source):
    """A feed whose enrollments are complete but hold no row: every roster emptied."""
    engine = guarded(tmp_path, source)
    feed = full_feed(**{t: f.records for t, f in base().types.items()})
    for sec in sections(feed):
        sec["student_ids"], sec["teacher_ids"] = [], []
    feed.membership = Membership(complete=True, rows=[])
    source.next = feed
    reasons = engine.sync(commit=True)["blocked_reasons"]
    assert reasons == [
        f"100 of 100 active sections (100%) would have {field} cleared, {CLEAR}"
        for field in ("student_ids", "teacher_ids")] + [
        "400 of 400 active enrollments (100%) would be removed (section student_ids and "
        f"teacher_ids), {ENROLL}",
        "100 of 100 active sections with members (100%) would be left with no students "
        f"(100, student_ids) or no teacher (100, teacher_ids), {ENROLL}"]


def test_cleared_emails_and_usernames_are_blocked(tmp_path, source):
    engine = guarded(tmp_path, source)
    feed = base()
    for rec in students(feed):
        rec.update(email="", username="")
    source.next = feed
    reasons = engine.sync(commit=True)["blocked_reasons"]
    assert reasons == [f"100 of 100 active students (100%) would have {field} cleared, {CLEAR}"
                       for field in ("email", "username")] + [
        f"100 of 100 active students (100%) {CHANGE}"]


# -- a generated district through the CLI ----------------------------------------------

@pytest.fixture(scope="module")
def day_one(tmp_path_factory):
    """A 2,000-student district committed by `rostertui sync --commit`, and its next day
    with 5% changes."""
    base_dir = tmp_path_factory.mktemp("guards")
    demo_data.generate(base_dir / "d1", students=2000, seed=7)
    demo_data.next_day(base_dir / "d1", base_dir / "d2", change_rate=0.05, seed=8)
    work = base_dir / "committed"
    work.mkdir()
    _use(work, base_dir / "d1")
    assert cli.main(["sync", "--config", str(work / "config.yaml"), "--commit"]) == 0
    return base_dir, work


def _use(work, source) -> None:
    (work / "config.yaml").write_text(f"source:\n  kind: oneroster_csv\n  path: {source}\n"
                                      "store:\n  path: store.json\n")


def _sync(tmp_path, day_one, source, capsys) -> tuple[int, dict]:
    """`rostertui sync --commit --json` of `source` on a copy of the committed store."""
    _, committed = day_one
    work = tmp_path / "work"
    shutil.copytree(committed, work, ignore=shutil.ignore_patterns("*.lock*"))
    _use(work, source)
    capsys.readouterr()
    code = cli.main(["sync", "--config", str(work / "config.yaml"), "--commit", "--json"])
    out, err = capsys.readouterr()
    assert out, err
    return code, json.loads(out)


def test_a_normal_next_day_trips_no_guard(tmp_path, day_one, capsys):
    code, report = _sync(tmp_path, day_one, day_one[0] / "d2", capsys)
    assert code == 0 and report["status"] == "committed"
    assert report["blocked_reasons"] == []
    assert report["counts"]["section"]["update"] > 552 / 2  # roster moves in most sections


def test_users_csv_with_emails_and_usernames_emptied_is_blocked(tmp_path, day_one, capsys):
    """Columns renamed upstream and mapped back empty: every email and username cleared.
    (A users.csv with the renamed header itself, or an enrollments.csv reduced to its
    header, is refused by the CSV connector before staging; the engine-level tests above
    cover the same losses from any feed.)"""
    base_dir, _ = day_one
    broken = tmp_path / "emptied"
    shutil.copytree(base_dir / "d1", broken)
    with open(base_dir / "d1" / "users.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row.update(email="", username="")
    with open(broken / "users.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, report = _sync(tmp_path, day_one, broken, capsys)
    assert code == 3 and report["status"] == "blocked"
    reasons = "\n".join(report["blocked_reasons"])
    for what in ("students", "teachers"):
        for field in ("email", "username"):
            assert re.search(rf"\d+ of \d+ active {what} \([\d.]+%\) would have {field} "
                             r"cleared, over sync.clear_threshold_percent \(10%\)", reasons)
    assert "2000 of 2000 active students (100%) would have username cleared" in reasons


@pytest.mark.parametrize("blank", [" ", "\t", "\u00a0", "\u200b", " \u200b "])
def test_a_field_blanked_with_spaces_or_invisible_text_is_a_clear(tmp_path, source, blank):
    """Found by attack: an export that blanks a column with spaces blanks it all the same."""
    engine = Engine(config(tmp_path), connector=source)
    source.next = district(40)
    engine.sync(commit=True)
    feed = district(40)
    for rec in feed.types["student"].records[:10]:
        rec["email"] = blank
    source.next = feed
    report = engine.sync(commit=True)
    assert report["status"] == "blocked"
    assert any("10 of 40 active students (25%) would have email cleared" in r
               for r in report["blocked_reasons"])
    missing = [w for w in report["warnings"]
               if w["code"] == "missing_email" and w["type"] == "student"]
    assert len(missing) == 10
