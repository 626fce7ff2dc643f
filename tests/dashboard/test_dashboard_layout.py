"""The dashboard at any size and in 16 colours: columns share the width by what they need,
classes alike stay apart, History's statuses are whole at 60 columns, and the cursor,
the ticks and the focus read without colour."""

from __future__ import annotations

import re

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button, Label

from connectors.feed import SourceError
from rostertui.config import from_dict
from rostertui.engine import Engine
from rostertui.errors import RosterError
from rostertui.lifecycle import KNOWN
from rostertui.model import TABLES
from screens.footer import KeyFooter
from screens.rowtable import Column, RowTable, widths
from screens.status_tab import StatusTab
from screens.ticks import TickBox, TickRadio

from ..support.colours import RED, cells, dashboard16, drawn, unreadable
from ..support.dashboard import (
    dashboard,
    day1,
    day2,
    engine_on,
    lines,
    started,
    sync_dialog,
    until,
)
from ..support.layout_district import (
    HOMEROOM_TEACHERS,
    LONG_SCHOOL,
    TERMS,
    TWIN,
    TWIN_PERIODS,
    staged_classes,
)

pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")


async def tab(pilot, key: str) -> RowTable:
    """The list of a tab, focused, once its rows are shown."""
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.focused, RowTable)
                and bool(pilot.app.focused.rows))
    await pilot.pause()
    return pilot.app.focused


def column(shown: list[str], title: str) -> list[str]:
    """The cells of the rows `lines` shows under the one-word `title`, to the next one."""
    start = shown[0].index(title)
    end = next((m.start() for m in re.finditer(r"(?<= )\S", shown[0]) if m.start() > start),
               None)
    return [line[start:end].strip() for line in shown[1:] if line]


# -- widths ------------------------------------------------------------------------------

def test_widths_go_to_the_columns_that_are_cut_not_to_the_widest():
    name = Column("Name", str, flex=3, min_width=10)
    school, status = Column("School", str), Column("Status", str, 8)
    # School needs 9 cells, Name 60: at 40 School gets all it needs, Name the rest
    assert widths([name, school, status], 40, [60, 9, 0]) == [21, 9, 8]
    # room for all: each its content, what is left to the highest flex (Name)
    assert widths([name, school, status], 100, [30, 9, 0]) == [81, 9, 8]
    # narrower than the minimums: the minimums (the line is cut at the right)
    assert widths([name, school, status], 20, [60, 9, 0]) == [10, 6, 8]


def test_a_column_narrower_than_its_minimum_takes_only_what_it_needs():
    per = Column("Per", str, min_width=6)
    note = Column("Note", str, flex=2, min_width=0)
    assert widths([per, note], 30, [3, 80]) == [3, 26]


# -- sizes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["6", "7"], ids=["students", "sections"])
async def test_at_200_columns_schools_terms_and_teachers_are_whole(tmp_path, source, key):
    app = dashboard(staged_classes(tmp_path, source))
    async with app.run_test(size=(200, 50)) as pilot:
        await started(pilot)
        shown = lines(await tab(pilot, key))
    assert not [line for line in shown if "…" in line]
    assert all(LONG_SCHOOL in line for line in shown[1:] if "Low" not in line and line)
    if key == "7":
        assert all(", ".join(TERMS.values()) in line for line in shown if "Homeroom" in line)
        assert column(shown, "Teachers")[:6] == list(HOMEROOM_TEACHERS.values())


async def test_at_80_columns_classes_alike_show_their_period_and_teacher(tmp_path, source):
    app = dashboard(staged_classes(tmp_path, source))
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        table = await tab(pilot, "7")
        shown = lines(table)
        width = table.scrollable_content_region.width
    rows = [line for line in shown[1:] if line]
    assert len(set(rows)) == len(rows) == len(table.rows)  # no two rows alike
    assert all(len(line) <= width for line in shown)
    names = column(shown, "Name")
    assert names[0].startswith("Homeroom Grade 1") and names[0].endswith("…")  # cut
    shown_by_name = list(zip(names, column(shown, "Per"), column(shown, "Teachers")))
    assert [(per, teacher) for name, per, teacher in shown_by_name
            if name.startswith("Homeroom Grade 1")] == [
        ("", surname) for surname in HOMEROOM_TEACHERS.values()]
    assert [(per, teacher) for name, per, teacher in shown_by_name
            if name.startswith(TWIN[:16])] == [
        (period, HOMEROOM_TEACHERS[teacher]) for period, teacher in TWIN_PERIODS.values()]


async def test_history_at_60_columns_shows_every_status_in_full(tmp_path, source):
    """Day 1 has 13 users and day 2 has 14: over limits.max_users, unless forced."""
    engine = Engine(from_dict({"source": {"kind": "oneroster_csv", "path": "/srv/sftp/sp"},
                               "store": {"path": "store.json"}, "limits": {"max_users": 13}},
                              base_dir=tmp_path), connector=source)
    source.next = day1()
    engine.sync(commit=True)                  # 1 committed
    source.next = day2()
    engine.sync(commit=True, force=True)
    engine.revert(2)                          # 2 reverted, by 3 (committed)
    source.next = day2()
    engine.discard(engine.sync()["sync_id"])  # 4 blocked, then discarded
    source.next = day2()
    engine.sync()                             # 5 blocked
    source.next = SourceError("the SFTP folder is empty")
    with pytest.raises(RosterError):
        engine.sync()                         # 6 failed
    source.next = day1()
    source.next.types["student"].records[0]["grade"] = "09"
    engine.sync()                             # 7 staged
    app = dashboard(engine)
    async with app.run_test(size=(60, 20)) as pilot:
        await started(pilot)
        shown = lines(await tab(pilot, "2"))
    assert set(column(shown, "Status")) == KNOWN


async def test_status_at_60_columns_shows_the_counts_neither_wrapped_nor_cut(tmp_path, source):
    engine = engine_on(tmp_path, source)
    engine.sync(commit=True)
    app = dashboard(engine)
    async with app.run_test(size=(60, 20)) as pilot:
        dash = await started(pilot)
        shown = [strip.text for widget in dash.query_one(StatusTab).query("*")
                 if widget.display for strip in drawn(widget)]
    rows = {t: [line for line in shown if re.match(rf"\s*{t}\s", line, re.I)]
            for t in TABLES.values() if t in ("schools", "students", "sections")}
    assert all(len(found) == 1 and re.fullmatch(r"\s*\w+(\s+[\d,]+){4}\s*", found[0])
               for found in rows.values()), rows


# -- 16 colours ----------------------------------------------------------------------------

async def test_in_16_colours_the_cursor_row_is_reversed_not_red(tmp_path, source):
    app = dashboard16(staged_classes(tmp_path, source))
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        table = await tab(pilot, "6")
        cursor, other = ([*cells(table.render_line(y))] for y in (1, 2))
        footer = [cell for strip in drawn(app.screen.query_one(KeyFooter))
                  for cell in cells(strip)]
    assert cursor[0].bold and not {cursor[0].fg, cursor[0].bg} & RED
    assert (cursor[0].fg, cursor[0].bg) == (other[0].bg, other[0].fg)  # reversed
    assert not {c.fg for c in footer} & RED and not {c.bg for c in footer} & RED


async def test_in_16_colours_every_choice_of_sync_now_reads(tmp_path, source):
    app = dashboard16(staged_classes(tmp_path, source))
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        dialog = await sync_dialog(pilot)
        choices = [*dialog.query(TickRadio), *dialog.query(TickBox), *dialog.query(Label)]
        assert [w.id for w in choices if unreadable(w)] == []  # "a date" while disabled
        dialog.query_one("#quick", TickRadio).value = True
        dialog.query_one("#date", TickRadio).value = True
        await pilot.pause()
        assert [w.id for w in choices if unreadable(w)] == []
        assert "(*) a date" in drawn(dialog.query_one("#date"))[0].text


async def test_focus_shows_without_colour(tmp_path, source):
    """The focused button is bold and underlined; the current choice of the focused radio
    set is drawn in the colours of the others swapped (white on black: black on white)."""
    app = dashboard16(staged_classes(tmp_path, source))
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        dialog = await sync_dialog(pilot)
        start, cancel = dialog.query_one("#start", Button), dialog.query_one("#cancel", Button)

        def underlined(button: Button) -> bool:
            return any(c.underline and c.bold for s in drawn(button) for c in cells(s)
                       if c.text.strip())

        assert underlined(start) and not underlined(cancel)
        await pilot.press("tab")
        await pilot.pause()
        assert underlined(cancel) and not underlined(start)
        dialog.query_one("#mode").focus()
        await pilot.pause()
        focused, other = (_label_cell(dialog.query_one(f"#{id_}", TickRadio))
                          for id_ in ("full", "quick"))
    assert (focused.fg, focused.bg) == (other.bg, other.fg) and focused.bold


def _label_cell(radio: TickRadio):
    """The first cell of the radio button's label (after its "(*) ")."""
    return next(c for c in cells(drawn(radio)[0]) if c.text.strip() and "(" not in c.text)


class SwitchApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TickBox("Integration on: scheduled syncs run", True, compact=True,
                      off_label="Integration off: scheduled syncs do nothing")


async def test_a_switch_says_on_or_off_in_words():
    app = SwitchApp()
    async with app.run_test() as pilot:
        box = app.query_one(TickBox)
        assert drawn(box)[0].text.startswith("[x] Integration on: scheduled syncs run")
        await pilot.press("space")
        await pilot.pause()
        assert not box.value
        assert drawn(box)[0].text.startswith("[ ] Integration off: scheduled syncs do nothing")
