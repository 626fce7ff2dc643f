"""Ready-to-install schedules for unattended quick syncs (cron or a systemd timer).

A scheduled sync commits unless blocked; a blocked one stays staged for review and the
command exits 3, so cron mails the admin.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from .errors import RosterError

WEEKDAY = "Mon"


def command(config: Path) -> str:
    exe = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "rostertui" else None
    prog = str(exe) if exe and exe.exists() else "rostertui"
    return (f"{shlex.quote(prog)} --config {shlex.quote(str(config.resolve()))} "
            "sync --quick --commit --auto")


def parse_time(at: str) -> tuple[int, int]:
    try:
        hour, minute = (int(p) for p in at.split(":"))
    except ValueError:
        raise RosterError(f"--at {at}: give the time as HH:MM, e.g. 02:30") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise RosterError(f"--at {at}: no such time of day")
    return hour, minute


def cron(config: Path, every: str, at: str) -> str:
    hour, minute = parse_time(at)
    day = "1" if every == "weekly" else "*"
    return (f"# rostertui: {every} quick sync; install with `crontab -e`\n"
            f"{minute} {hour} * * {day} {command(config)} >> "
            f"{shlex.quote(str(config.resolve().parent / 'rostertui-sync.log'))} 2>&1")


def systemd(config: Path, every: str, at: str) -> str:
    hour, minute = parse_time(at)
    day = f"{WEEKDAY} " if every == "weekly" else ""
    return f"""# ~/.config/systemd/user/rostertui-sync.service
[Unit]
Description=rostertui {every} quick roster sync

[Service]
Type=oneshot
ExecStart={command(config)}

# ~/.config/systemd/user/rostertui-sync.timer
[Unit]
Description=Run rostertui-sync.service {every}

[Timer]
OnCalendar={day}*-*-* {hour:02d}:{minute:02d}:00
Persistent=true

[Install]
WantedBy=timers.target

# install: systemctl --user daemon-reload && systemctl --user enable --now rostertui-sync.timer"""
