"""Ways to break a copy of the Ed-Fi OneRoster CSV set. Each `Build` gets the folder of
the copy, changes it, and returns the path to sync when that is not the folder (a zip)."""

from __future__ import annotations

import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

Build = Callable[[Path], "Path | None"]
MiB = 1 << 20
GIB_2_5 = 2560                 # MiB: a member just over the 2 GiB limit
CRC_OF_2_5_GIB = 0x4B667A2E    # zlib.crc32 of 2.5 GiB of zeros (2.5 s to compute; fixed)


def edit(name: str, old: str, new: str) -> Build:
    """Replace the first `old` in a file of the set."""
    def build(folder: Path) -> None:
        path = folder / name
        text = path.read_bytes().decode()
        assert old in text, f"{old!r} not in {name}"
        path.write_bytes(text.replace(old, new, 1).encode())
    return build


def append(name: str, *lines: str) -> Build:
    def build(folder: Path) -> None:
        path = folder / name
        text = path.read_bytes().decode().rstrip("\n")
        path.write_bytes((text + "\n" + "\n".join(lines) + "\n").encode())
    return build


def rewrite(name: str, change: Callable[[bytes], bytes]) -> Build:
    """Replace a file by `change(its bytes)`."""
    def build(folder: Path) -> None:
        path = folder / name
        path.write_bytes(change(path.read_bytes()))
    return build


def every_file(change: Callable[[bytes], bytes]) -> Build:
    def build(folder: Path) -> None:
        for path in folder.iterdir():
            path.write_bytes(change(path.read_bytes()))
    return build


def header_only(*names: str) -> Build:
    return steps(*(rewrite(n, lambda data: data.split(b"\n")[0] + b"\n") for n in names))


def remove(name: str) -> Build:
    return lambda folder: (folder / name).unlink()


def directory(name: str) -> Build:
    """The file replaced by a folder of the same name."""
    def build(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
    return build


def keep_lines(name: str, keep: Callable[[str], bool]) -> Build:
    """Keep the header and the rows for which `keep` holds."""
    def build(folder: Path) -> None:
        path = folder / name
        header, *rows = path.read_bytes().decode().split("\n")
        path.write_bytes("\n".join([header, *filter(keep, rows)]).encode() + b"\n")
    return build


def wide_header(name: str, extra: int) -> Build:
    """`extra` more columns at the end of the header (the rows left as they are)."""
    def build(folder: Path) -> None:
        path = folder / name
        header, rest = path.read_bytes().split(b"\n", 1)
        path.write_bytes(header + b"".join(b",x%d" % i for i in range(extra)) + b"\n" + rest)
    return build


def symlinked(name: str) -> Build:
    """The file moved out of the set, a symbolic link to it left in its place."""
    def build(folder: Path) -> None:
        outside = folder.parent / f"outside-{name}"
        (folder / name).rename(outside)
        (folder / name).symlink_to(outside)
    return build


def delta(*files: str) -> Build:
    """The manifest says these files are deltas."""
    return steps(*(edit("manifest.csv", f"file.{f},bulk", f"file.{f},delta") for f in files))


def steps(*builds: Build) -> Build:
    """Each build in turn; the last path one returns is the source."""
    def build(folder: Path) -> Path | None:
        source = None
        for step in builds:
            source = step(folder) or source
        return source
    return build


def edit_rows(name: str, rows: Callable[[str], bool], column: str, value: str) -> Build:
    """Set `column` to `value` in each row `rows` picks (a file with no quoted field)."""
    def build(folder: Path) -> None:
        path = folder / name
        header, *lines = path.read_bytes().decode().rstrip("\n").split("\n")
        at = header.split(",").index(column)

        def change(line: str) -> str:
            fields = line.split(",")
            assert fields[at] != value, f"{name}: {column} is {value!r} already"
            fields[at] = value
            return ",".join(fields)
        edited = [change(line) if rows(line) else line for line in lines]
        assert edited != lines, f"{name}: no row picked"
        path.write_bytes("\n".join([header, *edited]).encode() + b"\n")
    return build


# -- the padded district: the Ed-Fi set made large enough for the percentage guards -----
# The clear, enrollment and change guards need at least 10 affected records (safety.
# MIN_COUNT), more than the Ed-Fi set's 8 students and 2 sections hold. Padded, it holds
# 100 students, 10 teachers and 40 sections; 142 active enrollments (the Ed-Fi 12 members,
# a teacher in each added section, and the added students dealt round the added sections:
# 16 of them get 3 students, 22 get 2).

PAD_STUDENTS, PAD_TEACHERS, PAD_SECTIONS = 92, 8, 38
SCHOOL = "255901001"
TERMS = "255901001_2021_2020-2021_Fall,255901001_2021_2020-2021_Spring"


def pad_student(i: int) -> str:
    return f"pad-s{i:03d}"


def pad_section(k: int) -> str:
    return f"pad-c{k:02d}"


def pad_email(i: int) -> str:
    return f"pad.s{i:03d}@example.org"


def padded(folder: Path) -> None:
    students = [f"{pad_student(i)},,,true,{SCHOOL},student,pad.s{i:03d},,Pad,Student{i:03d},"
                f",,{pad_email(i)},,,,09," for i in range(PAD_STUDENTS)]
    teachers = [f"pad-t{j},,,true,{SCHOOL},teacher,pad.t{j},,Pad,Teacher{j},,,"
                f"pad.t{j}@example.org,,,,," for j in range(PAD_TEACHERS)]
    classes = [f'{pad_section(k)},,,Pad {k:02d},09,ENG-1,PAD-{k:02d},scheduled,{300 + k},'
               f'{SCHOOL},"{TERMS}",English,01001,{k % 8 + 1}' for k in range(PAD_SECTIONS)]
    enrollments = ([f"pad-et{k:02d},,,{pad_section(k)},{SCHOOL},pad-t{k % PAD_TEACHERS},"
                    "teacher,true,2020-08-17,2021-05-28" for k in range(PAD_SECTIONS)]
                   + [f"{pad_enrollment(i)},,,{pad_section(i % PAD_SECTIONS)},{SCHOOL},"
                      f"{pad_student(i)},student,false,2020-08-17,2021-05-28"
                      for i in range(PAD_STUDENTS)])
    steps(append("users.csv", *students, *teachers), append("classes.csv", *classes),
          append("enrollments.csv", *enrollments))(folder)


def pad_enrollment(i: int) -> str:
    """Student i's enrollment, in section i % PAD_SECTIONS: the first PAD_SECTIONS of them
    are one per section, so dropping up to that many empties no section."""
    return f"pad-es{i:03d}"


def first_students(n: int) -> Callable[[str], bool]:
    """Rows of the padded students 0 .. n-1 (users.csv)."""
    ids = tuple(f"{pad_student(i)}," for i in range(n))
    return lambda row: row.startswith(ids)


def first_enrollments(n: int) -> Callable[[str], bool]:
    """The enrollments of padded students 0 .. n-1: one member out of each of n sections
    (n <= PAD_SECTIONS), none left empty."""
    ids = tuple(f"{pad_enrollment(i)}," for i in range(n))
    return lambda row: row.startswith(ids)


def members_of(role: str, sections: range) -> Callable[[str], bool]:
    """The `role` enrollments of these padded sections: all their students, or their
    one teacher."""
    wanted = {pad_section(k) for k in sections}
    return lambda row: (row.startswith("pad-e") and row.split(",")[6] == role
                        and row.split(",")[3] in wanted)


def without_enrollments(*rows: Callable[[str], bool]) -> Build:
    """enrollments.csv without the rows any of `rows` picks."""
    return keep_lines("enrollments.csv", lambda row: not any(pick(row) for pick in rows))


def without_users(*ids: str) -> Build:
    """The users gone from the set: their rows in users.csv, demographics.csv and
    enrollments.csv (userSourcedId)."""
    def gone(row: str) -> bool:
        fields = row.split(",")
        return fields[0] in ids or (len(fields) > 5 and fields[5] in ids)
    return steps(*(keep_lines(name, lambda row: not gone(row))
                   for name in ("users.csv", "demographics.csv", "enrollments.csv")))


# -- big files, written a MiB at a time (never whole in memory) ------------------------

def huge_field(name: str, old: str, mib: int) -> Build:
    """Replace the field `old` (with the commas around it) by a field of `mib` MiB."""
    def build(folder: Path) -> None:
        path = folder / name
        head, tail = path.read_bytes().split(old.encode(), 1)
        chunk = b"x" * MiB
        with path.open("wb") as fh:
            fh.write(head + b",")
            for _ in range(mib):
                fh.write(chunk)
            fh.write(b"," + tail)
    return build


def many_rows(name: str, row: str, count: int, last: str) -> Build:
    """Append `count` rows (`row` formatted with 0, 1, ...), streamed, then the row `last`."""
    def build(folder: Path) -> None:
        path = folder / name
        text = path.read_bytes().decode().rstrip("\n")
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text + "\n")
            fh.writelines(row.format(i) + "\n" for i in range(count))
            fh.write(last + "\n")
    return build


# -- zips --------------------------------------------------------------------------------

def zipped(*, inside: str = "", drop: tuple[str, ...] = (), extra: dict[str, bytes] | None = None,
           raw: Callable[[zipfile.ZipFile], None] | None = None) -> Build:
    """The set as set.zip beside the folder: its files under `inside`, but not `drop`,
    plus `extra` members and what `raw` writes."""
    def build(folder: Path) -> Path:
        dest = folder.parent / "set.zip"
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.iterdir()):
                if path.name not in drop:
                    zf.write(path, inside + path.name)
            with warnings.catch_warnings():  # "Duplicate name": a case may want one
                warnings.simplefilter("ignore", UserWarning)
                for name, data in (extra or {}).items():
                    zf.writestr(name, data)
            if raw:
                raw(zf)
        return dest
    return build


def empty_zip(folder: Path) -> Path:
    dest = folder.parent / "set.zip"
    zipfile.ZipFile(dest, "w").close()
    return dest


def not_a_zip(folder: Path) -> Path:
    dest = folder.parent / "set.zip"
    dest.write_bytes(b"PK\x03\x04" + b"this is not a zip archive" * 40)
    return dest


def zeros_member(name: str, mib: int) -> Callable[[zipfile.ZipFile], None]:
    """A deflated member of `mib` MiB of zeros, built without deflating them all: after a
    full flush each MiB of zeros deflates to the same bytes. A real bomb, 1000:1."""
    def write(zf: zipfile.ZipFile) -> None:
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = z.compress(bytes(MiB)) + z.flush(zlib.Z_FULL_FLUSH)
        stream = block * mib + z.flush()
        raw_member(zf, name, stream, mib * MiB, _zeros_crc(mib))
    return write


def lying_member(name: str, data: bytes, declared: int) -> Callable[[zipfile.ZipFile], None]:
    """A member whose headers say `declared` bytes while its data inflates to all of
    `data` (the CRC is that of `data`)."""
    def write(zf: zipfile.ZipFile) -> None:
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw_member(zf, name, z.compress(data) + z.flush(), declared, zlib.crc32(data))
    return write


def raw_member(zf: zipfile.ZipFile, name: str, stream: bytes, size: int, crc: int) -> None:
    """Write an already deflated member, its headers saying `size` and `crc`."""
    info = zipfile.ZipInfo(name, date_time=(2021, 1, 4, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size, info.compress_size, info.CRC = size, len(stream), crc
    info.header_offset = zf.fp.tell()
    zf.fp.write(info.FileHeader())
    zf.fp.write(stream)
    zf.start_dir = zf.fp.tell()  # where close() writes the central directory
    zf.filelist.append(info)
    zf.NameToInfo[name] = info


def _zeros_crc(mib: int) -> int:
    if mib == GIB_2_5:
        return CRC_OF_2_5_GIB
    crc, block = 0, bytes(MiB)
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    return crc
