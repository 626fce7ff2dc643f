"""The CLI as a real process (`python -m rostertui`) on a test's folder, with its data and
config folders inside it, and what the folder's store then holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tinydb import TinyDB


def run(tmp_path, *args, expect=0):
    env = {**os.environ, "ROSTERTUI_DATA_DIR": str(tmp_path / "data"),
           "ROSTERTUI_CONFIG_DIR": str(tmp_path / "cfgdir")}
    proc = subprocess.run([sys.executable, "-m", "rostertui", *map(str, args)], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == expect, proc.stderr
    return proc


def run_json(tmp_path, *args, expect=0):
    return json.loads(run(tmp_path, *args, "--json", expect=expect).stdout)


def use_source(tmp_path, path):
    (tmp_path / "config.yaml").write_text(
        f"source:\n  kind: oneroster_csv\n  path: {path}\nstore:\n  path: store.json\n")


def table(tmp_path, name):
    return {d["source_id"]: d for d in TinyDB(tmp_path / "store.json").table(name).all()}
