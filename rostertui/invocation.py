"""How this process was invoked, for the commands a message tells the admin to run next.

"apply: rostertui commit 3" must name the same store: after `rostertui --demo show 3` or
`rostertui --config /srv/district.yaml sync`, the hint carries `--demo` or `--config`, so
that copying it never acts on another district. The CLI sets the prefix once at start;
the dashboard and library callers keep the plain `rostertui`.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PLAIN = "rostertui"
_prefix = PLAIN


@contextmanager
def given(config: Path | None, demo: bool) -> Iterator[None]:
    """While a command runs: the flags that chose its store, `--demo` or `--config PATH`
    (absolute). Put back afterwards, so a caller of cli.main in-process is not affected."""
    global _prefix
    if demo:
        _prefix = f"{PLAIN} --demo"
    elif config is not None:
        _prefix = f"{PLAIN} --config {shlex.quote(str(config.resolve()))}"
    try:
        yield
    finally:
        _prefix = PLAIN


def command(rest: str) -> str:
    """`rostertui <rest>` with the flags this process was given: e.g. command("sync")."""
    return f"{_prefix} {rest}"
