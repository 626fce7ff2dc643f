"""A OneRoster delta set (quick sync) changes exactly what it carries."""

from __future__ import annotations

from connectors import connector_for
from rostertui import demo_data
from rostertui.config import from_dict
from rostertui.engine import Engine


def engine_on(tmp_path, folder):
    cfg = from_dict({"source": {"kind": "oneroster_csv", "path": str(folder)},
                     "store": {"path": "store.json"}}, base_dir=tmp_path)
    return Engine(cfg, connector_for(cfg.source))


def test_delta_without_demographics_keeps_them(tmp_path):
    demo_data.generate(tmp_path / "d1", students=600, seed=4)
    summary = demo_data.next_day(tmp_path / "d1", tmp_path / "d2", change_rate=0.1, seed=5,
                                 delta=True)
    engine_on(tmp_path, tmp_path / "d1").sync(commit=True)
    report = engine_on(tmp_path, tmp_path / "d2").sync(mode="quick", commit=True)
    assert report["mode"] == "quick"
    ids = summary["ids"]["students"]
    counts = report["counts"]["student"]
    assert (counts["add"], counts["update"], counts["archive"]) == (
        len(ids["add"]), len(ids["update"]), len(ids["remove"]))
    plan = engine_on(tmp_path, tmp_path / "d2").plan(report["sync_id"])
    for action in plan["actions"]:
        if action["type"] == "student" and action["kind"] == "update":
            assert len(action["changes"]) <= 2, action["changes"]  # the edit (+ username)
            assert not {"dob", "gender"} & set(action["changes"])
            assert not any(f.startswith("extra.") and f != "extra.district_username"
                           for f in action["changes"])
    catalog = engine_on(tmp_path, tmp_path / "d2").catalog()
    edited = catalog.get("student", ids["update"][0])
    assert edited["dob"] and edited["gender"]


def test_a_next_day_at_five_percent_commits_under_the_strict_reader(tmp_path):
    """A normal day's change set, as demo-data writes it (bulk, then delta), passes every
    header, date and manifest check and commits without being blocked or warned about
    columns, roles or schools."""
    demo_data.generate(tmp_path / "d1", students=600, seed=6)
    demo_data.next_day(tmp_path / "d1", tmp_path / "bulk", change_rate=0.05, seed=7)
    demo_data.next_day(tmp_path / "d1", tmp_path / "delta", change_rate=0.05, seed=7,
                       delta=True)
    first = engine_on(tmp_path, tmp_path / "d1").sync(commit=True)
    assert first["status"] == "committed"
    for day, mode, status in (("bulk", "full", "committed"),
                              ("delta", "quick", "discarded")):  # the same day: no changes
        report = engine_on(tmp_path, tmp_path / day).sync(mode=mode, commit=True)
        assert report["status"] == status, report
        assert not {"unknown_columns", "role_mismatch", "not_a_school"} & {
            w["code"] for w in report["warnings"]}
