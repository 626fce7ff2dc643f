"""What one staged action would do, for the action list's detail pane."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from rostertui.catalog import Catalog
from rostertui.records import Action
from rostertui.text import safe

from .columns import MEMBER_LABELS
from .document import document, fields, heading, label, plain_fields, text_of

KIND_HEADS = {"add": "New", "update": "Changes", "archive": "Will be archived",
              "reactivate": "Comes back (reactivated)"}
MEMBER_TYPES = {"student_ids": "student", "teacher_ids": "teacher"}
SHOWN = 12  # members listed by name before "and N more"


def describe(action: Action, catalog: Catalog | None) -> Text:
    kind = "Link" if action.get("link") else KIND_HEADS[action["kind"]]
    head = Text.assemble((f"{kind} {action['type']}: ", "bold"),
                         safe(action["label"]), f"   ({'on' if action['enabled'] else 'off'})")
    record = action.get("record") or (catalog and catalog.get(action["type"],
                                                               action["source_id"]))
    members = action.get("members") or {}
    changes = {f: c for f, c in (action.get("changes") or {}).items() if f not in members}
    parts = [head, _link(action, catalog), _changes(changes),
             *(_members(f, m, catalog) for f, m in members.items())]
    if action["kind"] in ("add", "archive") and record:
        parts.append(plain_fields(action["type"], record))
    return document(*parts)


def _link(action: Action, catalog: Catalog | None) -> Text:
    """sync.match_existing: which key matched, and the account that is kept."""
    link = action.get("link")
    if not link:
        return Text()
    old = catalog.name(action["type"], link["from"]) if catalog else link["from"]
    return Text.assemble(
        ("Matched by     ", "bold"), safe(link["by"]), "\n", ("Account kept   ", "bold"),
        safe(f"{old} ({link['from']}) moves to source id {action['source_id']}; "
             "no second account is made"))


def _changes(changes: dict[str, list[Any]]) -> Text:
    return Text("\n").join(
        Text.assemble((f"{label(f):<14}", "bold"), (safe(_short(before)), "red"), " -> ",
                      (safe(_short(after)), "green"))
        for f, (before, after) in changes.items())


def _short(value: object) -> str:
    text = text_of(value) if value not in (None, "") else "(empty)"
    return text if len(text) <= 80 else text[:77] + "..."


def _members(field: str, change: dict[str, list[str]], catalog: Catalog | None) -> Text:
    type_ = MEMBER_TYPES.get(field)

    def names(ids: list[str]) -> str:
        shown = [catalog.name(type_, i) if catalog and type_ else i for i in ids[:SHOWN]]
        more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
        return ", ".join(shown) + more

    title = MEMBER_LABELS.get(field, field).capitalize()
    return document(heading(f"{title}: +{len(change['added'])} -{len(change['removed'])}"),
                    fields([("Added", names(change["added"])),
                            ("Removed", names(change["removed"]))]))
