"""The dashboard's fixture: a fixed clock, zone and user, for what the screens show. The
Pilot tests ask for it with `pytestmark = pytest.mark.usefixtures("fixed_clock_and_user")`;
test_dashboard_signals runs the real process as it would run, without it."""

from __future__ import annotations

import time

import pytest

from ..support.dashboard import NOW


@pytest.fixture
def fixed_clock_and_user(monkeypatch):
    """Times, the zone they are shown in, and the user the history records."""
    monkeypatch.setenv("ROSTERTUI_NOW", NOW)
    monkeypatch.setenv("TZ", "UTC")
    for var in ("LOGNAME", "USER"):
        monkeypatch.setenv(var, "admin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
