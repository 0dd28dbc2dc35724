"""A simulated clock: wall time sped up by a scale factor, with asyncio timers on it.

With ``scale=60`` one real second is one simulated minute, so the notify retry cycle
(41.5 h) runs in about 42 minutes and a 48 h validity in 48 minutes; ``advance()``
jumps ahead instantly (tests and the GUI's "skip" button use it).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)


class Timer:
    """A callback scheduled on the simulated clock; ``cancel()`` it to drop it."""

    __slots__ = ("when", "callback", "args", "cancelled")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class SimClock:
    """Simulated UTC time = start + real elapsed × scale + manual advances."""

    def __init__(self, scale: float = 60.0, start: datetime | None = None) -> None:
        if scale <= 0:
            raise ValueError("time scale must be > 0")
        self._scale = float(scale)
        self._base_sim = (start or datetime.now(UTC)).timestamp()
        self._base_real = time.monotonic()
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        # While a timer fires, "now" is its due time, so a jump with advance() keeps the
        # simulated timestamps (doneAt, retry times) exactly where the schedule put them.
        self._firing_at: float | None = None
        self._now: tuple[float, datetime] = (float("nan"), datetime.min)

    # -- reading the time ---------------------------------------------------------
    @property
    def scale(self) -> float:
        return self._scale

    @scale.setter
    def scale(self, value: float) -> None:
        if value <= 0:
            raise ValueError("time scale must be > 0")
        now = self.timestamp()
        self._base_sim, self._base_real, self._scale = now, time.monotonic(), float(value)
        self._arm()

    def timestamp(self) -> float:
        """Simulated POSIX time in seconds."""
        if self._firing_at is not None:
            return self._firing_at
        return self._base_sim + (time.monotonic() - self._base_real) * self._scale

    def now(self) -> datetime:
        """Simulated time as an aware UTC datetime."""
        ts = self.timestamp()
        if ts != self._now[0]:  # a timer's callbacks all see one time: made once for them
            self._now = (ts, datetime.fromtimestamp(ts, UTC))
        return self._now[1]

    def advance(self, seconds: float | timedelta) -> None:
        """Jump the simulated time forward; timers that became due fire on the loop soon."""
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        if seconds < 0:
            raise ValueError("the simulated clock never goes backwards")
        self._base_sim += seconds
        self._arm()

    # -- timers -------------------------------------------------------------------
    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach the loop that runs the timers (done on first use inside a loop)."""
        self._loop = loop
        self._arm()

    def call_at(self, when: float | datetime, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` when the simulated clock reaches ``when``."""
        if isinstance(when, datetime):
            when = when.timestamp()
        timer = Timer(when, callback, args)
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        if self._heap[0][2] is timer:
            self._arm()
        return timer

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` after ``delay`` simulated seconds."""
        return self.call_at(self.timestamp() + max(0.0, delay), callback, *args)

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of simulated time."""
        fut = asyncio.get_running_loop().create_future()
        timer = self.call_later(seconds, lambda: fut.done() or fut.set_result(None))
        try:
            await fut
        finally:
            timer.cancel()

    @property
    def pending(self) -> int:
        """How many timers are waiting."""
        return sum(1 for _, _, t in self._heap if not t.cancelled)

    def _arm(self) -> None:
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # armed later, when bind() or a call from inside the loop happens
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        if not self._heap or self._loop.is_closed():
            return
        delay = (self._heap[0][0] - self.timestamp()) / self._scale
        if _in_loop_thread(self._loop):
            self._handle = self._loop.call_later(max(0.0, delay), self._fire)
        else:
            self._loop.call_soon_threadsafe(self._arm)

    def _fire(self) -> None:
        self._handle = None
        now = self.timestamp()
        try:
            while self._heap and self._heap[0][0] <= now + 1e-9:
                when, _, timer = heapq.heappop(self._heap)
                if timer.cancelled:
                    continue
                self._firing_at = max(when, self._firing_at or when)
                try:
                    timer.callback(*timer.args)
                except Exception:  # a broken callback must not stop the clock
                    log.exception("simulated-clock timer failed")
        finally:
            self._firing_at = None
        self._arm()


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
