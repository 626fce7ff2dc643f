"""The actions that go with a student's archive (Review.linked): the archives of their
guardians and the section updates that take them off a roster. Unticking the archive
alone keeps a student without those, so the action list offers to untick them too, and
the commit confirmation says so when some stay ticked."""

from __future__ import annotations

from rich.text import Text

from rostertui.catalog import Catalog
from rostertui.records import Action
from rostertui.review import ContactsOf
from rostertui.text import safe

LISTED = 8  # linked actions named before "and N more"


def contacts_of(catalog: Catalog | None) -> ContactsOf:
    """A student's contacts in the store as the dashboard loaded it (none until it has)."""
    if catalog is None:
        return lambda _: ()
    return lambda student: [c["source_id"] for c, _ in catalog.contacts_of(student)]


def counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("s" if n != 1 else "")


def kinds(linked: list[Action]) -> str:
    """'2 guardian archives, 1 section update'."""
    guardians = sum(1 for a in linked if a["type"] == "contact")
    parts = [(guardians, "guardian archive"), (len(linked) - guardians, "section update")]
    return ", ".join(counted(n, noun) for n, noun in parts if n)


def question(linked: list[Action]) -> tuple[str, Text]:
    """The title and body of the offer to untick `linked` as well."""
    title = f"Also untick the {counted(len(linked), 'linked action')}?"
    more = len(linked) - LISTED
    return title, Text("\n").join([
        Text(f"({kinds(linked)})"),
        *(_line(a) for a in linked[:LISTED]),
        *([Text(f"  and {more:,} more")] if more > 0 else []),
        Text("Left ticked, the student is kept without them. A section update is "
             "unticked whole: the students it adds (+) and removes (-) wait too.",
             style="dim")])


def _line(action: Action) -> Text:
    """`  guardian         Name (id)` or `  section  +2 -1   Name (id)`: the students the
    section update adds and removes."""
    if action["type"] == "contact":
        return Text(f"  guardian         {safe(action['label'])}")
    members = action.get("members", {}).get("student_ids", {})
    moves = f"+{len(members.get('added', ())):,} -{len(members.get('removed', ())):,}"
    return Text(f"  section  {moves:<8} {safe(action['label'])}")


def commit_warning(linked: list[Action]) -> Text:
    """For the commit confirmation: ticked actions linked to unticked student archives."""
    return Text(f"{counted(len(linked), 'ticked action')} ({kinds(linked)}) go with unticked "
                "student archives: those students are kept without them.", style="bold")
