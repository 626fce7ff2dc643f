"""OneRoster 1.1 CSV sets: a folder, or a .zip with the files at its root (what ClassLink
Roster Server drops by SFTP). Reading and file checks live here; every value rule is in
oneroster_map, shared with the REST connector."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Callable, Iterator

from connectors.feed import Feed, Progress, SourceError
from connectors.oneroster_map import FILES, NOUNS, Problems, Roster
from rostertui.bulk import gc_paused

MAX_FILE_BYTES = 2 * 1024 ** 3  # per file, uncompressed
BOMB_RATIO = 200                # compression ratio refused for members over BOMB_MIN_BYTES
BOMB_MIN_BYTES = 10 * 1024 ** 2
PROGRESS_EVERY = 10_000
MODES = ("bulk", "delta", "absent")

Opener = Callable[[], IO[bytes]]


class FileTooLarge(Exception):
    pass


_READ_ERRORS = (OSError, EOFError, UnicodeError, csv.Error, zipfile.BadZipFile, zlib.error,
                FileTooLarge)


class OneRosterCsvConnector:
    kind = "oneroster_csv"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def describe(self) -> dict:
        return {"kind": self.kind, "path": str(self.path)}

    def check(self) -> dict:
        """Reads and validates the whole set: a CSV drop has no cheaper call."""
        feed = self.fetch("full", None)
        schools = feed.types.get("school")
        return {"district": feed.district["name"] if feed.district else None,
                "schools": [r["name"] for r in schools.records] if schools else [],
                "counts": {t: len(tf.records) for t, tf in feed.types.items()}}

    def fetch(self, mode: str, cursor: str | None, progress: Progress | None = None) -> Feed:
        """The set as a Feed. `mode` and `cursor` do not apply: the manifest says which
        files are bulk and which delta."""
        problems = Problems()
        with gc_paused(), _members(self.path, problems) as members:
            modes = _modes(_manifest(members, problems), members, problems)
            roster = Roster(self.kind, modes, problems)
            for file in FILES:
                if file in modes:
                    _read(file, members[f"{file}.csv"], roster, problems, progress)
            return roster.finish(str(self.path))


# -- the set's files -----------------------------------------------------------------

@contextmanager
def _members(path: Path, problems: Problems) -> Iterator[dict[str, Opener]]:
    """The files of the set by name, each as a function opening it."""
    if path.is_dir():
        yield {p.name: partial(p.open, "rb") for p in path.iterdir() if p.is_file()}
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            yield _zip_members(zf, problems)
    elif path.exists():
        raise SourceError(f"{path}: not a folder or a .zip file")
    else:
        raise SourceError(f"{path}: not found")


def _zip_members(zf: zipfile.ZipFile, problems: Problems) -> dict[str, Opener]:
    members = {}
    for info in zf.infolist():
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            problems.add(f"{name}: unsafe path in the zip")
        elif "/" not in name and not info.is_dir():
            members[name] = partial(_open_member, zf, info)
    return members


def _open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    size, packed = info.file_size, info.compress_size
    if size > MAX_FILE_BYTES:
        raise FileTooLarge(f"declares {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
    if size > BOMB_MIN_BYTES and size > BOMB_RATIO * packed:
        raise FileTooLarge(f"looks like a zip bomb: {size} bytes packed into {packed}")
    return zf.open(info)


def _manifest(members: dict[str, Opener], problems: Problems) -> dict[str, str] | None:
    """file name -> bulk|delta|absent as manifest.csv says; None (a problem) without a
    readable manifest."""
    if "manifest.csv" not in members:
        problems.add("manifest.csv: missing")
        return None
    records = _records(members["manifest.csv"], "manifest.csv", problems)
    first = next(records, None)
    header = [h.strip() for h in first[1]] if first else []
    if "propertyName" not in header or "value" not in header:
        records.close()
        if first:
            problems.add("manifest.csv line 1: missing column(s) propertyName, value")
        return None
    key, val = header.index("propertyName"), header.index("value")
    modes = {}
    for line, row in records:
        name = row[key].strip() if key < len(row) else ""
        mode = row[val].strip().lower() if val < len(row) else ""
        if not name.startswith("file."):
            continue
        if mode in MODES:
            modes[name[5:]] = mode
        else:
            problems.add(f"manifest.csv line {line}: {name} is {mode!r}, not bulk|delta|absent")
    return modes


def _modes(manifest: dict[str, str] | None, members: dict[str, Opener],
           problems: Problems) -> dict[str, str]:
    """bulk|delta for each file to read. Without a manifest, every file present is bulk."""
    if manifest is None:
        return {f: "bulk" for f in FILES if f"{f}.csv" in members}
    for name, mode in manifest.items():
        if mode != "absent" and f"{name}.csv" not in members:
            problems.add(f"{name}.csv: missing, but manifest.csv lists it as {mode}")
    for file in FILES:
        if f"{file}.csv" in members and file not in manifest:
            problems.add(f"{file}.csv: not listed in manifest.csv")
    return {f: m for f, m in manifest.items()
            if f in FILES and m != "absent" and f"{f}.csv" in members}


# -- reading one file ----------------------------------------------------------------

def _read(file: str, opener: Opener, roster: Roster, problems: Problems,
          progress: Progress | None) -> None:
    label = f"{file}.csv"
    records = _records(opener, label, problems)
    first = next(records, None)
    header = [h.strip() for h in first[1]] if first else []
    add = roster.begin(file, header, label) if first else None
    if add is None:
        records.close()
        return
    for col in {h for h in header if h and header.count(h) > 1}:
        problems.add(f"{label} line 1: column {col} appears twice")
    width, id_col = len(header), header.index("sourcedId")
    blanks = [i for i, h in enumerate(header) if not h]
    count = 0
    for line, row in records:
        if not row:
            continue  # a blank line
        problem = (len(row) != width or blanks) and _misfit(row, width, blanks)
        if problem:
            sid = row[id_col] if id_col < len(row) else ""
            problems.add(f"{label} line {line} ({NOUNS[file]} {sid}): {problem}")
            continue
        add(dict(zip(header, row)), line)
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(file, count, None)
    if progress:
        progress(file, count, None)


def _misfit(row: list[str], width: int, blanks: list[int]) -> str | None:
    """What is wrong with the shape of `row`, if anything; drops a stray trailing comma."""
    if len(row) > width and not any(row[width:]):
        del row[width:]
    if len(row) != width:
        return f"{len(row)} fields, the header has {width}"
    if any(row[i] for i in blanks):
        return "a value in a column without a header"
    return None


def _records(opener: Opener, label: str, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of each record, the header being line 1. A read error or an empty
    file becomes a problem and ends the file."""
    line = 1
    try:
        with opener() as raw, _text(raw) as text:
            reader = csv.reader(text, strict=True)
            for row in reader:
                yield line, row
                line = reader.line_num + 1
        if line == 1:
            problems.add(f"{label}: empty file")
    except UnicodeDecodeError as e:
        problems.add(f"{label} near line {line}: not {e.encoding} text ({e.reason})")
    except _READ_ERRORS as e:
        problems.add(f"{label} line {line}: {e}")


def _text(raw: IO[bytes]) -> io.TextIOWrapper:
    """Decoded text: UTF-16 by its BOM, else UTF-8 with or without a BOM."""
    buffered = io.BufferedReader(_Bounded(raw, MAX_FILE_BYTES), 1 << 16)
    utf16 = buffered.peek(2)[:2] in (b"\xff\xfe", b"\xfe\xff")
    return io.TextIOWrapper(buffered, encoding="utf-16" if utf16 else "utf-8-sig", newline="")


class _Bounded(io.RawIOBase):
    """Delivers at most `limit` bytes of `raw`, then raises FileTooLarge (zip bombs, and
    members that lie about their size)."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self._raw, self._limit, self._left = raw, limit, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        data = self._raw.read(min(len(buf), self._left + 1))
        if len(data) > self._left:
            raise FileTooLarge(f"larger than {self._limit} bytes")
        self._left -= len(data)
        buf[:len(data)] = data
        return len(data)
