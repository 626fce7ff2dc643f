"""District policies (issue 5): each item has a test that fails without it."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from tinydb import TinyDB

from rostertui.config import from_dict
from rostertui.engine import Engine
from rostertui.errors import BlockedError, RosterError
from rostertui.export import neutral
from rostertui.model import make

from ..support.feeds import carrying_everything, district, section


def engine_with(tmp_path, source, **sections) -> Engine:
    sync = sections.pop("sync", {})
    raw = {"source": {"kind": "oneroster_csv", "path": "src"}, "store": {"path": "store.json"},
           "sync": sync, **sections}
    return Engine(carrying_everything(from_dict(raw, base_dir=tmp_path), sync), connector=source)


def stored(engine, table):
    return {d["source_id"]: d for d in TinyDB(engine.store.path).table(table).all()}


def codes(report, code):
    return {w["source_id"] for w in report["warnings"] if w["code"] == code}


# 1. usernames ------------------------------------------------------------------------

def test_username_from_email_and_warnings(tmp_path, source):
    engine = engine_with(tmp_path, source, sync={"username_source": "email"})
    feed = district(3)
    students = feed.types["student"].records
    students[1]["email"] = ""                       # falls back to the district username
    students[2]["email"] = students[0]["email"]     # shares s0's email -> same username
    source.next = feed
    report = engine.sync(commit=True)
    got = {sid: d["username"] for sid, d in stored(engine, "students").items()}
    assert got == {"s0": "s0", "s1": "users1", "s2": "s0"}
    assert stored(engine, "students")["s0"]["extra"]["district_username"] == "users0"
    assert codes(report, "missing_username") == {"s1", "t1"}  # t1 has no email either
    assert codes(report, "duplicate_username") == {"s0", "s2"}


def test_district_username_falls_back_to_email_and_warns(tmp_path, source):
    engine = engine_with(tmp_path, source)
    feed = district(2)
    feed.types["student"].records[0]["username"] = ""
    feed.types["student"].records[1].update(username="", email="")
    source.next = feed
    report = engine.sync(commit=True)
    assert stored(engine, "students")["s0"]["username"] == "s0"
    messages = {w["source_id"]: w["message"] for w in report["warnings"]
                if w["code"] == "missing_username"}
    assert "using 's0'" in messages["s0"] and "no username could be made" in messages["s1"]


# 2 and 3. matching and local accounts -------------------------------------------------

def test_local_account_is_linked_by_email_not_added_twice(tmp_path, source):
    engine = engine_with(tmp_path, source, sync={"match_existing": ["source_id", "email"]})
    local = engine.create_local("student", {"first_name": "Ann", "last_name": "Lee",
                                            "email": "S1@example.org", "notes": "laptop 12"})
    source.next = district(2)
    report = engine.sync()
    action = {a["id"]: a for a in engine.plan(report["sync_id"])["actions"]}["student:s1"]
    assert action["kind"] == "update" and action["link"] == {"by": "email",
                                                            "from": local["source_id"]}
    assert action["label"].startswith("link ")
    engine.commit()
    students = stored(engine, "students")
    assert set(students) == {"s0", "s1"}
    assert students["s1"]["notes"] == "laptop 12" and students["s1"]["local"] is False
    assert students["s1"]["first_name"] == "Firsts1"


def test_source_id_change_links_instead_of_add_and_archive(tmp_path, source):
    engine = engine_with(tmp_path, source, sync={"match_existing": ["source_id", "username"]})
    source.next = district(3)
    engine.sync(commit=True)
    feed = district(3)
    feed.types["student"].records[0]["source_id"] = "new-s0"
    source.next = feed
    report = engine.sync(commit=True)
    assert report["counts"]["student"] == {"add": 0, "update": 1, "archive": 0, "reactivate": 0}
    assert "new-s0" in stored(engine, "students") and "s0" not in stored(engine, "students")


def test_ambiguous_match_links_nothing_and_warns(tmp_path, source):
    engine = engine_with(tmp_path, source, sync={"match_existing": ["name"]})
    for _ in range(2):
        engine.create_local("student", {"first_name": "Firsts0", "last_name": "Lasts0"})
    source.next = district(1)
    report = engine.sync()
    assert report["counts"]["student"]["add"] == 1
    assert codes(report, "ambiguous_match") == {"s0"}


def test_local_accounts_are_never_archived(tmp_path, source):
    engine = engine_with(tmp_path, source)
    engine.create_local("teacher", {"first_name": "Visiting", "last_name": "Tutor"})
    source.next = district(2)
    report = engine.sync(commit=True)
    assert report["counts"]["teacher"]["archive"] == 0
    assert sum(d["status"] == "active" for d in stored(engine, "teachers").values()) == 2


# 4. unique class names ---------------------------------------------------------------

def test_shared_section_names_get_the_source_id(tmp_path, source):
    engine = engine_with(tmp_path, source, sync={"unique_section_names": True})
    feed = district(2)
    feed.types["section"].records += [section("c2", name="Section c1"), section("c3")]
    source.next = feed
    engine.sync(commit=True)
    names = {s: d["name"] for s, d in stored(engine, "sections").items()}
    assert names == {"c1": "Section c1 - c1", "c2": "Section c1 - c2", "c3": "Section c3"}


# 5. guardians ------------------------------------------------------------------------

def guardian_feed():
    feed = district(2)
    feed.types["contact"].records = [make(
        "contact", source_id="g1", first_name="Pat", last_name="Parent", phone="555-0100",
        relationships=[{"student_id": "s0", "relationship": "Mother", "type": "guardian"}])]
    return feed


def test_contacts_keep_phone_relationship_and_students(tmp_path, source):
    engine = engine_with(tmp_path, source)
    source.next = guardian_feed()
    engine.sync(commit=True)
    contact = stored(engine, "contacts")["g1"]
    assert contact["phone"] == "555-0100"
    assert contact["relationships"] == [{"student_id": "s0", "relationship": "Mother",
                                         "type": "guardian"}]
    assert [c["source_id"] for c, _ in engine.catalog().contacts_of("s0")] == ["g1"]


def test_contacts_off_syncs_no_guardians(tmp_path, source):
    engine = engine_with(tmp_path, source, sync={"contacts": False})
    source.next = guardian_feed()
    report = engine.sync(commit=True)
    assert report["counts"]["contact"]["add"] == 0 and stored(engine, "contacts") == {}


# 6. data warnings --------------------------------------------------------------------

def test_data_warnings_cover_each_rule(tmp_path, source):
    engine = engine_with(tmp_path, source)
    feed = district(3)
    feed.types["student"].records[0]["email"] = ""
    feed.types["student"].records[1]["graduation_year"] = "2031"
    feed.types["teacher"].records[0]["email"] = ""
    feed.types["staff"].records = [make("staff", source_id="a1", first_name="", last_name="X",
                                        email="x@example.org")]
    feed.types["section"].records.append(section("c2", ["s1", "ghost"], teachers=()))
    source.next = feed
    report = engine.sync()
    assert codes(report, "missing_email") == {"s0", "t1"}
    assert codes(report, "missing_graduation_year") == {"s0", "s2"}
    assert codes(report, "missing_first_name") == {"a1"}
    assert codes(report, "missing_sis_id") == {"a1"}
    assert codes(report, "section_without_teacher") == {"c2"}
    assert codes(report, "unknown_reference") == {"c2"}
    assert all(set(w) >= {"code", "type", "source_id", "message"} for w in report["warnings"])


def test_duplicate_email_across_types(tmp_path, source):
    engine = engine_with(tmp_path, source)
    feed = district(1)
    feed.types["teacher"].records[0]["email"] = "s0@example.org"
    source.next = feed
    assert codes(engine.sync(), "duplicate_email") == {"s0", "t1"}


def test_warnings_csv_export_neutralises_formulas(tmp_path, source):
    engine = engine_with(tmp_path, source)
    feed = district(1)
    feed.types["student"].records[0].update(first_name="=HYPERLINK(\"x\")", email="")
    source.next = feed
    engine.sync()
    (tmp_path / "config.yaml").write_text(
        "source:\n  kind: oneroster_csv\n  path: src\nstore:\n  path: store.json\n")
    out = tmp_path / "w.csv"
    subprocess.run([sys.executable, "-m", "rostertui", "warnings", "--csv", str(out)],
                   cwd=tmp_path, check=True, capture_output=True)
    rows = list(csv.DictReader(out.open()))
    missing = [r for r in rows if r["code"] == "missing_email"]
    assert missing and missing[0]["message"].startswith("'=HYPERLINK")
    assert neutral("@cmd") == "'@cmd" and neutral("+1") == "'+1" and neutral("ok") == "ok"


def test_teacher_of_synced_section_from_unsynced_school_is_reported(tmp_path, source):
    engine = engine_with(tmp_path, source, schools={"sch1": "North"})
    feed = district(2)
    feed.types["teacher"].records[0]["school_ids"] = ["sch2"]
    source.next = feed
    report = engine.sync()
    assert codes(report, "outside_synced_schools") == {"t1"}
    assert report["counts"]["teacher"]["add"] == 0


# 7. capacity limits ------------------------------------------------------------------

def test_capacity_limits_block_with_the_numbers(tmp_path, source):
    engine = engine_with(tmp_path, source, limits={"max_users": 5, "max_sections": 1})
    source.next = district(5)
    report = engine.sync(commit=True)
    assert report["status"] == "blocked"
    assert "6 users (teachers, students and staff) after this sync, over limits.max_users (5)" \
        in report["blocked_reasons"]
    assert stored(engine, "students") == {}
    report = engine.commit(disable=["student:s4"])
    assert report["status"] == "committed" and len(stored(engine, "students")) == 4


# 8. schools --------------------------------------------------------------------------

def test_school_selection_maps_and_leaves_out_others(tmp_path, source):
    engine = engine_with(tmp_path, source, schools={"sch1": "North Campus"})
    feed = district(3)
    feed.types["school"].records.append(make("school", source_id="sch2", name="Other"))
    feed.types["student"].records[2]["school_ids"] = ["sch2"]
    feed.types["student"].records[1]["school_ids"] = ["sch1", "sch2"]
    feed.types["section"].records.append(section("c9", ["s2"], school_id="sch2"))
    source.next = feed
    engine.sync(commit=True)
    assert set(stored(engine, "students")) == {"s0", "s1"}
    assert set(stored(engine, "sections")) == {"c1"}
    rows = {r["school"]["source_id"]: r for r in engine.schools()}
    assert rows["sch1"]["synced"] and rows["sch1"]["local_org"] == "North Campus"
    assert not rows["sch2"]["synced"] and rows["sch2"]["local_org"] is None


# 9. section rules --------------------------------------------------------------------

def test_section_rules_filter_and_count(tmp_path, source):
    rules = {"include": [{"school": "sch1"}],
             "exclude": [{"subject": "study*"}, {"name": "*lunch*", "period": "4"}]}
    engine = engine_with(tmp_path, source, sync={"sections": rules})
    feed = district(2)
    feed.types["section"].records += [
        section("c2", subject="Study Hall"), section("c3", name="Lunch B", period="4"),
        section("c4", name="Lunch C", period="5"), section("c5", school_id="sch2"),
        section("c6", class_type="homeroom", subject="homeroom/advisory")]
    source.next = feed
    report = engine.sync(commit=True)
    assert set(stored(engine, "sections")) == {"c1", "c4", "c6"}
    rules_seen = {r["rule"]: r["removed"] for r in engine.plan(report["sync_id"])["rules"]}
    assert rules_seen == {"include: matched none of school=sch1": 1,
                          "exclude: subject=study*": 1, "exclude: name=*lunch*, period=4": 1}
    homerooms = [d["source_id"] for d in engine.catalog().rows("section")
                 if d["class_type"] == "homeroom"]
    assert homerooms == ["c6"]


def test_bad_rule_is_a_clear_config_error(tmp_path, source):
    with pytest.raises(RosterError, match="'sync.sections.exclude' rule 1 has unknown key 'room'"):
        engine_with(tmp_path, source, sync={"sections": {"exclude": [{"room": "1"}]}})


# 10. local fields --------------------------------------------------------------------

def test_local_fields_survive_a_sync(tmp_path, source):
    engine = engine_with(tmp_path, source)
    source.next = district(2)
    engine.sync(commit=True)
    engine.set_local_fields("section", "c1", {"display_name": "Algebra (Room 4)",
                                              "notes": "projector", "priority": 2})
    feed = district(2)
    feed.types["section"].records[0]["name"] = "Algebra I"
    source.next = feed
    engine.sync(commit=True)
    sec = stored(engine, "sections")["c1"]
    assert sec["name"] == "Algebra I" and sec["display_name"] == "Algebra (Room 4)"
    assert sec["notes"] == "projector" and sec["priority"] == 2
    with pytest.raises(RosterError, match="'name' is not a local field"):
        engine.set_local_fields("section", "c1", {"name": "x"})


def test_local_field_edit_does_not_stale_a_staged_sync(tmp_path, source):
    engine = engine_with(tmp_path, source)
    source.next = district(2)
    engine.sync()
    source.next = district(2)
    engine.sync(commit=True)
    feed = district(3)
    source.next = feed
    staged = engine.sync()
    engine.set_local_fields("section", "c1", {"notes": "x"})
    assert engine.commit(staged["sync_id"])["status"] == "committed"


# 11. schedules -----------------------------------------------------------------------

@pytest.mark.parametrize("kind, expect", [
    ("cron", "30 6 * * 1 "), ("systemd", "OnCalendar=Mon *-*-* 06:30:00")])
def test_schedule_prints_an_unattended_quick_sync(tmp_path, kind, expect):
    (tmp_path / "config.yaml").write_text(
        "source:\n  kind: oneroster_csv\n  path: src\nstore:\n  path: store.json\n")
    out = subprocess.run([sys.executable, "-m", "rostertui", "schedule", "--print", kind,
                          "--every", "weekly", "--at", "06:30"], cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    assert expect in out
    assert f"--config {tmp_path / 'config.yaml'} sync --quick --commit --auto" in out


def test_unattended_blocked_sync_stays_staged_and_exits_3(tmp_path, source):
    engine = engine_with(tmp_path, source, sync={"delete_threshold": 0})
    source.next = district(3)
    engine.sync(commit=True, trigger="auto", force=True)
    feed = district(3)
    feed.types["student"].records.pop()
    source.next = feed
    report = engine.sync(commit=True, trigger="auto")
    assert report["status"] == "blocked"
    with pytest.raises(BlockedError):
        engine.commit()
    assert engine.history()[0]["trigger"] == "auto"
