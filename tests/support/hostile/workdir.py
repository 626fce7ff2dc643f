"""One working folder per CLI run: config.yaml, a store, and the CLI run on them as a real
process (or in-process, where a test must patch or capture something). The store is
read the way a user would read it: with plain TinyDB."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tinydb import TinyDB

from rostertui import cli

STORE = "store/store.json"
SYNCS = "syncs"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)

    @property
    def error(self) -> str:
        """The first line of stderr: the error itself, with no warning or traceback first."""
        first = self.err.splitlines()[0] if self.err else ""
        assert first.startswith("rostertui: error: "), self.err
        return first


class Workdir:
    def __init__(self, root: Path):
        self.root = root
        self.store = root / STORE
        self.config = root / "config.yaml"

    def write_config(self, text: str, mode: int = 0o600) -> Path:
        self.config.write_text(text)
        self.config.chmod(mode)
        return self.config

    def copy_store(self, other: Workdir) -> None:
        shutil.copytree(other.store.parent, self.store.parent)

    # -- running the CLI -----------------------------------------------------------------

    def cli(self, *args, env: dict | None = None) -> Run:
        """`python -m rostertui --config config.yaml ARGS` as a real process."""
        env = {**os.environ, "ROSTERTUI_DATA_DIR": str(self.root / "data"),
               "ROSTERTUI_CONFIG_DIR": str(self.root / "cfgdir"), **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "rostertui", "--config", str(self.config), *map(str, args)],
            cwd=self.root, capture_output=True, text=True, env=env, timeout=120)
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def main(self, capsys, *args) -> Run:
        """The same, in this process: rostertui.cli.main with stdout and stderr captured."""
        capsys.readouterr()
        code = cli.main(["--config", str(self.config), *map(str, args)])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    # -- reading the store ---------------------------------------------------------------

    def _tables(self) -> dict[str, dict[int, dict]]:
        with TinyDB(self.store, access_mode="r") as db:
            return {name: {d.doc_id: dict(d) for d in db.table(name).all()}
                    for name in db.tables()}

    def roster(self) -> dict[str, dict[int, dict]]:
        """Every table but the sync history: what a sync may change only by committing."""
        return {name: docs for name, docs in self._tables().items() if name != SYNCS}

    def syncs(self) -> list[dict]:
        """The sync history, oldest first."""
        return sorted(self._tables().get(SYNCS, {}).values(), key=lambda d: d["id"])

    def table(self, name: str) -> dict[str, dict]:
        """A roster table by source id."""
        return {d["source_id"]: d for d in self._tables().get(name, {}).values()}

    def plans(self) -> dict[str, bytes]:
        """The staged plans and their toggle logs, by file name."""
        folder = self.store.with_name(self.store.stem + ".plans")
        return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}

    def files(self) -> set[Path]:
        """Every path under the folder, outside the store's own folder."""
        return {p for p in self.root.rglob("*") if self.store.parent not in p.parents}
