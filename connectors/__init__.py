"""Sources of roster data. Each returns a connectors.feed.Feed; none imports the UI."""

from __future__ import annotations

# What a live source's requests may cost (connectors/http.py enforces them).
BOUNDS = ("timeout", "max_response_mb", "max_pages")


def make_connector(source: dict):
    """The connector for a config's `source` section (checked by rostertui.config)."""
    kind = source["kind"]
    retry = None  # the default RetryPolicy
    if "retries" in source:
        from .http import RetryPolicy
        retry = RetryPolicy(attempts=source["retries"] + 1)
    if kind == "oneroster_csv":
        from .oneroster_csv import OneRosterCsvConnector
        return OneRosterCsvConnector(source["path"])
    if kind == "clever":
        from .clever import CleverConnector
        options = {key: source[key] for key in ("district_id", "schools", "page_size",
                                                *BOUNDS) if source.get(key)}
        return CleverConnector(source.get("base_url"), source["token"], retry=retry, **options)
    if kind == "oneroster_rest":
        from .oneroster_rest import OneRosterRestConnector
        options = {key: source[key] for key in ("token_url", "scope", "page_size",
                                                "demographics", *BOUNDS) if source.get(key)}
        return OneRosterRestConnector(source["base_url"], source["auth"], source["client_id"],
                                      source["client_secret"], retry=retry, **options)
    raise ValueError(f"source.kind {kind} is not available yet")
