"""OneRoster 1.1 and 1.2 CSV sets: a folder, or a .zip with the files at its root (what
ClassLink Roster Server drops by SFTP). Reading and file checks live here; every value
rule is in oneroster_map (1.2's in oneroster12), shared with the REST connector.

The manifest's oneroster.version says how the set is read; `source.version`, when set,
must agree with it."""

from __future__ import annotations

import csv
import io
import os
import stat
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import chain, islice, repeat
from pathlib import Path
from typing import IO, Any

from connectors.feed import Feed, Progress, SourceCheck, SourceError
from connectors.oneroster12 import ROSTERS
from connectors.oneroster_map import NOUNS, Problems, Roster, Spec, _show
from connectors.options import ONEROSTER_VERSIONS, Option, oneroster_version
from rostertui import model
from rostertui.gcpause import gc_paused

MAX_FILE_BYTES = 2 * 1024 ** 3  # per file, uncompressed
BOMB_RATIO = 200                # compression ratio refused for members over BOMB_MIN_BYTES
BOMB_MIN_BYTES = 10 * 1024 ** 2
MAX_LINE_CHARS = 1024 ** 2      # one physical line (csv's field limit is far lower)
PROGRESS_EVERY = 10_000
READ_CHARS = 1 << 17       # the block _fast_lines splits
MODES = ("bulk", "delta", "absent")
MAX_COLUMNS = 1000         # per file: 1.2 defines at most 23, plus metadata.* and vendors'
# A bulk file of these with a header and no rows would remove every record of its type
# (every roster, for enrollments; 1.2: every user's role): refused, since the spec's way
# to send nothing is `absent` in the manifest. Sessions, courses, demographics (and 1.2's
# userProfiles) pass to the engine.
NO_EMPTY_BULK = frozenset({"orgs", "classes", "users", "enrollments", "roles"})

Opener = Callable[[], IO[bytes]]
Members = dict[str, "Opener | None"]  # None: the file is there but refused (a problem)
Batch = tuple[list[int], list[list[str]]]  # (the line each row starts on, the rows)


class FileTooLarge(Exception):
    pass


_READ_ERRORS = (OSError, EOFError, UnicodeError, csv.Error, zipfile.BadZipFile, zlib.error,
                FileTooLarge)


class OneRosterCsvConnector:
    kind = "oneroster_csv"
    options = (
        Option("path", str, required=True, file=True,
               help="the folder holding manifest.csv and the CSV files, or a .zip of them"),
        oneroster_version(None, "the OneRoster version the set must be; by default the one "
                                "its manifest.csv names"),
    )

    @staticmethod
    def check_options(options: dict[str, Any]) -> None:
        """Nothing beyond `options`: the files are checked when they are read."""

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> OneRosterCsvConnector:
        return cls(options["path"], options.get("version"))

    def __init__(self, path: str | Path, version: str | None = None) -> None:
        """`version`: the OneRoster version the set must be (None: the manifest's)."""
        if version is not None and version not in ROSTERS:
            raise SourceError(f"source.version must be {' or '.join(ROSTERS)}, not {version!r}")
        self.path = Path(path)
        self.version = version

    def check(self) -> SourceCheck:
        """Reads and validates the whole set: a CSV drop has no cheaper call."""
        feed = self.fetch("full", None)
        schools = feed.types.get("school")
        return {"district": feed.district["name"] if feed.district else None,
                "schools": [r["name"] for r in schools.records] if schools else [],
                "counts": {t: len(tf.records) for t, tf in feed.types.items()},
                "version": f"OneRoster {feed.version}"}

    def fetch(self, mode: str, cursor: str | None, progress: Progress | None = None) -> Feed:
        """The set as a Feed. `mode` and `cursor` do not apply: the manifest says which
        files are bulk and which delta."""
        problems = Problems()
        with gc_paused(), _members(self.path, problems) as members:
            manifest = _manifest(members, problems)
            version = _version(manifest, members, self.version, problems)
            reader = ROSTERS[version or self.version or ONEROSTER_VERSIONS[0]]
            refused: set[str] = set()
            modes = _modes(manifest, members, problems, reader.spec, refused)
            roster = reader(self.kind, modes, problems, datetimes=True)
            roster.refused |= refused
            if version:
                _other_files(manifest, members, reader.spec, roster)
                for file in reader.spec.files:
                    opener = members.get(f"{file}.csv")
                    if file in modes and opener:  # in modes: present and not refused
                        _read(file, opener, roster, problems, progress)
            feed = roster.finish(str(self.path))
        feed.version = version
        return feed


# -- the set's files -----------------------------------------------------------------

@contextmanager
def _members(path: Path, problems: Problems) -> Iterator[Members]:
    """The files of the set by name, each as a function opening it."""
    if path.is_dir():
        yield _folder_members(path, problems)
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            yield _zip_members(zf, problems)
    elif path.exists():
        raise SourceError(f"{path}: not a folder or a .zip file")
    else:
        raise SourceError(f"{path}: not found")


def _folder_members(path: Path, problems: Problems) -> Members:
    """The regular files of the folder. A symbolic link named like a set file is a
    problem: it could make the set read a file from anywhere (the folder itself may be
    a link, as an SFTP drop's `current` often is)."""
    members: Members = {}
    for p in path.iterdir():
        if p.is_symlink():
            if p.suffix.lower() == ".csv":
                problems.add(f"{p.name}: a symbolic link, not a file of the set's folder")
                members[p.name] = None
        elif p.is_file():
            members[p.name] = partial(_open_file, p)
    return members


def _open_file(path: Path) -> IO[bytes]:
    """The file, refused if it became a symbolic link since the folder was listed."""
    return os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")


def _zip_members(zf: zipfile.ZipFile, problems: Problems) -> Members:
    """The members at the zip's root. A name held twice is a problem (which one would be
    the set's?), as are unsafe paths and symbolic links."""
    members: Members = {}
    counts = Counter(info.filename.rstrip("/").lower() for info in zf.infolist())
    for name, n in counts.items():
        if n > 1:  # users.csv and USERS.csv are one file once unpacked on many disks
            problems.add(f"{name}: the zip holds {n} members of this name (in any case)")
            members[name] = None
    for info in zf.infolist():
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            problems.add(f"{name}: unsafe path in the zip")
        elif stat.S_ISLNK(info.external_attr >> 16):
            problems.add(f"{name}: a symbolic link in the zip")
            members[name] = None
        elif "/" not in name and not info.is_dir() and counts[name.lower()] == 1:
            members[name] = partial(_open_member, zf, info)
    return members


def _open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    size, packed = info.file_size, info.compress_size
    if size > MAX_FILE_BYTES:
        raise FileTooLarge(f"declares {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
    if size > BOMB_MIN_BYTES and size > BOMB_RATIO * packed:
        raise FileTooLarge(f"looks like a zip bomb: {size} bytes packed into {packed}")
    return zf.open(info)


# -- the manifest --------------------------------------------------------------------

Manifest = dict[str, tuple[str, int]]  # propertyName -> (value, line)


def _manifest(members: Members, problems: Problems) -> Manifest | None:
    """manifest.csv's properties; None (a problem) without a readable manifest. A
    property listed twice is a problem: the set would have two meanings."""
    if "manifest.csv" not in members:
        problems.add("manifest.csv: missing")
    opener = members.get("manifest.csv")
    if not opener:
        return None
    records = _records(opener, "manifest.csv", problems)
    first = next(records, None)
    header = [h.strip() for h in first[1]] if first else []
    if "propertyName" not in header or "value" not in header:
        records.close()
        if first:
            problems.add("manifest.csv line 1: missing column(s) propertyName, value")
        return None
    key, val = header.index("propertyName"), header.index("value")
    properties: Manifest = {}
    for line, row in records:
        name = row[key].strip() if key < len(row) else ""
        value = row[val].strip() if val < len(row) else ""
        if name in properties:
            problems.add(f"manifest.csv line {line}: {name} is listed again "
                         f"(first on line {properties[name][1]})")
        elif name:
            properties[name] = (value, line)
    return properties


def _version(manifest: Manifest | None, members: Members, wanted: str | None,
             problems: Problems) -> str | None:
    """The OneRoster version to read the set as, or None (a problem) when its files are
    not to be read: a version this reader does not take, or not the configured one (a
    1.2 set read as 1.1 would only fail by accident, on users.csv's missing role).
    Without a manifest, the files are still read for their own problems, as `wanted` or
    1.1; without a version in it, only as `wanted` (read as a guess, a set of the other
    version would list each of its files as wrong)."""
    takes = " and ".join(ONEROSTER_VERSIONS)
    if manifest is None:
        return wanted or ONEROSTER_VERSIONS[0]
    if "oneroster.version" not in manifest:
        only = [f"{f}.csv" for f in ROSTERS["1.2"].spec.files
                if f not in ROSTERS["1.1"].spec.files and f"{f}.csv" in members]
        hint = f"; it holds {', '.join(only)}, of OneRoster 1.2" if only else ""
        problems.add(f"manifest.csv: no oneroster.version (this reader takes OneRoster "
                     f"{takes} sets{hint})")
        return wanted
    value, line = manifest["oneroster.version"]
    if value not in ROSTERS:
        problems.add(f"manifest.csv line {line}: oneroster.version is {_show(value)}, "
                     f"not {' or '.join(ONEROSTER_VERSIONS)}")
        return None
    if wanted and value != wanted:
        problems.add(f"manifest.csv line {line}: oneroster.version is {value}, but "
                     f"source.version is {wanted}: one of the two is wrong")
        return None
    return value


def _modes(manifest: Manifest | None, members: Members, problems: Problems,
           spec: Spec, refused: set[str]) -> dict[str, str]:
    """bulk|delta for each file to read. Without a manifest, every file present is bulk.
    A file the manifest and the set disagree on is added to `refused` (a problem says so)."""
    if manifest is None:
        return {f: "bulk" for f in spec.files if members.get(f"{f}.csv")}
    declared = {}
    for prop, (value, line) in manifest.items():
        if not prop.startswith("file."):
            continue
        name, mode = prop[5:], value.lower()
        if "/" in name or "\\" in name or name == "..":
            problems.add(f"manifest.csv line {line}: {prop} leads outside the set")
        elif mode not in MODES:
            problems.add(f"manifest.csv line {line}: {prop} is {mode!r}, "
                         "not bulk|delta|absent")
        else:
            declared[name] = mode
    rostering = {f for reader in ROSTERS.values() for f in reader.spec.files}
    for name, mode in declared.items():
        if name not in rostering:
            continue  # gradebook and resource files are not read: _other_files notes them
        if mode != "absent" and f"{name}.csv" not in members:
            problems.add(f"{name}.csv: missing, but manifest.csv lists it as {mode}")
            refused.add(name)
        elif mode == "absent" and _has_rows(members.get(f"{name}.csv")):
            problems.add(f"{name}.csv: has rows, but manifest.csv marks it absent: "
                         "one of the two is wrong")
            refused.add(name)
    for file in spec.files:
        if f"{file}.csv" in members and file not in declared:
            problems.add(f"{file}.csv: not listed in manifest.csv")
    return {f: m for f, m in declared.items()
            if f in spec.files and m != "absent" and members.get(f"{f}.csv")}


def _other_files(manifest: Manifest | None, members: Members, spec: Spec,
                 roster: Roster) -> None:
    """The files the manifest sends that this version's roster does not read: another
    version's rostering file is a problem (1.2's roles.csv in a 1.1 set); gradebook and
    resource files (categories, lineItems, results, resources, ...) get one note, even
    when one listed is not in the set: they never stop a roster sync."""
    sent = [prop[5:] for prop, (value, _) in (manifest or {}).items()
            if prop.startswith("file.") and value.lower() in ("bulk", "delta")
            and prop[5:] not in spec.files]
    others = {f for s in ROSTERS.values() for f in s.spec.files} - set(spec.files)
    for name in sent:
        if name in others and members.get(f"{name}.csv"):
            roster.problems.add(f"{name}.csv: a file of another OneRoster version than "
                                f"manifest.csv's oneroster.version {spec.version}")
    ignored = [f"{name}.csv" if f"{name}.csv" in members else f"{name}.csv (listed, not "
               "in the set)" for name in sent if name not in others]
    if ignored:
        roster.feed.warnings.append(model.warning(
            "files_not_read", "file", "manifest.csv",
            f"manifest.csv: {len(ignored)} file(s) not read, being no roster data "
            f"(gradebook, resources): {', '.join(ignored)}"))


def _has_rows(opener: Opener | None) -> bool:
    """Whether a file holds a line after its header (a header alone is what some exports
    leave for a file they mark absent). Reads two lines at most, each bounded."""
    if opener is None:
        return False
    try:
        with opener() as fh:
            fh.readline(1 << 20)
            return bool(fh.readline(1 << 20).strip())
    except (OSError, FileTooLarge):
        return True  # there, and not readable: not "nothing to send"


# -- reading one file ----------------------------------------------------------------

def _read(file: str, opener: Opener, roster: Roster, problems: Problems,
          progress: Progress | None) -> None:
    """One file of the set into the roster: its header checked, then its rows."""
    label = f"{file}.csv"
    batches = _batches(opener, label, problems)
    first = next(batches, None)  # the header alone (more rows after a read error)
    header = [h.strip() for h in first[1][0]] if first else []
    if first is None or not (_header_ok(file, label, header, roster, problems)
                             and roster.begin(file, header, label)):
        batches.close()
        roster.refused.add(file)
        return
    first[0].pop(0)
    first[1].pop(0)  # the header
    total = _row_total(opener) if progress else None
    rows = _map_rows(file, label, header, chain([first], batches), roster, problems,
                     progress and _with_total(progress, total))
    if not rows and roster.modes[file] == "bulk" and file in NO_EMPTY_BULK:
        problems.add(f"{label}: a header and no rows in a bulk file, which would remove "
                     f"every {NOUNS[file]}; a file with nothing to send is marked absent in "
                     "manifest.csv")
        roster.refused.add(file)


def _row_total(opener: Opener) -> int | None:
    """The file's rows for progress: its line breaks less the header's, counted in C (a
    value spanning lines makes it a little high); None when that cannot be read."""
    breaks = read = 0
    try:
        with opener() as raw:
            while (block := raw.read(1 << 20)) and read <= MAX_FILE_BYTES:
                read += len(block)
                breaks += block.count(b"\n")
    except _READ_ERRORS:
        return None
    return breaks - 1 if breaks > 1 else None


def _with_total(progress: Progress, total: int | None) -> Progress:
    """`progress`, given the file's estimated total where a report has none."""
    return lambda file, done, known: progress(file, done, known or total and max(total, done))


def _map_rows(file: str, label: str, header: list[str],
              batches: Iterable[Batch], roster: Roster,
              problems: Problems, progress: Progress | None) -> int:
    """Map the rows of a file whose header `roster.begin` took; the number of rows (not
    counting blank lines), whether mapped or reported as misshapen."""
    width, id_col = len(header), header.index("sourcedId")
    blanks = [i for i, h in enumerate(header) if not h]
    count = seen = 0
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

    for batch_lines, batch in batches:
        if not blanks and set(map(len, batch)) == {width}:  # every row fits: all at once
            rows += batch
            lines += batch_lines
            seen += len(batch)
        else:
            for line, row in zip(batch_lines, batch):
                if not row:
                    continue  # a blank line
                seen += 1
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
        progress(file, count, count)  # done: its total is known
    return seen


# -- the header ----------------------------------------------------------------------

def _header_ok(file: str, label: str, header: list[str], roster: Roster,
               problems: Problems) -> bool:
    """Check a header against the columns the set's OneRoster version defines for the
    file: each must be there (matched by name, in any order). A problem for each column
    missing, near missed (`Email` for email) or repeated, or for too many columns; one
    problem instead when the header is the file of the other version; one warning naming
    the columns neither defined nor metadata.*. True when the rows are worth reading for
    their own problems: every required column is there, and not too many."""
    where, spec = f"{label} line 1", roster.spec
    if len(header) > MAX_COLUMNS:
        problems.add(f"{where}: {len(header):,} columns, over the limit of {MAX_COLUMNS:,}")
        return False
    for col, n in _repeated(header):
        problems.add(f"{where}: column {col} appears {'twice' if n == 2 else f'{n} times'}")
    present = set(header)
    other = _other_shape(file, present, spec)
    if other:
        problems.add(f"{where}: the columns of a OneRoster {other} {label}, but manifest.csv "
                     f"says oneroster.version {spec.version}: one of the two is wrong")
        return False
    near = _near_misses(file, header, spec)
    for cell, col in near.items():
        problems.add(f"{where}: column {_show(cell)} is not defined by OneRoster "
                     f"{spec.version}; did you mean {col}?")
    missing = [c for c in spec.columns[file] if c not in present and c not in near.values()]
    if missing:
        problems.add(f"{where}: missing column(s) {', '.join(missing)}")
    defined = spec.defined[file]
    unknown = [h for h in header if h and h not in defined and h not in near
               and not h.startswith("metadata.")]
    if unknown:
        roster.feed.warnings.append(model.warning(
            "unknown_columns", "file", label,
            f"{where}: {_names(unknown)}: not defined by OneRoster {spec.version} "
            "(nor metadata.*)"))
    return present.issuperset(spec.required[file])


def _other_shape(file: str, present: set[str], spec: Spec) -> str | None:
    """The other OneRoster version whose columns for `file` the header has, where this
    version's differ (users.csv with role and orgSourcedIds in a 1.2 set), or None. A
    version without the file (1.1 has no roles.csv) is never it."""
    for version, reader in ROSTERS.items():
        theirs = set(reader.spec.columns.get(file, ()))
        ours = set(spec.columns[file])
        if version != spec.version and theirs and theirs != ours and present >= theirs \
                and not present >= ours:
            return version
    return None


def _fold(name: str) -> str:
    """A column name as a near miss matches it: any case, without `_` and `-`."""
    return name.lower().replace("_", "").replace("-", "")


def _near_misses(file: str, header: list[str], spec: Spec) -> dict[str, str]:
    """Header cell -> the defined column it differs from only by case, `_` or `-`, or
    which another binding names so (1.2 REST's preferredFirstName in a CSV)."""
    defined = spec.defined[file]
    folded = {_fold(c): c for c in defined}
    near = {h: folded[_fold(h)] for h in header if h not in defined and _fold(h) in folded}
    near.update({h: spec.aliases[h] for h in header
                 if h in spec.aliases and spec.aliases[h] in defined})
    return near


def _repeated(header: list[str]) -> list[tuple[str, int]]:
    """(column, times) for each named column the header holds more than once, in one
    pass (a column count of each cell was quadratic: 37 s for 62,000 columns)."""
    return [(col, n) for col, n in Counter(h for h in header if h).items() if n > 1]


def _names(names: list[str], shown: int = 5) -> str:
    """Column names for a message: the first few, each cut short."""
    text = ", ".join(map(_show, names[:shown]))
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)} column(s) {text}{more}"


def _batches(opener: Opener, label: str, problems: Problems,
             size: int = PROGRESS_EVERY) -> Generator[Batch, None, None]:
    """_records in batches of (lines, rows), read by the csv module without a Python step
    per row. On a read error the file is read again by _records, from the first row not yet
    delivered, so that what is delivered and the problem it reports are exactly _records'."""
    delivered = 0
    try:
        with opener() as raw, _text(raw) as text:
            reader = csv.reader(_fast_lines(text), strict=True)
            before, sizes = 0, chain([1], repeat(size))  # the header first, alone
            while rows := list(islice(reader, next(sizes))):
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


def _records(opener: Opener, label: str,
             problems: Problems) -> Generator[tuple[int, list[str]], None, None]:
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

    # io.RawIOBase takes any writable buffer; BufferedReader, the only reader of this
    # one, hands in a memoryview (as typeshed's _BufferedReaderStream says).
    def readinto(self, buf: memoryview) -> int:  # type: ignore[override]  # see above
        data = self._raw.read(min(len(buf), self._left + 1))
        if len(data) > self._left:
            raise FileTooLarge(f"larger than {self._limit} bytes")
        self._left -= len(data)
        buf[:len(data)] = data
        return len(data)
