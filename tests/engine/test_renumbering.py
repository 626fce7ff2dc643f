"""Renumbering without loss (issue 17, part 3): a source that gives records new ids stages
one link per record (an update moving it to its new id), never an archive and an add;
the commit keeps every local field, membership and history, and a revert puts the old
ids back."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rostertui import output
from rostertui.config import from_dict
from rostertui.engine import Engine
from rostertui.errors import BlockedError, RosterError
from rostertui.history import record_trail
from rostertui.model import ACTION_TYPES, PEOPLE_TYPES, TABLES, make
from rostertui.staging.steps.renumbering import legacy_ids
from rostertui.store import Store

from ..support.feeds import FeedSource, config, student
from ..support.renumber import as_delta, renumbered, school_district, swapped

ROSTER = tuple(TABLES.values())
# What an admin keeps here, per type: LOCAL_FIELDS, set on one record each.
LOCAL = {"school": ("sch1", {"notes": "main site"}),
         "teacher": ("t1", {"notes": "head of maths"}),
         "student": ("s004", {"notes": "laptop 12"}),
         "staff": ("a1", {"notes": "district admin"}),
         "contact": ("g003", {"notes": "call after 5"}),
         "section": ("c1", {"display_name": "Maths 7B", "priority": 2, "notes": "room 4"})}


def new_id(sid: str) -> str:
    return f"new-{sid}"


def engine_on(tmp_path: Path, source: FeedSource, **sync) -> Engine:
    return Engine(config(tmp_path, **sync), connector=source)


def roster(engine: Engine) -> dict:
    data = engine.store.load()
    return {t: data[t] for t in ROSTER}


def stored(engine: Engine, type_: str) -> dict[str, dict]:
    return {d["source_id"]: d for d in engine.store.load()[TABLES[type_]].values()}


def actions(engine: Engine, sync_id: int) -> dict[str, dict]:
    return {a["id"]: a for a in engine.plan(sync_id)["actions"]}


def codes(report, code: str) -> set[str]:
    return {w["source_id"] for w in report["warnings"] if w["code"] == code}


def message(report, source_id: str, code: str = "ambiguous_match") -> str:
    return next(w["message"] for w in report["warnings"]
                if (w["code"], w["source_id"]) == (code, source_id))


@pytest.fixture
def committed(tmp_path, source) -> Engine:
    """The district committed as sync 1, with a local field on a record of every type."""
    engine = engine_on(tmp_path, source)
    source.next = school_district()
    engine.sync(commit=True)
    for type_, (sid, fields) in LOCAL.items():
        engine.set_local_fields(type_, sid, fields)
    return engine


# -- the whole district under new ids ----------------------------------------------------

def test_a_district_renumbered_with_legacy_ids_stages_links_only(committed, source):
    sizes = {t: len(stored(committed, t)) for t in ACTION_TYPES}
    source.next = renumbered(school_district(), new_id)
    report = committed.sync()
    assert report["counts"] == {t: {"add": 0, "update": sizes[t], "archive": 0,
                                    "reactivate": 0} for t in ACTION_TYPES}
    assert report["renumbered"] == sum(sizes.values())
    staged = actions(committed, report["sync_id"])
    assert all(a["link"] == {"by": "legacy_id", "from": a["source_id"].removeprefix("new-")}
               for a in staged.values())
    # a section's members are renumbered by its people's links: no roster move to review
    assert all("members" not in a and set(a["changes"]) == {"source_id", "legacy_ids"}
               for a in staged.values())
    assert codes(report, "ambiguous_match") == set()


def test_each_link_shows_its_old_and_new_id(committed, source):
    source.next = renumbered(school_district(), new_id)
    report = committed.sync()
    line = output.action_line(actions(committed, report["sync_id"])["student:new-s004"])
    assert line.startswith("[x] student:new-s004  update  link ")
    assert "source_id: s004 -> new-s004" in line
    lines = output.sync_report(report).splitlines()
    assert any(line.startswith("50 records renumbered by the source: ") for line in lines)


def test_commit_keeps_local_fields_and_memberships_and_revert_restores_the_old_ids(
        committed, source):
    before = roster(committed)
    feed = renumbered(school_district(), new_id)
    source.next = feed
    sync_id = committed.sync()["sync_id"]
    committed.commit(sync_id, force=True)  # the change guard holds it: see below
    for type_, (sid, fields) in LOCAL.items():
        doc = stored(committed, type_)[new_id(sid)]
        assert {k: doc.get(k) for k in fields} == fields, type_
    for type_ in ACTION_TYPES:  # every record moved, none added: the same doc ids
        moved = stored(committed, type_)
        assert set(moved) == {r["source_id"] for r in feed.types[type_].records}
        assert sorted(committed.store.load()[TABLES[type_]]) == sorted(before[TABLES[type_]])
    sections = stored(committed, "section")
    for sent in feed.types["section"].records:
        doc = sections[sent["source_id"]]
        assert (doc["student_ids"], doc["teacher_ids"], doc["school_id"]) == \
            (sent["student_ids"], sent["teacher_ids"], sent["school_id"])
    contacts = stored(committed, "contact")
    assert all(contacts[r["source_id"]]["relationships"] == r["relationships"]
               for r in feed.types["contact"].records)
    assert stored(committed, "student")["new-s029"]["school_ids"] == ["new-sch1", "new-sch2"]

    committed.revert(sync_id, force=True)  # the whole district changes back: forced
    assert roster(committed) == before


def test_the_next_sync_after_a_renumbering_finds_nothing_to_change(committed, source):
    source.next = renumbered(school_district(), new_id)
    committed.commit(committed.sync()["sync_id"], force=True)
    source.next = renumbered(school_district(), new_id)
    report = committed.sync()
    assert (report["status"], sum(sum(c.values()) for c in report["counts"].values())) == \
        ("discarded", 0)


def test_a_whole_district_renumbering_archives_nothing_but_waits_for_review(committed, source):
    """No delete, clear or enrollment guard fires: the change guard alone holds it, and an
    unattended sync leaves it blocked (RELIABILITY.md, Guards)."""
    before = roster(committed)
    source.next = renumbered(school_district(), new_id)
    report = committed.sync(trigger="auto", commit=True)
    assert report["status"] == "blocked" and report["blocked_reasons"]
    assert all("sync.change_threshold_percent" in r for r in report["blocked_reasons"])
    assert roster(committed) == before


def test_a_renumbering_under_the_change_threshold_commits_unattended(committed, source):
    """Clever's v3: every user but the students under a new id (4 records: under the
    guards' 10-record floor)."""
    feed = renumbered(school_district(), new_id, types=("teacher", "staff"))
    source.next = feed
    report = committed.sync(trigger="auto", commit=True)
    assert report["status"] == "committed" and report["renumbered"] == 4
    assert report["counts"]["section"] == {"add": 0, "update": 0, "archive": 0, "reactivate": 0}
    teachers = {r["source_id"]: r for r in feed.types["section"].records}
    assert {sid: d["teacher_ids"] for sid, d in stored(committed, "section").items()} == \
        {sid: r["teacher_ids"] for sid, r in teachers.items()}


def test_new_ids_in_another_order_need_no_section_update(committed, source):
    """Member lists are kept sorted, as every source sends them: a renumbering that
    reverses the students' order still leaves the sections nothing to change."""
    def reverse(sid: str) -> str:
        return f"r{999 - int(sid[1:]):03}"

    feed = renumbered(school_district(), reverse, types=("student",))
    source.next = feed
    report = committed.sync()
    assert report["counts"]["section"]["update"] == 0
    committed.commit(report["sync_id"], force=True)
    source.next = renumbered(school_district(), reverse, types=("student",))
    assert committed.sync()["status"] == "discarded"  # nothing left to change


def test_links_rewrite_memberships_a_section_only_moves_its_real_members(committed, source):
    """A student added to a section the same day is the one roster move staged: members
    renumbered are neither removed nor added, for the review and for the guards."""
    feed = renumbered(school_district(), new_id, types=("student",))
    c0 = next(r for r in feed.types["section"].records if r["source_id"] == "c0")
    c0["student_ids"] = sorted(c0["student_ids"] + ["new-s001"])
    source.next = feed
    report = committed.sync()
    sections = [a for a in actions(committed, report["sync_id"]).values()
                if a["type"] == "section"]
    assert [(a["id"], a["members"]) for a in sections] == [
        ("section:c0", {"student_ids": {"added": ["new-s001"], "removed": []}})]
    assert not any("enrollment" in r for r in report["blocked_reasons"])
    committed.commit(report["sync_id"], force=True)
    assert stored(committed, "section")["c0"]["student_ids"] == c0["student_ids"]


def test_reverting_a_renumbering_counts_only_the_real_roster_moves(committed, source):
    """The revert's section updates carry their moves swapped: the enrollment guard
    counts the member really added (and now taken out again), not every renumbered one;
    no clear is counted on the legacy ids it empties; the change guard alone holds the
    revert of a whole district."""
    feed = renumbered(school_district(), new_id, types=("student",))
    for rec in feed.types["section"].records:  # s001 joins every section it was not in
        rec["student_ids"] = sorted({*rec["student_ids"], "new-s001"})
    source.next = feed
    sync_id = committed.sync()["sync_id"]
    committed.commit(sync_id, force=True)
    with pytest.raises(BlockedError) as blocked:
        committed.revert(sync_id)
    assert "sync.change_threshold_percent" in str(blocked.value)
    assert "enrollment" not in str(blocked.value)
    assert "cleared" not in str(blocked.value)  # emptying legacy_ids loses nothing
    inverse = [a for a in committed.plan(committed.revert(sync_id, force=True)["sync_id"])[
        "actions"] if a["type"] == "section"]
    assert [a["members"] for a in inverse] == 3 * [
        {"student_ids": {"added": [], "removed": ["new-s001"]}}]


def test_unticking_a_link_keeps_that_record_and_its_memberships_under_the_old_id(
        committed, source):
    source.next = renumbered(school_district(), new_id, types=("student",))
    report = committed.sync()
    committed.commit(report["sync_id"], disable=["student:new-s001"], force=True)
    students = stored(committed, "student")
    assert students["s001"]["status"] == "active" and "new-s001" not in students
    c1 = stored(committed, "section")["c1"]["student_ids"]
    assert "s001" in c1 and all(s == "s001" or s.startswith("new-") for s in c1)


def test_a_renumbered_record_keeps_its_sync_history(committed, source):
    source.next = renumbered(school_district(), new_id)
    renumbering = committed.sync()["sync_id"]
    committed.commit(renumbering, force=True)

    def trail(sid: str) -> list[tuple[int, str]]:
        plans = {d["id"]: {a["id"]: a for a in committed.plan(d["id"])["actions"]}
                 for d in committed.history() if d["plan_digest"]}
        return [(d["id"], a["kind"])
                for d, a in record_trail(committed.history(), plans.__getitem__, "student", sid)]

    assert trail("new-s004") == [(renumbering, "update"), (1, "add")]
    undo = committed.revert(renumbering, force=True)["sync_id"]
    # the reverted sync is listed under its revert: it happened, then was undone
    assert trail("s004") == [(undo, "update"), (renumbering, "update"), (1, "add")]


# -- the same people matched by a key, or by legacy ids alone ---------------------------

def test_a_district_renumbered_without_legacy_ids_is_matched_by_email(tmp_path, source):
    engine = engine_on(tmp_path, source, match_existing=["email"])
    source.next = school_district()
    engine.sync(commit=True)
    engine.set_local_fields("student", "s004", {"notes": "laptop 12"})
    feed = renumbered(school_district(), new_id, types=PEOPLE_TYPES, legacy=False)
    source.next = feed
    report = engine.sync()
    assert all(c["add"] == c["archive"] == 0 for c in report["counts"].values())
    assert report["counts"]["section"]["update"] == 0  # members renumbered by the links
    staged = actions(engine, report["sync_id"])
    assert {a["link"]["by"] for a in staged.values()} == {"email"}
    engine.commit(report["sync_id"], force=True)
    assert stored(engine, "student")["new-s004"]["notes"] == "laptop 12"
    assert stored(engine, "section")["c1"]["student_ids"] == next(
        r["student_ids"] for r in feed.types["section"].records if r["source_id"] == "c1")


def test_legacy_ids_link_when_match_existing_is_empty(tmp_path, source):
    engine = engine_on(tmp_path, source, match_existing=[])
    source.next = school_district()
    engine.sync(commit=True)
    source.next = renumbered(school_district(), new_id)
    report = engine.sync()
    assert report["renumbered"] == 50
    assert all(c["add"] == c["archive"] == 0 for c in report["counts"].values())


def test_legacy_ids_are_read_from_the_fields_named():
    """`legacy_ids` by default; an `extra.<key>` names a column a connector keeps in
    extra; the record's own id, blanks and repeats are left out; no field: none."""
    rec = make("student", source_id="n1", legacy_ids=["a", "n1", " a ", ""],
               extra={"ic.legacysourceId": "b"})
    assert legacy_ids(rec, ("legacy_ids",)) == ["a"]
    assert legacy_ids(rec, ("legacy_ids", "extra.ic.legacysourceId")) == ["a", "b"]
    assert legacy_ids(rec, ()) == []


# -- ambiguity: never linked, always warned ----------------------------------------------

def small(tmp_path, source, **sync) -> Engine:
    engine = engine_on(tmp_path, source, **sync)
    source.next = school_district(6, 2)
    engine.sync(commit=True)
    return engine


def sent(*students: dict):
    """The small district with these students in place of s000 and s001."""
    feed = school_district(6, 2)
    records = feed.types["student"].records
    records[:] = [*students, *records[2:]]
    return feed


def test_two_new_records_naming_one_legacy_id_link_neither(tmp_path, source):
    engine = small(tmp_path, source)
    source.next = sent(student("n1", legacy_ids=["s000"]), student("n2", legacy_ids=["s000"]),
                       student("s001"))
    report = engine.sync()
    assert report["counts"]["student"] == {"add": 2, "update": 0, "archive": 1, "reactivate": 0}
    assert codes(report, "ambiguous_match") == {"n1", "n2"}
    assert "and 1 other new record(s) match" in message(report, "n1")


def test_a_legacy_id_naming_a_record_the_source_still_sends_links_nothing(tmp_path, source):
    engine = small(tmp_path, source, match_existing=["email"])
    # n1 names s001 (still sent) and has s000's email: not linked by either
    source.next = sent(student("n1", legacy_ids=["s001"], email="s000@example.org"),
                       student("s001"))
    report = engine.sync()
    assert report["counts"]["student"] == {"add": 1, "update": 0, "archive": 1, "reactivate": 0}
    assert codes(report, "ambiguous_match") == {"n1"}
    assert "legacy id s001, which the source still sends" in message(report, "n1")


def test_a_new_record_naming_two_old_ones_links_neither(tmp_path, source):
    engine = small(tmp_path, source)
    source.next = sent(student("n1", legacy_ids=["s000", "s001"]))
    report = engine.sync()
    assert report["counts"]["student"] == {"add": 1, "update": 0, "archive": 2, "reactivate": 0}
    assert codes(report, "ambiguous_match") == {"n1"}


def test_two_new_records_matching_one_account_by_email_link_neither(tmp_path, source):
    engine = small(tmp_path, source, match_existing=["email"])
    source.next = sent(student("n1", email="s000@example.org"),
                       student("n2", email="S000@example.org"), student("s001"))
    report = engine.sync()
    assert report["counts"]["student"]["add"] == 2
    assert codes(report, "ambiguous_match") == {"n1", "n2"}


def test_a_record_legacy_ids_contest_is_not_linked_by_email_either(tmp_path, source):
    engine = small(tmp_path, source, match_existing=["email"])
    source.next = sent(student("n1", legacy_ids=["s000"], email="s000@example.org"),
                       student("n2", legacy_ids=["s000"]), student("s001"))
    report = engine.sync()
    assert report["counts"]["student"]["add"] == 2 and report["renumbered"] == 0


def test_a_legacy_id_links_before_a_match_key(tmp_path, source):
    """n1 has s000's email but names s001 as its old id; n2 is s000 by its legacy id."""
    engine = small(tmp_path, source, match_existing=["email"])
    source.next = sent(student("n1", legacy_ids=["s001"], email="s000@example.org"),
                       student("n2", legacy_ids=["s000"]))
    report = engine.sync()
    staged = actions(engine, report["sync_id"])
    assert (staged["student:n1"]["link"], staged["student:n2"]["link"]) == (
        {"by": "legacy_id", "from": "s001"}, {"by": "legacy_id", "from": "s000"})


# -- schools, and a revert over an old id taken since -------------------------------------

def test_a_renumbered_school_stays_selected_and_warns(tmp_path, source):
    raw = {"source": {"kind": "oneroster_csv", "path": "src"},
           "store": {"path": "store.json"}, "schools": {"sch1": "Main site"}}
    engine = Engine(from_dict(raw, base_dir=tmp_path), connector=source)
    source.next = school_district()
    engine.sync(commit=True)
    source.next = renumbered(school_district(), new_id, types=("school",))
    report = engine.sync()
    assert codes(report, "renumbered_school") == {"new-sch1"}
    assert all(c["archive"] == c["add"] == 0 for c in report["counts"].values())
    assert report["counts"]["school"]["update"] == 2  # the two links, nothing else
    assert sum(c["update"] for c in report["counts"].values()) == 2


def test_a_revert_is_refused_when_an_old_id_was_given_to_another_record(committed, source):
    source.next = renumbered(school_district(), new_id)
    renumbering = committed.sync()["sync_id"]
    committed.commit(renumbering, force=True)
    feed = renumbered(school_district(), new_id)
    feed.types["student"].records.append(student("s004"))  # the old id, someone new
    source.next = feed
    committed.sync(commit=True)
    with pytest.raises(RosterError, match="student:new-s004"):
        committed.revert(renumbering)
    committed.revert(renumbering, force=True)  # the rest goes back; never two s004
    students = stored(committed, "student")
    assert students["s004"]["sis_id"] == "sis-s004" and "new-s004" in students
    assert "s003" in students and "new-s003" not in students


# -- commit then revert is the identity, for any renumbering ------------------------------

@st.composite
def renumberings(draw):
    """A district, and for its students and sections an injective map to new ids drawn
    from the old ids and fresh ones (so ids may be kept, swapped, or reused by another
    record, as well as replaced)."""
    n = draw(st.integers(2, 9))
    n_sections = draw(st.integers(1, 3))
    maps = {}
    for type_, ids in (("student", [f"s{i:03}" for i in range(n)]),
                       ("section", [f"c{k}" for k in range(n_sections)])):
        pool = ids + [f"x{type_[:2]}{i}" for i in range(len(ids))]
        maps[type_] = dict(zip(ids, draw(st.permutations(pool))))
    return n, n_sections, maps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=renumberings())
def test_commit_then_revert_of_any_renumbering_is_the_identity(case):
    n, n_sections, maps = case
    with tempfile.TemporaryDirectory() as folder:
        source = FeedSource()
        engine = engine_on(Path(folder), source)
        source.next = school_district(n, n_sections)
        engine.sync(commit=True)
        engine.set_local_fields("section", "c0", {"display_name": "Kept", "priority": 1})
        engine.set_local_fields("student", "s000", {"notes": "kept"})
        before = roster(engine)

        def move(sid: str) -> str:
            return maps.get("student", {}).get(sid) or maps["section"].get(sid, sid)

        source.next = renumbered(school_district(n, n_sections), move,
                                 types=("student", "section"))
        report = engine.sync()
        if report["status"] == "discarded":  # every id kept: nothing to do
            return
        engine.commit(report["sync_id"], force=True)
        assert Store(engine.store.path).load()  # a sound store (no id twice)
        engine.revert(report["sync_id"], force=True)
        assert roster(engine) == before


def test_a_local_account_link_is_not_counted_as_renumbered(tmp_path, source):
    engine = engine_on(tmp_path, source, match_existing=["email"])
    engine.create_local("student", {"first_name": "Ann", "last_name": "Lee",
                                    "email": "s000@example.org"})
    source.next = school_district(3, 1)
    report = engine.sync()
    assert report["renumbered"] == 0
    assert actions(engine, report["sync_id"])["student:s000"]["link"]["by"] == "email"


def test_a_record_the_source_keeps_is_never_linked_by_its_legacy_ids(committed, source):
    """Legacy ids are read on new records only: a record sent under its stored id is no
    link whatever legacy ids it carries, and a change to its legacy ids alone is no
    update."""
    feed = school_district()
    feed.types["student"].records[0]["legacy_ids"] = ["s001"]
    feed.types["student"].records[2]["legacy_ids"] = ["gone-long-ago"]
    source.next = feed
    report = committed.sync()
    assert report["status"] == "discarded"
    assert report["renumbered"] == 0 and codes(report, "ambiguous_match") == set()


def test_a_section_renumbered_with_its_members_moves_with_its_roster(committed, source):
    """Make sure a section's own link and its members' links agree: the section moves, its
    members are the new ids, and nothing else about it is staged."""
    feed = renumbered(school_district(), new_id, types=("student", "section"))
    source.next = feed
    report = committed.sync()
    staged = actions(committed, report["sync_id"])
    assert staged["section:new-c1"]["changes"].keys() == {"source_id", "legacy_ids"}
    committed.commit(report["sync_id"], force=True)
    c1 = stored(committed, "section")["new-c1"]
    assert c1["display_name"] == "Maths 7B"
    assert c1["student_ids"] == next(r["student_ids"] for r in feed.types["section"].records
                                     if r["source_id"] == "new-c1")


def test_a_legacy_id_naming_an_archived_record_links_and_reactivates_it(committed, source):
    """The archived record keeps its local fields and its history: it comes back under
    its new id, never as a second record beside it; a revert archives it again."""
    feed = school_district()
    feed.types["student"].records.pop(4)
    source.next = feed
    committed.sync(commit=True)  # s004 (notes "laptop 12") archived
    source.next = swapped(school_district(), {"s004": "new-s004"})
    report = committed.sync()
    assert report["counts"]["student"] == {"add": 0, "update": 0, "archive": 0,
                                           "reactivate": 1}
    link = actions(committed, report["sync_id"])["student:new-s004"]
    assert (link["kind"], link["link"], report["renumbered"]) == (
        "reactivate", {"by": "legacy_id", "from": "s004"}, 1)
    committed.commit(report["sync_id"])
    students = stored(committed, "student")
    assert "s004" not in students
    assert (students["new-s004"]["status"], students["new-s004"]["notes"]) == (
        "active", "laptop 12")
    committed.revert(report["sync_id"])
    students = stored(committed, "student")
    assert "new-s004" not in students and students["s004"]["status"] == "archived"


def test_legacy_id_fields_names_only_legacy_ids_or_an_extra_column(tmp_path):
    from rostertui.config import from_dict
    from rostertui.errors import RosterError

    def load(fields):
        return from_dict({"source": {"kind": "oneroster_csv", "path": "src"},
                          "store": {"path": "store.json"},
                          "sync": {"legacy_id_fields": fields}}, base_dir=tmp_path)
    assert load(["extra.ic.legacysourceId"]).sync.legacy_id_fields == (
        "extra.ic.legacysourceId",)
    with pytest.raises(RosterError, match="'sync.legacy_id_fields' names 'email'"):
        load(["email"])


# -- quick syncs: a renumbering sent as a delta ------------------------------------------

PEOPLE_COUNT = 3 + 1 + 30 + 10  # school_district(): teachers, staff, students, contacts


def test_a_renumbering_sent_as_a_delta_links_the_records_it_does_not_mention(
        committed, source):
    """A quick sync sends only the new ids: the old ones are neither sent nor said to be
    removed. They are linked, never added beside the old ones."""
    source.next = as_delta(renumbered(school_district(), new_id), PEOPLE_TYPES)
    report = committed.sync(trigger="auto", commit=True)
    assert all(c["add"] == c["archive"] == 0 for c in report["counts"].values())
    assert report["renumbered"] == PEOPLE_COUNT
    assert codes(report, "ambiguous_match") == set()
    assert report["status"] == "blocked"  # the whole district: the change guard's review
    assert all("sync.change_threshold_percent" in r for r in report["blocked_reasons"])
    committed.commit(report["sync_id"], force=True)
    students = stored(committed, "student")
    assert set(students) == {new_id(f"s{i:03}") for i in range(30)}
    assert students["new-s004"]["notes"] == "laptop 12"
    assert all(s.startswith("new-") for d in stored(committed, "section").values()
               for s in d["student_ids"] + d["teacher_ids"])


def test_a_few_records_renumbered_in_a_delta_commit_unattended_as_links(committed, source):
    feed = renumbered(school_district(), new_id, types=("student",))
    feed.types["student"].records[:] = [r for r in feed.types["student"].records
                                        if r["source_id"] in {"new-s003", "new-s004"}]
    source.next = as_delta(feed, ("student",))
    report = committed.sync(trigger="auto", commit=True)
    assert (report["status"], report["renumbered"]) == ("committed", 2)
    students = stored(committed, "student")
    assert {"s003", "s004"}.isdisjoint(students) and len(students) == 30
    assert students["new-s004"]["notes"] == "laptop 12"


def test_adds_naming_an_active_record_never_commit_as_duplicates(committed, source):
    """Two new records name s004 in a delta: neither is linked (ambiguity), and an
    unattended sync does not add them beside s004, which stays active."""
    feed = renumbered(school_district(), new_id, types=("student",))
    n1 = next(r for r in feed.types["student"].records if r["source_id"] == "new-s004")
    feed.types["student"].records[:] = [n1, {**n1, "source_id": "n2"}]
    before = roster(committed)
    source.next = as_delta(feed, ("student",))
    report = committed.sync(trigger="auto", commit=True)
    assert report["counts"]["student"]["add"] == 2
    assert codes(report, "ambiguous_match") == {"new-s004", "n2"}
    assert report["status"] == "blocked"
    assert any("n2 names s004" in r and "same person twice" in r
               for r in report["blocked_reasons"])
    assert roster(committed) == before


def test_a_link_in_a_delta_keeps_the_fields_the_delta_did_not_send(tmp_path, source):
    """A delta without the student's demographics row: the link keeps dob, gender and the
    demographic extras, as a plain delta update does."""
    engine = engine_on(tmp_path, source)
    feed = school_district(6, 2)
    feed.types["student"].records[0].update(dob="2011-02-03", gender="female",
                                            extra={"ell": "Y"})
    source.next = feed
    engine.sync(commit=True)
    delta = renumbered(school_district(6, 2), new_id, types=("student",))
    delta.types["student"].records[:] = delta.types["student"].records[:1]
    source.next = as_delta(delta, ("student",),
                           unsent=frozenset({"dob", "gender", "extra.*"}))
    report = engine.sync()
    link = actions(engine, report["sync_id"])["student:new-s000"]
    assert set(link["changes"]) == {"source_id", "legacy_ids"}
    engine.commit(report["sync_id"])
    doc = stored(engine, "student")["new-s000"]
    assert (doc["dob"], doc["gender"], doc["extra"]) == ("2011-02-03", "female", {"ell": "Y"})


# -- enrollments sent with the new ids; member lists -------------------------------------

def test_a_delta_renumbering_with_its_enrollments_holds_each_member_once(committed, source):
    """The delta's enrollments name the new ids, merged into rosters that still name the
    old ones: each member is in a section once (c0, which also gains s001, stages that
    move alone), and the next sync finds nothing."""
    feed = renumbered(school_district(), new_id, types=("student",))
    c0 = feed.types["section"].records[0]
    c0["student_ids"] = sorted([*c0["student_ids"], "new-s001"])
    source.next = as_delta(feed, ("student",), enrollments=True)
    report = committed.sync()
    sections = [a for a in actions(committed, report["sync_id"]).values()
                if a["type"] == "section"]
    assert [(a["id"], a["members"], a["changes"]["student_ids"][1]) for a in sections] == [
        ("section:c0", {"student_ids": {"added": ["new-s001"], "removed": []}},
         c0["student_ids"])]  # the links explain the other rosters
    committed.commit(report["sync_id"], force=True)
    sections = stored(committed, "section")
    assert {sid: d["student_ids"] for sid, d in sections.items()} == {
        r["source_id"]: r["student_ids"] for r in feed.types["section"].records}
    source.next = feed  # the same district, as a full sync sends it
    assert committed.sync()["status"] == "discarded"


def test_a_roster_changed_only_in_order_or_repeats_is_no_change(committed, source):
    feed = school_district()
    c0 = feed.types["section"].records[0]
    c0["student_ids"] = [*reversed(c0["student_ids"]), c0["student_ids"][0]]
    source.next = feed
    assert committed.sync()["status"] == "discarded"


# -- legacy ids kept, and a second renumbering -------------------------------------------

def test_legacy_ids_are_kept_when_the_source_stops_sending_them(committed, source):
    source.next = renumbered(school_district(), new_id)
    committed.commit(committed.sync()["sync_id"], force=True)
    source.next = renumbered(school_district(), new_id, legacy=False)
    assert committed.sync()["status"] == "discarded"
    assert stored(committed, "student")["new-s004"]["legacy_ids"] == ["s004"]


@pytest.mark.parametrize("legacy", ["original", "previous"])
def test_a_second_renumbering_links_again_keeping_every_earlier_id(committed, source, legacy):
    """Infinite Campus keeps the original id as the legacy id (v2-s -> v3-s, legacy s);
    another source names the previous one (legacy v2-s). Either links."""
    source.next = renumbered(school_district(), lambda sid: f"v2-{sid}")
    committed.commit(committed.sync()["sync_id"], force=True)
    v3 = renumbered(school_district(), lambda sid: f"v3-{sid}")
    if legacy == "previous":
        for records in (tf.records for tf in v3.types.values()):
            for rec in records:
                rec["legacy_ids"] = [f"v2-{rec['legacy_ids'][0]}"]
    source.next = v3
    report = committed.sync()
    assert all(c["add"] == c["archive"] == 0 for c in report["counts"].values())
    assert report["renumbered"] == 50
    assert actions(committed, report["sync_id"])["student:v3-s004"]["link"]["from"] == \
        "v2-s004"
    committed.commit(report["sync_id"], force=True)
    doc = stored(committed, "student")["v3-s004"]
    assert (doc["notes"], doc["legacy_ids"]) == ("laptop 12", ["s004", "v2-s004"])
    committed.revert(report["sync_id"], force=True)
    assert stored(committed, "student")["v2-s004"]["legacy_ids"] == ["s004"]


# -- ids swapped or reused: held for review ----------------------------------------------

@pytest.mark.parametrize("ids", [
    {"s004": "s005", "s005": "s004"},                      # a swap
    {"s004": "s005", "s005": "s006", "s006": "new-s006"},  # a chain
    {"s004": "s005", "s005": "s004", "s006": "s007", "s007": "s006"},
], ids=["swap", "chain", "two-swaps"])
def test_ids_swapped_or_reused_are_held_and_move_no_local_data(committed, source, ids):
    """Each names as its old id a record the source still sends: applied as updates, one
    child's notes would land on another. An unattended sync is blocked, naming them."""
    before = roster(committed)
    source.next = swapped(school_district(), ids)
    report = committed.sync(trigger="auto", commit=True)
    assert report["status"] == "blocked" and roster(committed) == before
    reason = next(r for r in report["blocked_reasons"] if "swapped or reused" in r)
    assert all(sid in reason for sid in ids)
    assert codes(report, "reused_id") | codes(report, "ambiguous_match") >= set(ids.values())


def test_unticking_the_swapped_records_unblocks_the_rest(committed, source):
    source.next = swapped(school_district(), {"s004": "s005", "s005": "s004"})
    report = committed.sync()
    committed.commit(report["sync_id"], disable=["student:s004", "student:s005"])
    students = stored(committed, "student")
    assert (students["s004"]["first_name"], students["s004"]["notes"]) == (
        "Firsts004", "laptop 12")
