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
