"""The `rostertui` command: the dashboard with no subcommand, the engine headless with one.

Exit codes: 0 ok; 1 error (one line on stderr naming the file, line, key or record);
3 blocked by the delete threshold or a capacity limit.

`sync --log PATH` is the scheduled form: what the run would print is appended to PATH,
and only a blocked or failed sync prints its one line, for cron to mail.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

import orjson

from . import clock, files, invocation, output
from . import config as config_mod
from .errors import RosterError
from .invocation import command
from .lifecycle import SyncStatus
from .text import clean_message, safe

if TYPE_CHECKING:
    from .engine import Engine  # imported when a command runs: `--help` stays quick
    from .records import SyncRecord

T = TypeVar("T")

EXIT_BLOCKED = 3


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rostertui",
        description="Review-and-commit roster sync from Clever or OneRoster into a local "
                    "store. With no command, opens the dashboard.")
    p.add_argument("--config", type=Path, help="config file (default ./config.yaml, "
                   "then the user config dir)")
    p.add_argument("--demo", action="store_true",
                   help="use the bundled demo district instead of a config, with any command "
                        "(rostertui --demo history); with none, open the dashboard on it")
    p.add_argument("--version", action="version", version=f"rostertui {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = _command(sub, "sync", "fetch from the source and stage the changes")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="compare the whole roster (default)")
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="only the changes since the last commit")
    s.add_argument("--commit", action="store_true", help="commit at once unless blocked")
    s.add_argument("--force", action="store_true",
                   help="with --commit: commit even when a guard blocks it")
    s.add_argument("--auto", action="store_true",
                   help="a scheduled sync: recorded as automatic, and skipped (exit 0, one "
                        "line) while the integration is disabled")
    s.add_argument("--log", type=Path, metavar="PATH",
                   help="for cron: append the output to PATH and print nothing, except one "
                        "line when the sync is blocked (exit 3) or fails (exit 1)")

    c = _command(sub, "commit", "apply a staged sync's enabled actions to the store")
    c.add_argument("sync_id", nargs="?", type=int, help="default: the latest staged sync")
    c.add_argument("--disable", nargs="+", action="extend", default=[], metavar="ACTION_ID",
                   help="untick these actions first (ids as shown by `show`); may be "
                        "repeated, and every id is checked before anything is applied")
    c.add_argument("--force", action="store_true",
                   help="commit even when a guard blocks it (the delete thresholds, the "
                        "clear, enrollment and change guards, a limit)")

    d = _command(sub, "discard", "drop a staged sync without applying it", json=False)
    d.add_argument("sync_id", nargs="?", type=int, help="default: the latest staged sync")

    r = _command(sub, "revert", "undo a committed sync with its recorded before-values")
    r.add_argument("sync_id", type=int)
    r.add_argument("--force", action="store_true",
                   help="revert even records changed since, or past the guards")
    rd = _command(sub, "redo", "apply a reverted sync again (a revert of its revert)")
    rd.add_argument("sync_id", type=int)
    rd.add_argument("--force", action="store_true",
                    help="redo even records changed since, or past the guards")
    rs = _command(sub, "restore", "put the store's backup (<store>.bak) back as the store",
                  json=False)
    rs.add_argument("--force", action="store_true",
                    help="replace a store that is readable (it is kept beside it)")
    _command(sub, "history", "list every sync, newest first")
    sh = _command(sub, "show", "print a sync's report, its warnings per code and its actions")
    sh.add_argument("sync_id", type=int)
    sh.add_argument("--warnings", action="store_true",
                    help="list every warning, not only how many of each code")
    _command(sub, "status", "the source, the integration (enabled or not), the last sync and "
                            "the counts in the store")
    _command(sub, "enable", "turn the integration on: scheduled syncs (sync --auto) run",
             json=False)
    _command(sub, "disable", "turn the integration off: scheduled syncs (sync --auto) are "
                             "skipped; manual syncs still run", json=False)
    _command(sub, "check", "test the connection: authenticate, then count what is shared")
    w = _command(sub, "warnings", "list a sync's data warnings, or export them as CSV")
    w.add_argument("sync_id", nargs="?", type=int,
                   help="default: the newest sync that was staged")
    w.add_argument("--csv", metavar="PATH",
                   help="write them to this CSV file (- for standard output)")
    w.add_argument("--code", help="only warnings with this code (e.g. missing_username)")
    sc = _command(sub, "schedule", "print a cron line or systemd units for unattended syncs, "
                                   "quiet unless a sync is blocked or fails", json=False)
    sc.add_argument("--print", dest="kind", choices=("cron", "systemd"), required=True,
                    help="cron: a crontab line; systemd: a service, its timer and an "
                         "OnFailure unit that mails you")
    sc.add_argument("--every", choices=("daily", "weekly"), default="daily",
                    help="default daily; weekly runs on Mondays")
    sc.add_argument("--at", default="02:30", metavar="HH:MM", help="default 02:30")

    dm = sub.add_parser("demo", help="prepare the bundled demo district (rostertui --demo)",
                        description="Prepare the bundled demo district in the user data dir "
                                    "and say where it is.")
    dm.add_argument("--reset", action="store_true",
                    help="start afresh: remove the demo's folder (its district, store and "
                         "syncs) and make it again")

    g = sub.add_parser("demo-data", help="write a realistic OneRoster 1.1 CSV district",
                       description="Write a deterministic OneRoster 1.1 CSV district, or with "
                                   "--changes-from the next day of an earlier one.")
    g.add_argument("--students", type=int, default=2000)
    g.add_argument("--schools", type=int, default=None, help="default: one per 500 students")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out", type=Path, required=True, help="folder to write (or .zip with --zip)")
    g.add_argument("--zip", action="store_true", help="write one zip instead of a folder")
    g.add_argument("--changes-from", type=Path, metavar="DIR",
                   help="write the next day of this earlier set")
    g.add_argument("--change-rate", type=float, default=0.05,
                   help="share of records added, edited and removed (default 0.05)")
    g.add_argument("--delta", action="store_true",
                   help="with --changes-from: write only the changed rows as a delta set")
    return p


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("rostertui")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_: str,
             json: bool = True) -> argparse.ArgumentParser:
    cmd = sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
    cmd.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                     help="config file (default ./config.yaml, then the user config dir)")
    if json:
        cmd.add_argument("--json", action="store_true", help="print one JSON object")
    return cmd


class RunLog:
    """`sync --log PATH`: the lines a run would print (warnings and errors included),
    appended to PATH as one block when it ends, after a line with the time and exit code."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def write(self, code: int) -> None:
        head = f"{clock.stamp()} rostertui sync: exit {code}"
        files.append_line(self.path, "\n".join([head, *self.lines, ""]).encode())


@files.private_umask  # whatever a library creates without a mode is private too
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.demo and args.config:
        parser.error("--demo uses the bundled demo district: leave out --config")
    args.run_log = RunLog(args.log) if getattr(args, "log", None) else None
    with invocation.given(args.config, args.demo):  # hints name the same store
        code = _main(args)
    if args.run_log:
        try:
            args.run_log.write(code)
        except RosterError as exc:
            print(f"rostertui: error: {clean_message(exc)}", file=sys.stderr)
            return code or exc.exit_code
    return code


def _main(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except RosterError as exc:
        _error(args, f"rostertui: error: {clean_message(exc)}")
        return exc.exit_code
    except KeyboardInterrupt:
        _error(args, "rostertui: interrupted; nothing was committed")
        return 130
    except BrokenPipeError:  # `rostertui show 1 | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _error(args: argparse.Namespace, line: str) -> None:
    """The one line of an error, on stderr (and in the log)."""
    if args.run_log:
        args.run_log.lines.append(line)
    print(line, file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    if args.command is None:
        from .app import run_dashboard
        return run_dashboard(args.config, demo=args.demo)
    if args.command == "demo-data":
        return _demo_data(args)
    if args.command == "demo":
        return _demo(args)
    from connectors import connector_for

    from .engine import Engine
    if args.demo:
        from .demo import prepare
        cfg = prepare()
    else:
        cfg = config_mod.load(args.config)
    for warning in [*cfg.warnings, files.shared_warning(cfg.store_path)]:
        if warning:
            _say(args, f"rostertui: warning: {safe(warning)}", sys.stderr)
    return COMMANDS[args.command](Engine(cfg, connector_for(cfg.source)), args)


def _say(args: argparse.Namespace, text: str, stream: TextIO | None = None) -> None:
    """Print `text` (to stdout by default), or with --log keep it for the log."""
    if getattr(args, "run_log", None):
        args.run_log.lines.append(text)
    else:
        print(text, file=stream or sys.stdout)


def _emit(args: argparse.Namespace, payload: T, human: Callable[[T], str]) -> None:
    if not getattr(args, "json", False):
        _say(args, human(payload))
        return
    data = orjson.dumps(payload, option=orjson.OPT_INDENT_2)
    if getattr(args, "run_log", None):
        args.run_log.lines.append(data.decode())
    else:  # UTF-8 whatever the locale's encoding
        sys.stdout.buffer.write(data + b"\n")


def _sync(engine: Engine, args: argparse.Namespace) -> int:
    if args.force and not args.commit:
        raise RosterError("sync --force forces a commit: give --commit too (without it, "
                          "the sync is staged for review and nothing is forced)")
    if args.auto and not engine.status()["enabled"]:
        _say(args, "integration disabled: scheduled sync skipped (turn it on with: "
                   f"{command('enable')})")
        return 0
    progress = None if args.run_log else output.progress_bar(sys.stderr)
    try:
        report = engine.sync(mode=args.mode or "full", trigger="auto" if args.auto else "manual",
                             commit=args.commit, force=args.force, progress=progress)
    finally:
        if progress:
            sys.stderr.write(f"\r{output.CLEAR_LINE}")
    _emit(args, report, output.sync_report)
    blocked = args.commit and report["status"] == SyncStatus.BLOCKED
    if blocked and args.run_log:
        print(output.blocked_line(report, args.log))
    return EXIT_BLOCKED if blocked else 0


def _commit(engine: Engine, args: argparse.Namespace) -> int:
    _emit(args, engine.commit(args.sync_id, disable=args.disable, force=args.force),
          output.sync_report)
    return 0


def _revert(engine: Engine, args: argparse.Namespace) -> int:
    _emit(args, engine.revert(args.sync_id, force=args.force), output.sync_report)
    return 0


def _redo(engine: Engine, args: argparse.Namespace) -> int:
    _emit(args, engine.redo(args.sync_id, force=args.force), output.sync_report)
    return 0


def _restore(engine: Engine, args: argparse.Namespace) -> int:
    print(engine.restore(force=args.force))
    return 0


def _discard(engine: Engine, args: argparse.Namespace) -> int:
    report = engine.discard(args.sync_id)
    print(f"sync {report['sync_id']} discarded; the store is unchanged")
    return 0


def _history(engine: Engine, args: argparse.Namespace) -> int:
    _emit(args, engine.history(), output.history_table)
    return 0


def _show(engine: Engine, args: argparse.Namespace) -> int:
    report = engine.report(args.sync_id)
    doc: SyncRecord = {**engine.sync_doc(args.sync_id), "error": report["error"]}
    try:
        report["actions"] = engine.plan(args.sync_id)["actions"]
    except RosterError:
        report["actions"] = []  # a failed sync, or a plan that is gone: report["error"]
    _emit(args, report, lambda r: output.show(doc, r, warnings=args.warnings))
    return 0


def _status(engine: Engine, args: argparse.Namespace) -> int:
    _emit(args, engine.status(), output.status)
    return 0


def _enable(engine: Engine, args: argparse.Namespace) -> int:
    return _set_enabled(engine, True, "integration enabled: scheduled syncs run")


def _disable(engine: Engine, args: argparse.Namespace) -> int:
    return _set_enabled(engine, False, "integration disabled: scheduled syncs (sync --auto) "
                                       "are skipped; manual syncs still run")


def _set_enabled(engine: Engine, enabled: bool, said: str) -> int:
    already = engine.status()["enabled"] == enabled
    if not already:
        engine.set_sync_enabled(enabled)
    print(said + (" (it already was)" if already else ""))
    return 0


def _check(engine: Engine, args: argparse.Namespace) -> int:
    _emit(args, engine.check(), output.check)
    return 0


def _warnings(engine: Engine, args: argparse.Namespace) -> int:
    sync_id = engine.warnings_sync(args.sync_id)
    found = engine.warnings(sync_id)
    if args.code is not None:
        codes = sorted({w["code"] for w in found})
        if args.code not in codes:
            known = ", ".join(map(safe, codes)) if codes else "none: it has no warnings"
            raise RosterError(f"sync {sync_id} has no warnings with code '{safe(args.code)}'; "
                              f"its codes: {known}")
        found = [w for w in found if w["code"] == args.code]
    if args.csv == "-":
        from .export import warnings_csv
        sys.stdout.write(warnings_csv(found))
    elif args.csv:
        from .export import write_warnings
        path = Path(args.csv)
        print(f"wrote {write_warnings(path, found):,} warnings of sync {sync_id} to "
              f"{safe(path)}")
    else:
        _emit(args, found, lambda ws: output.warnings_table(ws, sync_id))
    return 0


def _schedule(engine: Engine, args: argparse.Namespace) -> int:
    from . import schedule
    make = schedule.cron if args.kind == "cron" else schedule.systemd
    config = None if args.demo else engine.config.path or config_mod.default_path()
    log = engine.config.store_path.parent / schedule.LOG_NAME
    print(make(schedule.command(config, log), log, args.every, args.at))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from . import demo
    cfg = demo.reset() if args.reset else demo.prepare()
    fresh = ": day one committed as sync 1, day two waiting to be synced" if args.reset else ""
    print(f"demo district {'made afresh' if args.reset else 'ready'} in "
          f"{safe(cfg.store_path.parent)}{fresh}; open it with: rostertui --demo")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from . import demo_data
    summary: Mapping[str, object]  # next_day's changes, or generate's rows per file
    if args.changes_from:
        summary = demo_data.next_day(args.changes_from, args.out, change_rate=args.change_rate,
                                     seed=args.seed + 1, delta=args.delta, as_zip=args.zip)
    else:
        summary = demo_data.generate(args.out, students=args.students, schools=args.schools,
                                     seed=args.seed, as_zip=args.zip)
    print(output.demo_summary(args.out, summary))
    return 0


COMMANDS: dict[str, Callable[[Engine, argparse.Namespace], int]] = {
    "sync": _sync, "commit": _commit, "discard": _discard, "revert": _revert, "redo": _redo,
    "restore": _restore, "history": _history, "show": _show, "status": _status,
    "check": _check, "warnings": _warnings, "schedule": _schedule, "enable": _enable,
    "disable": _disable}
