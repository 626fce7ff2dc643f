"""Feeds built in code (a small district: one school, one teacher, students in one
section), FeedSource: the connector that serves the feed a test gives it, and `config`:
the settings of an engine on a test's folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from connectors.feed import Feed, SourceError, TypeFeed
from rostertui.config import REQUIRED_FIELDS, Config, from_dict
from rostertui.model import make


class FeedSource:
    """A connector whose next fetch returns the feed (or raises the error) it was given."""

    kind = "test"

    def __init__(self):
        self.next: Feed | SourceError | None = None

    def fetch(self, mode, cursor, progress=None):
        self.last_cursor = cursor
        if isinstance(self.next, Exception):
            raise self.next
        return self.next

    def check(self):
        return {"district": "Test", "schools": [], "counts": {}}


def config(tmp_path: Path, **sync):
    return carrying_everything(from_dict({"source": {"kind": "oneroster_csv", "path": "src"},
                                          "store": {"path": "store.json"}, "sync": sync},
                                         base_dir=tmp_path), sync)


def carrying_everything(cfg: Config, sync: dict) -> Config:
    """A FeedSource's feeds may carry any field, a graduation year too: unless the test
    names its own, every default required field is checked (a OneRoster CSV source, as
    the config says, would not be asked for a graduation year)."""
    if "required_fields" not in sync:
        every = {type_: tuple(fields) for type_, fields in REQUIRED_FIELDS.items()}
        cfg.sync = replace(cfg.sync, required_fields=every)
    return cfg


def student(sid: str, **values) -> dict:
    values.setdefault("first_name", f"First{sid}")
    values.setdefault("last_name", f"Last{sid}")
    values.setdefault("email", f"{sid}@example.org")
    values.setdefault("username", f"user{sid}")
    values.setdefault("school_ids", ["sch1"])
    return make("student", source_id=sid, sis_id=f"sis-{sid}", **values)


def section(sid: str, students=(), teachers=("t1",), **values) -> dict:
    values.setdefault("name", f"Section {sid}")
    values.setdefault("school_id", "sch1")
    return make("section", source_id=sid, student_ids=list(students),
                teacher_ids=list(teachers), **values)


def full_feed(**types) -> Feed:
    """A full snapshot: every action type complete (empty unless given)."""
    feeds = {t: TypeFeed(complete=True, records=types.get(t, []))
             for t in ("school", "teacher", "student", "staff", "contact", "section")}
    return Feed(source="test", mode="full", types=feeds)


def district(n_students: int = 10, **extra) -> Feed:
    """A small district: one school, one teacher, n students in one section."""
    students = [student(f"s{i}") for i in range(n_students)]
    return full_feed(school=[make("school", source_id="sch1", name="High")],
                     teacher=[make("teacher", source_id="t1", first_name="Tea",
                                   last_name="Cher", school_ids=["sch1"])],
                     student=students,
                     section=[section("c1", [s["source_id"] for s in students])], **extra)
