"""The hand-written OneRoster sets of tests/fixtures (1.2 bulk and delta, and the same
district as 1.1), read by the CSV connector, and small edits that break one rule of a
copy of them."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from connectors.feed import Feed, SourceError
from connectors.oneroster_csv import OneRosterCsvConnector
from rostertui.records import DataWarning, Record

from .paths import FIXTURES

BULK = FIXTURES / "oneroster12-bulk"
DELTA = FIXTURES / "oneroster12-delta"
SAME_11 = FIXTURES / "oneroster-v1p1-same-district"


def fetch(path: Path, version: str | None = None) -> Feed:
    return OneRosterCsvConnector(path, version).fetch("full", None)


def problems(path: Path, version: str | None = None) -> list[str]:
    """The problems a rejected set's error lists (one error line: that one problem)."""
    with pytest.raises(SourceError) as info:
        fetch(path, version)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{path}: ")
    return lines[1:] if len(lines) > 1 else [lines[0].split(": ", 1)[1]]


def record(feed: Feed, type_: str, source_id: str) -> Record:
    return next(r for r in feed.types[type_].records if r["source_id"] == source_id)


def warnings_of(feed: Feed, code: str) -> list[DataWarning]:
    return [w for w in feed.warnings if w["code"] == code]


def copy(source: Path, folder: Path) -> Path:
    return Path(shutil.copytree(source, folder))


def edit(folder: Path, name: str, old: str, new: str) -> None:
    """Replace the first `old` in a file of the set."""
    path = folder / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def drop_column(folder: Path, name: str, column: str) -> None:
    rows = read_rows(folder / name)
    at = rows[0].index(column)
    write_rows(folder / name, [r[:at] + r[at + 1:] for r in rows])


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
