"""RowTable while a list is searched: the columns keep the widths of the whole list (no
measuring at each keystroke, no jumping), are measured again for another whole list, and
the scroll bar follows the number of rows."""

from __future__ import annotations

from textual.app import App, ComposeResult

from screens.rowtable import Column, RowTable

from ..support.dashboard import lines

EVERY = [{"name": name, "id": f"s{n}"} for n, name in enumerate(
    ["Al", "Bo", "Maximiliana Featherstonehaugh", *(f"Pupil {n}" for n in range(97))])]


class Seen:
    """A column's value function that notes the rows it was asked about."""

    def __init__(self, field: str):
        self.field, self.rows = field, set[str]()

    def __call__(self, row: dict[str, str]) -> str:
        self.rows.add(row["id"])
        return row[self.field]


def table_app(columns: list[Column]) -> App[None]:
    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield RowTable(columns)
    return One()


def header(table: RowTable) -> str:
    return lines(table)[0]


async def test_a_filtered_list_keeps_the_whole_lists_widths_and_measures_nothing():
    name = Seen("name")
    app = table_app([Column("Name", name, min_width=4), Column("ID", lambda r: r["id"])])
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(RowTable)
        table.show(EVERY, measure=EVERY)
        await pilot.pause()
        whole = header(table)
        for typed in ("p", "pu"):  # keystrokes: many rows still (and a scroll bar)
            name.rows.clear()
            found = [r for r in EVERY if typed in r["name"].lower()]
            table.show(found, measure=EVERY)
            await pilot.pause()
            assert header(table) == whole
            drawn = {r["id"] for r in found[:table.size.height - 1]}
            assert name.rows <= drawn  # only the rows drawn: none measured
        assert lines(table)[1].startswith("Pupil 0 ")


async def test_the_few_rows_a_search_finds_are_measured_too():
    """Found by attack: the one person looked for had the longest id, which the whole
    list's sample missed, and it was cut though the line had room."""
    longest = {"name": "Al", "id": "s-" + "x" * 30}
    every = [{"name": f"Pupil {n}", "id": f"p{n}"} for n in range(603)]
    every[601] = longest  # outside the sample (the first 50, then every third)
    app = table_app([Column("Name", lambda r: r["name"], min_width=4),
                     Column("ID", lambda r: r["id"])])
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(RowTable)
        table.show(every, measure=every)
        await pilot.pause()
        assert "ID" in header(table) and longest["id"] not in "".join(lines(table))
        table.show([longest], measure=every)
        await pilot.pause()
        assert longest["id"] in lines(table)[1]


async def test_another_whole_list_or_other_columns_are_measured_again():
    app = table_app([Column("Name", lambda r: r["name"], min_width=4),
                     Column("ID", lambda r: r["id"])])
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(RowTable)
        table.show(EVERY, measure=EVERY)
        await pilot.pause()
        wide = header(table)
        short = EVERY[:2]
        table.show(short, measure=short)  # e.g. the store read again
        await pilot.pause()
        narrow = header(table)
        assert narrow != wide
        table.show(EVERY)  # no whole list given: measured over the rows shown
        await pilot.pause()
        assert header(table) == wide
        table.show(short, columns=[Column("ID", lambda r: r["id"]),
                                   Column("Name", lambda r: r["name"], min_width=4)])
        await pilot.pause()
        assert header(table).split() == ["ID", "Name"]


async def test_the_scroll_bar_follows_the_rows_shown():
    app = table_app([Column("Name", lambda r: r["name"])])
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(RowTable)
        for rows in (EVERY, EVERY[:50], EVERY[:3], EVERY[:60], EVERY):
            table.show(rows, measure=EVERY)
            await pilot.pause()
            assert table.virtual_size.height == len(rows) + 1
            assert table.show_vertical_scrollbar == (len(rows) + 1 > table.container_size.height)
            if table.show_vertical_scrollbar:
                assert table.vertical_scrollbar.window_virtual_size == len(rows) + 1
            table.action_jump(-1)  # the end of the list: then a shorter list scrolls back
            await pilot.pause()
            assert table.scroll_offset.y <= table.max_scroll_y
            assert rows[-1]["name"] in [line.strip() for line in lines(table)]
