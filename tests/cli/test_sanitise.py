"""Clean output: no value from data reaches a terminal or a file a person reads with a
control character (ESC, BEL, C1), a newline or tab of its own, or a bidi control.

The findings, through the real CLI: an OSC title sequence and BEL in a CSV name, a bidi
override, a name with a newline that forged a `sync 99 committed` line in `show`, and
ESC/BEL in a server's error JSON. Then each output function with every field hostile.
"""

from __future__ import annotations

import csv
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml

from connectors.loopback.clever_server import API, TOKEN
from rostertui import output
from rostertui.export import neutral, write_warnings
from rostertui.model import ACTION_TYPES
from rostertui.text import clean_message, safe

from ..support.hostile.workdir import Workdir
from ..support.paths import FIXTURES

EDFI = FIXTURES / "oneroster-csv" / "edfi-v1p1"
TITLE = "\x1b]0;pwned\x07"       # sets the terminal's title, then rings the bell
FORGED = "sync 99 committed"
FIRST = f"{TITLE}\u202eMary\n{FORGED}"
LAST = "Archer\t\u2066\x9b2J"     # tab, a bidi isolate, a C1 CSI
DISTRICT = "Grand\x1b[2J Bend\u200f ISD"
SCHOOL = "Grand Bend High\x07 School\r\nforged: line"
GHOST = "ghost\x1b[31m\u202e"       # an unknown user an enrollment names
TERMINAL_ACTS_ON = ("Cc", "Cf", "Zl", "Zp")


def raw_controls(text: str) -> set[str]:
    """The characters a terminal acts on or that reorder text, other than our newlines."""
    return {c for c in text if c != "\n" and unicodedata.category(c) in TERMINAL_ACTS_ON}


def forged(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith((FORGED, "forged"))]


def hostile_set(folder: Path, ghost: bool = False) -> Path:
    """The Ed-Fi set with hostile names (and, with `ghost`, an enrollment of no one)."""
    shutil.copytree(EDFI, folder)
    replace(folder / "users.csv", "Mary,Archer", f'"{FIRST}",{LAST}')
    replace(folder / "orgs.csv", "Grand Bend ISD", DISTRICT)
    replace(folder / "orgs.csv", "Grand Bend High School", f'"{SCHOOL}"')
    if ghost:
        replace(folder / "enrollments.csv", "255901001,604863,student",
                f"255901001,{GHOST},student")
    return folder


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def use(work: Workdir, source: Path) -> None:
    # a warning naming each student (the set has no identifiers), for `show --warnings`
    work.write_config(yaml.safe_dump({"source": {"kind": "oneroster_csv", "path": str(source)},
                                      "store": {"path": "store/store.json"},
                                      "sync": {"required_fields": {"student": ["sis_id"]}}}))


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict:
    """What each command printed, on a store holding the hostile set (sync 1, committed)
    after a sync of a broken copy failed naming the ghost (sync 2). The folder names are
    hostile too: `status` and the error print them."""
    work = Workdir(tmp_path_factory.mktemp("hostile"))
    use(work, hostile_set(work.root / "set\x1b[8m\u202e"))
    runs = {"commit": work.cli("sync", "--commit")}
    assert runs["commit"].code == 0, runs["commit"].err
    mary = work.table("students")["604863"]
    assert (mary["first_name"], mary["last_name"]) == (FIRST, LAST)  # stored as sent
    runs |= {name: work.cli(*args) for name, args in (
        ("show", ("show", "1", "--warnings")), ("warnings", ("warnings", "1")),
        ("check", ("check",)),
        ("export", ("warnings", "1", "--csv", work.root / "warnings.csv")))}
    use(work, hostile_set(work.root / "broken\x1b[8m\u202e", ghost=True))
    runs["failed"] = work.cli("sync")
    runs |= {name: work.cli(name) for name in ("history", "status")}
    runs["csv"] = (work.root / "warnings.csv").read_text(encoding="utf-8")
    return runs


@pytest.mark.parametrize("command", ["commit", "show", "warnings", "check", "history",
                                     "status", "failed"])
def test_no_raw_control_and_no_forged_line_on_stdout_or_stderr(printed, command):
    run = printed[command]
    assert run.code == (1 if command == "failed" else 0), run.err
    for text in (run.out, run.err):
        assert raw_controls(text) == set(), text
        assert forged(text) == [], text


def test_show_prints_the_name_escaped_on_one_line(printed):
    out = printed["show"].out
    name = "\\x1b]0;pwned\\x07\\u202eMary\\nsync 99 committed Archer\\t\\u2066\\x9b2J (604863)"
    lines = [line for line in out.splitlines() if name in line]
    assert any(line.startswith("[x] student:604863  add  ") for line in lines), out
    assert any(not line.startswith("[") for line in lines), out  # and in a warning
    assert out.count("sync 99") == out.count("\\nsync 99")


def test_warnings_history_status_and_check_escape_the_names(printed):
    assert "\\x1b]0;pwned\\x07\\u202eMary\\nsync 99 committed" in printed["warnings"].out
    assert "connected (OneRoster 1.1): Grand\\x1b[2J Bend\\u200f ISD" in printed["check"].out
    assert "  school: Grand Bend High\\x07 School\\r\\nforged: line" in printed["check"].out
    status = printed["status"].out
    assert "source:   oneroster_csv " in status and "/broken\\x1b[8m\\u202e\n" in status
    assert "last sync: 2 full manual" in status
    assert "ghost\\x1b[31m\\u202e" in status


def test_a_failed_syncs_error_is_escaped_on_stderr_and_in_the_history(printed):
    err = printed["failed"].err
    assert err.startswith("rostertui: error: ") and "ghost\\x1b[31m\\u202e" in err
    history = printed["history"].out.splitlines()
    assert len(history) == 3  # the heading, sync 2 (failed), sync 1 (committed)
    assert history[1].split()[:1] == ["2"] and "ghost\\x1b[31m\\u202e" in history[1]


def test_the_csv_export_escapes_controls_and_neutralises_formulas(printed):
    assert printed["export"].code == 0, printed["export"].err
    assert raw_controls(printed["csv"].replace("\r\n", "\n")) == set()
    rows = list(csv.DictReader(printed["csv"].splitlines()))
    assert rows and all(len(row) == 4 for row in rows)
    assert any("\\x1b]0;pwned\\x07\\u202eMary\\nsync 99 committed" in r["message"] for r in rows)
    assert [neutral(v) for v in ("=cmd|x", "+1", "-1", "@SUM(A1)", "\t=1", "\u202e=1")] == [
        "'=cmd|x", "'+1", "'-1", "'@SUM(A1)", "\\t=1", "\\u202e=1"]


def test_a_servers_error_json_is_escaped(tmp_path, clever_server, capsys):
    clever_server.fault(f"{API}/districts", "body", status=403,
                        body={"message": f"denied{TITLE}\u202e{'x' * 3}\x9b"})
    work = Workdir(tmp_path)
    work.write_config(f"source:\n  kind: clever\n  base_url: {clever_server.url}\n"
                      f"  token: {TOKEN}\nstore:\n  path: store.json\n")
    run = work.main(capsys, "check")
    assert run.code == 1 and raw_controls(run.err) == set() and len(run.err.splitlines()) == 1
    assert "[server: denied\\x1b]0;pwned\\x07\\u202exxx\\x9b]" in run.err


def test_a_config_error_naming_a_hostile_key_is_one_clean_line(tmp_path, capsys):
    work = Workdir(tmp_path)
    work.write_config('source:\n  kind: oneroster_csv\n  path: x\n"bad\\e]0;pwned\\a\\nkey": 1\n')
    run = work.main(capsys, "status")
    assert run.code == 1 and raw_controls(run.err) == set() and len(run.err.splitlines()) == 1
    assert run.err.endswith("unknown key 'bad\\x1b]0;pwned\\x07\\nkey'\n")


# -- the sanitiser itself and each output function with every field hostile ------------

EVIL = f"{TITLE}\u202e\u2066\u200e\u061c\x85\u2028{FORGED}\t\r\n\x00\x7f"


def test_safe_escapes_every_control_and_keeps_printable_text():
    assert safe(EVIL) == ("\\x1b]0;pwned\\x07\\u202e\\u2066\\u200e\\u061c\\x85\\u2028"
                          "sync 99 committed\\t\\r\\n\\x00\\x7f")
    assert safe("Zoë O'Brien-Łukasz 李") == "Zoë O'Brien-Łukasz 李" and safe(None) == ""
    every = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F,
                              *range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
    assert raw_controls(safe(every)) == set() and "\n" not in safe(every)


def test_clean_message_keeps_our_line_breaks_and_escapes_the_rest():
    message = f"users.csv line 3: bad {EVIL}\nusers.csv line 4: {TITLE}"
    cleaned = clean_message(message)
    assert cleaned.split("\n") == [safe(line) for line in message.split("\n")]
    assert raw_controls(cleaned) == set() and clean_message(None) == ""


def hostile_sync(**extra) -> dict:
    doc = {"id": EVIL, "started_at": EVIL, "mode": EVIL, "trigger": EVIL, "user": EVIL,
           "counts": {t: {"add": 1} for t in ACTION_TYPES}, "committed_at": EVIL,
           "reverts": EVIL, "reverted_by": EVIL, "forced": True, "error": EVIL,
           "blocked_reasons": [EVIL, EVIL]}
    return doc | extra


def hostile_report(status: str) -> dict:
    warning = {"code": EVIL, "type": EVIL, "source_id": EVIL, "message": EVIL}
    action = {"id": EVIL, "kind": EVIL, "label": EVIL, "enabled": True,
              "members": {EVIL: {"added": [EVIL], "removed": []}},
              "changes": {EVIL: [EVIL, [EVIL]], "f": [None, EVIL]}}
    return {"sync_id": EVIL, "status": status, "mode": EVIL, "disabled": 1,
            "counts": {t: {"add": 1, EVIL: 2} for t in ACTION_TYPES},
            "blocked_reasons": [EVIL], "warnings": [warning, warning], "actions": [action]}


STATUSES = ["committed", "failed", "blocked", "reverted", "staged", EVIL]
RENDERS = {
    "sync_report": lambda s: output.sync_report(hostile_report(s)),
    "history_table": lambda s: output.history_table([hostile_sync(status=s)] * 2),
    "show": lambda s: output.show(hostile_sync(status=s), hostile_report(s)),
    "show_warnings": lambda s: output.show(hostile_sync(status=s), hostile_report(s),
                                           warnings=True),
    "blocked_line": lambda s: output.blocked_line(hostile_report(s), EVIL),
    "warnings_table": lambda s: output.warnings_table(hostile_report(s)["warnings"]),
    "status": lambda s: output.status({
        "source": {"kind": EVIL, "path": EVIL}, "district": {"name": EVIL}, "store": EVIL,
        "enabled": True, "last_sync": hostile_sync(status=s),
        "counts": {t: {"active": 1, "archived": 0} for t in ACTION_TYPES}}),
    "check": lambda s: output.check({"district": EVIL, "schools": [EVIL], "counts": {EVIL: 3}}),
    "demo_summary": lambda s: output.demo_summary(EVIL, {EVIL: 3, "seed": EVIL}),
}


USES_STATUS = ("sync_report", "history_table", "show", "show_warnings", "status")


@pytest.mark.parametrize("render, status", [
    (render, status) for render in RENDERS
    for status in (STATUSES if render in USES_STATUS else STATUSES[:1])])
def test_every_output_function_escapes_every_value(render, status):
    text = RENDERS[render](status)
    assert raw_controls(text) == set() and forged(text) == []
    assert "sync 99 committed" in text  # escaped, not dropped


def test_a_progress_line_escapes_the_type_it_names():
    for total in (2, None):  # a file or type name is cut to 16 characters, once escaped
        line = output.progress_line(EVIL, 1, total)
        assert raw_controls(line) == set() and line.startswith(safe(EVIL)[:16])


def test_the_warnings_csv_escapes_every_cell(tmp_path):
    path = tmp_path / "w.csv"
    write_warnings(path, [{"code": EVIL, "type": "=1+1", "source_id": "\u202e", "message": EVIL}])
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[1] == [safe(EVIL), "'=1+1", "\\u202e", safe(EVIL)]
    assert raw_controls("".join(rows[1])) == set()
