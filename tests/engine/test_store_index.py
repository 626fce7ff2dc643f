"""The store's index (rostertui/store_index.py): derived files beside the store that the
dashboard reads instead of parsing it. Written with every store write; rebuilt when
missing or stale; never trusted over the store; deleting it loses nothing."""

from __future__ import annotations

import json
import shutil

import orjson
import pytest
from tinydb import Query, TinyDB

from rostertui import store as store_mod
from rostertui.catalog import Catalog
from rostertui.engine import Engine
from rostertui.model import ALL_TYPES, TABLES

from ..support.feeds import district, section, student


def school(n: int = 30):
    """`n` students in two classes; s0 has a preferred name and a legacy id."""
    feed = district(n)
    students = feed.types["student"].records
    students[0]["extra"] = {"preferred_first_name": "Annie", "ethnicity": "x"}
    students[0]["legacy_ids"] = ["old-s0"]
    feed.types["section"].records.append(section("c2", [f"s{i}" for i in range(5)]))
    return feed


@pytest.fixture
def committed(engine, source):
    source.next = school()
    engine.sync(commit=True)
    return engine


def loaded(view) -> Catalog:
    catalog = Catalog(view)
    for type_ in ALL_TYPES:
        catalog.load(type_)
    return catalog


def listing(catalog: Catalog) -> dict[str, list]:
    return {t: [(d, catalog.rows(t, text=d["source_id"])[0]["source_id"])
                for d in catalog.docs(t)] for t in ALL_TYPES}


def test_a_write_leaves_an_index_that_lists_what_the_store_holds(committed):
    view = committed.store.index.open()
    assert view is not None  # fresh: no parse needed
    catalog, parsed = loaded(view), Catalog.of(committed.store.load())
    assert listing(catalog) == listing(parsed)
    assert view.light()["syncs"] == TinyDB(committed.store.path).table("syncs")._read_table()
    assert committed.status(view)["counts"] == committed.status()["counts"]
    assert catalog.sections_of("s0") == parsed.sections_of("s0") != []
    assert catalog.school_stats() == parsed.school_stats() == {
        "sch1": {"users": 31, "sections": 2}}  # 30 students and a teacher


def test_a_list_holds_entries_and_the_whole_record_is_read_from_the_store(committed):
    catalog = loaded(committed.store.index.open())
    entry = catalog.entry("student", "s0")
    assert entry["extra"] == {"preferred_first_name": "Annie"} and "legacy_ids" not in entry
    assert catalog.name("student", "s0") == "Firsts0 Lasts0"
    whole = catalog.get("student", "s0")
    assert whole == TinyDB(committed.store.path).table("students").get(
        Query().source_id == "s0")
    assert whole["legacy_ids"] == ["old-s0"] and whole["extra"]["ethnicity"] == "x"


def test_a_deleted_index_is_rebuilt_from_the_store_which_it_never_writes(committed):
    before = committed.store.path.read_bytes()
    fresh = Engine(committed.config, connector=committed.connector)
    shutil.rmtree(committed.store.index.folder)
    view = fresh.view()  # rebuilt, in a child process
    assert committed.store.index.open() is not None
    assert listing(loaded(view)) == listing(Catalog.of(committed.store.load()))
    assert committed.store.path.read_bytes() == before
    assert orjson.loads(committed.store.index.head_path.read_bytes())["records"] is None


def test_a_store_written_by_plain_tinydb_is_never_read_through_its_old_index(committed):
    db = TinyDB(committed.store.path)  # its own storage: another layout, the index stale
    db.table("students").update({"last_name": "Renamed"}, Query().source_id == "s1")
    db.close()
    assert committed.store.index.open() is None
    assert Engine(committed.config, connector=committed.connector).store.load()[
        "students"]["2"]["last_name"] == "Renamed"
    catalog = loaded(committed.view())  # rebuilt: the records laid out in its folder
    assert catalog.entry("student", "s1")["last_name"] == "Renamed"
    assert catalog.get("student", "s1")["last_name"] == "Renamed"
    head = orjson.loads(committed.store.index.head_path.read_bytes())
    assert head["records"].startswith("records-")


def test_a_store_changed_in_place_under_an_open_view_is_not_read_through_it(committed):
    view = committed.store.index.open()
    catalog = loaded(view)
    text = json.dumps(json.loads(committed.store.path.read_text()))  # another layout
    with open(committed.store.path, "r+") as fh:  # in place: the same inode
        fh.write(text)
        fh.truncate()
    assert catalog.entry("student", "s2") is not None
    assert catalog.get("student", "s2") is None  # not read through the old layout
    assert not committed.store.index.head_path.exists()  # dropped: rebuilt next time


def test_a_load_reads_a_chunk_at_a_time_only_what_a_whole_parse_reads(committed, monkeypatch):
    whole = orjson.loads(committed.store.path.read_bytes())
    chunked = []
    real = store_mod.loads_chunked
    monkeypatch.setattr(store_mod, "loads_chunked",
                        lambda *a: chunked.append(1) or real(*a))
    data = committed.store.load()
    assert chunked and {t: data[t] for t in whole} == whole
    head = orjson.loads(committed.store.index.head_path.read_bytes())
    spans = head["layout"][TABLES["student"]]
    spans[0][1] -= 1  # a layout that does not fit the file: parsed whole instead
    committed.store.index.head_path.write_bytes(orjson.dumps(head))
    assert {t: committed.store.load()[t] for t in whole} == whole


def test_an_index_that_cannot_be_written_fails_no_write(committed, source):
    shutil.rmtree(committed.store.index.folder)
    committed.store.index.folder.write_text("not a folder")  # every index write fails
    source.next = school(31)
    assert committed.sync(commit=True)["status"] == "committed"
    catalog = loaded(committed.view())  # read without an index, correctly
    assert catalog.entry("student", "s30") is not None


def test_a_list_is_written_again_only_when_its_tables_change(committed, source):
    lists = set(p.name for p in committed.store.index.folder.glob("*.list"))
    committed.set_sync_enabled(False)  # the meta changes, no table of records
    assert set(p.name for p in committed.store.index.folder.glob("*.list")) == lists
    feed = school()
    feed.types["teacher"].records[0]["last_name"] = "Newname"  # classes name their teacher
    source.next = feed
    committed.sync(commit=True)
    now = set(p.name for p in committed.store.index.folder.glob("*.list"))
    assert {n.split("-")[0] for n in now - lists} == {"teacher", "section"}
    assert loaded(committed.view()).rows("section", text="newname")


def test_rows_read_while_a_type_is_loading_are_none_not_wrong(committed):
    catalog = Catalog(committed.view())
    catalog.load("school")
    assert catalog.docs("student") == [] and catalog.get("student", "s0") is None
    assert catalog.name("student", "s0") == "s0" and catalog.sections_of("s0") == []
    catalog.load("student")
    assert [d["source_id"] for d in catalog.rows("student", text="lasts0")] == ["s0"]


def test_a_student_added_by_hand_shows_in_the_lists(committed):
    data = committed.store.load()
    data["students"]["99"] = {**student("s99", last_name="Byhand"), "status": "active"}
    committed.store.write(data)
    assert loaded(committed.view()).entry("student", "s99")["last_name"] == "Byhand"


def test_typing_on_narrows_a_search_to_what_a_fresh_search_finds(committed):
    catalog = loaded(committed.view())

    def found(text: str, **filters: str) -> list[str]:
        return [d["source_id"] for d in catalog.rows("student", text=text, **filters)]

    typed = [found(t) for t in ("l", "la", "lasts1", "lasts2", "s2")]
    fresh = loaded(committed.view())
    assert typed == [[d["source_id"] for d in fresh.rows("student", text=t)]
                     for t in ("l", "la", "lasts1", "lasts2", "s2")]
    assert typed[2] == ["s1", *(f"s{i}" for i in range(10, 20))] and typed[3][0] == "s2"
    assert found("lasts1", status="active", school="sch1") == typed[2]
    assert found("lasts1", status="archived") == [] == found("lasts1", school="sch9")
