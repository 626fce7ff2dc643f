"""Ready-to-install schedules for unattended quick syncs (cron or a systemd timer).

The scheduled command is `rostertui ... sync --quick --commit --auto --log LOG`: it
prints nothing when the sync commits, finds nothing to do or is skipped (integration
disabled), and one line when it is blocked (exit 3) or fails (exit 1), so cron mails the
admin only then, and systemd starts the OnFailure unit. Everything it would have printed
is appended to LOG.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from .errors import RosterError

WEEKDAY = "Mon"
LOG_NAME = "rostertui-sync.log"
# rostertui-sync-failed.service's command (%H: the host name, %u: the user, as systemd
# fills them in)
MAIL_FAILURE = ("/bin/sh -c 'systemctl --user status --no-pager --lines=20 "
                "rostertui-sync.service | mail -s \"rostertui sync blocked or failed on %H\" %u'")
# systemd's own quoting: a word of these characters needs none
_PLAIN = re.compile(r"[\w@%+=:,./-]+")


def command(config: Path | None, log: Path) -> list[str]:
    """The scheduled command's words. `config` None: the bundled demo (--demo)."""
    exe = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "rostertui" else None
    # run as `python -m rostertui`: the same interpreter (not resolved: a venv's python
    # is a symlink whose target lacks the venv's packages)
    prog = [str(exe)] if exe and exe.exists() else [sys.executable, "-m", "rostertui"]
    where = ["--config", str(config.resolve())] if config else ["--demo"]
    words = [*prog, *where, "sync", "--quick", "--commit", "--auto", "--log", str(log.resolve())]
    for word in words:
        if not word.isprintable():
            raise RosterError(f"{word!r}: a path with a line break or control character "
                              "cannot be written in a schedule; move the file")
    return words


def parse_time(at: str) -> tuple[int, int]:
    try:
        hour, minute = (int(p) for p in at.split(":"))
    except ValueError:
        raise RosterError(f"--at {at}: give the time as HH:MM, e.g. 02:30") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise RosterError(f"--at {at}: no such time of day")
    return hour, minute


def cron_command(words: list[str]) -> str:
    """Shell-quoted, with every % escaped as \\%: cron turns a bare % into a line break
    (and the rest of the line into the command's input), and removes the backslash."""
    return " ".join(map(shlex.quote, words)).replace("%", "\\%")


def cron(words: list[str], log: Path, every: str, at: str) -> str:
    hour, minute = parse_time(at)
    day = "1" if every == "weekly" else "*"
    return (f"# rostertui: {every} quick sync; install with `crontab -e`. It prints nothing\n"
            "# when the sync commits, and one line when it is blocked (exit 3) or fails\n"
            "# (exit 1), which cron mails to you (MAILTO=you@example.org above it to choose\n"
            f"# where). Each run's full output is appended to {log.resolve()}\n"
            f"{minute} {hour} * * {day} {cron_command(words)}")


def systemd_command(words: list[str]) -> str:
    """ExecStart's words in systemd's syntax: double-quoted with C escapes where needed,
    % as %% (a specifier otherwise) and $ as $$ (a variable otherwise)."""
    def quoted(word: str) -> str:
        if not _PLAIN.fullmatch(word):
            word = '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return word.replace("%", "%%").replace("$", "$$")
    return " ".join(map(quoted, words))


def systemd(words: list[str], log: Path, every: str, at: str) -> str:
    hour, minute = parse_time(at)
    day = f"{WEEKDAY} " if every == "weekly" else ""
    return f"""# ~/.config/systemd/user/rostertui-sync.service
[Unit]
Description=rostertui {every} quick roster sync
# blocked (exit 3) or failed (exit 1): rostertui-sync-failed.service mails you
OnFailure=rostertui-sync-failed.service

[Service]
Type=oneshot
# one line in the journal when blocked or failed; each run's full output is
# appended to {log.resolve()}
ExecStart={systemd_command(words)}

# ~/.config/systemd/user/rostertui-sync-failed.service
# Mails you the sync's status and last lines. Needs a `mail` command that can deliver
# (bsd-mailx or mailutils, with a local MTA), as cron's mail does; without one, the
# journal keeps them: journalctl --user -u rostertui-sync.service
[Unit]
Description=Mail that rostertui-sync.service was blocked or failed

[Service]
Type=oneshot
ExecStart={MAIL_FAILURE}

# ~/.config/systemd/user/rostertui-sync.timer
[Unit]
Description=Run rostertui-sync.service {every}

[Timer]
OnCalendar={day}*-*-* {hour:02d}:{minute:02d}:00
Persistent=true

[Install]
WantedBy=timers.target

# install: systemctl --user daemon-reload && systemctl --user enable --now rostertui-sync.timer
# A user's timers run only while they are logged in, unless lingering is on for them:
#   loginctl enable-linger $USER"""
