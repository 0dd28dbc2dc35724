"""The one DLR pipeline: every status change becomes a ReportEvent that feeds
(a) the HTTP pull queue, (b) the notifyUrl push with the spec's retry cycle,
(c) subscribers (the SMSC turns them into deliver_sm receipts; the GUI shows them).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from console.platform.clock import SimClock
from console.platform.store import (
    HistoryItem,
    Message,
    MessageStore,
    NotifyAttempt,
    infobip_time,
)

log = logging.getLogger(__name__)

MAX_RETRIES = 20
RECENT = 1000  # report events and notify attempts kept for a live view


def retry_delay(retry: int) -> timedelta:
    """The spec's notify retry interval: 1 min + 1 min × n² (n = 0 … 19)."""
    return timedelta(minutes=1 + retry * retry)


class ReportEvent:
    """One status change of one message, with the report as it was at that moment.

    ``result`` (the spec's report result object) is built from the values captured at the
    change, on first access: with no HTTP consumer (an SMPP-only run) it is never built.
    """

    __slots__ = ("seq", "time", "message", "intermediate", "stat", "err", "_status", "_error",
                 "_done_at", "_sent_at", "_price", "_result")

    def __init__(self, seq: int, time: datetime, message: Message,
                 result: dict[str, Any] | None, intermediate: bool, stat: str, err: int) -> None:
        self.seq, self.time, self.message = seq, time, message
        self.intermediate, self.stat, self.err = intermediate, stat, err
        self._status, self._error = message.status, message.error
        self._done_at, self._sent_at, self._price = message.done_at, message.sent_at, message.price
        self._result = result

    @property
    def result(self) -> dict[str, Any]:
        """The spec's report result object (snapshot of this change)."""
        if self._result is None:
            self._result = self.message.report_at(self._status, self._error, self._done_at,
                                                   self._sent_at, self._price)
        return self._result

    @property
    def message_id(self) -> str:
        return self.message.message_id

    @property
    def door(self) -> str:
        return self.message.door

    @property
    def account(self) -> str:
        return self.message.account

    def history_item(self) -> HistoryItem:
        """This change as a ``Message.history`` item."""
        return (self._done_at or self._sent_at or self.message.submitted_at, self.intermediate,
                self._status.get("name"), self._error.get("name"))

    def history_entry(self) -> dict[str, Any]:
        """This change as ``Message.to_dict()`` shows it in ``history``."""
        t, intermediate, status, error = self.history_item()
        return {"time": infobip_time(t), "intermediate": intermediate, "status": status,
                "error": error}

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "intermediate": self.intermediate, "stat": self.stat,
                "err": self.err, "door": self.door, "account": self.account,
                "channel": self.message.channel, "result": self.result}

    def __repr__(self) -> str:
        return (f"ReportEvent(seq={self.seq}, message_id={self.message_id!r}, stat={self.stat!r}, "
                f"intermediate={self.intermediate})")


class Pusher(Protocol):
    """What the pipeline needs to push a report: POST a payload, give back the HTTP status."""

    def __call__(self, url: str, content_type: str, payload: dict[str, Any]) -> Awaitable[int]: ...


ReportCallback = Callable[[ReportEvent], Any]
AttemptCallback = Callable[[NotifyAttempt], Any]


@dataclass
class _Delivery:
    message: Message
    payload: dict[str, Any]
    intermediate: bool
    retry: int = 0  # retries done so far
    attempts: list[NotifyAttempt] = field(default_factory=list)


class DlrPipeline:
    """Fans each ReportEvent out to the pull queue, the notify pusher and subscribers."""

    def __init__(self, clock: SimClock, store: MessageStore) -> None:
        self.clock = clock
        self.store = store
        self.pusher: Pusher | None = None
        # the latest ones, for a live view (each message keeps its own notify attempts; an
        # event keeps its message alive, so not many of them)
        self.attempts: deque[NotifyAttempt] = deque(maxlen=RECENT)
        self.events: deque[ReportEvent] = deque(maxlen=RECENT)
        self._subscribers: list[ReportCallback] = []
        self._attempt_subscribers: list[AttemptCallback] = []
        self._seq = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self.max_retries = MAX_RETRIES

    def subscribe(self, callback: ReportCallback) -> Callable[[], None]:
        """Call ``callback(event)`` on every status change; returns an unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def subscribe_attempts(self, callback: AttemptCallback) -> Callable[[], None]:
        """Call ``callback(attempt)`` after every notifyUrl attempt."""
        self._attempt_subscribers.append(callback)
        return lambda: (self._attempt_subscribers.remove(callback)
                        if callback in self._attempt_subscribers else None)

    def emit(self, msg: Message, *, intermediate: bool, stat: str, err: int) -> ReportEvent:
        """Record a status change and deliver it everywhere it goes."""
        event = ReportEvent(next(self._seq), self.clock.now(), msg, None, intermediate, stat, err)
        self.events.append(event)
        msg.history += (event.history_item(),)
        if msg.door == "http":
            if not intermediate and not msg.explicit_notify:
                # Reports pushed to a notifyUrl given in the request are not pullable (the
                # spec: when the push fails for good, only the logs have it).
                self.store.queue_report(msg.account, event.result)
            # intermediate reports only when asked for, and (the spec) for non-permanent errors
            wanted = not intermediate or (msg.intermediate_report
                                          and not msg.error.get("permanent"))
            if msg.notify_url and wanted:
                self._start_push(_Delivery(msg, {"results": [event.result]}, intermediate))
        for cb in list(self._subscribers):
            try:
                cb(event)
            except Exception:  # a subscriber's bug must not break the pipeline
                log.exception("report subscriber failed")
        return event

    # -- notifyUrl push --------------------------------------------------------------
    def _start_push(self, delivery: _Delivery) -> None:
        at = self.clock.now()  # the scheduled moment, even when the clock jumped past it
        try:
            task = asyncio.get_running_loop().create_task(self._attempt(delivery, at))
        except RuntimeError:
            log.warning("no running loop: notify push for %s skipped", delivery.message.message_id)
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _attempt(self, d: _Delivery, at: datetime) -> None:
        msg = d.message
        url = msg.notify_url or ""
        attempt = NotifyAttempt(msg.message_id, url, d.retry, at,
                                msg.notify_content_type, d.intermediate)
        started = time.perf_counter()
        if self.pusher is None:
            attempt.error = "no pusher configured"
        else:
            try:
                attempt.status = await self.pusher(url, msg.notify_content_type, d.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection refused, timeout, bad URL …
                attempt.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        attempt.duration = time.perf_counter() - started
        if not attempt.ok and d.retry < self.max_retries:
            due = at + retry_delay(d.retry)
            attempt.next_retry = due
            d.retry += 1
            self.clock.call_at(due, self._start_push, d)
        if not msg.notify_attempts:
            msg.notify_attempts = []
        msg.notify_attempts.append(attempt)  # type: ignore[union-attr]
        self.attempts.append(attempt)
        for cb in list(self._attempt_subscribers):
            try:
                cb(attempt)
            except Exception:
                log.exception("attempt subscriber failed")

    async def drain(self) -> None:
        """Wait for push attempts in flight (not for scheduled retries)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def cancel(self) -> None:
        for t in list(self._tasks):
            t.cancel()
