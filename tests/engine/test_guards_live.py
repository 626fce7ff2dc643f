"""The guards (rostertui/safety.py) against live sources: the loopback Clever and OneRoster
REST servers, and real CLI processes.

Per source kind a store holds the district committed once. Then the server starts to
send what a failure at the source looks like (LoopbackServer.serve: the records are
changed on the wire, the server's data kept): every user's email blanked, sections with
no students, sections with no enrollments at all, the user list empty (sharing revoked).
Each time `sync --commit` exits 3, the sync is staged as blocked with the reasons that
name the type, the field and the counts (computed here from the store), and the roster
tables are unchanged; `commit --force` then applies it.

Clever serves its demo district (1,004 students, 378 sections). OneRoster REST serves the
padded Ed-Fi district of the hostile corpus (tests/support/hostile/sets.py: 100 students, 40
sections): the clear, enrollment and change guards need at least 10 affected records,
more than the Ed-Fi set's 8 students and 2 sections.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import yaml

from connectors.loopback.clever_server import CleverServer
from connectors.loopback.oneroster_server import CLIENT_ID, CLIENT_SECRET, OneRosterServer
from rostertui.model import ACTIVE, ARCHIVED, TABLES

from ..support.hostile.sets import padded
from ..support.hostile.workdir import STORE, Workdir
from ..support.paths import FIXTURES

CLEVER_FIXTURES = FIXTURES / "clever-v3-demo"
EDFI = FIXTURES / "oneroster-csv" / "edfi-v1p1"
PEOPLE = ("teacher", "student", "staff", "contact")  # in the order of the block reasons


def clever_config(server) -> str:
    return yaml.safe_dump({"source": {"kind": "clever", "base_url": server.url,
                                      "token": server.token},
                           "store": {"path": STORE}})


def oneroster_config(server) -> str:
    return yaml.safe_dump({"source": {"kind": "oneroster_rest", "base_url": server.base_url,
                                      "auth": "oauth1", "client_id": CLIENT_ID,
                                      "client_secret": CLIENT_SECRET, "page_size": 50,
                                      "demographics": True},
                           "store": {"path": STORE}})


@pytest.fixture(scope="module")
def padded_set(tmp_path_factory):
    """The padded Ed-Fi set, for the OneRoster REST server to serve."""
    folder = tmp_path_factory.mktemp("padded") / "set"
    shutil.copytree(EDFI, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    padded(folder)
    return folder


@pytest.fixture(scope="module")
def servers(padded_set) -> dict[str, Callable]:
    return {"clever": lambda: CleverServer(CLEVER_FIXTURES),
            "oneroster_rest": lambda: OneRosterServer(padded_set)}


CONFIGS = {"clever": clever_config, "oneroster_rest": oneroster_config}


@pytest.fixture(scope="module")
def committed(tmp_path_factory, servers) -> dict[str, Workdir]:
    """Per source kind, a store holding the district, committed by a real CLI process."""
    out = {}
    for kind, server in servers.items():
        work = Workdir(tmp_path_factory.mktemp(kind))
        with server() as live:
            work.write_config(CONFIGS[kind](live))
            run = work.cli("sync", "--commit", "--json")
        assert run.code == 0 and run.json["status"] == "committed", run.err
        out[kind] = work
    return out


# -- what the servers send ---------------------------------------------------------------

def clever_blank_emails(user: dict) -> dict:
    user["email"] = ""
    for role in user["roles"].values():
        if "email" in role:
            role["email"] = ""
    return user


def oneroster_blank_emails(user: dict) -> dict:
    user["email"] = ""
    return user


def clever_no_students(section: dict) -> dict:
    section["students"] = []
    return section


def clever_no_members(section: dict) -> dict:
    section.pop("teacher", None)
    section["students"] = section["teachers"] = []
    return section


def nothing(record: dict) -> None:
    return None


# collection -> how each record is sent, per source kind
SENT = {
    ("clever", "emails-blanked"): {"users": clever_blank_emails},
    ("oneroster_rest", "emails-blanked"): {"users": oneroster_blank_emails},
    ("clever", "sections-without-students"): {"sections": clever_no_students},
    ("oneroster_rest", "sections-without-students"): {
        "enrollments": lambda e: None if e["role"] == "student" else e},
    ("clever", "sections-without-enrollments"): {"sections": clever_no_members},
    ("oneroster_rest", "sections-without-enrollments"): {"enrollments": nothing},
    ("clever", "users-gone"): {"users": nothing},
    # with enrollments still naming the users, the set is refused instead (exit 1)
    ("oneroster_rest", "users-gone"): {"users": nothing, "enrollments": nothing,
                                       "demographics": nothing},
}


# -- what the guards must say, from the store before the sync ------------------------------

def share(n: int, of: int, what: str) -> str:
    return f"{n} of {of} {what} ({n * 100 / of:.1f}%)".replace(".0%)", "%)")


def over(n: int, of: int, percent: int) -> bool:
    return n >= 10 and n * 100 > percent * of


def active(work: Workdir, type_: str) -> list[dict]:
    return [d for d in work.table(TABLES[type_]).values() if d["status"] == ACTIVE]


def emails_reasons(work: Workdir) -> list[str]:
    """Per type, every email held is cleared, and so every record holding one changed."""
    held = {t: (sum(bool(p.get("email")) for p in active(work, t)), len(active(work, t)))
            for t in PEOPLE}
    clears = [f"{share(n, of, 'active ' + TABLES[t])} would have email cleared, over "
              "sync.clear_threshold_percent (10%)" for t, (n, of) in held.items()
              if over(n, of, 10)]
    changes = [f"{share(n, of, 'active ' + TABLES[t])} would be changed (updated, archived, "
               "reactivated or removed), over sync.change_threshold_percent (50%)"
               for t, (n, of) in held.items() if over(n, of, 50)]
    assert clears
    return clears + changes


def sections_reasons(fields: tuple[str, ...]) -> Callable[[Workdir], list[str]]:
    """When the sections lose every member in `fields`: the clear guard's reason for each
    of those fields, and the enrollment guard's two (a roster-only section update is no
    change for the change guard)."""
    def reasons(work: Workdir) -> list[str]:
        sections = active(work, "section")
        total = sum(len(s[f] or ()) for s in sections for f in ("student_ids", "teacher_ids"))
        removed = sum(len(s[f] or ()) for s in sections for f in fields)
        held = sum(bool(s["student_ids"] or s["teacher_ids"]) for s in sections)
        left = sum(any(s[f] for f in fields) for s in sections)
        emptied = {f: sum(bool(s[f]) for s in sections) if f in fields else 0
                   for f in ("student_ids", "teacher_ids")}
        assert over(removed, total, 25) and over(left, held, 25)
        return [*(f"{share(emptied[f], len(sections), 'active sections')} would have {f} "
                  "cleared, over sync.clear_threshold_percent (10%)" for f in fields),
                f"{share(removed, total, 'active enrollments')} would be removed (section "
                "student_ids and teacher_ids), over sync.enrollment_threshold_percent (25%)",
                f"{share(left, held, 'active sections with members')} would be left with "
                f"no students ({emptied['student_ids']}, student_ids) or no teacher "
                f"({emptied['teacher_ids']}, teacher_ids), over "
                "sync.enrollment_threshold_percent (25%)"]
    return reasons


def users_gone_reasons(work: Workdir) -> list[str]:
    """Every person archived: the delete guards, and the change guard, per type."""
    counts = {t: len(active(work, t)) for t in PEOPLE}
    out = [f"{share(n, n, 'active ' + TABLES[t])} would be archived, over "
           "sync.delete_threshold_percent (25%)" for t, n in counts.items() if n]
    if sum(counts.values()) > 500:
        out.insert(0, f"{sum(counts.values())} records would be archived, over "
                      "sync.delete_threshold (500)")
    return out + [f"{share(n, n, 'active ' + TABLES[t])} would be changed (updated, "
                  "archived, reactivated or removed), over sync.change_threshold_percent "
                  "(50%)" for t, n in counts.items() if n >= 10]


# -- what `commit --force` must have applied ------------------------------------------------

def emails_blanked(work: Workdir) -> None:
    for type_ in ("student", "teacher"):
        assert active(work, type_) and not any(p.get("email") for p in active(work, type_))


def sections_emptied(*fields: str) -> Callable[[Workdir], None]:
    def check(work: Workdir) -> None:
        assert active(work, "section")
        assert not any(s[f] for s in active(work, "section") for f in fields)
    return check


def users_archived(work: Workdir) -> None:
    for type_ in ("student", "teacher"):
        people = work.table(TABLES[type_]).values()
        assert people and all(p["status"] == ARCHIVED for p in people)


@dataclass(frozen=True)
class Scenario:
    id: str
    reasons: Callable[[Workdir], list[str]]  # the block reasons, each in full
    exact: bool                              # the only reasons (else: among them)
    applied: Callable[[Workdir], None]       # holds once `commit --force` applied it


SCENARIOS = [
    Scenario("emails-blanked", emails_reasons, True, emails_blanked),
    Scenario("sections-without-students", sections_reasons(("student_ids",)), True,
             sections_emptied("student_ids")),
    Scenario("sections-without-enrollments", sections_reasons(("student_ids", "teacher_ids")),
             True, sections_emptied("student_ids", "teacher_ids")),
    # the sections still naming the users may be emptied too: other reasons may join
    Scenario("users-gone", users_gone_reasons, False, users_archived),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
@pytest.mark.parametrize("kind", CONFIGS)
def test_a_failure_at_the_source_is_blocked_until_forced(kind, scenario, committed, servers,
                                                         tmp_path):
    work = Workdir(tmp_path)
    work.copy_store(committed[kind])
    expected = scenario.reasons(work)
    roster, syncs = work.roster(), work.syncs()

    with servers[kind]() as server:
        for collection, change in SENT[kind, scenario.id].items():
            server.serve(collection, change)
        work.write_config(CONFIGS[kind](server))
        run = work.cli("sync", "--commit", "--json")

        assert run.code == 3, run.err
        report = run.json
        assert report["status"] == "blocked"
        reasons = report["blocked_reasons"]
        if scenario.exact:
            assert reasons == expected
        else:
            assert set(expected) <= set(reasons), reasons
        assert work.roster() == roster
        *older, newest = work.syncs()
        assert older == syncs
        assert (newest["id"], newest["status"]) == (report["sync_id"], "blocked")
        assert f"sync-{report['sync_id']}.json" in work.plans()

        forced = work.cli("commit", "--force", "--json")
    assert forced.code == 0, forced.err
    newest = work.syncs()[-1]
    assert (newest["id"], newest["status"]) == (report["sync_id"], "committed")
    assert work.roster() != roster
    scenario.applied(work)
