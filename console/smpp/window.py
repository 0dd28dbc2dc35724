"""The ESME session's send window: at most N requests in flight, each a :class:`Pending`
request waiting for the response with its sequence number."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import struct
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from console.errors import SessionError
from console.smpp.events import WaitTimeout
from console.smpp.fastpath import encode_submit_sm
from console.smpp.state import ALLOWED_REQUESTS, NotBoundError, State

if TYPE_CHECKING:
    from console.smpp import Pdu
    from console.smpp.events import PduEvent


class ResponseTimeout(WaitTimeout):
    """No response arrived for a request within the timeout."""


class Pending:
    """One request sent (or about to be): its future gets the response or the error; one of
    a :meth:`~WindowedRequests.submit_many` batch puts it in the batch's ``outcomes``."""

    __slots__ = ("pdu", "future", "batch", "index", "windowed", "timeout", "sent", "event",
                 "seq", "deadline", "finished")

    def __init__(self, pdu: Pdu, future: asyncio.Future[Pdu] | None, windowed: bool,
                 timeout: float, batch: Batch | None = None) -> None:
        self.pdu = pdu
        self.future = future
        self.batch = batch
        self.index = 0  # its place in the batch
        self.windowed = windowed
        self.timeout = timeout
        self.sent = 0.0  # epoch seconds, for latencies
        self.event: PduEvent | None = None
        self.seq = 0
        self.deadline = 0.0  # loop time
        self.finished = False


class Batch:
    """The requests of one submit_many: their outcomes (response, error, or None while
    waiting) in order, and one future for all of them (not one each), done when every request
    started is finished and no more will start."""

    __slots__ = ("outcomes", "remaining", "closed", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.outcomes: list[Pdu | BaseException | None] = []
        self.remaining = 0
        self.closed = False
        self.future: asyncio.Future[None] = loop.create_future()

    def add(self, entry: Pending) -> None:
        entry.batch, entry.index = self, len(self.outcomes)
        self.outcomes.append(None)
        self.remaining += 1

    def finished_one(self, entry: Pending, outcome: Pdu | BaseException | None) -> None:
        self.outcomes[entry.index] = outcome
        self.remaining -= 1
        if self.closed and not self.remaining and not self.future.done():
            self.future.set_result(None)

    def close(self) -> None:
        """No more requests will start."""
        self.closed = True
        if not self.remaining and not self.future.done():
            self.future.set_result(None)


class SendWindow:
    """At most ``size`` requests in flight; waiters are served first come, first served."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_acquire(self) -> bool:
        """Take a slot without waiting, when one is free and nobody queues before us."""
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def acquire(self, timeout: float) -> None:
        """Wait for a slot; :class:`ResponseTimeout` when none frees up within ``timeout``."""
        if self.try_acquire():
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(max(timeout, 0.0), _expire_waiter, waiter)
        try:
            await waiter  # release() hands its slot straight to us
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # got the slot, but the caller is gone: pass it on
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
            raise
        finally:
            timer.cancel()

    def release(self) -> None:
        """Give a slot back (to the first waiter, if any)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


class ConnectionLost(SessionError):
    """The connection closed while a request was waiting for its response."""


class RawPduError(SessionError, ValueError):
    """Bytes given to :meth:`~console.smpp.session.SmppSession.send_raw` are not one framed
    PDU, or its sequence number is taken by a request in flight."""


class RawRequest:
    """A raw request sent by ``send_raw``: its future gets the response with its sequence
    number (or a generic_nack with it)."""

    __slots__ = ("future", "sent", "command_id")

    def __init__(self, future: asyncio.Future[Pdu], sent: float, command_id: int) -> None:
        self.future, self.sent, self.command_id = future, sent, command_id


_HEADER = struct.Struct(">IIII")
_RESENDABLE = frozenset({"submit_sm", "submit_multi", "data_sm"})
_SWEEP = 0.025  # seconds between checks for requests past their timeout


class WindowedRequests:
    """The request half of :class:`~console.smpp.session.SmppSession`: sequence numbers, the
    send window, requests in flight, their timeouts (one sweeping timer for all) and
    pipelining. The session provides the connection (``_conn``, ``_write``, ``state``)."""

    _seq: int
    _pending: dict[int, Pending]
    _raw_pending: dict[int, RawRequest]
    _resend: list[Pending]
    _window: SendWindow
    _sweeper: asyncio.TimerHandle | None
    _conn: Any
    _closing: bool
    _reconnect_task: asyncio.Task[None] | None
    state: State
    reconnect: bool
    timeout: float

    @property
    def _bound_event(self) -> asyncio.Event:  # provided by the session
        raise NotImplementedError

    def _write(self, conn: Any, pdu: Pdu | None, data: bytes | None = None) -> PduEvent:
        raise NotImplementedError

    async def _flush_and_drain(self, conn: Any) -> None:
        raise NotImplementedError

    def _flush(self, conn: Any) -> None:
        raise NotImplementedError

    def _next_seq(self) -> int:
        self._seq = self._seq % 0x7FFFFFFF + 1
        while self._raw_pending and self._seq in self._raw_pending:
            self._seq = self._seq % 0x7FFFFFFF + 1  # taken by a raw request in flight
        return self._seq

    async def _wait_usable(self, command: str, deadline: float) -> None:
        while command not in ALLOWED_REQUESTS[self.state]:
            if not (self.reconnect and not self._closing and self._reconnect_task is not None):
                raise NotBoundError(f"cannot send {command} in state {self.state.value}")
            remaining = deadline - time.monotonic()
            try:
                await asyncio.wait_for(self._bound_event.wait(), max(remaining, 0.0))
            except TimeoutError:
                raise ResponseTimeout(f"{command}: not bound again within the timeout") from None

    async def _request(self, pdu: Pdu, timeout: float, use_window: bool = True) -> Pdu:
        entry = await self._start_request(pdu, timeout, use_window)
        assert entry.future is not None
        try:
            return await entry.future
        except asyncio.CancelledError:
            self._finish(entry)
            raise

    async def _start_request(self, pdu: Pdu, timeout: float, use_window: bool,
                             batch: Batch | None = None) -> Pending:
        """Wait for a window slot, send ``pdu``; the entry's future gets the response."""
        deadline = time.monotonic() + timeout
        if pdu.command not in ALLOWED_REQUESTS[self.state]:
            await self._wait_usable(pdu.command, deadline)
        if use_window:
            await self._window.acquire(deadline - time.monotonic())
        loop = asyncio.get_running_loop()
        entry = self._start_now(pdu, timeout, use_window, loop,
                                loop.time() + max(deadline - time.monotonic(), 0.0), batch)
        if self._conn is not None and self._conn.out_size > 1 << 16:
            await self._flush_and_drain(self._conn)
        return entry

    def _start_now(self, pdu: Pdu, timeout: float, use_window: bool,
                   loop: asyncio.AbstractEventLoop, deadline: float,
                   batch: Batch | None = None) -> Pending:
        """Send ``pdu`` now (its window slot, if any, is taken); returns its entry."""
        if batch is None:
            entry = Pending(pdu, loop.create_future(), use_window, timeout)
        else:
            entry = Pending(pdu, None, use_window, timeout)
            batch.add(entry)
        entry.deadline = deadline
        try:
            self._send_request(entry)
        except BaseException as exc:
            self._finish(entry, exc)
            raise
        if self._sweeper is None:
            self._sweeper = loop.call_later(_SWEEP, self._sweep)
        return entry

    def _sweep(self) -> None:
        """Fail the requests past their deadline (one timer for all, not one per request)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        for entry in [*self._pending.values(), *self._resend]:
            if entry.deadline <= now:
                self._finish(entry, ResponseTimeout(
                    f"no response to {entry.pdu.command} (sequence {entry.seq}) "
                    f"within {entry.timeout:g} s"))
        self._sweeper = (loop.call_later(_SWEEP, self._sweep)
                         if self._pending or self._resend else None)

    def _finish(self, entry: Pending, outcome: Pdu | BaseException | None = None) -> None:
        """End a request once: free its sequence number and window slot, settle its future."""
        if entry.finished:
            return
        entry.finished = True
        # what was only needed while waiting goes (submit_many keeps entries to the end)
        entry.pdu = entry.event = None  # type: ignore[assignment]
        if self._pending.get(entry.seq) is entry:
            del self._pending[entry.seq]
        if entry in self._resend:
            self._resend.remove(entry)
        if entry.windowed:
            self._window.release()
        if entry.batch is not None:
            entry.batch.finished_one(entry, outcome)
            return
        fut = entry.future
        if fut is None or fut.done() or outcome is None:
            return
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
            fut.exception()  # retrieved: a caller that gave up must not cause a warning
        else:
            fut.set_result(outcome)

    def _send_request(self, entry: Pending) -> None:
        conn = self._conn
        if conn is None:
            raise ConnectionLost(f"cannot send {entry.pdu.command}: not connected")
        entry.seq = seq = self._next_seq()
        self._pending[seq] = entry
        entry.sent = time.time()
        # encoded under our sequence number; the caller's PDU object is left as it was
        pdu = entry.pdu
        data = encode_submit_sm(pdu, seq)  # the codec's bytes, cheaper (a test compares)
        if data is None:
            theirs, pdu.sequence_number = pdu.sequence_number, seq
            try:
                data = pdu.encode()
            finally:
                pdu.sequence_number = theirs
        entry.event = self._write(conn, pdu, data)

    async def submit_many(self, pdus: Iterable[Pdu], *,
                          timeout: float | None = None) -> list[Pdu | SessionError]:
        """Pipeline many requests through the window; responses (or errors) in order.

        Cheaper than gathering :meth:`submit` calls: no task per PDU. A request that fails
        (timeout, connection lost, not bound) has its :class:`SessionError` in the list.
        """
        t = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        window = self._window
        # requests in flight are found through _pending; finished ones leave only their
        # outcome in the batch (a long batch keeps responses, not the requests' bookkeeping)
        batch = Batch(loop)
        try:
            for p in pdus:
                n = len(batch.outcomes)
                try:
                    conn = self._conn
                    if (conn is not None and conn.out_size < 1 << 16
                            and p.command in ALLOWED_REQUESTS[self.state]
                            and window.try_acquire()):
                        # the common case: a free slot, sent at once without a coroutine
                        self._start_now(p, t, True, loop, loop.time() + t, batch)
                    else:
                        if conn is not None:
                            self._flush(conn)  # the window is full: what it holds goes now
                        await self._start_request(p, t, True, batch)
                except SessionError as exc:
                    if len(batch.outcomes) == n:  # refused before it had a place in the batch
                        batch.outcomes.append(exc)
            batch.close()
            await batch.future
        except BaseException:
            for entry in [*self._pending.values(), *self._resend]:
                if entry.batch is batch:
                    self._finish(entry)
            raise
        for outcome in batch.outcomes:
            if not isinstance(outcome, SessionError) and isinstance(outcome, BaseException):
                raise outcome
        return batch.outcomes  # type: ignore[return-value]

    async def send_raw(self, data: bytes, *, wait_response: bool = True,
                       timeout: float | None = None) -> Pdu | None:
        """Write ``data`` (one framed PDU) to the SMSC exactly as given, sequence number
        included; the send window and the state table do not apply (an inspector may send
        anything, e.g. a submit_sm before the bind, to see the SMSC's answer).

        The bytes appear in the event stream like every other PDU. For a request (command_id
        without the response bit) with ``wait_response``, returns the response that carries
        its sequence number (a generic_nack included); otherwise None once written. Raises
        :class:`RawPduError` when command_length is not ``len(data)`` (≥ 16) or a request of
        this session with that sequence number is waiting, :class:`NotBoundError` when not
        connected, :class:`ResponseTimeout` and :class:`ConnectionLost`.
        """
        data = bytes(data)
        if len(data) < 16:
            raise RawPduError(f"a PDU has a 16-octet header; got {len(data)} octet"
                              f"{'' if len(data) == 1 else 's'}")
        length, command_id, _status, seq = _HEADER.unpack_from(data)
        if length != len(data):
            raise RawPduError(f"command_length says {length} octets but {len(data)} were given")
        conn = self._conn
        if conn is None:
            raise NotBoundError(f"cannot send raw bytes in state {self.state.value}: "
                                "not connected")
        request = not command_id & 0x80000000
        waiting = wait_response and request
        if waiting and (seq in self._pending or seq in self._raw_pending):
            raise RawPduError(f"sequence_number {seq} belongs to a request still waiting for "
                              "its response: choose another")
        loop = asyncio.get_running_loop()
        raw: RawRequest | None = None
        if waiting:
            raw = self._raw_pending[seq] = RawRequest(loop.create_future(), time.time(),
                                                      command_id)
        try:
            self._write(conn, None, data)
            await self._flush_and_drain(conn)
            if raw is None:
                return None
            t = self.timeout if timeout is None else timeout
            try:
                return await asyncio.wait_for(raw.future, t)
            except TimeoutError:
                raise ResponseTimeout(f"no response with sequence_number {seq} within "
                                      f"{t:g} s") from None
        finally:
            if raw is not None and self._raw_pending.get(seq) is raw:
                del self._raw_pending[seq]

    def _raw_response(self, pdu: Pdu) -> RawRequest | None:
        """The raw request this response answers (settled with it), if any."""
        raw = self._raw_pending.pop(pdu.sequence_number, None)
        if raw is not None and not raw.future.done():
            raw.future.set_result(pdu)
        return raw

    def _fail_pending(self, exc: SessionError, *, keep_resendable: bool) -> None:
        raws, self._raw_pending = list(self._raw_pending.values()), {}
        for raw in raws:
            if not raw.future.done():
                raw.future.set_exception(exc)
                raw.future.exception()  # retrieved: nobody may be waiting any more
        pending, self._pending = list(self._pending.values()), {}
        if not keep_resendable:
            pending += self._resend
            self._resend = []
        for entry in pending:
            if keep_resendable and entry.pdu.command in _RESENDABLE:
                self._resend.append(entry)
            else:
                self._finish(entry, exc)



def _expire_waiter(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(ResponseTimeout("the send window stayed full"))


__all__ = ["ConnectionLost", "Pending", "RawPduError", "RawRequest", "ResponseTimeout", "SendWindow",
           "WindowedRequests"]
