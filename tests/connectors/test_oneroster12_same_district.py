"""One district, written by hand as a OneRoster 1.1 CSV set and as a 1.2 CSV set
(tests/fixtures/oneroster-v1p1-same-district, oneroster-v1p2-same-district: in 1.2 the
roles are in roles.csv, a teacher at two schools has a secondary role listed first, and
every 1.2-only column is empty), read as 1.1 CSV, 1.2 CSV, 1.1 REST and 1.2 REST: the
four give identical feeds, and identical stores once committed. Exactly: every field,
legacy ids from metadata.ic.legacysourceId included; what only 1.2 carries (preferred
names, other roles) is tested in test_oneroster12_csv.py."""

from __future__ import annotations

import pytest
from tinydb import TinyDB

from connectors.feed import Connector
from connectors.http import RetryPolicy
from connectors.loopback.oneroster12_server import OneRoster12Server
from connectors.loopback.oneroster_server import CLIENT_ID, CLIENT_SECRET, OneRosterServer
from connectors.oneroster_csv import OneRosterCsvConnector
from connectors.oneroster_rest import OneRosterRestConnector
from rostertui.engine import Engine
from rostertui.model import ALL_TYPES, TABLES

from ..support.feeds import config
from ..support.paths import FIXTURES

V11 = FIXTURES / "oneroster-v1p1-same-district"
V12 = FIXTURES / "oneroster-v1p2-same-district"
FAST = RetryPolicy(attempts=2, base=0.01, max_wait=0.05)
SOURCES = ("1.1 CSV", "1.2 CSV", "1.1 REST", "1.2 REST")


@pytest.fixture
def connectors():
    """The district's four sources, by name."""
    with OneRosterServer(V11) as rest11, OneRoster12Server(V12) as rest12:
        yield {"1.1 CSV": OneRosterCsvConnector(V11), "1.2 CSV": OneRosterCsvConnector(V12),
               "1.1 REST": OneRosterRestConnector(rest11.base_url, "oauth1", CLIENT_ID,
                                                  CLIENT_SECRET, page_size=4,
                                                  demographics=True, retry=FAST),
               "1.2 REST": OneRosterRestConnector(rest12.base_url, "oauth2", CLIENT_ID,
                                                  CLIENT_SECRET, token_url=rest12.token_url,
                                                  page_size=4, demographics=True,
                                                  retry=FAST, version="1.2")}


def snapshot(connector: Connector) -> dict:
    """Everything a feed says, in a stable order; warnings without their message, which
    names the file and line (users.csv line 7, /users line 6)."""
    feed = connector.fetch("full", None)
    assert feed.membership is not None
    return {"mode": feed.mode, "district": feed.district,
            "types": {t: (f.complete, sorted(f.records, key=lambda r: r["source_id"]),
                          sorted(f.deleted), f.unsent) for t, f in feed.types.items()},
            "membership": (feed.membership.complete, sorted(feed.membership.rows)),
            "warnings": sorted((w["code"], w["type"], w["source_id"]) for w in feed.warnings)}


def test_the_four_sources_give_identical_feeds(connectors):
    feeds = {name: snapshot(c) for name, c in connectors.items()}
    assert all(feeds[name] == feeds["1.1 CSV"] for name in SOURCES), [
        name for name in SOURCES if feeds[name] != feeds["1.1 CSV"]]
    district = feeds["1.1 CSV"]
    assert {t: len(v[1]) for t, v in district["types"].items()} == {
        "school": 2, "term": 3, "course": 3, "section": 3, "teacher": 2, "student": 5,
        "staff": 1, "contact": 2}
    teachers = {r["source_id"]: r for r in district["types"]["teacher"][1]}
    assert teachers["t-lindqvist"]["school_ids"] == ["mv-high", "mv-middle"]
    assert teachers["t-lindqvist"]["legacy_ids"] == ["T-88"]
    assert district["warnings"] == [("missing_email", "student", "s-novak")]


def test_the_four_sources_commit_identical_stores(tmp_path, connectors):
    tables = {}
    for n, (name, connector) in enumerate(connectors.items()):
        engine = Engine(config(tmp_path / str(n)), connector=connector)
        assert engine.sync(commit=True)["status"] == "committed", name
        db = TinyDB(engine.store.path)
        tables[name] = {t: sorted(db.table(TABLES[t]).all(), key=lambda d: d["source_id"])
                        for t in ALL_TYPES}
        db.close()
    assert all(tables[name] == tables["1.1 CSV"] for name in SOURCES)
    sections = {d["source_id"]: d for d in tables["1.1 CSV"]["section"]}
    assert sections["cls-bio-p3"]["teacher_ids"] == ["t-lindqvist", "t-okafor"]
    assert sections["cls-bio-p3"]["school_id"] == "mv-high"  # from its department
