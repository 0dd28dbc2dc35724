"""Fault injection for the simulator's HTTP door: exercise a client's timeouts and retries.

>>> sim.http_faults.set(latency_ms=800)                        # every answer 0.8 s late
>>> sim.http_faults.set(error_rate=0.3, error_status=503, seed=7)  # 30 % get a 503, reproducibly
>>> sim.http_faults.set(drop_rate=0.1)                         # 10 % of connections cut, no answer
>>> sim.http_faults.clear()

Every request draws one number from the seeded generator, so with a seed the sequence of
outcomes (drop, error, answer) is the same on every run. A dropped or failed request never
reaches the platform (as when a gateway in front of it fails): nothing is stored or sent.
Latency delays the answer of every request, after an accepted request was processed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ERROR_STATUSES", "HttpFaultConfig", "HttpFaults"]

#: the statuses an injected failure may answer, with the Infobip ``messageId`` of its body
ERROR_STATUSES = {429: "TOO_MANY_REQUESTS", 500: "GENERAL_ERROR", 502: "BAD_GATEWAY",
                  503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}

PASS, ERROR, DROP = "pass", "error", "drop"


@dataclass(frozen=True)
class HttpFaultConfig:
    """One consistent set of HTTP faults (replaced whole on every change)."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    drop_rate: float = 0.0
    seed: int | None = None

    @property
    def active(self) -> bool:
        return self.latency_ms > 0 or self.error_rate > 0 or self.drop_rate > 0


class HttpFaults:
    """The HTTP door's current faults; the door asks :meth:`draw` on every request.

    Safe to change from another thread (the GUI): a change swaps one immutable
    :class:`HttpFaultConfig`, so a request never sees half of an update.
    """

    def __init__(self) -> None:
        self.config = HttpFaultConfig()
        self.active = False  # read on every request: one attribute, no property call
        self.counts = {"delayed": 0, "errors": 0, "drops": 0}
        self._rng = random.Random()
        self._listeners: list[Callable[[HttpFaults], Any]] = []

    def set(self, *, latency_ms: float | None = None, error_rate: float | None = None,
            error_status: int | None = None, drop_rate: float | None = None,
            seed: int | None = None) -> HttpFaultConfig:
        """Change the given faults (the others stay); a ``seed`` restarts the sequence.

        ``latency_ms`` ≥ 0 delays every answer; ``error_rate`` (0–1) answers that share of
        requests with ``error_status`` (429, 500, 502, 503 or 504; default 503) and an Infobip
        error body; ``drop_rate`` (0–1) closes that share of connections without an answer.
        ``error_rate + drop_rate`` may not exceed 1. Raises ValueError for values out of range.
        """
        old = self.config
        new = HttpFaultConfig(
            latency_ms=old.latency_ms if latency_ms is None else float(latency_ms),
            error_rate=old.error_rate if error_rate is None else float(error_rate),
            error_status=old.error_status if error_status is None else int(error_status),
            drop_rate=old.drop_rate if drop_rate is None else float(drop_rate),
            seed=old.seed if seed is None else int(seed))
        if not new.latency_ms >= 0:  # also refuses NaN
            raise ValueError("latency_ms must be >= 0")
        for name in ("error_rate", "drop_rate"):
            if not 0.0 <= getattr(new, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if new.error_rate + new.drop_rate > 1.0 + 1e-9:
            raise ValueError("error_rate + drop_rate must not exceed 1")
        if new.error_status not in ERROR_STATUSES:
            raise ValueError(f"error_status must be one of {', '.join(map(str, ERROR_STATUSES))}")
        if seed is not None:
            self._rng = random.Random(new.seed)
        self.config, self.active = new, new.active
        self._changed()
        return new

    def clear(self) -> None:
        """Remove every fault (counts stay; see :meth:`reset_counts`)."""
        self.config, self.active = HttpFaultConfig(), False
        self._changed()

    def reset_counts(self) -> None:
        self.counts = {"delayed": 0, "errors": 0, "drops": 0}
        self._changed()

    def draw(self) -> tuple[str, HttpFaultConfig]:
        """The fate of one request: (``"pass"`` | ``"error"`` | ``"drop"``, the config used)."""
        cfg = self.config
        r = self._rng.random()
        if r < cfg.drop_rate:
            outcome = DROP
            self.counts["drops"] += 1
        elif r < cfg.drop_rate + cfg.error_rate:
            outcome = ERROR
            self.counts["errors"] += 1
        else:
            outcome = PASS
        if cfg.latency_ms > 0:
            self.counts["delayed"] += 1
        return outcome, cfg

    def subscribe(self, callback: Callable[[HttpFaults], Any]) -> Callable[[], None]:
        """``callback(faults)`` after every change; returns an unsubscribe function."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def to_dict(self) -> dict[str, Any]:
        """The current faults and counts (JSON-safe, for the GUI)."""
        c = self.config
        return {"latency_ms": c.latency_ms, "error_rate": c.error_rate,
                "error_status": c.error_status, "drop_rate": c.drop_rate, "seed": c.seed,
                "active": c.active, "counts": dict(self.counts)}

    def _changed(self) -> None:
        for cb in list(self._listeners):
            cb(self)
