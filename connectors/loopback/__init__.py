"""Servers that play each source on 127.0.0.1, for the tests and the benchmarks; nothing
in rostertui/ or screens/ imports it, nor does any connector (an import-linter contract
in pyproject.toml).

    server.py            what they share: a threaded HTTP server, faults a caller arms for
                         the Nth request to a path, records sent changed, streamed answers
    clever_server.py     Clever's Data API v3.0 (tests/fixtures/clever-v3-demo)
    oneroster_server.py  a OneRoster 1.1 REST server, ClassLink's way, with OAuth 1 and 2
                         (tests/fixtures/oneroster-csv/edfi-v1p1)

The data each serves is a folder the caller gives; the tests' fixture data stays in
tests/fixtures.
"""
