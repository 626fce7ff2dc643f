"""The dashboard's fixed district (tests/support/dashboard.py) with the names that test a
layout: a long school name, two terms, and classes whose names differ only at their end
(six homerooms of one grade, by their teacher) or not at all (two periods of one class)."""

from __future__ import annotations

from connectors.feed import Feed, TypeFeed
from rostertui.engine import Engine
from rostertui.model import make

from .dashboard import day1, day2, make_config
from .feeds import FeedSource, section

LONG_SCHOOL = "Springfield Elementary School of the Arts"
TERMS = {"fall": "Fall 2025", "spring": "Spring 2026"}
HOMEROOM_TEACHERS = {"t2": "Abernathy", "t3": "Castellanos", "t4": "Fitzgerald",
                     "t5": "Nakamura", "t6": "Whitfield", "t7": "Yellowhorse"}
TWIN = "Mathematics Grade 1 Advanced Placement"  # two sections of this name
TWIN_PERIODS = {"m1": ("2", "t2"), "m2": ("5", "t3")}  # section -> (period, teacher)


def with_classes(feed: Feed) -> Feed:
    """`feed` (day1() or day2()) with the long names and the classes alike."""
    feed.types["school"].records[0]["name"] = LONG_SCHOOL
    feed.types["term"] = TypeFeed(complete=True, records=[
        make("term", source_id=sid, name=name) for sid, name in TERMS.items()])
    feed.types["teacher"].records += [
        make("teacher", source_id=tid, first_name="Teacher", last_name=surname,
             school_ids=["sch1"]) for tid, surname in HOMEROOM_TEACHERS.items()]
    pupils = [f"s{i}" for i in range(10)]
    feed.types["section"].records += [
        section(f"h{tid}", pupils, teachers=(tid,), name=f"Homeroom Grade 1 - {surname}",
                class_type="homeroom", term_ids=list(TERMS))
        for tid, surname in HOMEROOM_TEACHERS.items()]
    feed.types["section"].records += [
        section(sid, pupils[:5], teachers=(tid,), name=TWIN, period=period,
                subject="Mathematics", term_ids=list(TERMS))
        for sid, (period, tid) in TWIN_PERIODS.items()]
    return feed


def staged_classes(tmp_path, source: FeedSource) -> Engine:
    """Day 1 with the classes committed, day 2 with them staged as sync 2."""
    engine = Engine(make_config(tmp_path), connector=source)
    source.next = with_classes(day1())
    engine.sync(commit=True)
    source.next = with_classes(day2())
    engine.sync()
    return engine
