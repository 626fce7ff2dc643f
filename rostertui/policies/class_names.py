"""sync.unique_section_names: a section sharing its name gets " - <source id>" appended,
as School Manager does, so every class can be told apart where only names show."""

from __future__ import annotations

from collections import Counter

from connectors.feed import Feed

from ..model import ACTIVE, TABLES


def apply(feed: Feed, data: dict) -> None:
    tf = feed.types.get("section")
    if tf is None:
        return
    in_feed = {r["source_id"] for r in tf.records}
    names = Counter(r["name"] for r in tf.records)
    if not tf.complete:
        names.update(d["name"] for d in data[TABLES["section"]].values()
                     if d["status"] == ACTIVE and d["source_id"] not in in_feed)
    for rec in tf.records:
        if names[rec["name"]] > 1:
            rec["name"] = f"{rec['name']} - {rec['source_id']}"
