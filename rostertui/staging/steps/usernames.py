"""sync.username_source: which value becomes a person's username, as Impero does.

The chosen source first, then the district username, then the part of the email before
the @. When the chosen value is empty the person gets a warning even if a fallback was
found: the SIS record still needs fixing. A source username that is replaced is kept in
extra.district_username.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from connectors.feed import Feed

from ...model import label, warning
from ...records import DataWarning, Record, StoreData

if TYPE_CHECKING:
    from ..pipeline import StageConfig

ACCOUNT_TYPES = ("teacher", "student", "staff")
NAMES = {"district_username": "district username", "email": "email", "sis_id": "SIS id"}


def choose_usernames(feed: Feed, data: StoreData,
                     cfg: StageConfig) -> tuple[Feed, list[DataWarning]]:
    """The feed with every account's username chosen; the warnings for those the source
    left without. Only the records whose username changes are copied."""
    source = cfg.sync.username_source
    warnings: list[DataWarning] = []
    types = dict(feed.types)
    for type_ in ACCOUNT_TYPES:
        tf = feed.types.get(type_)
        if tf is None:
            continue
        records = list(tf.records)
        for i, rec in enumerate(records):
            if source == "district_username" and rec.get("username"):
                continue  # the chosen value is there and already the username
            options = _options(rec)
            name = next((options[k] for k in (source, "district_username", "email")
                         if options[k]), "")
            if not options[source]:
                made = f"using '{name}'" if name else "no username could be made"
                warnings.append(warning("missing_username", type_, rec["source_id"],
                                        f"{label(type_, rec)} has no {NAMES[source]}; {made}"))
            if name != rec["username"]:
                extra = ({**rec["extra"], "district_username": rec["username"]}
                         if rec["username"] else rec["extra"])
                records[i] = {**rec, "username": name, "extra": extra}
        types[type_] = replace(tf, records=records)
    return replace(feed, types=types), warnings


def _options(rec: Record) -> dict[str, str]:
    return {"district_username": rec.get("username") or "",
            "email": (rec.get("email") or "").partition("@")[0],
            "sis_id": rec.get("sis_id") or ""}
