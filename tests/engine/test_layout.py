"""The engine and connectors run without Textual (cron, CLI); only the app shell loads it."""

import subprocess
import sys


def test_headless_modules_do_not_load_textual():
    code = ("import sys, rostertui.cli, rostertui.engine, rostertui.demo, connectors.feed;"
            "import connectors.oneroster_csv;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_app_shell_does_load_textual():
    code = "import sys, rostertui.app; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_the_loopback_contract_names_every_connector_module():
    """import-linter's "No connector imports the loopback servers" lists the connectors'
    modules one by one: a new module left off it could import a test server unseen."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    contracts = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"]
    listed = next(set(c["source_modules"]) for c in contracts
                  if c["name"] == "No connector imports the loopback servers")
    modules = {f"connectors.{p.stem}" for p in (root / "connectors").glob("*.py")
               if p.stem != "__init__"}
    assert modules | {"connectors"} == listed
