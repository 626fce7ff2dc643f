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

from .lifecycle import SyncStatus
from .model import ACTION_TYPES, KINDS, TABLES
from .records import Action, Counts, DataWarning, Report, StoreStatus, SyncRecord
from .text import safe

if TYPE_CHECKING:
    from connectors.feed import Progress, SourceCheck


def counts_table(counts: Counts, types: Iterable[str] = ACTION_TYPES) -> str:
    kinds = list(KINDS) + sorted({k for c in counts.values() for k in c} - set(KINDS))
    lines = [f"{'':10}" + "".join(f"{safe(k):>12}" for k in kinds)]
    for t in types:
        lines.append(f"{TABLES[t]:10}" + "".join(f"{counts[t].get(k, 0):>12,}" for k in kinds))
    return "\n".join(lines)


def sync_report(r: Report) -> str:
    total = sum(sum(c.values()) for c in r["counts"].values())
    head = f"sync {safe(r['sync_id'])} {safe(r['status'])} ({safe(r['mode'])}, {total:,} actions"
    if r["disabled"]:
        head += f", {r['disabled']:,} unticked"
    lines = [head + ")", counts_table(r["counts"])]
    lines += [f"blocked: {safe(reason)}" for reason in r["blocked_reasons"]]
    if r["warnings"]:
        lines.append(f"warnings: {len(r['warnings']):,} ({_codes(r['warnings'])}); "
                     f"list them with: rostertui show {safe(r['sync_id'])}")
    lines.append(_next_step(r))
    return "\n".join(lines)


def _codes(warnings: list[DataWarning]) -> str:
    codes: dict[str, int] = {}
    for w in warnings:
        codes[w["code"]] = codes.get(w["code"], 0) + 1
    return ", ".join(f"{safe(c)} {n:,}" for c, n in sorted(codes.items()))


def _next_step(r: Report) -> str:
    sid = safe(r["sync_id"])
    if r["status"] == SyncStatus.STAGED:
        return f"review: rostertui show {sid}; apply: rostertui commit {sid}"
    if r["status"] == SyncStatus.BLOCKED:
        return (f"review: rostertui show {sid}; apply anyway: rostertui commit {sid} --force; "
                f"drop: rostertui discard {sid}")
    return f"the store now holds sync {sid}" if r["status"] == SyncStatus.COMMITTED else ""


def history_table(syncs: list[SyncRecord]) -> str:
    if not syncs:
        return "no syncs yet; stage one with: rostertui sync"
    lines = [f"{'id':>5}  {'started':20}  {'mode':5}  {'trigger':7}  {'who':12}  "
             f"{'changes':>8}  {'status':10}  note"]
    for d in syncs:
        changes = sum(sum(c.values()) for c in d["counts"].values())
        lines.append(f"{safe(d['id']):>5}  {safe(d['started_at']):20}  {safe(d['mode']):5}  "
                     f"{safe(d['trigger']):7}  {safe(d['user'])[:12]:12}  {changes:>8,}  "
                     f"{safe(d['status']):10}  {note(d)}")
    return "\n".join(lines)


def note(d: SyncRecord) -> str:
    """What a history line says after the status; every value in it made safe."""
    if d["status"] == SyncStatus.COMMITTED:
        what = (f"Reverts sync {safe(d['reverts'])}; committed" if d.get("reverts")
                else "Committed")
        return f"{what} {safe(d['committed_at'])}" + (" (forced)" if d.get("forced") else "")
    if d["status"] == SyncStatus.FAILED:
        return safe(_first_line(d["error"]))[:200]
    if d["status"] == SyncStatus.BLOCKED:
        return "; ".join(map(safe, d["blocked_reasons"]))
    if d["status"] == SyncStatus.REVERTED:
        return f"Reverted by sync {safe(d['reverted_by'])}"
    return safe(d.get("error") or "")


def _first_line(text: str | None) -> str:
    """A stored error's first line: the problem itself (any others are listed after it)."""
    return (str(text or "").splitlines() or [""])[0]


def show(doc: SyncRecord, r: Report) -> str:
    lines = [f"sync {safe(doc['id'])}: {safe(doc['mode'])} {safe(doc['trigger'])} sync by "
             f"{safe(doc['user'])}, started {safe(doc['started_at'])}, {safe(doc['status'])} "
             f"{note(doc)}".rstrip(),
             sync_report(r)]
    if r.get("error") and doc["status"] not in (SyncStatus.FAILED, SyncStatus.STAGED,
                                                 SyncStatus.BLOCKED):
        lines.append(f"its actions cannot be shown: {safe(r['error'])}")
    lines += [f"warning {safe(w['code'])} {safe(w['type'])} {safe(w['source_id'])}: "
              f"{safe(w['message'])}" for w in r["warnings"]]
    lines += [action_line(a) for a in r["actions"]]
    return "\n".join(lines)


def warnings_table(warnings: list[DataWarning]) -> str:
    if not warnings:
        return "no warnings"
    lines = [f"{safe(w['code']):24} {safe(w['type']):8} {safe(w['source_id'])[:24]:24} "
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
             f"sync:     {'enabled' if s['enabled'] else 'disabled'}"]
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
    lines = [f"connected: {safe(c.get('district') or 'unknown district')}"]
    lines += [f"  school: {safe(s)}" for s in c.get("schools", [])]
    lines += [f"  {safe(t)}: {n:,}" for t, n in c.get("counts", {}).items()]
    return "\n".join(lines)


def demo_summary(out: object, summary: Mapping[str, object]) -> str:
    parts = ", ".join(f"{safe(k)} {v:,}" if isinstance(v, int) else f"{safe(k)} {safe(v)}"
                      for k, v in summary.items() if not isinstance(v, list))
    return f"wrote {safe(out)}: {parts}"


def progress_bar(stream: TextIO) -> Progress | None:
    """A progress callback drawing one line on a terminal; None when not a terminal."""
    if not stream.isatty():
        return None
    last = [0.0]

    def report(type_: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and (total is None or done < total):
            return
        last[0] = now
        if total:
            filled = int(30 * min(done, total) / total)
            bar = "#" * filled + "." * (30 - filled)
            stream.write(f"\r{safe(type_):14} [{bar}] {done:,}/{total:,}   ")
        else:
            stream.write(f"\r{safe(type_):14} {done:,} records   ")
        stream.flush()

    return report
