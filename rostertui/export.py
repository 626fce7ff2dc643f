"""CSV exports for spreadsheets: every cell that a spreadsheet would run as a formula
(starting with = + - @, tab or CR) is neutralised with a leading apostrophe."""

from __future__ import annotations

import csv
from pathlib import Path

WARNING_COLUMNS = ("code", "type", "source_id", "message")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutral(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def write_warnings(path: Path, warnings: list[dict]) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(WARNING_COLUMNS)
        out.writerows([neutral(w.get(c)) for c in WARNING_COLUMNS] for w in warnings)
    return len(warnings)
