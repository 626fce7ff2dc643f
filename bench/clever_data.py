"""A demo-data district as Clever v3 JSON, and the loopback Clever server serving it.

    python bench/clever_data.py convert CSV_DIR OUT_DIR  # districts/schools/users/sections.json
    python bench/clever_data.py serve OUT_DIR            # prints the URL; serves until stdin closes

The JSON has the layout of tests/fixtures/clever-v3-demo, so the loopback server class
the tests use (connectors/loopback/clever_server.CleverServer) loads it unchanged. The
server here is that class with one change for a 200,000-user district: every page is
rendered once at start-up (the tests' server sorts and filters a whole collection per
request), so a timed fetch measures the connector, not the test server. Paging, tokens
and headers are the tests' own.
"""

from __future__ import annotations

import bisect
import csv
import sys
from pathlib import Path
from urllib.parse import urlencode

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.loopback.clever_server import API, MAX_LIMIT, Answer, CleverServer  # noqa: E402

PAGE = MAX_LIMIT  # the pages of 10,000
STAFF_ROLES = {"administrator": "staff", "aide": "staff", "proctor": "staff"}
CONTACT_ROLES = ("guardian", "parent", "relative")


def _rows(folder: Path, name: str):
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        for row in reader:
            yield dict(zip(header, row))


def _split(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def convert(csv_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write the bulk OneRoster set in `csv_dir` as Clever collections in `out_dir`."""
    district_id, district_name = "", ""
    schools = []
    for org in _rows(csv_dir, "orgs"):
        if org["type"] == "district":
            district_id, district_name = org["sourcedId"], org["name"]
        elif org["type"] == "school":
            schools.append(org)
    demographics = {d["sourcedId"]: d for d in _rows(csv_dir, "demographics")}
    users, guardians_of = [], {}
    for u in _rows(csv_dir, "users"):
        if u["status"] == "tobedeleted":
            continue
        users.append(u)
        for agent in _split(u["agentSourcedIds"]):
            guardians_of.setdefault(agent, []).append(u["sourcedId"])
    classes = {c["sourcedId"]: c for c in _rows(csv_dir, "classes")}
    rosters: dict[str, dict[str, list[str]]] = {c: {"teacher": [], "student": []}
                                                for c in classes}
    for e in _rows(csv_dir, "enrollments"):
        if e["status"] != "tobedeleted" and e["role"] in ("teacher", "student") \
                and e["classSourcedId"] in rosters:
            rosters[e["classSourcedId"]][e["role"]].append(e["userSourcedId"])

    out_dir.mkdir(parents=True, exist_ok=True)
    grades = {}
    for c in classes.values():
        grades.setdefault(c["schoolSourcedId"], set()).update(_split(c["grades"]))
    collections = {
        "districts": [{"id": district_id, "name": district_name}],
        "schools": [_school(s, district_id, sorted(grades.get(s["sourcedId"], ())))
                    for s in schools],
        "users": [_user(u, district_id, demographics, guardians_of) for u in users],
        "sections": [_section(c, district_id, rosters[sid]) for sid, c in classes.items()],
    }
    for name, items in collections.items():
        (out_dir / f"{name}.json").write_bytes(orjson.dumps(
            {"data": [{"data": item, "uri": f"{API}/{name}/{item['id']}"} for item in items]}))
    return {name: len(items) for name, items in collections.items()}


def _school(org: dict, district: str, grades: list[str]) -> dict:
    return {"id": org["sourcedId"], "district": district, "name": org["name"],
            "sis_id": org["identifier"], "school_number": org["identifier"],
            "low_grade": grades[0] if grades else "", "high_grade": grades[-1] if grades else "",
            "phone": "", "principal": {"name": "", "email": ""}}


def _user(u: dict, district: str, demographics: dict, guardians_of: dict) -> dict:
    sid, role, schools = u["sourcedId"], u["role"], _split(u["orgSourcedIds"])
    base = {"school": schools[0] if schools else "", "schools": schools,
            "credentials": {"district_username": u["username"]}}
    if role == "student":
        demo = demographics.get(sid, {})
        data = {**base, "sis_id": u["identifier"], "student_number": u["identifier"],
                "grade": (_split(u["grades"]) or [""])[0], "dob": demo.get("birthDate", ""),
                "gender": demo.get("sex", ""),
                "hispanic_ethnicity": "Y" if demo.get("hispanicOrLatinoEthnicity") == "true"
                else "N"}
        key = "student"
    elif role == "teacher":
        data, key = {**base, "sis_id": u["identifier"], "teacher_number": u["identifier"],
                     "title": ""}, "teacher"
    elif role in STAFF_ROLES:
        data, key = {**base, "staff_id": u["identifier"], "title": role.title(),
                     "department": ""}, "staff"
    else:  # a guardian
        data = {"sis_id": u["identifier"], "phone": u["phone"], "phone_type": "Cell",
                "student_relationships": [{"student": s, "relationship": role.title(),
                                           "type": "Parent/Guardian"}
                                          for s in guardians_of.get(sid, ())]}
        key = "contact"
    return {"id": sid, "district": district, "email": u["email"],
            "name": {"first": u["givenName"], "middle": u["middleName"],
                     "last": u["familyName"]},
            "roles": {key: data}}


def _section(c: dict, district: str, roster: dict[str, list[str]]) -> dict:
    teachers = roster["teacher"]
    return {"id": c["sourcedId"], "district": district, "name": c["title"],
            "school": c["schoolSourcedId"], "course": c["courseSourcedId"],
            "term_id": (_split(c["termSourcedIds"]) or [""])[0],
            "subject": (_split(c["subjects"]) or [""])[0],
            "grade": (_split(c["grades"]) or [""])[0], "period": c["periods"],
            "section_number": c["classCode"], "sis_id": c["classCode"],
            "teacher": teachers[0] if teachers else "", "teachers": teachers,
            "students": roster["student"]}


class BenchCleverServer(CleverServer):
    """The tests' server with every collection page rendered once (see the module doc)."""

    def __init__(self, fixtures: Path):
        super().__init__(fixtures)
        self._sorted: dict[tuple[str, str], tuple[list[str], list[dict]]] = {}
        self._bodies: dict[tuple, bytes] = {}
        for name in self.data:
            roles = ("student", "teacher", "staff", "district_admin", "contact", "") \
                if name == "users" else ("",)
            for role in roles:
                query = {"role": role} if role else {}
                after = None
                while True:  # walk the pages the connector will ask for
                    body = self._body(f"{API}/{name}", {**query, "limit": str(PAGE),
                                                        **({"starting_after": after}
                                                           if after else {})})
                    links = orjson.loads(body)["links"]
                    nxt = [x for x in links if x["rel"] == "next"]
                    if not nxt:
                        break
                    after = nxt[0]["uri"].rsplit("starting_after=", 1)[1]

    def _answer(self, req, path, query):
        if req.headers.get("Authorization", "") != f"Bearer {self.token}":
            return super()._answer(req, path, query)
        name = path.removeprefix(API + "/")
        if name not in self.data or name == "events":
            return super()._answer(req, path, query)
        return Answer(200, self._body(path, query))

    def _body(self, path: str, query: dict) -> bytes:
        key = (path, tuple(sorted(query.items())))
        if key not in self._bodies:
            name = path.removeprefix(API + "/")
            role = query.get("role", "")
            if (name, role) not in self._sorted:
                rows = sorted(self.data[name].values(), key=lambda r: r["id"])
                if role:
                    rows = [r for r in rows if role in r["roles"]]
                self._sorted[name, role] = ([r["id"] for r in rows], rows)
            ids, rows = self._sorted[name, role]
            limit = int(query.get("limit", 100))
            after = query.get("starting_after")
            start = bisect.bisect_right(ids, after) if after else 0
            page = rows[start:start + limit]
            links = [{"rel": "self", "uri": f"{path}?{urlencode(query)}"}]
            if len(page) == limit:
                links.append({"rel": "next", "uri": f"{path}?" + urlencode(
                    {**query, "starting_after": page[-1]["id"]})})
            self._bodies[key] = orjson.dumps(
                {"data": [{"data": r, "uri": f"{path}/{r['id']}"} for r in page],
                 "links": links})
        return self._bodies[key]


def serve(folder: Path) -> None:
    with BenchCleverServer(folder) as server:
        print(server.url, flush=True)
        sys.stdin.read()  # until the runner closes our stdin


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "convert":
        print(convert(Path(args[0]), Path(args[1])))
    elif command == "serve":
        serve(Path(args[0]))
    else:
        raise SystemExit(__doc__)
