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
from itertools import chain, islice
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from connectors.feed import Feed, Progress, SourceError
from connectors.oneroster_map import FILES, NOUNS, Problems, Roster
from rostertui.bulk import gc_paused

MAX_FILE_BYTES = 2 * 1024 ** 3  # per file, uncompressed
BOMB_RATIO = 200                # compression ratio refused for members over BOMB_MIN_BYTES
BOMB_MIN_BYTES = 10 * 1024 ** 2
MAX_LINE_CHARS = 1024 ** 2      # one physical line (csv's field limit is far lower)
PROGRESS_EVERY = 10_000
READ_CHARS = 1 << 17       # the block _fast_lines splits
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
    batches = _batches(opener, label, problems)
    first = next(batches, None)
    header = [h.strip() for h in first[1][0]] if first else []
    add = roster.begin(file, header, label) if first else None
    if add is None:
        batches.close()
        return
    for col in {h for h in header if h and header.count(h) > 1}:
        problems.add(f"{label} line 1: column {col} appears twice")
    width, id_col = len(header), header.index("sourcedId")
    blanks = [i for i, h in enumerate(header) if not h]
    count = 0
    rows: list[list[str]] = []
    lines: list[int] = []

    def flush(upto: int) -> None:
        """Map the first `upto` waiting rows; report progress on every PROGRESS_EVERY."""
        nonlocal count, rows, lines
        if not upto:
            return
        roster.add_many(rows[:upto], lines[:upto])
        rows, lines = rows[upto:], lines[upto:]
        count += upto
        if progress and count % PROGRESS_EVERY == 0:
            progress(file, count, None)

    first[0].pop(0)
    first[1].pop(0)  # the header
    for batch_lines, batch in chain([first], batches):
        if not blanks and set(map(len, batch)) == {width}:  # every row fits: all at once
            rows += batch
            lines += batch_lines
        else:
            for line, row in zip(batch_lines, batch):
                if not row:
                    continue  # a blank line
                problem = (len(row) != width or blanks) and _misfit(row, width, blanks)
                if problem:
                    flush(len(rows))  # the rows before it first, so problems keep line order
                    sid = row[id_col] if id_col < len(row) else ""
                    problems.add(f"{label} line {line} ({NOUNS[file]} {sid}): {problem}")
                    continue
                rows.append(row)
                lines.append(line)
        while len(rows) >= PROGRESS_EVERY - count % PROGRESS_EVERY:
            flush(PROGRESS_EVERY - count % PROGRESS_EVERY)
    flush(len(rows))
    if progress:
        progress(file, count, None)


def _batches(opener: Opener, label: str, problems: Problems,
             size: int = PROGRESS_EVERY) -> Iterator[tuple[list[int], list[list[str]]]]:
    """_records in batches of (lines, rows), read by the csv module without a Python step
    per row. On a read error the file is read again by _records, from the first row not yet
    delivered, so that what is delivered and the problem it reports are exactly _records'."""
    delivered = 0
    try:
        with opener() as raw, _text(raw) as text:
            reader = csv.reader(_fast_lines(text), strict=True)
            before = 0
            while rows := list(islice(reader, size)):
                delivered += len(rows)  # before the yield: the caller may change `rows`
                yield _line_numbers(rows, before, reader.line_num), rows
                before = reader.line_num
        if not delivered:
            problems.add(f"{label}: empty file")
        return
    except _READ_ERRORS:
        pass
    rest = islice(_records(opener, label, problems), delivered, None)
    while pairs := list(islice(rest, size)):
        yield [line for line, _ in pairs], [row for _, row in pairs]


def _fast_lines(text: IO[str]) -> Iterator[str]:
    """The physical lines as _lines yields them, split in C (io.StringIO) a block at a
    time. Anything _lines would refuse (a NUL, an over-long line) raises here without
    finding where: _batches then reads the file again with _records for the exact line."""
    return chain.from_iterable(_line_blocks(text))


def _line_blocks(text: IO[str]) -> Iterator[Iterable[str]]:
    tail = ""
    while block := text.read(READ_CHARS):
        if "\0" in block:
            raise csv.Error("a NUL character")
        buf = tail + block if tail else block
        # the last line break, but not a final \r: it may be half of a \r\n
        cut = max(buf.rfind("\n"), buf.rfind("\r", 0, len(buf) - 1)) + 1
        tail = buf[cut:]
        if len(tail) >= MAX_LINE_CHARS // 2 or (cut and len(buf) >= MAX_LINE_CHARS // 2):
            raise csv.Error("a long line")  # perhaps: _records decides
        if cut:
            yield io.StringIO(buf[:cut], newline="")
    if tail:
        yield (tail,)


def _line_numbers(rows: list[list[str]], before: int, after: int) -> list[int]:
    """The line each row starts on, the reader having been at line `before` and now at
    `after`: consecutive unless a quoted value spans lines (then counted in the values,
    as the reader counts them: a CR LF, LF or CR each end one line)."""
    if after - before == len(rows):
        return list(range(before + 1, after + 1))
    lines, line = [], before + 1
    for row in rows:
        lines.append(line)
        line += 1 + sum(v.count("\n") + v.count("\r") - v.count("\r\n")
                        for v in row if "\n" in v or "\r" in v)
    return lines


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
            reader = csv.reader(_lines(text), strict=True)
            for row in reader:
                yield line, row
                line = reader.line_num + 1
        if line == 1:
            problems.add(f"{label}: empty file")
    except UnicodeDecodeError as e:
        problems.add(f"{label} near line {line}: not {e.encoding} text ({e.reason})")
    except _READ_ERRORS as e:
        problems.add(f"{label} line {line}: {e}")


def _lines(text: IO[str]) -> Iterator[str]:
    """The physical lines, each refused once longer than MAX_LINE_CHARS: csv's field
    limit only applies after a whole line is in memory. A NUL is refused too: no name
    holds one, and a UTF-16 file without its BOM is full of them."""
    for chunk in iter(partial(text.readline, MAX_LINE_CHARS), ""):
        if len(chunk) == MAX_LINE_CHARS and chunk[-1] not in "\r\n":
            raise csv.Error(f"a line longer than {MAX_LINE_CHARS:,} characters")
        if "\0" in chunk:
            raise csv.Error("a NUL character: binary data, or UTF-16 without a byte order mark?")
        yield chunk


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
