"""CSV exports for spreadsheets: every cell that a spreadsheet would run as a formula
(starting with = + - @, tab or CR) is neutralised with a leading apostrophe, and control
characters, newlines and bidi controls are shown as escapes (text.safe), as on a terminal."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from .files import atomic_write
from .records import DataWarning
from .text import safe

WARNING_COLUMNS = ("code", "type", "source_id", "message")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: object) -> str:
    text = safe(value)
    return "'" + text if text.startswith(_FORMULA) else text


def warnings_csv(warnings: Sequence[DataWarning]) -> str:
    """The warnings as CSV text (a header, then a row each), every cell neutralised."""
    buffer = io.StringIO(newline="")
    out = csv.writer(buffer)
    out.writerow(WARNING_COLUMNS)
    out.writerows([neutral(w.get(c)) for c in WARNING_COLUMNS] for w in warnings)
    return buffer.getvalue()


def write_warnings(path: Path, warnings: Sequence[DataWarning]) -> int:
    """Write the CSV through files.atomic_write: it names students, so it is 0600, and
    exports often go to shared folders such as /tmp, where a symlink planted at the name
    must be replaced, never written through."""
    atomic_write(Path(path), warnings_csv(warnings).encode("utf-8"))
    return len(warnings)
