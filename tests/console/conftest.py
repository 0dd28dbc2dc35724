"""Fixtures shared by the console tests: the real embedded simulator on ephemeral ports."""

from __future__ import annotations

import pytest

from console.simulator import Simulator


@pytest.fixture
async def sim():
    """The simulator's HTTP door on a free port, simulated time at real speed."""
    s = Simulator(time_scale=1.0)
    await s.start()
    yield s
    await s.stop()
