"""The dashboard's review of a sync, read through its plan's index (plan_index.py).

The report's counts, its action lists (100,000 rows at district scale), their search and
the ticks come from the index and the toggle log; an action is parsed from the plan only
when it is shown (a list's rows on screen, the actions linked to an unticked archive).
So opening a report, or its largest list, never parses the whole plan, which held the GIL
for seconds and froze the dashboard. The guards read every ticked action, but only once
the ticks or their settings changed since staging (guard_cache.py), and then in a
child process (guard_count.py), which parses the plan and the store in its own
process. Ticks go through the same gate and toggle log as review.Review's, which the
engine still commits from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress, filterfalse
from typing import overload

from .plan_index import Actions, PlanIndex
from .plans import PlanFiles
from .records import Action, DataWarning, Plan, SyncRecord
from .review import ContactsOf, Gate, Tally, Ticking, empty_tally

WINDOW = 64  # rows read from the plan at once when a list shows one that is not read yet


class IndexedReview(Ticking):
    """A sync's actions for the report and its lists: `disabled` holds the ticks."""

    def __init__(self, plans: PlanFiles, doc: SyncRecord, index: PlanIndex, gate: Gate):
        super().__init__(plans, doc, gate)
        self.index = index
        self.disabled: set[str] = plans.disabled(doc)
        self.warnings: list[DataWarning] = index.warnings()
        self._read: dict[str, Action] = {}  # the actions read from the plan, by id
        self._known: set[str] = set()  # the ids of the groups read
        self._keys: dict[tuple[str, str], list[str]] = {}  # each group's search keys
        # Bumped on every change of the ticks: the guards counted for the ticks as they
        # were at one value are stale once it has moved (screens/report_screen.py).
        self.tick_changes = 0

    # -- ticks ---------------------------------------------------------------------------

    def enabled(self, action_id: str) -> bool:
        return action_id not in self.disabled

    def unknown(self, action_ids: list[str]) -> list[str]:
        """(In C over a list's ids, all of a group already read: 100,000 on a key.)"""
        return [i for i in filterfalse(self._known.__contains__, action_ids)
                if self.index.find(i) is None]

    def changing(self, action_ids: list[str], enabled: bool) -> list[str]:
        unticked = self.disabled.__contains__
        return list(filter(unticked, action_ids) if enabled else filterfalse(unticked,
                                                                              action_ids))

    def _show(self, action_ids: list[str], enabled: bool) -> None:
        if enabled:
            self.disabled.difference_update(action_ids)
        else:
            self.disabled.update(action_ids)
        self.tick_changes += 1  # after the change: a count that saw it is recounted anyway
        for i in filter(self._read.__contains__, action_ids):
            self._read[i]["enabled"] = enabled

    # -- counts --------------------------------------------------------------------------

    def tally(self) -> Tally:
        out = empty_tally()
        for (type_, kind), (ticked, n) in self._ticked().items():
            out[type_][kind] = (ticked, n)
        return out

    def archives_enabled(self) -> int:
        return sum(ticked for (_, kind), (ticked, _) in self._ticked().items()
                   if kind == "archive")

    def _ticked(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(ticked, total) per type and kind; only the types with an unticked action
        have their ids read."""
        types = {i.partition(":")[0] for i in self.disabled}
        return {(t, k): (n - sum(map(self.disabled.__contains__, self.group(t, k).ids))
                         if t in types else n, n)
                for (t, k), n in self.index.counts.items()}

    # -- lists ---------------------------------------------------------------------------

    def group(self, type_: str, kind: str) -> Actions:
        """The actions of a type and kind (plan_index.Actions: ids, links, spans)."""
        group = self.index.group(type_, kind)
        if group.ids and group.ids[0] not in self._known:
            self._known.update(group.ids)
        return group

    def select(self, type_: str, kind: str, text: str = "") -> ActionRows:
        """The actions of a type and kind whose id, label or changed fields contain `text`."""
        group = self.group(type_, kind)
        needle = text.strip().lower()
        if not needle:
            return ActionRows(self, group, range(len(group.ids)))
        keys = self._search_keys(group)
        return ActionRows(self, group, [n for n, key in enumerate(keys) if needle in key])

    def _search_keys(self, group: Actions) -> list[str]:
        key = (group.type_, group.kind)
        if key not in self._keys:
            labels, fields = self.index.keys(group).labels or [], group.fields
            self._keys[key] = [f"{i} {label} {' '.join(fields.get(n, ()))}".lower()
                               for n, (i, label) in enumerate(zip(group.ids, labels))]
        return self._keys[key]

    def read(self, group: Actions, positions: Iterable[int]) -> list[Action]:
        """The actions at these positions of the group, parsed from the plan once, each
        with its tick as `enabled`."""
        positions = list(positions)
        new = [n for n in positions if group.ids[n] not in self._read]
        for action in self.index.actions([group.span(n) for n in new],
                                         [group.ids[n] for n in new]):
            # the first read is kept (the list's thread and a worker may read one at once)
            kept = self._read.setdefault(action["id"], action)
            kept["enabled"] = kept["id"] not in self.disabled
        return [self._read[group.ids[n]] for n in positions]

    def _read_where(self, type_: str, kind: str, wanted: Sequence[bool]) -> list[Action]:
        group = self.group(type_, kind)
        return self.read(group, compress(range(len(group.ids)), wanted))

    # -- what goes with a tick -------------------------------------------------------------

    def linked(self, action_ids: Iterable[str], contacts_of: ContactsOf) -> list[Action]:
        """The ticked actions that go with the student archives among `action_ids`: the
        archives of those students' contacts, and the section updates that take them off
        a roster (see review.ContactsOf). Unticking the archive and not these keeps the
        student without their guardians or their classes. In plan order."""
        chosen = set(action_ids)
        archives = set(self.group("student", "archive").ids)
        students = {i.partition(":")[2] for i in chosen & archives}
        if not students:
            return []
        contacts = {f"contact:{c}" for s in students for c in contacts_of(s)}
        guardians = self.group("contact", "archive").ids
        found = self._read_where("contact", "archive", [
            i in contacts and i not in chosen and self.enabled(i) for i in guardians])
        for kind in {k for t, k in self.index.counts if t == "section"}:
            group = self.index.keys(self.group("section", kind))
            found += [a for a in self._read_where("section", kind, [
                "student_ids" in group.fields.get(n, ()) and i not in chosen and self.enabled(i)
                for n, i in enumerate(group.ids)])
                if not students.isdisjoint(_removed_students(a))]
        return sorted(found, key=lambda a: self.index.find(a["id"]) or (0, 0))

    def half_kept(self, contacts_of: ContactsOf) -> list[Action]:
        """The ticked actions linked (see linked) to unticked student archives."""
        return self.linked(self.disabled, contacts_of)

    # -- for the notes and the guards ----------------------------------------------------

    def notes_plan(self) -> Plan:
        """What the report's notes read of the plan (screens/plan_notes.py): its section
        rules and, of its actions, the links."""
        links = [a for (t, k) in self.index.linked
                 for a in self.read(self.group(t, k), sorted(self.group(t, k).links))]
        return {"actions": links, "reference": [], "warnings": self.warnings, "cursor": None,
                "district": None, "rules": self.index.rules}

    def all_ticked(self) -> bool:
        return not self.disabled


def _removed_students(action: Action) -> list[str]:
    return action.get("members", {}).get("student_ids", {}).get("removed", [])


class ActionRows(Sequence[Action]):
    """Some actions of one type and kind, in plan order, each parsed from the plan when
    first asked for: a list shows 100,000 of them, and draws only those on screen."""

    def __init__(self, review: IndexedReview, group: Actions, positions: Sequence[int]):
        self.review = review
        self.group = group
        self.positions = positions
        self._last = -2  # the row asked for last

    @property
    def ids(self) -> list[str]:
        if isinstance(self.positions, range) and len(self.positions) == len(self.group.ids):
            return self.group.ids
        return [self.group.ids[n] for n in self.positions]

    def enabled_count(self) -> int:
        ids = self.ids
        return len(ids) - sum(map(self.review.disabled.__contains__, ids))

    def __len__(self) -> int:
        return len(self.positions)

    @overload
    def __getitem__(self, index: int) -> Action: ...

    @overload
    def __getitem__(self, index: slice) -> list[Action]: ...

    def __getitem__(self, index: int | slice) -> Action | list[Action]:
        if isinstance(index, slice):
            return self.review.read(self.group, self.positions[index])
        index = range(len(self))[index]  # an IndexError past the end, as a list's
        # Rows drawn one after another (a screenful) are read WINDOW at a time; a row
        # asked for alone (the columns' widths sample 250 over the list) by itself.
        ahead = WINDOW if index == self._last + 1 else 1
        self._last = index
        return self.review.read(self.group, self.positions[index:index + ahead])[0]

