"""The bundled demo district: day one committed, day two waiting to be synced."""

from connectors import connector_for
from rostertui.demo import prepare
from rostertui.engine import Engine


def test_demo_has_a_district_and_a_day_of_changes(tmp_path):
    cfg = prepare(tmp_path)
    engine = Engine(cfg, connector_for(cfg.source))
    status = engine.status()
    assert status["counts"]["student"]["active"] == 2000
    assert status["last_sync"]["status"] == "committed"
    report = engine.sync()
    changes = sum(sum(c.values()) for c in report["counts"].values())
    assert report["status"] == "staged" and changes > 100
    assert "missing_graduation_year" not in {w["code"] for w in report["warnings"]}
    assert prepare(tmp_path).store_path == cfg.store_path  # prepared once, then reused
