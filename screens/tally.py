"""Confirmations restate a Review.tally(): {type: {kind: (enabled, total)}}."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from rostertui.model import ACTION_TYPES

from .labels import plural

Tally = dict[str, dict[str, tuple[int, int]]]  # {type: {kind: (enabled, total)}}


def enabled(tally: Tally) -> int:
    return sum(on for kinds in tally.values() for on, _ in kinds.values())


def total(tally: Tally) -> int:
    return sum(n for kinds in tally.values() for _, n in kinds.values())


def type_lines(tally: Tally, cell: Callable[[int, int], str]) -> list[Text]:
    """One line per type, `  Students  add 2/2, update 1/3`, with cell(enabled, total)
    per kind; empty cells, and types with none, are left out."""
    lines = []
    for type_ in ACTION_TYPES:
        parts = [f"{kind} {shown}" for kind, (on, n) in tally[type_].items()
                 if (shown := cell(on, n))]
        if parts:
            lines.append(Text(f"  {plural(type_):<9} " + ", ".join(parts)))
    return lines
