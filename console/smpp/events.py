"""The record of one SMPP PDU on the wire, and the hub that hands these records to subscribers.

A :class:`PduEvent` is what the GUI, the journal and the pcap writer consume: every PDU a
session sends or receives (and every run of bytes that could not be decoded) becomes one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import struct
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from console.errors import SessionError

if TYPE_CHECKING:
    from console.smpp import Pdu
    from console.smpp.receipt import Receipt

log = logging.getLogger(__name__)

Direction = Literal["in", "out"]
Address = tuple[str, int]



@functools.cache
def _bind_request_ids() -> frozenset[int]:
    """Command ids of the bind requests (their second C-string is the password)."""
    from console.smpp import command_id_of

    return frozenset(command_id_of(n) for n in
                     ("bind_transmitter", "bind_receiver", "bind_transceiver"))


class _Undecoded:
    """Marker: the event's PDU is decoded from ``raw`` when first read."""

    def __repr__(self) -> str:
        return "DECODE_LAZILY"


DECODE_LAZILY: Any = _Undecoded()


class _LazyPdu:
    """The ``pdu`` field: stored as given, or decoded from ``raw`` on first access.

    A session's outgoing PDUs are decoded back from their own bytes (so the inspector shows
    exactly what was sent, with spans), but only when someone looks.
    """

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return None  # the dataclass field's default
        value = obj.__dict__.get("_pdu")
        if value is DECODE_LAZILY:
            value, _ = decode_or_error(obj.raw)
            obj.__dict__["_pdu"] = value
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["_pdu"] = value


@dataclass(frozen=True)
class PduEvent:
    """One PDU (or one run of undecodable bytes) seen by a session.

    ``direction`` is from the point of view of ``local``: "out" was sent by local to remote.
    ``pdu`` is None when ``raw`` could not be decoded; ``error`` then says why. ``latency`` is
    set on responses only: seconds between the request leaving and the response arriving.
    """

    time: float
    direction: Direction
    session_id: str
    local: Address
    remote: Address
    raw: bytes
    pdu: Pdu | None = _LazyPdu()  # type: ignore[assignment]
    error: str | None = None
    latency: float | None = None

    @classmethod
    def make(cls, time: float, direction: Direction, session_id: str, local: Address,
             remote: Address, raw: bytes, pdu: Pdu | None = None, error: str | None = None,
             latency: float | None = None) -> PduEvent:
        """The same as the constructor, without the frozen-dataclass cost (the hot path)."""
        event = object.__new__(cls)
        event.__dict__.update(time=time, direction=direction, session_id=session_id,
                              local=local, remote=remote, raw=raw, _pdu=pdu, error=error,
                              latency=latency)
        return event

    @property
    def command(self) -> str | None:
        """The PDU's command name (e.g. ``submit_sm``), or None for undecodable bytes."""
        return self.pdu.command if self.pdu is not None else None

    @property
    def sequence_number(self) -> int | None:
        """The header's sequence_number when the PDU was decoded."""
        return self.pdu.sequence_number if self.pdu is not None else None

    @property
    def sender(self) -> Address:
        """The endpoint that sent these bytes."""
        return self.local if self.direction == "out" else self.remote

    @property
    def receiver(self) -> Address:
        """The endpoint that received these bytes."""
        return self.remote if self.direction == "out" else self.local

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        """A JSON-safe dict; ``raw`` as hex. Bind passwords are masked unless ``redact=False``."""
        raw = redact_password(self.raw) if redact else self.raw
        d: dict[str, Any] = {
            "time": self.time,
            "direction": self.direction,
            "session_id": self.session_id,
            "local": [self.local[0], self.local[1]],
            "remote": [self.remote[0], self.remote[1]],
            "raw": raw.hex(),
            "error": self.error,
            "latency": self.latency,
        }
        # a summary for readers of the stored JSON; from_dict rebuilds the PDU from raw
        header = _header_summary(self.raw) if self.__dict__.get("_pdu") is DECODE_LAZILY \
            else None
        if header is not None:
            # not decoded yet: the header says the same without decoding (and caching) the body
            d["command"], d["command_status"], d["sequence_number"] = header
        elif self.pdu is not None:
            d["command"] = self.pdu.command
            d["command_status"] = self.pdu.command_status
            d["sequence_number"] = self.pdu.sequence_number
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PduEvent:
        """Rebuild an event written by :meth:`to_dict`; the PDU is decoded again from ``raw``."""
        raw = bytes.fromhex(d.get("raw") or "")
        pdu = None
        error = d.get("error")
        if raw and d.get("command") is not None:
            pdu, decode_error = decode_or_error(raw)
            error = error or decode_error
        local = d.get("local") or ("", 0)
        remote = d.get("remote") or ("", 0)
        return cls(
            time=float(d["time"]),
            direction=d["direction"],
            session_id=str(d.get("session_id", "")),
            local=(str(local[0]), int(local[1])),
            remote=(str(remote[0]), int(remote[1])),
            raw=raw,
            pdu=pdu,
            error=error,
            latency=d.get("latency"),
        )


_HEADER = struct.Struct(">IIII")


def _header_summary(raw: bytes) -> tuple[str, int, int] | None:
    """(command name, command_status, sequence_number) of one whole PDU's bytes, as its
    decoded Pdu says them; None when they are not one PDU (decoding would fail)."""
    if len(raw) < 16:
        return None
    length, command_id, status, seq = _HEADER.unpack_from(raw)
    if length != len(raw):
        return None
    return _command_name(command_id), status, seq


@functools.lru_cache(maxsize=512)  # garbage may carry any of 2**32 ids
def _command_name(command_id: int) -> str:
    from console.smpp import command_name

    return command_name(command_id)


def decode_or_error(raw: bytes) -> tuple[Pdu | None, str | None]:
    """Decode one PDU's bytes; on failure return (None, reason) instead of raising."""
    from console.errors import DecodeError
    from console.smpp import decode_pdu

    try:
        return decode_pdu(raw), None
    except DecodeError as exc:
        return None, str(exc) or type(exc).__name__


def redact_password(raw: bytes) -> bytes:
    """Mask the password of a bind request with ``*`` (same length, so the PDU stays valid)."""
    if len(raw) < 18:
        return raw
    length, command_id = struct.unpack_from(">II", raw)
    if command_id not in _bind_request_ids() or length != len(raw):
        return raw
    end_id = raw.find(b"\x00", 16)
    if end_id < 0:
        return raw
    end_pw = raw.find(b"\x00", end_id + 1)
    if end_pw < 0:
        end_pw = len(raw)
    start = end_id + 1
    return raw[:start] + b"*" * (end_pw - start) + raw[end_pw:]


Callback = Callable[[PduEvent], Any]


class EventHub:
    """Subscribers of a stream of :class:`PduEvent`; callbacks run synchronously, in order.

    A callback that raises is logged and skipped: one faulty subscriber must not stop a session.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self.active = False  # any subscriber? (a producer may skip making events if not)

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event)`` for every event; returns a function that unsubscribes."""
        self._callbacks.append(callback)
        self.active = True
        return lambda: self.unsubscribe(callback)

    def unsubscribe(self, callback: Callback) -> None:
        """Stop calling ``callback`` (no error if it was not subscribed)."""
        with_removed = [c for c in self._callbacks if c is not callback]
        self._callbacks = with_removed
        self.active = bool(with_removed)

    def emit(self, event: PduEvent) -> None:
        """Hand ``event`` to every subscriber."""
        for callback in self._callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("PduEvent subscriber %r failed", callback)

    def __len__(self) -> int:
        return len(self._callbacks)

    def __iter__(self) -> Iterator[Callback]:
        return iter(list(self._callbacks))


class WaitTimeout(SessionError, TimeoutError):
    """Nothing arrived on a stream within the timeout."""


@dataclass(frozen=True)
class ReceiptEvent:
    """A delivery receipt, correlated to the submit it reports on when this session sent it."""

    receipt: Receipt
    message_id: str
    event: PduEvent  # the deliver_sm (or data_sm) that carried it
    submit: PduEvent | None  # the submit_sm this receipt is about
    submit_response: PduEvent | None  # the submit_sm_resp that gave the message id
    latency: float | None  # seconds from the submit leaving to the receipt arriving


T = TypeVar("T")


class EventStream(Generic[T]):
    """Items for ``async for`` consumers and for callbacks (called synchronously).

    Items wait for a reader; when nobody reads, the newest ``maxsize`` are kept.
    """

    def __init__(self, maxsize: int = 100_000) -> None:
        self._items: collections.deque[T] = collections.deque(maxlen=maxsize)
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._callbacks: list[Callable[[T], Any]] = []
        self._ended = False

    def __len__(self) -> int:
        """Items waiting for a reader."""
        return len(self._items)

    def subscribe(self, callback: Callable[[T], Any]) -> Callable[[], None]:
        """Call ``callback(item)`` for every new item; returns an unsubscribe function."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def put(self, item: T) -> None:
        self._items.append(item)  # a full deque drops its oldest
        if self._waiters:
            self._wake_one()
        if self._callbacks:
            for cb in list(self._callbacks):
                try:
                    cb(item)
                except Exception:
                    log.exception("subscriber %r failed", cb)

    def end(self) -> None:
        """Consumers get what is queued, then iteration stops."""
        self._ended = True
        while self._waiters:
            self._wake_one()

    def reopen(self) -> None:
        """Undo :meth:`end` (the session connected again); queued items are kept."""
        self._ended = False

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def get(self, timeout: float | None = None) -> T:
        """The next item; raises :class:`WaitTimeout` after ``timeout`` seconds and
        StopAsyncIteration once the stream ended and is empty."""
        items = self._items
        if items:
            return items.popleft()
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not items:
            if self._ended:
                raise StopAsyncIteration
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                if deadline is None:
                    await waiter
                else:
                    await asyncio.wait_for(waiter, max(0.0, deadline - loop.time()))
            except BaseException as exc:
                if items and self._waiters:
                    self._wake_one()  # we may have taken the wake-up for an item we leave
                if isinstance(exc, TimeoutError):
                    raise WaitTimeout(f"nothing arrived within {timeout} s") from None
                raise
            finally:
                if not waiter.done():
                    waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
        return items.popleft()

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        return await self.get()
