"""The demo district generator, checked with the csv module only."""

import csv
import io
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from connectors.oneroster_map import SPEC_COLUMNS
from rostertui.demo_data import HEADERS, default_schools, generate, next_day

FILES = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments",
         "demographics")
SPEC_HEADERS = {  # sis-reference.md section 2, in spec order
    "orgs": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
    "academicSessions": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
                        "parentSourcedId,schoolYear",
    "courses": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
               "orgSourcedId,subjects,subjectCodes",
    "classes": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
               "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods",
    "users": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
             "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
             "password",
    "enrollments": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
                   "userSourcedId,role,primary,beginDate,endDate",
}
GUARDIAN_ROLES = {"guardian", "parent", "relative"}
STUDENTS = 1000
RATE = 0.3


def read_set(path: Path) -> dict:
    """{name: header or rows} of a folder or zip: "manifest" as a dict, each file as
    {"header": [...], "rows": [dict, ...]}."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            texts = {n[:-4]: zf.read(n).decode("utf-8") for n in zf.namelist()}
    else:
        texts = {p.stem: p.read_text(encoding="utf-8") for p in path.glob("*.csv")}
    result = {}
    for name, text in texts.items():
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if name == "manifest":
            result[name] = dict(rows[1:])
        else:
            result[name] = {"header": rows[0], "rows": [dict(zip(rows[0], r)) for r in rows[1:]]}
    return result


def rows(data: dict, name: str) -> list[dict]:
    return data[name]["rows"]


def by_id(data: dict, name: str) -> dict[str, dict]:
    return {r["sourcedId"]: r for r in rows(data, name)}


def role_ids(data: dict, *roles: str) -> set[str]:
    return {u["sourcedId"] for u in rows(data, "users") if u["role"] in roles}


def enrollments_per_user(data: dict) -> Counter:
    return Counter(e["userSourcedId"] for e in rows(data, "enrollments"))


def assert_references_resolve(data: dict) -> None:
    orgs, sessions = by_id(data, "orgs"), by_id(data, "academicSessions")
    courses, classes, users = by_id(data, "courses"), by_id(data, "classes"), by_id(data, "users")
    schools = {i for i, o in orgs.items() if o["type"] == "school"}
    assert all(orgs[o["parentSourcedId"]]["type"] == "district"
               for o in orgs.values() if o["type"] == "school")
    assert all(s["parentSourcedId"] in sessions for s in sessions.values()
               if s["type"] == "semester")
    for c in courses.values():
        assert c["orgSourcedId"] in schools and c["schoolYearSourcedId"] in sessions
    for c in classes.values():
        assert c["courseSourcedId"] in courses and c["schoolSourcedId"] in schools
        assert all(t in sessions for t in c["termSourcedIds"].split(","))
    for u in users.values():
        assert all(o in schools for o in u["orgSourcedIds"].split(","))
        assert all(a in users for a in u["agentSourcedIds"].split(",") if a)
    for e in rows(data, "enrollments"):
        assert e["classSourcedId"] in classes and e["userSourcedId"] in users
        assert e["schoolSourcedId"] == classes[e["classSourcedId"]]["schoolSourcedId"]
    assert set(by_id(data, "demographics")) == role_ids(data, "student")


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    path = tmp_path_factory.mktemp("district")
    counts = generate(path, STUDENTS)
    return path, counts, read_set(path)


@pytest.fixture(scope="module")
def bulk_day(district, tmp_path_factory):
    path = tmp_path_factory.mktemp("day")
    summary = next_day(district[0], path, change_rate=RATE)
    return summary, read_set(path)


@pytest.fixture(scope="module")
def delta_day(district, tmp_path_factory):
    path = tmp_path_factory.mktemp("delta")
    summary = next_day(district[0], path, change_rate=RATE, delta=True)
    return summary, read_set(path)


def files_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


# --- generate() ---------------------------------------------------------------------

def test_same_seed_gives_same_bytes_and_another_seed_differs(tmp_path):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        generate(tmp_path / name, 300, seed=seed)
    a, b, c = (files_bytes(tmp_path / name) for name in "abc")
    assert a == b
    assert a["users.csv"] != c["users.csv"] and a["enrollments.csv"] != c["enrollments.csv"]


def test_manifest_and_headers(district):
    _, _, data = district
    assert data["manifest"] == {
        "manifest.version": "1.0", "oneroster.version": "1.1",
        **{f"file.{name}": "bulk" for name in FILES},
        **{f"file.{name}": "absent" for name in ("resources", "classResources",
                                                 "courseResources", "categories", "lineItems",
                                                 "results")},
        "source.systemName": "rostertui demo-data"}
    for name, header in SPEC_HEADERS.items():
        assert data[name]["header"] == header.split(",")
    assert data["demographics"]["header"][:5] == ["sourcedId", "status", "dateLastModified",
                                                  "birthDate", "sex"]


def test_every_column_oneroster_defines_is_written(district):
    """The strict reader refuses a file lacking any defined column, optional or not."""
    assert {name: tuple(cols) for name, cols in HEADERS.items()} == SPEC_COLUMNS
    for name in FILES:
        assert tuple(district[2][name]["header"]) == SPEC_COLUMNS[name]


def test_counts_are_the_rows_written(district):
    _, counts, data = district
    assert counts == {name: len(rows(data, name)) for name in FILES}


def test_default_schools_rule(tmp_path):
    assert [default_schools(n) for n in (1, 300, 749, 751, 100_000)] == [1, 1, 1, 2, 200]
    generate(tmp_path, 300)
    orgs = rows(read_set(tmp_path), "orgs")
    assert [o["type"] for o in orgs] == ["district", "school"]
    assert orgs[1]["name"].endswith("K-12 School")


def test_schools_have_levels_and_hold_students(district):
    _, _, data = district
    schools = [o for o in rows(data, "orgs") if o["type"] == "school"]
    assert len(schools) == default_schools(STUDENTS) == 2
    assert all(s["name"].endswith(("Elementary School", "Middle School", "High School"))
               for s in schools)
    per_school = Counter(u["orgSourcedIds"] for u in rows(data, "users") if u["role"] == "student")
    assert set(per_school) == {s["sourcedId"] for s in schools}


def test_every_reference_resolves(district):
    assert_references_resolve(district[2])


def test_every_student_has_six_to_eight_enrollments_one_a_homeroom(district):
    _, _, data = district
    students = role_ids(data, "student")
    assert len(students) == STUDENTS
    per_user = enrollments_per_user(data)
    assert all(6 <= per_user[s] <= 8 for s in students)
    classes = by_id(data, "classes")
    homerooms = Counter(e["userSourcedId"] for e in rows(data, "enrollments")
                        if classes[e["classSourcedId"]]["classType"] == "homeroom"
                        and e["role"] == "student")
    assert set(homerooms.values()) == {1} and set(homerooms) == students


def test_sections_have_a_teacher_and_about_27_students(district):
    _, _, data = district
    teachers = Counter(e["classSourcedId"] for e in rows(data, "enrollments")
                       if e["role"] == "teacher")
    students = Counter(e["classSourcedId"] for e in rows(data, "enrollments")
                       if e["role"] == "student")
    classes = rows(data, "classes")
    assert {teachers[c["sourcedId"]] for c in classes} == {1, 2}
    assert 20 <= sum(students.values()) / len(classes) <= 35
    scheduled = [c for c in classes if c["classType"] == "scheduled"]
    assert {int(c["periods"]) for c in scheduled} <= set(range(1, 9))
    assert all(c["location"].startswith("Room ") for c in classes)
    assert all(len(c["termSourcedIds"].split(",")) == 2 for c in scheduled)


def test_teachers_and_staff_are_about_six_percent(district):
    _, _, data = district
    teachers = role_ids(data, "teacher")
    staff = role_ids(data, "administrator", "aide")
    assert 0.045 <= len(teachers) / STUDENTS <= 0.055
    assert 0.05 <= (len(teachers) + len(staff)) / STUDENTS <= 0.07
    teaching = Counter(e["userSourcedId"] for e in rows(data, "enrollments")
                       if e["role"] == "teacher")
    assert set(teaching) == teachers and min(teaching.values()) >= 2


def test_one_guardian_per_student(district):
    _, _, data = district
    users = by_id(data, "users")
    students = [u for u in users.values() if u["role"] == "student"]
    guardians = [users[s["agentSourcedIds"]] for s in students]
    assert len({g["sourcedId"] for g in guardians}) == len(students)
    assert len(role_ids(data, *GUARDIAN_ROLES)) == len(students)
    assert {g["role"] for g in guardians} == GUARDIAN_ROLES
    assert all(g["email"] and g["phone"] for g in guardians)
    assert all(g["agentSourcedIds"] == s["sourcedId"] for s, g in zip(students, guardians))


def test_user_fields(district):
    _, _, data = district
    users = rows(data, "users")
    assert len({u["sourcedId"] for u in users}) == len(users)
    assert all(u["password"] == "" for u in users)
    assert all(u["enabledUser"] == "true" and u["identifier"].isdigit()
               and u["userIds"] == f"{{SIS:{u['identifier']}}}" for u in users)
    usernames = [u["username"] for u in users if u["username"]]
    assert len(set(usernames)) == len(usernames)
    emails = [u["email"] for u in users if u["email"]]
    assert len(set(emails)) == len(emails)
    grades = {"KG"} | {f"{g:02d}" for g in range(1, 13)}
    students = [u for u in users if u["role"] == "student"]
    assert {s["grades"] for s in students} <= grades
    domain = next(s["email"] for s in students if s["email"]).split("@")[1]
    assert all(s["email"] == f"{s['username']}@{domain}"
               for s in students if s["email"] and s["username"])
    family = {u["familyName"] for u in users}
    assert any("'" in name for name in family) and any("-" in name for name in family)


def test_a_few_students_lack_email_and_others_lack_username(district):
    _, _, data = district
    students = [u for u in rows(data, "users") if u["role"] == "student"]
    no_email = {s["sourcedId"] for s in students if not s["email"]}
    no_login = {s["sourcedId"] for s in students if not s["username"]}
    assert 1 <= len(no_email) <= 0.01 * STUDENTS and 1 <= len(no_login) <= 0.01 * STUDENTS
    assert not no_email & no_login


def test_demographics_fit_the_grade(district):
    _, _, data = district
    students = {u["sourcedId"]: u for u in rows(data, "users") if u["role"] == "student"}
    for d in rows(data, "demographics"):
        grade = students[d["sourcedId"]]["grades"]
        born = date.fromisoformat(d["birthDate"])
        age = 2025 - born.year - ((born.month, born.day) > (9, 1))
        assert age == (5 if grade == "KG" else 5 + int(grade))
        assert d["sex"] in ("male", "female")
        assert {d[k] for k in ("asian", "white", "hispanicOrLatinoEthnicity")} <= {"true", "false"}


def test_zip_holds_the_set_at_its_root(tmp_path):
    for name in ("a", "b"):
        generate(tmp_path / name, 300, as_zip=True)
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["district.zip"]
    assert files_bytes(tmp_path / "a") == files_bytes(tmp_path / "b")
    with zipfile.ZipFile(tmp_path / "a" / "district.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f"{n}.csv" for n in FILES + ("manifest",))
    assert len(rows(read_set(tmp_path / "a" / "district.zip"), "demographics")) == 300


# --- next_day() ---------------------------------------------------------------------

def test_next_day_summary_matches_the_rate(district, bulk_day):
    summary, _ = bulk_day
    teachers = len(role_ids(district[2], "teacher"))
    k, kt = round(STUDENTS * RATE / 3), round(teachers * RATE / 3)
    assert summary["students"] == {"add": k, "update": k, "remove": k}
    assert summary["teachers"] == {"add": kt, "update": kt, "remove": kt} and kt >= 1
    assert summary["guardians"] == {"add": k, "update": 0, "remove": k}
    assert len(summary["ids"]["moved"]) == k
    ids = summary["ids"]["students"]
    assert all(len(ids[kind]) == k for kind in ("add", "update", "remove"))
    assert len(set(ids["add"] + ids["update"] + ids["remove"] + summary["ids"]["moved"])) == 4 * k


def test_next_day_bulk_reflects_the_summary(district, bulk_day):
    summary, data = bulk_day
    before, after = by_id(district[2], "users"), by_id(data, "users")
    ids = summary["ids"]["students"]
    assert_references_resolve(data)
    assert not set(ids["remove"]) & set(after)
    assert not {before[s]["agentSourcedIds"] for s in ids["remove"]} & set(after)
    assert set(ids["add"]) <= role_ids(data, "student") and not set(ids["add"]) & set(before)
    assert len(role_ids(data, "student")) == STUDENTS
    per_user = enrollments_per_user(data)
    assert all(6 <= per_user[s] <= 8 for s in role_ids(data, "student"))
    fields = ("familyName", "email", "grades", "username")
    for sid in ids["update"]:
        changed = [f for f in fields if before[sid][f] != after[sid][f]]
        assert len(changed) == 1
        assert after[sid]["dateLastModified"] > before[sid]["dateLastModified"]
    touched = set(ids["add"] + ids["update"]) | {after[s]["agentSourcedIds"] for s in ids["add"]}
    unchanged = [u for u in after if u not in touched and u.startswith(("s", "g"))]
    assert all(after[u] == before[u] for u in unchanged)
    assert len(rows(data, "users")) == summary["files"]["users"]


def test_next_day_moves_students_to_another_section_of_a_course(district, bulk_day):
    summary, data = bulk_day

    def classes_of(data_, student):
        return {e["classSourcedId"] for e in rows(data_, "enrollments")
                if e["userSourcedId"] == student}

    course = {c["sourcedId"]: c["courseSourcedId"] for c in rows(data, "classes")}
    for student in summary["ids"]["moved"][:10]:
        old, new = classes_of(district[2], student), classes_of(data, student)
        (left,), (joined,) = old - new, new - old
        assert course[left] == course[joined]


def test_next_day_replaces_teachers_in_their_sections(district, bulk_day):
    summary, data = bulk_day
    ids = summary["ids"]["teachers"]
    assert not set(ids["remove"]) & set(by_id(data, "users"))
    teaching = enrollments_per_user(data)
    before = enrollments_per_user(district[2])
    assert sorted(teaching[t] for t in ids["add"]) == sorted(before[t] for t in ids["remove"])
    teachers = Counter(e["classSourcedId"] for e in rows(data, "enrollments")
                       if e["role"] == "teacher")
    assert {teachers[c["sourcedId"]] for c in rows(data, "classes")} == {1, 2}


def test_next_day_delta_holds_only_the_changes(delta_day, bulk_day):
    summary, data = delta_day
    assert {k: v for k, v in summary.items() if k != "files"} == \
        {k: v for k, v in bulk_day[0].items() if k != "files"}
    changed = ("users", "enrollments", "demographics")
    assert {k: v for k, v in data["manifest"].items() if k.startswith("file.")} == {
        f"file.{name}": "delta" if name in changed else "absent"
        for name in FILES + ("resources", "classResources", "courseResources", "categories",
                             "lineItems", "results")}
    assert set(data) == set(changed) | {"manifest"}
    stamps = {r["dateLastModified"] for name in changed for r in rows(data, name)}
    assert len(stamps) == 1
    users = by_id(data, "users")
    ids, teachers = summary["ids"]["students"], summary["ids"]["teachers"]
    gone = [u for u in users.values() if u["status"] == "tobedeleted"]
    assert {u["sourcedId"] for u in gone if u["role"] in ("student", "teacher")} == \
        set(ids["remove"] + teachers["remove"])
    active = {u["sourcedId"] for u in users.values()
              if u["status"] == "active" and u["role"] in ("student", "teacher")}
    assert active == set(ids["add"] + ids["update"] + teachers["add"] + teachers["update"])
    enrollments = Counter(e["status"] for e in rows(data, "enrollments"))
    assert enrollments == {"active": summary["enrollments"]["add"],
                           "tobedeleted": summary["enrollments"]["remove"]}
    assert Counter(d["status"] for d in rows(data, "demographics")) == {
        "active": len(ids["add"]), "tobedeleted": len(ids["remove"])}


def test_next_day_is_deterministic_and_reads_zips(district, tmp_path):
    generate(tmp_path / "zipped", STUDENTS, as_zip=True)
    next_day(tmp_path / "zipped", tmp_path / "a", seed=5, as_zip=True)
    next_day(district[0], tmp_path / "b", seed=5, as_zip=True)
    assert files_bytes(tmp_path / "a") == files_bytes(tmp_path / "b")
    assert_references_resolve(read_set(tmp_path / "a" / "district.zip"))


def test_next_day_without_changes_writes_a_manifest_alone(district, tmp_path):
    (tmp_path / "users.csv").write_text("stale")
    summary = next_day(district[0], tmp_path, change_rate=0, delta=True)
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.csv"]
    assert summary["students"] == {"add": 0, "update": 0, "remove": 0}
    assert summary["enrollments"]["add"] == summary["enrollments"]["remove"] == 0


def test_next_day_needs_a_bulk_set(district, tmp_path):
    delta = tmp_path / "delta"
    next_day(district[0], delta, change_rate=RATE, delta=True)
    with pytest.raises(ValueError, match="not a bulk set"):
        next_day(delta, tmp_path / "out")
