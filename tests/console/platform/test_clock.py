"""SimClock: scaled time, timers on simulated time, jumps with advance()."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from console.platform.clock import SimClock


def test_scale_speeds_time_up():
    clock = SimClock(scale=3600.0, start=datetime(2015, 7, 7, 17, 0, tzinfo=UTC))
    assert clock.now() >= datetime(2015, 7, 7, 17, 0, tzinfo=UTC)
    clock.advance(3600)
    assert clock.now() >= datetime(2015, 7, 7, 18, 0, tzinfo=UTC)


def test_scale_must_be_positive_and_clock_never_goes_back():
    with pytest.raises(ValueError):
        SimClock(scale=0)
    with pytest.raises(ValueError):
        SimClock().advance(-1)


async def test_timers_fire_in_order_at_their_simulated_time():
    clock = SimClock(scale=1.0)
    fired: list[tuple[str, float]] = []
    t0 = clock.timestamp()
    clock.call_later(120, lambda: fired.append(("b", clock.timestamp() - t0)))
    clock.call_later(60, lambda: fired.append(("a", clock.timestamp() - t0)))
    dropped = clock.call_later(90, lambda: fired.append(("x", 0)))
    dropped.cancel()
    clock.advance(300)
    for _ in range(500):
        if len(fired) == 2:
            break
        await asyncio.sleep(0.01)
    assert [name for name, _ in fired] == ["a", "b"]
    # while a timer fires, "now" is its due time even though the clock jumped past it
    assert fired[0][1] == pytest.approx(60, abs=0.5)
    assert fired[1][1] == pytest.approx(120, abs=0.5)


async def test_scaled_sleep_is_short_in_real_time():
    clock = SimClock(scale=6000.0)
    start = clock.timestamp()
    await asyncio.wait_for(clock.sleep(60), timeout=5)  # one simulated minute
    assert clock.timestamp() - start >= 60


async def test_timer_scheduled_from_a_timer_fires_in_the_same_jump():
    clock = SimClock(scale=1.0)
    seen: list[int] = []

    def first() -> None:
        seen.append(1)
        clock.call_later(10, seen.append, 2)

    clock.call_later(10, first)
    clock.advance(100)
    for _ in range(500):
        if seen == [1, 2]:
            break
        await asyncio.sleep(0.01)
    assert seen == [1, 2]
    assert clock.pending == 0
