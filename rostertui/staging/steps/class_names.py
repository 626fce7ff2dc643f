"""sync.unique_section_names: a section sharing its name gets " - <source id>" appended,
as School Manager does, so every class can be told apart where only names show."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from connectors.feed import Feed

from ...model import ACTIVE, TABLES
from ...records import DataWarning, StoreData

if TYPE_CHECKING:
    from ..pipeline import StageConfig


def unique_section_names(feed: Feed, data: StoreData,
                         cfg: StageConfig) -> tuple[Feed, list[DataWarning]]:
    """The feed with each shared section name made unique (when the policy is on); a
    delta's names are compared with the stored sections it does not send too."""
    tf = feed.types.get("section")
    if tf is None or not cfg.sync.unique_section_names:
        return feed, []
    in_feed = {r["source_id"] for r in tf.records}
    names = Counter(r["name"] for r in tf.records)
    if not tf.complete:
        names.update(d["name"] for d in data[TABLES["section"]].values()
                     if d["status"] == ACTIVE and d["source_id"] not in in_feed)
    records = [{**rec, "name": f"{rec['name']} - {rec['source_id']}"}
               if names[rec["name"]] > 1 else rec for rec in tf.records]
    return replace(feed, types={**feed.types, "section": replace(tf, records=records)}), []
