"""Deterministic demo districts as OneRoster 1.1 CSV sets.

generate() writes a complete (bulk) set; next_day() reads one back and writes the following
day, bulk or delta, and says exactly what changed. Rows stream to csv.writer (a school, or
one section group, at a time), so 300,000 students fit in modest memory. All randomness
comes from one random.Random(seed) and no clock is read: the same arguments give the same
bytes.

Rules:
- Schools: `default_schools()`, one per 500 students rounded, at least 1. Two or more
  schools are elementary (KG-05), middle (06-08) and high (09-12) in the ratio 6:3:4 of
  their grade spans; a single school is a K-12 school.
- Zip: with as_zip, out_dir is still a folder, and the set goes to out_dir/district.zip
  (files at the zip's root) instead of loose files. next_day() reads a folder of loose
  files, a zip, or a folder holding district.zip.
- A folder keeps one set: set files that a run does not write (a delta's unchanged files)
  are removed from it.
"""

from __future__ import annotations

import csv
import functools
import io
import random
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypedDict

from connectors.oneroster_map import SPEC_COLUMNS

if TYPE_CHECKING:
    from _csv import Writer

# The files this writes, in the order written, each with every column OneRoster 1.1
# defines (the reader's own list: a set it writes always passes the strict header check).
FILES = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments",
         "demographics")
HEADERS = {name: list(SPEC_COLUMNS[name]) for name in FILES}
UNUSED_FILES = ("resources", "classResources", "courseResources", "categories", "lineItems",
                "results")
MANIFEST_HEADER = ["propertyName", "value"]
ZIP_NAME = "district.zip"
SYSTEM_NAME = "rostertui demo-data"

STUDENTS_PER_SCHOOL = 500
TEACHER_SHARE = 0.05
STAFF_SHARE = 0.01
SECTION_SIZE = 27
NO_EMAIL_SHARE = 0.005          # the same share of students again has no username

GENERATED_AT = "2025-08-11T06:00:00Z"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
YEAR_ID = "y2026"
TERM_IDS = "y2026-s1,y2026-s2"
YEAR_START, YEAR_END = date(2025, 8, 18), date(2026, 6, 5)
SESSIONS = (  # sourcedId, title, type, start, end, parent
    (YEAR_ID, "2025-2026 School Year", "schoolYear", YEAR_START, YEAR_END, ""),
    ("y2026-s1", "Fall 2025", "semester", YEAR_START, date(2025, 12, 19), YEAR_ID),
    ("y2026-s2", "Spring 2026", "semester", date(2026, 1, 5), YEAR_END, YEAR_ID),
)

GRADES = ("KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
LEVELS = {"Elementary": GRADES[:6], "Middle": GRADES[6:9], "High": GRADES[9:]}
K12 = "K-12"
# (title, code, SCED-like subject code); homeroom counts as one of a student's 6-8 classes.
HOMEROOM = ("Homeroom", "HR", "")
CORE = (("English Language Arts", "ELA", "01001"), ("Mathematics", "MATH", "02001"),
        ("Science", "SCI", "03001"), ("Social Studies", "SOC", "04001"))
ELECTIVES = (("Physical Education", "PE", "08001"), ("Art", "ART", "05154"),
             ("Music", "MUS", "05101"), ("World Languages", "WL", "06001"),
             ("Computer Science", "CS", "10001"), ("Health", "HLT", "08051"))
SUBJECTS = (HOMEROOM,) + CORE + ELECTIVES
SCHEDULED_CLASSES = (5, 6, 7)    # plus the homeroom
PERIODS = range(1, 9)

FIRST_NAMES = {
    "female": (
        "Olivia", "Emma", "Charlotte", "Amelia", "Sophia", "Mia", "Isabella", "Ava", "Evelyn",
        "Harper", "Luna", "Camila", "Gianna", "Elizabeth", "Eleanor", "Ella", "Abigail", "Sofia",
        "Avery", "Scarlett", "Emily", "Aria", "Penelope", "Chloé", "Layla", "Mila", "Nora",
        "Hazel", "Madison", "Ellie", "Lily", "Nova", "Isla", "Grace", "Violet", "Aurora", "Riley",
        "Zoë", "Willow", "Emilia", "Mary-Kate", "Anne-Marie", "Priya", "Mei", "Fatima",
        "Aaliyah", "Ximena", "Keisha", "Siobhan", "Ngozi"),
    "male": (
        "Liam", "Noah", "Oliver", "James", "Elijah", "William", "Henry", "Lucas", "Benjamin",
        "Theodore", "Mateo", "Levi", "Sebastian", "Daniel", "Jack", "Michael", "Alexander",
        "Owen", "Asher", "Samuel", "Ethan", "Leo", "Jackson", "Mason", "Ezra", "John", "Hudson",
        "Luca", "Aiden", "Joseph", "David", "Jacob", "Logan", "Luke", "Julian", "Gabriel",
        "Grayson", "Wyatt", "Matthew", "Maverick", "José", "D'Andre", "Jean-Luc", "Rahul", "Wei",
        "Omar", "Kwame", "Diego", "Tariq", "Seamus"),
}
ALL_FIRST_NAMES = FIRST_NAMES["female"] + FIRST_NAMES["male"]
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "O'Brien",
    "O'Connor", "D'Angelo", "McDonald", "Smith-Jones", "Garcia-Lopez", "Muñoz", "Peña", "Patel",
    "Chen", "Wang", "Okafor", "Haddad", "Kowalski", "Johansson", "Yamamoto", "Schmidt", "Rossi",
    "Dubois", "Van der Berg")
PLACES = (
    "Lincoln", "Washington", "Jefferson", "Roosevelt", "Franklin", "Madison", "Kennedy",
    "Oak Ridge", "Maple Grove", "Cedar Hill", "Pine Valley", "Willow Creek", "Riverside",
    "Lakeview", "Hillcrest", "Brookside", "Fairview", "Greenwood", "Highland", "Meadowbrook",
    "Sunnyside", "Westwood", "Eastwood", "Northgate", "Southfield", "Stonebridge", "Clearwater",
    "Silver Lake", "Deer Park", "Fox Run", "Eagle Rock", "Bear Creek", "Heritage", "Liberty",
    "Independence", "Pioneer", "Horizon", "Summit", "Valley View", "Mountain View", "Parkside",
    "Lakeside", "Rosewood", "Briarwood", "Ashford", "Chestnut Hill", "Spring Garden",
    "Harbor View", "Prairie Wind", "Canyon Ridge", "Mesa Verde", "Sequoia", "Redwood", "Aspen",
    "Juniper", "Magnolia", "Sycamore", "Hawthorne", "Evergreen", "Cottonwood")
PERSONAL_DOMAINS = ("example.com", "example.net")
GUARDIAN_ROLES, GUARDIAN_WEIGHTS = ("guardian", "parent", "relative"), (60, 35, 5)
# race flag columns of demographics.csv, in order, with rough shares; 2+ races set two flags
RACES = ("americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
         "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces")
RACE_WEIGHTS = (2, 8, 15, 1, 68, 6)
HISPANIC_SHARE = 0.25
STUDENT_EDITS = ("familyName", "email", "grade", "username")
TEACHER_EDITS = ("familyName", "email", "username")

# column positions by name
U, E, C, CO, AS = ({c: i for i, c in enumerate(HEADERS[name])} for name in
                   ("users", "enrollments", "classes", "courses", "academicSessions"))
_ID = re.compile(r"([a-z]+)(\d+)")
_NUMBERED = re.compile(r"(.*?)(\d*)")

Row = list[str]  # a CSV row as read; rows written may hold dates and ints too
Student = tuple[str, str, str, str]  # (sourcedId, school, grade, guardian ids)


class ChangedIds(TypedDict):
    """The ids next_day() added, updated and removed, and the students it moved."""
    students: dict[str, list[str]]
    teachers: dict[str, list[str]]
    moved: list[str]


class DaySummary(TypedDict):
    """What next_day() changed: counts per type and kind, the ids, the rows per file."""
    students: dict[str, int]
    teachers: dict[str, int]
    guardians: dict[str, int]
    enrollments: dict[str, int]
    ids: ChangedIds
    files: dict[str, int]


def default_schools(students: int) -> int:
    """One school per 500 students, rounded, at least one."""
    return max(1, round(students / STUDENTS_PER_SCHOOL))


def generate(out_dir: Path, students: int, schools: int | None = None, seed: int = 1,
             as_zip: bool = False) -> dict[str, int]:
    """Write a bulk OneRoster 1.1 CSV district; return the rows written per file."""
    if students < 1:
        raise ValueError("students must be at least 1")
    schools = default_schools(students) if schools is None else schools
    if schools < 1:
        raise ValueError("schools must be at least 1")
    rng = random.Random(seed)
    place = rng.choice(PLACES)
    people = _People(rng, _domain(place), GENERATED_AT, YEAR_START, _Ids(), _Usernames())
    with _output(Path(out_dir), "bulk", as_zip) as sink:
        _Generator(sink, rng, people, students).district(place, schools)
    return dict(sink.counts)


def next_day(previous_dir: Path, out_dir: Path, change_rate: float = 0.05, seed: int = 2,
             delta: bool = False, as_zip: bool = False) -> DaySummary:
    """Read a bulk set and write the next day's, as a bulk or a delta set.

    change_rate/3 of the students are each added, edited and removed (a removed student's
    guardian goes too), as are change_rate/3 of the teachers (each added teacher takes over
    a removed one's sections), and change_rate/3 of the students move to another section of
    one of their courses. Returns counts per type, the affected ids and the rows per file.
    """
    if not 0 <= change_rate <= 1:
        raise ValueError("change_rate must be between 0 and 1")
    if Path(out_dir).resolve() == Path(previous_dir).resolve():
        raise ValueError("out_dir must differ from previous_dir")
    with _Source(Path(previous_dir)) as src:
        src.check_bulk()
        day = _NextDay(src, random.Random(seed), change_rate)
        with _output(Path(out_dir), "delta" if delta else "bulk", as_zip) as sink:
            day.write(sink)
    return day.summary(sink.counts)


# --- ids, names and rows shared by generate() and next_day() ---------------------------

class _Ids:
    """Sequential sourcedIds per prefix (s000001, t00001, ...); next_day() continues after
    the highest it has seen. People's SIS identifiers are numbers derived from them."""

    WIDTH = {"sch": 4, "crs": 5, "cls": 6, "t": 5, "a": 4, "s": 6, "g": 6, "e": 7}
    SIS_BASE = {"t": 500_000, "a": 600_000, "s": 1_000_000, "g": 7_000_000}

    def __init__(self) -> None:
        self.last = dict.fromkeys(self.WIDTH, 0)

    def new(self, prefix: str) -> str:
        self.last[prefix] += 1
        return f"{prefix}{self.last[prefix]:0{self.WIDTH[prefix]}d}"

    def person(self, prefix: str) -> tuple[str, str]:
        """A new (sourcedId, identifier)."""
        sid = self.new(prefix)
        return sid, str(self.SIS_BASE[prefix] + self.last[prefix])

    def seen(self, sid: str) -> None:
        m = _ID.fullmatch(sid)
        if m and m[1] in self.last:
            self.last[m[1]] = max(self.last[m[1]], int(m[2]))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@functools.cache
def _login_base(given: str, family: str) -> str:
    return re.sub(r"[^a-z.-]", "", _ascii(f"{given}.{family}"))


class _Usernames:
    """first.last, then first.last2, first.last3...: unique within a set, also after reading
    one back. Also used for email local parts, so that emails are unique too."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def take(self, given: str, family: str) -> str:
        base = _login_base(given, family)
        n = self.used.get(base, 0) + 1
        self.used[base] = n
        return base if n == 1 else f"{base}{n}"

    def seen(self, login: str) -> None:
        if login:
            numbered = _NUMBERED.fullmatch(login)
            assert numbered is not None  # as a login has no line break, every one matches
            base, n = numbered.groups()
            self.used[base] = max(self.used.get(base, 0), int(n or 1))


def _domain(place: str) -> str:
    return re.sub(r"[^a-z]", "", _ascii(place)) + "usd.example.org"


class _People:
    """Builds user and demographics rows, stamped `stamp`, and edits user rows."""

    def __init__(self, rng: random.Random, domain: str, stamp: str, year_start: date,
                 ids: _Ids, usernames: _Usernames):
        self.rng, self.domain, self.stamp, self.year_start = rng, domain, stamp, year_start
        self.ids, self.usernames = ids, usernames

    def student(self, school: str, grade: str, email: bool = True,
                login: bool = True) -> tuple[Row, Row, Row]:
        """(student, guardian, demographics) rows."""
        rng = self.rng
        sex = rng.choice(("female", "male"))
        given, family = rng.choice(FIRST_NAMES[sex]), rng.choice(LAST_NAMES)
        sid, sis = self.ids.person("s")
        guardian_id, guardian_sis = self.ids.person("g")
        name = self.usernames.take(given, family)
        student = self._user(sid, sis, "student", school, given, family,
                             login=name if login else "",
                             email=f"{name}@{self.domain}" if email else "",
                             agents=guardian_id, grade=grade)
        guardian = self._guardian(guardian_id, guardian_sis, school, family, sid)
        return student, guardian, self._demographics(sid, grade, sex)

    def staff(self, role: str, school: str) -> Row:
        """A teacher, administrator or aide."""
        sid, sis = self.ids.person("t" if role == "teacher" else "a")
        given, family = self.rng.choice(ALL_FIRST_NAMES), self.rng.choice(LAST_NAMES)
        name = self.usernames.take(given, family)
        return self._user(sid, sis, role, school, given, family, login=name,
                          email=f"{name}@{self.domain}")

    def edit(self, row: Row, kind: str, school_grades: Sequence[str]) -> Row:
        """A copy of a user row with one field changed (a grade within its school's)."""
        row = row.copy()
        if kind == "familyName":
            row[U["familyName"]] = self._other(LAST_NAMES, row[U["familyName"]])
        elif kind == "grade":
            row[U["grades"]] = self._other(school_grades, row[U["grades"]])
        else:
            name = self.usernames.take(row[U["givenName"]], row[U["familyName"]])
            row[U[kind]] = name if kind == "username" else f"{name}@{self.domain}"
        row[U["status"]], row[U["dateLastModified"]] = "active", self.stamp
        return row

    def _other(self, choices: Sequence[str], current: str) -> str:
        return self.rng.choice([c for c in choices if c != current])

    def _guardian(self, sid: str, sis: str, school: str, family: str, student: str) -> Row:
        rng = self.rng
        given = rng.choice(ALL_FIRST_NAMES)
        if rng.random() < 0.15:
            family = rng.choice(LAST_NAMES)
        role = rng.choices(GUARDIAN_ROLES, GUARDIAN_WEIGHTS)[0]
        email = f"{self.usernames.take(given, family)}@{rng.choice(PERSONAL_DOMAINS)}"
        phone = f"({rng.randrange(200, 1000)}) 555-{rng.randrange(10000):04d}"
        return self._user(sid, sis, role, school, given, family, email=email, phone=phone,
                          agents=student)

    def _user(self, sid: str, sis: str, role: str, school: str, given: str, family: str,
              login: str = "", email: str = "", phone: str = "", agents: str = "",
              grade: str = "") -> Row:
        middle = self.rng.choice(ALL_FIRST_NAMES) if self.rng.random() < 0.3 else ""
        return [sid, "active", self.stamp, "true", school, role, login, f"{{SIS:{sis}}}", given,
                family, middle, sis, email, "", phone, agents, grade, ""]

    def _demographics(self, sid: str, grade: str, sex: str) -> Row:
        """Born so that the student is grade+5 years old (KG: 5) on September 1."""
        rng = self.rng
        age = 5 + GRADES.index(grade)
        born = date(self.year_start.year - age - 1, 9, 2) + timedelta(days=rng.randrange(365))
        race = rng.choices(range(len(RACES)), RACE_WEIGHTS)[0]
        flags = [i == race for i in range(len(RACES))]
        if RACES[race] == "demographicRaceTwoOrMoreRaces":
            for i in rng.sample(range(len(RACES) - 1), 2):
                flags[i] = True
        flags.append(rng.random() < HISPANIC_SHARE)
        return [sid, "active", self.stamp, born.isoformat(), sex,
                *("true" if f else "false" for f in flags), "", "", "", ""]


def _enrollment(eid: str, stamp: str, class_id: str, school: str, user: str, role: str,
                primary: str, begin: date | str, end: date | str) -> Row:
    return [eid, "active", stamp, class_id, school, user, role, primary, str(begin), str(end)]


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders get the leftovers)."""
    quotas = [w * total / sum(weights) for w in weights]
    counts = [int(q) for q in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda i: counts[i] - quotas[i])
    for i in by_remainder[:total - sum(counts)]:
        counts[i] += 1
    return counts


# --- writing and reading sets ----------------------------------------------------------

class _Sink:
    """The CSV files of one set in a folder; a file is created (with its header) on first
    use, or up front for a bulk set, and its rows are counted."""

    def __init__(self, folder: Path, mode: str):
        self.folder, self.mode = folder, mode
        self.counts: dict[str, int] = {}
        self._files: list[IO[str]] = []
        self._writers: dict[str, Writer] = {}
        if mode == "bulk":
            for name in FILES:
                self._writer(name)

    def row(self, name: str, row: Sequence[object]) -> None:
        self._writer(name).writerow(row)
        self.counts[name] += 1

    def rows(self, name: str, rows: Iterable[Sequence[object]]) -> None:
        each = iter(rows)
        first = next(each, None)
        if first is None:
            return
        write = self._writer(name).writerow
        write(first)
        n = 1
        for row in each:
            write(row)
            n += 1
        self.counts[name] += n

    def _writer(self, name: str) -> Writer:
        if name not in self._writers:
            file = open(self.folder / f"{name}.csv", "w", newline="", encoding="utf-8")
            self._files.append(file)
            self._writers[name] = csv.writer(file)
            self._writers[name].writerow(HEADERS[name])
            self.counts[name] = 0
        return self._writers[name]

    def close(self) -> None:
        for file in self._files:
            file.close()

    def finish(self) -> None:
        """Write the manifest and remove set files left from an earlier set."""
        modes = {name: self.mode if name in self.counts else "absent"
                 for name in FILES + UNUSED_FILES}
        with open(self.folder / "manifest.csv", "w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(
                [MANIFEST_HEADER, ["manifest.version", "1.0"], ["oneroster.version", "1.1"]]
                + [[f"file.{name}", mode] for name, mode in modes.items()]
                + [["source.systemName", SYSTEM_NAME]])
        for name in FILES:
            if name not in self.counts:
                (self.folder / f"{name}.csv").unlink(missing_ok=True)


@contextmanager
def _output(out_dir: Path, mode: str, as_zip: bool) -> Iterator[_Sink]:
    """A _Sink on out_dir, or on a temporary folder zipped to out_dir/district.zip."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        folder = (Path(stack.enter_context(tempfile.TemporaryDirectory(dir=out_dir)))
                  if as_zip else out_dir)
        sink = _Sink(folder, mode)
        try:
            yield sink
        finally:
            sink.close()
        sink.finish()
        if as_zip:
            _zip(folder, out_dir / ZIP_NAME)


def _zip(folder: Path, path: Path) -> None:
    """Zip the folder's files at the root, with a fixed date so the bytes are repeatable."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.iterdir()):
            info = zipfile.ZipInfo(file.name, date_time=(2025, 8, 11, 6, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            with open(file, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst)


class _Source:
    """A bulk set to read: a folder, a zip, or a folder holding district.zip."""

    def __init__(self, path: Path):
        if path.is_dir() and not (path / "manifest.csv").exists() and (path / ZIP_NAME).exists():
            path = path / ZIP_NAME
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.zip:
            self.zip.close()

    def check_bulk(self) -> None:
        with self.rows("manifest", MANIFEST_HEADER) as rows:
            modes = {key.strip(): value.strip().lower() for key, value in rows}
        for name in FILES:
            mode = modes.get(f"file.{name}", "missing")
            if mode != "bulk":
                raise ValueError(f"{self.path}: not a bulk set (file.{name} is {mode})")

    @contextmanager
    def rows(self, name: str, header: list[str] | None = None) -> Iterator[Iterator[Row]]:
        """A csv.reader on a file's rows, after checking its header."""
        raw = self.zip.open(f"{name}.csv") if self.zip else open(self.path / f"{name}.csv", "rb")
        with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            if next(reader, None) != (header or HEADERS[name]):
                raise ValueError(f"{self.path}: {name}.csv does not have the expected header")
            yield reader


# --- generate() -----------------------------------------------------------------------

class _Generator:
    """Writes a district school by school, and each grade one section group at a time."""

    def __init__(self, sink: _Sink, rng: random.Random, people: _People, students: int):
        self.sink, self.rng, self.people, self.ids = sink, rng, people, people.ids
        self.students = students
        few = max(1 if students >= 50 else 0, round(students * NO_EMAIL_SHARE))
        picked = rng.sample(range(students), 2 * few)
        self.no_email, self.no_login = set(picked[::2]), set(picked[1::2])
        self.ordinal = 0            # students written so far
        self.next_teacher = 0       # round robin over a school's teachers

    def district(self, place: str, n_schools: int) -> None:
        stamp, district = GENERATED_AT, "d001"
        self.sink.row("orgs", [district, "active", stamp, f"{place} Unified School District",
                               "district", str(self.rng.randrange(10**6, 10**7)), ""])
        self.sink.rows("academicSessions", (
            [sid, "active", stamp, title, type_, start, end, parent, str(YEAR_END.year)]
            for sid, title, type_, start, end, parent in SESSIONS))
        schools = self._schools(n_schools)
        sizes = _apportion(self.students, self._weights(schools))
        for i, ((name, grades), size) in enumerate(zip(schools, sizes), 1):
            school = self.ids.new("sch")
            self.sink.row("orgs", [school, "active", stamp, name, "school", f"{i:03d}", district])
            self._school(school, grades, size)

    def _schools(self, n: int) -> list[tuple[str, tuple[str, ...]]]:
        """(name, grades) per school."""
        if n == 1:
            levels = [K12]
        else:
            spans = [len(grades) for grades in LEVELS.values()]
            levels = [lvl for lvl, k in zip(LEVELS, _apportion(n, spans)) for _ in range(k)]
        places = self.rng.sample(PLACES, len(PLACES))
        schools = []
        for i, level in enumerate(levels):
            number = f" #{i // len(places) + 1}" if i >= len(places) else ""
            grades = GRADES if level == K12 else LEVELS[level]
            schools.append((f"{places[i % len(places)]} {level} School{number}", grades))
        return schools

    def _weights(self, schools: list[tuple[str, tuple[str, ...]]]) -> list[float]:
        """Each grade's students split over the schools that teach it, give or take 15%."""
        serving = {g: sum(g in grades for _, grades in schools) for g in GRADES}
        return [sum(1 / serving[g] for g in grades) * self.rng.uniform(0.85, 1.15)
                for _, grades in schools]

    def _school(self, school: str, grades: tuple[str, ...], size: int) -> None:
        teachers = [self.people.staff("teacher", school)
                    for _ in range(max(1, round(size * TEACHER_SHARE)))]
        staff = [self.people.staff("administrator" if i == 0 or self.rng.random() < 0.3
                                   else "aide", school)
                 for i in range(max(1, round(size * STAFF_SHARE)))]
        self.sink.rows("users", teachers + staff)
        self.next_teacher = 0
        for grade, n in zip(grades, _apportion(size, [1] * len(grades))):
            if n:
                self._grade(school, grade, n, teachers)

    def _grade(self, school: str, grade: str, n: int, teachers: list[Row]) -> None:
        courses: dict[str, Row] = {}
        label = "Kindergarten" if grade == "KG" else f"Grade {int(grade)}"
        for title, code, subject_code in SUBJECTS:
            course = [self.ids.new("crs"), "active", GENERATED_AT, YEAR_ID, f"{title} {label}",
                      f"{code}-{grade}", grade, school, title, subject_code]
            courses[code] = course
            self.sink.row("courses", course)
        groups = max(1, round(n / SECTION_SIZE))
        for group, members in enumerate(_apportion(n, [1] * groups), 1):
            sections = self._sections(school, grade, group, courses, teachers)
            self._students(school, grade, members, sections)

    def _sections(self, school: str, grade: str, group: int, courses: dict[str, Row],
                  teachers: list[Row]) -> list[str]:
        """A group's homeroom and scheduled classes, each with its teacher(s); their ids."""
        n = self.rng.choice(SCHEDULED_CLASSES)
        subjects = CORE + tuple(self.rng.sample(ELECTIVES, n - len(CORE)))
        periods = sorted(zip(self.rng.sample(PERIODS, n), (code for _, code, _ in subjects)))
        sections = []
        for period, code in [("", HOMEROOM[1])] + periods:
            course = courses[code]
            teacher = self.next_teacher % len(teachers)
            self.next_teacher += 1
            suffix = f"Period {period}" if period else teachers[teacher][U["familyName"]]
            class_id = self.ids.new("cls")
            self.sink.row("classes", [
                class_id, "active", GENERATED_AT, f"{course[CO['title']]} - {suffix}", grade,
                course[0], f"{course[CO['courseCode']]}.{group}",
                "scheduled" if period else "homeroom", f"Room {101 + teacher}", school,
                TERM_IDS if period else YEAR_ID, course[CO["subjects"]],
                course[CO["subjectCodes"]], period])
            self._teach(class_id, school, teachers, teacher)
            sections.append(class_id)
        return sections

    def _teach(self, class_id: str, school: str, teachers: list[Row], teacher: int) -> None:
        """One teacher enrollment, and one in ten sections a co-teacher."""
        chosen = [teacher]
        if len(teachers) > 1 and self.rng.random() < 0.1:
            chosen.append((teacher + 1) % len(teachers))
        self.sink.rows("enrollments", (
            _enrollment(self.ids.new("e"), GENERATED_AT, class_id, school, teachers[t][0],
                        "teacher", "true" if i == 0 else "false", YEAR_START, YEAR_END)
            for i, t in enumerate(chosen)))

    def _students(self, school: str, grade: str, members: int, sections: list[str]) -> None:
        users: list[Row] = []
        demographics: list[Row] = []
        enrollments: list[Row] = []
        for _ in range(members):
            i, self.ordinal = self.ordinal, self.ordinal + 1
            student, guardian, demo = self.people.student(
                school, grade, email=i not in self.no_email, login=i not in self.no_login)
            users += (student, guardian)
            demographics.append(demo)
            enrollments += [_enrollment(self.ids.new("e"), GENERATED_AT, class_id, school,
                                        student[0], "student", "false", YEAR_START, YEAR_END)
                            for class_id in sections]
        self.sink.rows("users", users)
        self.sink.rows("demographics", demographics)
        self.sink.rows("enrollments", enrollments)


# --- next_day() -----------------------------------------------------------------------

class _NextDay:
    """One day of changes to a bulk set: planned from a first read of it, applied while
    copying it to the new set."""

    def __init__(self, src: _Source, rng: random.Random, rate: float):
        self.src, self.rng = src, rng
        self.ids, usernames = _Ids(), _Usernames()
        latest, domain = self._read_users(usernames)
        self._read_classes()
        stamp = datetime.strptime(latest, TIME_FORMAT) + timedelta(days=1)
        self.today = stamp.date().isoformat()
        self.people = _People(rng, domain, stamp.strftime(TIME_FORMAT), self._year_start(),
                              self.ids, usernames)
        self._pick(rate)
        held = self._read_enrollments()
        self.new_users: list[Row] = []
        self.new_demographics: list[Row] = []
        self.new_enrollments: list[Row] = []
        self._add_students(held)
        self._replace_teachers(held)
        self._move_students(held, round(len(self.students) * rate / 3))

    def _read_users(self, usernames: _Usernames) -> tuple[str, str]:
        """Note students, teachers, ids and usernames; return the latest stamp and the
        district's email domain."""
        self.students: list[Student] = []
        self.teachers: list[tuple[str, str]] = []  # (sourcedId, school)
        latest = domain = ""
        with self.src.rows("users") as rows:
            for row in rows:
                self.ids.seen(row[0])
                usernames.seen(row[U["username"]])
                local, _, host = row[U["email"]].partition("@")
                usernames.seen(local)
                latest = max(latest, row[U["dateLastModified"]])
                role = row[U["role"]]
                if role == "student":
                    self.students.append((row[0], row[U["orgSourcedIds"]], row[U["grades"]],
                                          row[U["agentSourcedIds"]]))
                elif role == "teacher":
                    self.teachers.append((row[0], row[U["orgSourcedIds"]]))
                if role in ("student", "teacher") and host and not domain:
                    domain = host
        return latest, domain

    def _read_classes(self) -> None:
        self.course_of: dict[str, str] = {}             # class -> course
        self.sections_of: dict[str, list[str]] = {}     # course -> classes
        self.school_grades: dict[str, list[str]] = {}
        with self.src.rows("classes") as rows:
            for row in rows:
                course = row[C["courseSourcedId"]]
                self.course_of[row[0]] = course
                self.sections_of.setdefault(course, []).append(row[0])
                grades = self.school_grades.setdefault(row[C["schoolSourcedId"]], [])
                for grade in row[C["grades"]].split(","):
                    if grade and grade not in grades:
                        grades.append(grade)

    def _year_start(self) -> date:
        with self.src.rows("academicSessions") as rows:
            for row in rows:
                if row[AS["type"]] == "schoolYear":
                    return date.fromisoformat(row[AS["startDate"]])
        raise ValueError(f"{self.src.path}: no schoolYear in academicSessions.csv")

    def _pick(self, rate: float) -> None:
        """Choose who is removed, edited, copied for a new student, and may move."""
        rng, k = self.rng, round(len(self.students) * rate / 3)
        # the movers are a pool: a student with no other section to move to is passed over
        pool = min(len(self.students), 5 * k + 10) if k else 0
        picked = rng.sample(self.students, pool)
        self.removed, self.edited, self.movers = picked[:k], picked[k:2 * k], picked[2 * k:]
        gone = {s[0] for s in self.removed}
        self.templates: list[Student] = []
        while len(self.templates) < k:
            student = rng.choice(self.students)
            if student[0] not in gone:
                self.templates.append(student)
        kt = round(len(self.teachers) * rate / 3)
        teachers = rng.sample(self.teachers, 2 * kt)
        self.removed_teachers, self.edited_teachers = teachers[:kt], teachers[kt:]
        self.edits = {s[0]: (rng.choice(STUDENT_EDITS), s[1]) for s in self.edited}
        self.edits.update({t[0]: (rng.choice(TEACHER_EDITS), t[1]) for t in teachers[kt:]})
        self.gone_guardians = [g for s in self.removed for g in s[3].split(",") if g]
        self.gone_users = gone | {t[0] for t in teachers[:kt]} | set(self.gone_guardians)

    def _read_enrollments(self) -> dict[str, list[Row]]:
        """Note the highest enrollment id; return the enrollments of the people whose
        classes a change copies or moves."""
        wanted = {p[0] for p in self.templates + self.movers + self.removed_teachers}
        held: dict[str, list[Row]] = {uid: [] for uid in wanted}
        user = E["userSourcedId"]
        with self.src.rows("enrollments") as rows:
            for row in rows:
                self.ids.seen(row[0])
                if row[user] in wanted:
                    held[row[user]].append(row)
        return held

    def _enroll(self, row: Row, user: str, class_id: str | None = None) -> None:
        """A new enrollment like `row` for `user` (in `class_id`), starting today at the
        earliest."""
        self.new_enrollments.append(_enrollment(
            self.ids.new("e"), self.people.stamp, class_id or row[E["classSourcedId"]],
            row[E["schoolSourcedId"]], user, row[E["role"]], row[E["primary"]],
            max(self.today, row[E["beginDate"]]), row[E["endDate"]]))

    def _add_students(self, held: dict[str, list[Row]]) -> None:
        """New students in the grade, school and classes of existing ones."""
        self.added: list[str] = []
        for template, school, grade, _ in self.templates:
            student, guardian, demo = self.people.student(school, grade)
            self.added.append(student[0])
            self.new_users += (student, guardian)
            self.new_demographics.append(demo)
            for row in held[template]:
                self._enroll(row, student[0])

    def _replace_teachers(self, held: dict[str, list[Row]]) -> None:
        """A new teacher at the same school takes each removed teacher's sections."""
        self.added_teachers: list[str] = []
        for teacher, school in self.removed_teachers:
            new = self.people.staff("teacher", school)
            self.added_teachers.append(new[0])
            self.new_users.append(new)
            for row in held[teacher]:
                self._enroll(row, new[0])

    def _move_students(self, held: dict[str, list[Row]], k: int) -> None:
        """Move up to k students, each from one class to another section of its course."""
        self.moved: list[str] = []
        self.moved_out: set[str] = set()
        for student, *_ in self.movers:
            if len(self.moved) == k:
                break
            rows = held[student]
            enrolled = {row[E["classSourcedId"]] for row in rows}
            options = [(row, other) for row in rows
                       for other in self.sections_of[self.course_of[row[E["classSourcedId"]]]]
                       if other not in enrolled]
            if options:
                row, other = self.rng.choice(options)
                self.moved.append(student)
                self.moved_out.add(row[0])
                self._enroll(row, student, other)

    def write(self, sink: _Sink) -> None:
        """Copy the set with the changes; a delta sink gets only the changed rows."""
        if sink.mode == "bulk":
            for name in ("orgs", "academicSessions", "courses", "classes"):
                with self.src.rows(name) as rows:
                    sink.rows(name, rows)
        gone, user = self.gone_users, E["userSourcedId"]
        self._copy(sink, "users", lambda row: row[0] in gone, self._edit)
        sink.rows("users", self.new_users)
        self._copy(sink, "demographics", lambda row: row[0] in gone)
        sink.rows("demographics", self.new_demographics)
        self.removed_enrollments = self._copy(
            sink, "enrollments", lambda row: row[user] in gone or row[0] in self.moved_out)
        sink.rows("enrollments", self.new_enrollments)

    def _copy(self, sink: _Sink, name: str, is_removed: Callable[[Row], bool],
              edit: Callable[[Row], Row] | None = None) -> int:
        """Copy a file's rows (delta: only changed rows, removals as tobedeleted); return
        the number removed."""
        removed = 0
        with self.src.rows(name) as rows:
            for row in rows:
                if is_removed(row):
                    removed += 1
                    if sink.mode == "delta":
                        sink.row(name, [row[0], "tobedeleted", self.people.stamp, *row[3:]])
                elif edit and row[0] in self.edits:
                    sink.row(name, edit(row))
                elif sink.mode == "bulk":
                    sink.row(name, row)
        return removed

    def _edit(self, row: Row) -> Row:
        kind, school = self.edits[row[0]]
        grades = self.school_grades.get(school, [])
        return self.people.edit(row, kind, grades if len(grades) > 1 else GRADES)

    def summary(self, counts: dict[str, int]) -> DaySummary:
        students = {"add": self.added, "update": [s[0] for s in self.edited],
                    "remove": [s[0] for s in self.removed]}
        teachers = {"add": self.added_teachers,
                    "update": [t[0] for t in self.edited_teachers],
                    "remove": [t[0] for t in self.removed_teachers]}
        return {
            "students": _sizes(students), "teachers": _sizes(teachers),
            "guardians": {"add": len(self.added), "update": 0,
                          "remove": len(self.gone_guardians)},
            "enrollments": {"add": len(self.new_enrollments), "update": 0,
                            "remove": self.removed_enrollments},
            "ids": {"students": _sorted_ids(students), "teachers": _sorted_ids(teachers),
                    "moved": sorted(self.moved)},
            "files": dict(counts),
        }


def _sizes(changes: dict[str, list[str]]) -> dict[str, int]:
    return {kind: len(ids) for kind, ids in changes.items()}


def _sorted_ids(changes: dict[str, list[str]]) -> dict[str, list[str]]:
    return {kind: sorted(ids) for kind, ids in changes.items()}
