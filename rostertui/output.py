"""Plain-text output of the headless commands (the --json output is the data itself).

Every value taken from data (names, ids, labels, messages, blocked reasons, error text,
paths, even the stored mode and status) passes through `text.safe` as it is put into a
line; the line breaks between lines are ours. So no value can move the cursor, retitle
the terminal, reorder text with a bidi control or forge a line of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TextIO

from .invocation import command
from .lifecycle import SyncStatus
from .model import ACTION_TYPES, KINDS, TABLES
from .records import Action, Counts, DataWarning, Report, StoreStatus, SyncRecord
from .text import safe

if TYPE_CHECKING:
    from connectors.feed import Progress, SourceCheck


def counts_table(counts: Counts, types: Iterable[str] = ACTION_TYPES) -> str:
    kinds = list(KINDS) + sorted({k for c in counts.values() for k in c} - set(KINDS))
    # 10 + 4 x 11 = 54 columns: the Status tab fits it at 60x20 beside its scrollbar
    lines = [f"{'':10}" + "".join(f"{safe(k):>11}" for k in kinds)]
    for t in types:
        lines.append(f"{TABLES[t]:10}" + "".join(f"{counts[t].get(k, 0):>11,}" for k in kinds))
    return "\n".join(lines)


def sync_report(r: Report, shown: bool = False) -> str:
    """A sync's counts, guards, warning codes and next step. `shown`: printed by `show`,
    so its next step does not send the reader to `show`."""
    total = sum(sum(c.values()) for c in r["counts"].values())
    mode = safe(r["mode"])
    if chosen := source_chose(r):
        mode = f"{mode}: {chosen}"
    head = f"sync {safe(r['sync_id'])} {safe(r['status'])} ({mode}, {total:,} actions"
    if r["disabled"]:
        head += f", {r['disabled']:,} unticked"
    no_changes = not total and r["status"] == SyncStatus.DISCARDED
    lines = [head + ")", "" if no_changes else counts_table(r["counts"])]
    if r.get("renumbered"):
        lines.append(f"{r['renumbered']:,} records renumbered by the source: each is an update "
                     "marked link, from its old id to its new one, not an archive and an add")
    lines += [f"blocked: {safe(reason)}" for reason in r["blocked_reasons"]]
    if r["warnings"]:
        lines.append(f"warnings: {len(r['warnings']):,} ({_codes(r['warnings'])}); "
                     f"list them with: {command('warnings ' + safe(r['sync_id']))}")
    lines.append(_next_step(r, shown))
    return "\n".join(line for line in lines if line)


def blocked_line(r: Report, log: object) -> str:
    """A blocked scheduled sync in one line, for cron's mail: why, and what to do."""
    sid = safe(r["sync_id"])
    return (f"rostertui: sync {sid} blocked, not committed: "
            f"{'; '.join(map(safe, r['blocked_reasons']))}; review: {command(f'show {sid}')} "
            f"(its report is in {safe(log)})")


def source_chose(r: Report) -> str | None:
    """"quick asked; the source sent a full set" when the source decided the mode."""
    asked = r.get("asked_mode")
    if not asked or asked == r["mode"]:
        return None
    sent = "a full set" if r["mode"] == "full" else "only the changes"
    return f"{safe(asked)} asked; the source sent {sent}"


def _codes(warnings: list[DataWarning]) -> str:
    codes: dict[str, int] = {}
    for w in warnings:
        codes[w["code"]] = codes.get(w["code"], 0) + 1
    return ", ".join(f"{safe(c)} {n:,}" for c, n in sorted(codes.items()))


def _next_step(r: Report, shown: bool) -> str:
    sid = safe(r["sync_id"])
    review = "" if shown else f"review: {command(f'show {sid}')}; "
    if r["status"] == SyncStatus.STAGED:
        return f"{review}apply: {command(f'commit {sid}')}"
    if r["status"] == SyncStatus.BLOCKED:
        return (f"{review}apply anyway: {command(f'commit {sid} --force')}; "
                f"drop: {command(f'discard {sid}')}")
    if r["status"] == SyncStatus.DISCARDED and not sum(sum(c.values())
                                                       for c in r["counts"].values()):
        return "no changes: nothing to review, the store is unchanged"
    return f"the store now holds sync {sid}" if r["status"] == SyncStatus.COMMITTED else ""


def history_table(syncs: list[SyncRecord]) -> str:
    if not syncs:
        return f"no syncs yet; stage one with: {command('sync')}"
    lines = [f"{'id':>5}  {'started':20}  {'mode':5}  {'trigger':7}  {'who':12}  "
             f"{'changes':>8}  {'status':10}  note"]
    for d in syncs:
        changes = sum(sum(c.values()) for c in d["counts"].values())
        lines.append(f"{safe(d['id']):>5}  {safe(d['started_at']):20}  {safe(d['mode']):5}  "
                     f"{safe(d['trigger']):7}  {safe(d['user'])[:12]:12}  {changes:>8,}  "
                     f"{safe(d['status']):10}  {note(d)}")
    return "\n".join(lines)


def note(d: SyncRecord) -> str:
    """What a history line says after the status (which it does not repeat); every value
    in it made safe."""
    if d["status"] == SyncStatus.COMMITTED:
        what = f"reverts sync {safe(d['reverts'])}, at" if d.get("reverts") else "at"
        return f"{what} {safe(d['committed_at'])}" + (" (forced)" if d.get("forced") else "")
    if d["status"] == SyncStatus.FAILED:
        return safe(_first_line(d["error"]))[:200]
    if d["status"] == SyncStatus.BLOCKED:
        return "; ".join(map(safe, d["blocked_reasons"]))
    if d["status"] == SyncStatus.REVERTED:
        return f"by sync {safe(d['reverted_by'])}"
    return safe(d.get("note") or d.get("error") or "")


def _first_line(text: str | None) -> str:
    """A stored error's first line: the problem itself (any others are listed after it)."""
    return (str(text or "").splitlines() or [""])[0]


def show(doc: SyncRecord, r: Report, warnings: bool = False) -> str:
    """A sync's report and its actions; its warnings counted per code, or with `warnings`
    listed a line each."""
    lines = [f"sync {safe(doc['id'])}: {safe(doc['mode'])} {safe(doc['trigger'])} sync by "
             f"{safe(doc['user'])}, started {safe(doc['started_at'])}, {safe(doc['status'])} "
             f"{note(doc)}".rstrip(),
             sync_report({**r, "warnings": []} if warnings else r, shown=True)]
    if r.get("error") and doc["status"] not in (SyncStatus.FAILED, SyncStatus.STAGED,
                                                 SyncStatus.BLOCKED):
        lines.append(f"its actions cannot be shown: {safe(r['error'])}")
    if warnings:
        lines.append(warnings_table(r["warnings"], doc["id"]))
    lines += [action_line(a) for a in r["actions"]]
    return "\n".join(lines)


def warnings_table(warnings: list[DataWarning], sync_id: int | None = None) -> str:
    """The warnings, a line each, after a first line naming the sync they were read from."""
    head = [f"sync {safe(sync_id)}: {len(warnings):,} warnings"] if sync_id is not None else []
    if not warnings:
        return "\n".join(head) if head else "no warnings"
    lines = head + [f"{safe(w['code']):24} {safe(w['type']):8} {safe(w['source_id'])[:24]:24} "
             f"{safe(w['message'])}" for w in warnings]
    return "\n".join(lines + [f"{len(warnings):,} warnings ({_codes(warnings)})"])


def action_line(a: Action) -> str:
    box = "[x]" if a["enabled"] else "[ ]"
    line = f"{box} {safe(a['id'])}  {safe(a['kind'])}  {safe(a['label'])}"
    changes = a.get("changes") or {}
    members = a.get("members") or {}
    parts = [f"{safe(f)}: +{len(m['added'])} -{len(m['removed'])}" for f, m in members.items()]
    parts += [f"{safe(f)}: {safe(_short(b))} -> {safe(_short(v))}"
              for f, (b, v) in changes.items() if f not in members]
    return line + ("  " + "; ".join(parts) if parts else "")


def _short(value: object) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")
    return text if len(text) <= 60 else text[:57] + "..."


def status(s: StoreStatus) -> str:
    src = s["source"]
    district = (s["district"] or {}).get("name", "unknown")
    lines = [f"source:   {safe(src['kind'])} {safe(src.get('path') or src.get('base_url'))}",
             f"district: {safe(district)}", f"store:    {safe(s['store'])}",
             "integration: " + ("enabled" if s["enabled"] else
                                "disabled: scheduled syncs (sync --auto) are skipped")]
    last = s["last_sync"]
    if last:
        lines.append(f"last sync: {safe(last['id'])} {safe(last['mode'])} "
                     f"{safe(last['trigger'])} by {safe(last['user'])} at "
                     f"{safe(last['started_at'])}: {safe(last['status'])} {note(last)}".rstrip())
    else:
        lines.append("last sync: none yet")
    lines.append(f"{'':10}{'active':>12}{'archived':>12}")
    for t in ACTION_TYPES:
        c = s["counts"][t]
        lines.append(f"{TABLES[t]:10}{c['active']:>12,}{c['archived']:>12,}")
    return "\n".join(lines)


def check(c: SourceCheck) -> str:
    version = f" ({safe(c['version'])})" if "version" in c else ""
    lines = [f"connected{version}: {safe(c.get('district') or 'unknown district')}"]
    lines += [f"  school: {safe(s)}" for s in c.get("schools", [])]
    lines += [f"  {safe(t)}: {n:,}" for t, n in c.get("counts", {}).items()]
    return "\n".join(lines)


def demo_summary(out: object, summary: Mapping[str, object]) -> str:
    """What demo-data wrote: the rows per file, or for a next day the changes per type."""
    if "ids" in summary:
        return f"wrote {safe(out)}: " + day_summary(summary)
    parts = ", ".join(f"{safe(k)} {v:,}" if isinstance(v, int) else f"{safe(k)} {safe(v)}"
                      for k, v in summary.items() if not isinstance(v, list))
    return f"wrote {safe(out)}: {parts}"


def day_summary(summary: Mapping[str, object]) -> str:
    """A next day's changes per type: students +5 added, 5 edited, 5 removed; ..."""
    parts = []
    for type_, counts in summary.items():
        if type_ in ("ids", "files") or not isinstance(counts, Mapping):
            continue
        n = {k: v if isinstance(v, int) else 0 for k, v in counts.items()}
        parts.append(f"{safe(type_)} {n.get('add', 0):,} added, {n.get('update', 0):,} "
                     f"edited, {n.get('remove', 0):,} removed")
    files = summary.get("files")
    rows = sum(v for v in files.values() if isinstance(v, int)) if isinstance(files,
                                                                                Mapping) else 0
    return "; ".join(parts) + f" ({rows:,} rows written)"


def progress_bar(stream: TextIO) -> Progress | None:
    """A progress callback drawing one line on a terminal (None when not a terminal): per
    file or type its records, as a bar when the total is known, and the engine's own
    phases (staging, saving). A new type is drawn at once; a type's further counts at
    most every 0.1 s, and its last one (done == total) always."""
    if not stream.isatty():
        return None
    drawn = ("", 0.0)  # the type drawn last, and when

    def report(type_: str, done: int, total: int | None) -> None:
        nonlocal drawn
        now = time.monotonic()
        if type_ == drawn[0] and now - drawn[1] < 0.1 and (total is None or done < total):
            return
        drawn = (type_, now)
        stream.write(f"\r{progress_line(type_, done, total)}{CLEAR_LINE}")
        stream.flush()

    return report


CLEAR_LINE = "\x1b[K"  # erase to the end of the line: a shorter line leaves nothing behind


def progress_line(type_: str, done: int, total: int | None) -> str:
    """One progress line, at most 72 columns: students [#####.....] 1,000/2,000."""
    if total:
        filled = int(24 * min(done, total) / total)
        return f"{safe(type_)[:16]:16} [{'#' * filled}{'.' * (24 - filled)}] {done:,}/{total:,}"
    return f"{safe(type_)[:16]:16} {done:,} records"
