"""The child process that indexes a store for the dashboard (store_index.rebuild_in_child).

    python -m rostertui.store_reindex STORE_PATH

Exits 0 once the index describes the store file (or the file was replaced meanwhile:
its writer indexes it); 1, with one line on stderr, when the store cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import RosterError
from .files import private_umask
from .store import Store


@private_umask
def main(argv: list[str]) -> int:
    try:
        Store(Path(argv[0])).reindex()
    except RosterError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
