"""Sources of roster data. Each returns a connectors.feed.Feed; none imports the UI."""

from __future__ import annotations


def make_connector(source: dict):
    """The connector for a config's `source` section (checked by rostertui.config)."""
    kind = source["kind"]
    if kind == "oneroster_csv":
        from .oneroster_csv import OneRosterCsvConnector
        return OneRosterCsvConnector(source["path"])
    raise ValueError(f"source.kind {kind} is not available yet")
