"""sync.required_fields defaults to what the configured source can carry: a OneRoster
district is not asked for a graduation year (1.1 has none), a Clever one is. Naming a
field the source never carries is a warning naming the key; one the type lacks, an error."""

from __future__ import annotations

from connectors.loopback.clever_server import TOKEN
from rostertui.config import REQUIRED_FIELDS, from_dict

from ..support.cli import run, run_json, use_source
from ..support.paths import ROOT

CLEVER = {"kind": "clever", "token": "t"}


def test_a_oneroster_csv_district_with_the_default_config_has_no_graduation_warnings(
        tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    report = run_json(tmp_path, "sync")
    codes = {w["code"] for w in report["warnings"]}
    assert "missing_graduation_year" not in codes
    assert {"missing_email", "missing_username"} <= codes  # the others are still checked


def test_config_example_yaml_copied_as_it_is_gives_no_graduation_warnings(tmp_path, days):
    base, _ = days
    example = (ROOT / "config.example.yaml").read_text()
    assert "  path: ./district\n" in example
    (tmp_path / "config.yaml").write_text(example.replace("  path: ./district\n",
                                                          f"  path: {base / 'd1'}\n", 1))
    proc = run(tmp_path, "sync")
    assert proc.stderr == ""
    assert "missing_graduation_year" not in proc.stdout
    assert "warnings: " in proc.stdout and "missing_email" in proc.stdout


def test_clever_still_checks_the_graduation_year(tmp_path, clever_server, monkeypatch):
    (tmp_path / "config.yaml").write_text(
        f"source:\n  kind: clever\n  base_url: {clever_server.url}\n  token: ${{CLEVER_TOKEN}}\n"
        "store:\n  path: store.json\n")
    monkeypatch.setenv("CLEVER_TOKEN", TOKEN)  # inherited by the process run() starts
    report = run_json(tmp_path, "sync")
    graduation = [w for w in report["warnings"] if w["code"] == "missing_graduation_year"]
    assert len(graduation) == report["counts"]["student"]["add"] == 1004


def test_the_default_follows_the_source(tmp_path):
    csv = from_dict({"source": {"kind": "oneroster_csv", "path": "x"}}, base_dir=tmp_path)
    clever = from_dict({"source": CLEVER}, base_dir=tmp_path)
    assert clever.sync.required_fields == {t: tuple(f) for t, f in REQUIRED_FIELDS.items()}
    assert csv.sync.required_fields == {**clever.sync.required_fields,
                                        "student": ("email", "username")}
    assert csv.warnings == clever.warnings == []


def test_a_required_field_the_source_never_carries_is_a_warning_naming_the_key(
        tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    with open(tmp_path / "config.yaml", "a") as fh:
        fh.write("sync:\n  required_fields:\n    student: [email, graduation_year]\n")
    proc = run(tmp_path, "sync", "--json")
    assert proc.stderr.splitlines() == [
        "rostertui: warning: config.yaml: 'sync.required_fields.student' "
        "names graduation_year, which a oneroster_csv source never carries; it is not checked"]
    assert "missing_graduation_year" not in proc.stdout


def test_a_required_field_the_type_does_not_have_is_an_error(tmp_path, days):
    base, _ = days
    use_source(tmp_path, base / "d1")
    with open(tmp_path / "config.yaml", "a") as fh:
        fh.write("sync:\n  required_fields:\n    teacher: [emial]\n")
    err = run(tmp_path, "status", expect=1).stderr
    assert err == ("rostertui: error: config.yaml: "
                   "'sync.required_fields.teacher' names 'emial', which a teacher does not "
                   "have\n")
