"""Detail screens worth opening (issue 15), through Pilot at 80x24: a class roster one
student per line in name order, a teacher's classes in full, a school's teachers, students
and classes, each row opening its record (Escape comes back), a record's sync history
opening that sync's report; and the lists' filters: Overview's counts clear the others,
f and k drop their filter down and are in the Footer, each search box says what it
matches.

Assertions look at what is drawn on the screen (the compositor's lines) and at the lists.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from rostertui.engine import Engine
from rostertui.model import make
from screens.browser import Browser
from screens.footer import KeyFooter
from screens.person_screen import PersonScreen
from screens.related import RelatedList
from screens.school_screen import SchoolScreen
from screens.section_screen import SectionScreen

from ..support.dashboard import (
    SIZE,
    dashboard,
    engine_on,
    lines,
    make_config,
    on_screen,
    report_loaded,
    started,
    text,
)
from ..support.feeds import FeedSource, full_feed, section, student

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")

# Listed in id order, which is not their name order (last, first).
PUPILS = [("p1", "Zoe", "Adams"), ("p2", "Amy", "Young"), ("p3", "Bea", "Adams"),
          ("p4", "Cal", "Moss"), ("p5", "Dan", "Baker")]
BY_NAME = ["Adams, Bea", "Adams, Zoe", "Baker, Dan", "Moss, Cal", "Young, Amy"]
CLASSES = [f"Class {n}" for n in "ABCDEF"]


def school_feed(extra_students: int = 0):
    """One school: a teacher with six classes; five named pupils in Class A (and a
    missing one), `extra_students` more in the school."""
    pupils = [student(sid, first_name=first, last_name=last) for sid, first, last in PUPILS]
    pupils += [student(f"x{i:04}") for i in range(extra_students)]
    classes = [section(f"c{i}", [p for p, _, _ in PUPILS] + ["gone"] if i == 0 else [],
                       name=name, period=str(i + 1)) for i, name in enumerate(CLASSES)]
    return full_feed(school=[make("school", source_id="sch1", name="High")],
                     teacher=[make("teacher", source_id="t1", first_name="Tea",
                                   last_name="Cher", school_ids=["sch1"])],
                     student=pupils, section=classes)


def school_engine(tmp_path, source: FeedSource, extra_students: int = 0) -> Engine:
    engine = Engine(make_config(tmp_path), connector=source)
    source.next = school_feed(extra_students)
    engine.sync(commit=True, force=True)  # the missing pupil trips no guard this way
    return engine


def screen_lines(app) -> list[str]:
    """The terminal's lines as drawn now: what a user sees, overlays included."""
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


def names_in(table: RelatedList) -> list[str]:
    return [line.split("  ")[0] for line in lines(table)[1:] if line]


async def tab(pilot, key: str) -> Browser:
    await pilot.press(key)
    await pilot.pause()
    return pilot.app.dashboard.query_one(
        f"#{pilot.app.dashboard.query_one('TabbedContent').active} Browser", Browser)


async def opened(pilot, kind):
    screen = await on_screen(pilot, kind)
    await pilot.app.workers.wait_for_complete()  # its sync history
    await pilot.pause()
    return screen


# -- a class, a teacher, a school ------------------------------------------------------------

async def test_a_class_roster_is_one_student_a_line_by_name_and_opens_each(tmp_path,
                                                                         source):
    app = dashboard(school_engine(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await tab(pilot, "7")
        await pilot.press("enter")  # Class A
        screen = await opened(pilot, SectionScreen)
        students = [t for t in screen.query(RelatedList) if t.type_ == "student"][0]
        assert app.focused is students
        shown = screen_lines(app)
        assert "Students (5); not in the store: gone" in "\n".join(shown)
        at = next(i for i, line in enumerate(shown) if line.startswith(" Adams, Bea"))
        assert [line.split("  ")[0].strip() for line in shown[at:at + 5]] == BY_NAME

        await pilot.press("down", "down", "enter")  # Baker, Dan
        person = await opened(pilot, PersonScreen)
        assert person.title == "Student: Dan Baker"
        whole = app.dashboard.catalog.get("student", person.doc["source_id"])
        assert person.doc == whole  # the whole record, not the roster's compact entry
        assert "Dan Baker  student · active" in "\n".join(screen_lines(app))
        await pilot.press("escape")
        assert await on_screen(pilot, SectionScreen) is screen
        assert app.focused is students and students.row["first_name"] == "Dan"


async def test_a_teachers_classes_are_all_on_screen_one_a_line_and_open(tmp_path, source):
    app = dashboard(school_engine(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await tab(pilot, "5")
        await pilot.press("enter")
        screen = await opened(pilot, PersonScreen)
        classes = screen.query_one(RelatedList)
        assert classes.type_ == "section" and app.focused is classes
        assert classes.size.height == 1 + 6  # as tall as its rows: no scroll of its own
        shown = "\n".join(screen_lines(app))
        assert "Classes (6)" in shown
        assert all(f"\n {name} " in shown for name in CLASSES)

        await pilot.press("end", "enter")  # the last class
        section_screen = await opened(pilot, SectionScreen)
        assert section_screen.title == "Class: Class F"
        await pilot.press("escape")
        assert await on_screen(pilot, PersonScreen) is screen


async def test_a_school_lists_its_teachers_students_and_classes_each_openable(tmp_path,
                                                                             source):
    app = dashboard(school_engine(tmp_path, source, extra_students=2000))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await tab(pilot, "4")
        await pilot.press("enter")
        screen = await opened(pilot, SchoolScreen)
        headings = [text(h) for h in screen.query(".heading")]
        assert headings[:3] == ["Teachers (1)", "Students (2,005)", "Classes (6)"]
        teachers, students, classes = list(screen.query(RelatedList))[:3]
        assert app.focused is teachers
        names = names_in(students)
        assert names[:3] + names[-2:] == BY_NAME and len(names) == 2005

        await pilot.press("tab")  # on to the students: their heading comes to the top
        await pilot.pause()
        assert app.focused is students
        assert [line.strip() for line in screen_lines(app)[1:4]] == [
            "Students (2,005)", *(line.strip() for line in lines(students)[:2])]
        await pilot.press("enter")
        assert (await opened(pilot, PersonScreen)).title == "Student: Bea Adams"
        await pilot.press("escape")
        await on_screen(pilot, SchoolScreen)

        await pilot.press("end", "down")  # past the last student: the classes
        await pilot.pause()
        assert app.focused is classes and classes.cursor == 0
        assert " Class A " in "\n".join(screen_lines(app))
        await pilot.press("enter")
        assert (await opened(pilot, SectionScreen)).title == "Class: Class A"


async def test_a_students_contacts_open_and_list_their_students(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await tab(pilot, "6")
        await pilot.press("enter")  # Lasts0, Firsts0: one class, then one contact
        student_screen = await opened(pilot, PersonScreen)
        await pilot.press("down")
        contacts = app.focused
        assert isinstance(contacts, RelatedList) and contacts.type_ == "contact"
        assert lines(contacts)[1].split() == ["Guardian,", "Gina", "mother", "555-0100"]
        await pilot.press("enter")
        contact = await opened(pilot, PersonScreen)
        assert contact.title == "Contact: Gina Guardian"
        shown = "\n".join(screen_lines(app))
        assert "Students (1)" in shown and "Lasts0, Firsts0" in shown and "mother" in shown
        await pilot.press("enter")  # the contact's one student
        assert (await opened(pilot, PersonScreen)).title == "Student: Firsts0 Lasts0"
        await pilot.press("escape", "escape")
        assert await on_screen(pilot, PersonScreen) is student_screen


# -- sync history ----------------------------------------------------------------------------

async def test_a_students_sync_history_opens_that_syncs_report(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)  # day 2: s0 changes grade
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await tab(pilot, "6")
        await pilot.press("enter")  # Lasts0, Firsts0
        screen = await opened(pilot, PersonScreen)
        history = screen.query_one("#sync-history", RelatedList)
        assert text(screen.query_one("#history-heading")) == (
            "Sync history (2): committed syncs that touched it; Enter opens one")
        assert [line.split()[:4] for line in lines(history)[1:3]] == [
            ["2", "2026-03-02", "09:30", "update"], ["1", "2026-03-02", "09:30", "add"]]

        await pilot.press("down")  # from the class list on to the contacts, then history
        await pilot.press("down")
        await pilot.pause()
        assert app.focused is history
        shown = screen_lines(app)
        assert "Sync history (2): committed syncs that touched it; Enter opens one" in \
            "\n".join(shown)
        assert ["2", "2026-03-02", "09:30", "update", "grade:", "07"] in [
            line.split() for line in shown]
        await pilot.press("enter")
        report = await report_loaded(pilot)
        assert report.sync_id == 2
        await pilot.press("escape")
        assert await on_screen(pilot, PersonScreen) is screen


# -- the lists' filters ----------------------------------------------------------------------

async def test_an_overview_count_opens_its_tab_with_the_other_filters_cleared(tmp_path,
                                                                            source):
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)  # day 2: s11 archived
    app = dashboard(engine)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        students = await tab(pilot, "6")
        await pilot.press("f", "down", "down", "enter")  # school: Low
        await pilot.press("slash", *"s10", "enter")
        await pilot.pause()
        assert text(students.query_one(".count")) == "1 of 14 students"

        await pilot.press("3", "down", "down", "enter")  # Students, Active
        await pilot.pause()
        assert app.dashboard.query_one("TabbedContent").active == "students"
        assert students.query_one("#school", Select).value == ""
        assert students.query_one("#search", Input).value == ""
        assert students.query_one("#status", Select).value == "active"
        assert text(students.query_one(".count")) == "13 of 14 students"
        assert "All schools" in screen_lines(app)[3] and "Active" in screen_lines(app)[3]


async def test_f_and_k_drop_their_filter_down_and_are_in_the_footer(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=SIZE) as pilot:
        dash = await started(pilot)
        sections = await tab(pilot, "7")
        footer = text(dash.query_one(KeyFooter))
        assert " f School " in footer and " k Kind " in footer

        for key, filter_, first in (("f", "#school", "All schools"),
                                    ("k", "#kind", "All sections")):
            await pilot.press(key)
            await pilot.pause()
            select = sections.query_one(filter_, Select)
            assert select.expanded and select in app.focused.ancestors
            shown = screen_lines(app)
            assert any(line.strip().startswith(first) for line in shown[4:8])  # its list
            await pilot.press("escape")
            await pilot.pause()
            assert not select.expanded

        await pilot.press("k", "down", "enter")  # Homeroom/advisory: none in this district
        await pilot.pause()
        assert text(sections.query_one(".count")) == "0 of 2 sections"

        await tab(pilot, "6")  # Students: no kinds, so no k
        footer = text(dash.query_one(KeyFooter))
        assert " f School " in footer and " k " not in footer
        await tab(pilot, "4")  # Schools: neither
        footer = text(dash.query_one(KeyFooter))
        assert " f " not in footer and " k " not in footer


async def test_each_search_box_says_what_it_searches_and_it_does(tmp_path, source):
    app = dashboard(engine_on(tmp_path, source))
    async with app.run_test(size=(200, 50)) as pilot:
        dash = await started(pilot)
        placeholders = {b.type_: b.query_one("#search", Input).placeholder
                        for b in dash.query(Browser)}
        assert placeholders == {
            "school": "/ Search name, SIS ID, source ID",
            "teacher": "/ Search name, username, email, SIS ID, source ID",
            "student": "/ Search name, username, email, SIS ID, source ID",
            "section": "/ Search name, teacher, period, subject, course code, SIS ID, "
                       "source ID"}
        sections = await tab(pilot, "7")
        assert "/ Search name, teacher, period" in screen_lines(app)[3]
        await pilot.press("slash", *"cher")  # the teacher's name: both classes
        await pilot.pause()
        assert text(sections.query_one(".count")) == "2 of 2 sections"
        await pilot.press("ctrl+u", "2")  # Low Math's period
        await pilot.pause()
        assert [d["name"] for d in sections.table.rows] == ["Low Math"]
