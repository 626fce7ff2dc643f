"""The engine's fixture: an Engine on the test's folder, fed by the `source` fixture."""

from __future__ import annotations

import pytest

from rostertui.engine import Engine

from ..support.feeds import config


@pytest.fixture
def engine(tmp_path, source):
    return Engine(config(tmp_path), connector=source)
