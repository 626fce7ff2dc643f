"""A OneRoster delta set (quick sync) changes exactly what it carries."""

from __future__ import annotations

from rostertui import demo_data
from rostertui.config import from_dict
from rostertui.engine import Engine


def engine_on(tmp_path, folder):
    return Engine(from_dict({"source": {"kind": "oneroster_csv", "path": str(folder)},
                             "store": {"path": "store.json"}}, base_dir=tmp_path))


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
