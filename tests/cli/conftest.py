"""The CLI's fixture: a generated district and its next day, made once per run."""

from __future__ import annotations

import pytest

from rostertui import demo_data


@pytest.fixture(scope="session")
def days(tmp_path_factory):
    """Day one of a 2,000-student district and its next day with 5% changes."""
    base = tmp_path_factory.mktemp("district")
    demo_data.generate(base / "d1", students=2000, seed=7)
    summary = demo_data.next_day(base / "d1", base / "d2", change_rate=0.05, seed=8)
    return base, summary
