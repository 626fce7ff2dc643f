"""Fixtures every layer uses: a source that serves given feeds, and the loopback servers
(connectors/loopback) playing Clever and OneRoster REST. A layer's own fixtures are in its
conftest.py; helpers that are not fixtures are in tests/support."""

from __future__ import annotations

import pytest

from connectors.loopback.clever_server import CleverServer
from connectors.loopback.oneroster_server import OneRosterServer

from .support.feeds import FeedSource
from .support.paths import FIXTURES


@pytest.fixture
def source():
    return FeedSource()


@pytest.fixture
def clever_server():
    """A real HTTP server on 127.0.0.1 playing Clever's API for the demo district."""
    with CleverServer(FIXTURES / "clever-v3-demo") as server:
        yield server


@pytest.fixture
def oneroster_server():
    """A real HTTP server on 127.0.0.1 playing a OneRoster 1.1 REST server (edfi-v1p1)."""
    with OneRosterServer(FIXTURES / "oneroster-csv" / "edfi-v1p1") as server:
        yield server
