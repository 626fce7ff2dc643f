"""Renumbering through the CLI, as a real process, on a generated OneRoster CSV district
whose users all come back under new sourcedIds, as after Infinite Campus's upgrade: with
the old id in metadata.ic.legacysourceId, and without it, matched by email."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from rostertui import demo_data

from ..support.cli import run, run_json, table, use_source

PEOPLE = ("teachers", "students", "staff", "contacts")
# file -> the columns naming users (agentSourcedIds: a comma-separated list)
USER_COLUMNS = {"users.csv": ("sourcedId", "agentSourcedIds"),
                "enrollments.csv": ("userSourcedId",), "demographics.csv": ("sourcedId",)}
LEGACY_COLUMN = "metadata.ic.legacysourceId"


def new_id(sid: str) -> str:
    return f"ic-{sid}"


def renumber_users(src: Path, out: Path, legacy: bool) -> Path:
    """A copy of the CSV set `src` with every user under new_id(its id), keeping the old
    one in a metadata.ic.legacysourceId column when `legacy`."""
    shutil.copytree(src, out)
    for name, columns in USER_COLUMNS.items():
        with open(out / name, newline="") as fh:
            rows = list(csv.DictReader(fh))
        fields = list(rows[0])
        for row in rows:
            if legacy and name == "users.csv":
                row[LEGACY_COLUMN] = row["sourcedId"]
            for col in columns:
                row[col] = ",".join(new_id(v) for v in row[col].split(",") if v)
        if legacy and name == "users.csv":
            fields.append(LEGACY_COLUMN)
        text = io.StringIO()
        writer = csv.DictWriter(text, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        (out / name).write_text(text.getvalue())
    return out


def as_delta(src: Path, out: Path) -> Path:
    """The renumbered set `src` as a quick sync sends it: users.csv and enrollments.csv
    as deltas, every row under its new id and none of the old ids said to be removed;
    every other file (demographics too) absent."""
    out.mkdir()
    for name in ("users.csv", "enrollments.csv"):
        shutil.copy(src / name, out / name)
    with open(src / "manifest.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    sent = {"file.users", "file.enrollments"}
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(
        [key, ("delta" if key in sent else "absent") if key.startswith("file.") else value]
        for key, value in rows)
    (out / "manifest.csv").write_text(text.getvalue())
    return out


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("renumbered")
    demo_data.generate(base / "d1", students=120, seed=3)
    renumber_users(base / "d1", base / "legacy", legacy=True)
    renumber_users(base / "d1", base / "email", legacy=False)
    as_delta(base / "legacy", base / "delta")
    return base


def committed(tmp_path: Path, district: Path, sync: str = "") -> Path:
    use_source(tmp_path, district / "d1")
    if sync:
        with open(tmp_path / "config.yaml", "a") as fh:
            fh.write(f"sync:\n{sync}")
    run(tmp_path, "sync", "--commit")
    return tmp_path


def resync(tmp_path: Path, folder: Path) -> None:
    config = tmp_path / "config.yaml"
    text = config.read_text()
    config.write_text(re.sub(r"path: \S+/(d1|legacy|email|delta)\n", f"path: {folder}\n",
                             text, count=1))


def test_a_district_renumbered_with_legacy_ids_commits_as_links(tmp_path, district):
    work = committed(tmp_path, district)
    people = {t: table(work, t) for t in PEOPLE}
    sections = table(work, "sections")
    resync(work, district / "legacy")
    proc = run(work, "sync", "--commit", expect=3)  # the change guard holds it for review
    n = sum(map(len, people.values()))
    assert f"\n{n:,} records renumbered by the source: " in proc.stdout
    assert "delete_threshold" not in proc.stdout
    report = run_json(work, "show", "2")
    assert all(c["add"] == c["archive"] == 0 for c in report["counts"].values())
    assert report["renumbered"] == n
    shown = run(work, "show", "2").stdout
    assert re.search(r"\[x\] student:ic-s000001  update  link .*  "
                     r"source_id: s000001 -> ic-s000001", shown)

    run(work, "commit", "2", "--force")
    for type_, before in people.items():
        assert set(table(work, type_)) == {new_id(sid) for sid in before}, type_
    after = table(work, "sections")
    assert set(after) == set(sections)
    assert all(after[sid]["student_ids"] == sorted(map(new_id, doc["student_ids"]))
               for sid, doc in sections.items())
    assert "no changes" in run(work, "sync").stdout


def test_a_district_renumbered_without_legacy_ids_is_matched_by_email(tmp_path, district):
    """demo-data leaves a few students without an email: those alone are an archive and
    an add (and their sections' roster moves); everyone else is a link."""
    work = committed(tmp_path, district, "  match_existing: [email]\n")
    with open(district / "d1" / "users.csv", newline="") as fh:
        unmatched = {r["sourcedId"] for r in csv.DictReader(fh)
                     if r["role"] == "student" and not r["email"]}
    resync(work, district / "email")
    report = run_json(work, "sync")
    assert report["counts"]["teacher"]["add"] == report["counts"]["teacher"]["archive"] == 0
    assert report["counts"]["student"]["add"] == report["counts"]["student"]["archive"] \
        == len(unmatched)
    actions = run_json(work, "show", "2")["actions"]
    links = [a for a in actions if a.get("link")]
    assert {a["link"]["by"] for a in links} == {"email"} and len(links) == report["renumbered"]
    moves = {m for a in actions if a["type"] == "section"
             for m in a["members"]["student_ids"]["removed"]}
    assert moves == unmatched  # the linked students' memberships follow their links


def test_a_renumbering_sent_as_a_delta_links_everyone_once(tmp_path, district):
    """A quick sync sending only the new ids (with their legacy ids) and enrollments under
    them, without demographics: links, never a second person; each member once in each
    section; the fields the delta did not carry kept; the next full sync finds nothing."""
    work = committed(tmp_path, district)
    people = {t: table(work, t) for t in PEOPLE}
    sections = table(work, "sections")
    dob = table(work, "students")["s000001"]["dob"]
    resync(work, district / "delta")
    run(work, "sync", "--quick", "--commit", expect=3)  # the change guard: one review
    report = run_json(work, "show", "2")
    assert all(c["add"] == c["archive"] == 0 for c in report["counts"].values())
    assert report["counts"]["section"]["update"] == 0
    assert report["renumbered"] == sum(map(len, people.values()))
    run(work, "commit", "2", "--force")
    for type_, before in people.items():
        assert set(table(work, type_)) == {new_id(sid) for sid in before}, type_
    assert {sid: doc["student_ids"] for sid, doc in table(work, "sections").items()} == {
        sid: sorted(map(new_id, doc["student_ids"])) for sid, doc in sections.items()}
    assert table(work, "students")["ic-s000001"]["dob"] == dob
    resync(work, district / "legacy")
    assert "no changes" in run(work, "sync").stdout
