"""An asyncio SMPP 3.4 ESME session: a thin I/O layer over the sans-IO codec.

>>> async with SmppSession("127.0.0.1", 2775, system_id="Aladdin", password="opensesa") as s:
...     ids = await s.send_sms("InfoSMS", "41793026727", "Hello")
...     async for r in s.receipts:
...         print(r.message_id, r.receipt.stat, r.latency)

Every PDU in or out (and every run of bytes that could not be decoded) is handed to
``session.events`` subscribers as a :class:`~console.smpp.events.PduEvent`. ``send_raw(data)``
writes one already-framed PDU exactly as given (the inspector's "send raw") and returns the
response with its sequence number.

Memory stays bounded in long runs: the session remembers its newest ``track_submits``
submits (as bytes) to correlate receipts, and keeps the newest ``queue_size`` receipts and
messages nobody has read yet.

Reconnection (``reconnect=True``): when the connection drops without ``close()``/``unbind()``,
the session reconnects with exponential backoff and binds again. A request whose response had
arrived is finished and is never sent again. A request still waiting for its response when the
connection dropped is failed with :class:`ConnectionLost` (default), or, with
``resend_unacked=True``, sent again after the rebind under a new sequence number — the SMSC may
then have received it twice, which is why this is not the default.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.errors import BindError, DecodeError, FramingError, SessionError
from console.smpp.events import DECODE_LAZILY, EventHub, EventStream, PduEvent, ReceiptEvent
from console.smpp.fastpath import (
    LazyReceiptEvent,
    SubmitMemory,
    deliver_sm_resp,
    read_deliver_sm,
    read_submit_sm_resp,
    submit_events,
)
from console.smpp.state import (
    ALLOWED_REQUESTS,
    BIND_COMMANDS,
    BOUND,
    TRANSITIONS,
    NotBoundError,
    State,
    transition,
)
from console.smpp.window import (
    ConnectionLost,
    Pending,
    RawPduError,
    RawRequest,
    ResponseTimeout,
    SendWindow,
    WindowedRequests,
)

if TYPE_CHECKING:
    from console.smpp import Pdu

log = logging.getLogger(__name__)


class ConnectError(SessionError):
    """The TCP or TLS connection to the SMSC could not be opened."""


_RECEIPT_BITS = 0x04 | 0x20  # esm_class: SMSC delivery receipt, intermediate notification
TRACKED_SUBMITS = 20_000  # default: submits remembered to correlate their receipts
_DELIVER_SM_ID = b"\x00\x00\x00\x05"


def _status(name: str) -> int:
    from console.reference import lookup

    return int(lookup("smpp_command_status", name).id)


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    local: tuple[str, int]
    remote: tuple[str, int]
    task: asyncio.Task[None] | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    out: list[bytes] = field(default_factory=list)  # written at the end of this loop iteration
    out_size: int = 0
    number: int = 0  # index of its (local, remote) in the session's ``ends``


_session_counter = itertools.count(1)


class SmppSession(WindowedRequests):
    """One ESME connection to an SMSC: bind, windowed requests, keep-alive, receipts, events."""

    def __init__(self, host: str, port: int, *, system_id: str, password: str,
                 system_type: str = "", bind: str = "trx", tls: bool | ssl.SSLContext = False,
                 verify: bool = True, cafile: str | None = None, window: int = 10,
                 enquire_interval: float | None = 30.0, timeout: float = 30.0,
                 connect_timeout: float = 10.0, reconnect: bool = False,
                 resend_unacked: bool = False, backoff: float = 0.5, max_backoff: float = 30.0,
                 max_reconnect_attempts: int | None = None, addr_ton: int = 0, addr_npi: int = 0,
                 address_range: str = "", session_id: str | None = None,
                 track_submits: int = TRACKED_SUBMITS, queue_size: int = 20_000) -> None:
        if bind not in BIND_COMMANDS:
            raise ValueError(f"bind must be one of {sorted(BIND_COMMANDS)}, not {bind!r}")
        if window < 1:
            raise ValueError("window must be at least 1")
        self.host, self.port = host, port
        self.system_id, self.password, self.system_type = system_id, password, system_type
        self.bind_type = bind
        self.tls, self.verify, self.cafile = tls, verify, cafile
        self.window = window
        self.enquire_interval = enquire_interval
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self.reconnect, self.resend_unacked = reconnect, resend_unacked
        self.backoff, self.max_backoff = backoff, max_backoff
        self.max_reconnect_attempts = max_reconnect_attempts
        self.addr_ton, self.addr_npi, self.address_range = addr_ton, addr_npi, address_range
        self.session_id = session_id or f"{system_id}@{host}:{port}#{next(_session_counter)}"
        self.state = State.CLOSED
        self.events = EventHub()
        # when nobody reads them, the newest ``queue_size`` are kept (callbacks get them all)
        self.receipts: EventStream[ReceiptEvent] = EventStream(queue_size)
        self.messages: EventStream[PduEvent] = EventStream(queue_size)  # non-receipt deliver_sm
        self.reconnects = 0
        self.bound_system_id: str | None = None
        self.local: tuple[str, int] = ("", 0)
        self.remote: tuple[str, int] = (host, port)
        self._conn: _Connection | None = None
        self._pending: dict[int, Pending] = {}
        self._raw_pending: dict[int, RawRequest] = {}  # send_raw requests by sequence number
        self._resend: list[Pending] = []
        self._seq = 0
        self._window = SendWindow(window)
        self._bound_evt: asyncio.Event | None = None
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self._framer: Any = None
        self._decode: Callable[[bytes], Pdu] = _not_connected
        self._last_rx = 0.0
        # the newest ``track_submits`` submits that got a message id, by id (receipts)
        self._submits = SubmitMemory(track_submits)
        #: (local, remote) of each connection so far (a SubmitRecord's last item indexes it)
        self.ends: list[tuple[tuple[str, int], tuple[str, int]]] = []

    # -- public API

    def __repr__(self) -> str:
        return (f"<SmppSession {self.session_id} {self.state.value}, "
                f"{len(self._pending)} in flight>")

    @property
    def bound(self) -> bool:
        """True when bound (as transmitter, receiver or transceiver)."""
        return self.state in BOUND

    @property
    def in_flight(self) -> int:
        """Requests sent and still waiting for their response."""
        return len(self._pending)

    async def __aenter__(self) -> SmppSession:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> SmppSession:
        """Connect and bind."""
        await self.connect()
        try:
            await self.bind()
        except BaseException:
            await self.close()
            raise
        return self

    async def connect(self) -> None:
        """Open the TCP (or TLS) connection."""
        import console.smpp as codec

        self._decode = codec.decode_pdu
        self._closing = False
        self.receipts.reopen()
        self.messages.reopen()
        ctx = self._ssl_context()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=ctx,
                                        server_hostname=self.host if ctx else None),
                self.connect_timeout)
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            raise ConnectError(f"cannot connect to {self.host}:{self.port}"
                               f"{' (TLS)' if ctx else ''}: {exc or type(exc).__name__}") from exc
        sock = writer.get_extra_info("sockname") or ("", 0)
        peer = writer.get_extra_info("peername") or (self.host, self.port)
        self.local, self.remote = (str(sock[0]), int(sock[1])), (str(peer[0]), int(peer[1]))
        self._framer = codec.Framer()
        conn = _Connection(reader, writer, self.local, self.remote, number=len(self.ends))
        self.ends.append((self.local, self.remote))
        self._conn = conn
        self.state = transition(self.state, "connected")
        conn.task = asyncio.create_task(self._read_loop(conn), name=f"{self.session_id} reader")

    async def bind(self) -> Pdu:
        """Send the bind request of ``bind_type``; raises :class:`BindError` when refused."""
        from console.smpp import Pdu

        command = BIND_COMMANDS[self.bind_type]
        req = Pdu(command, fields={
            "system_id": self.system_id, "password": self.password,
            "system_type": self.system_type, "interface_version": 0x34,
            "addr_ton": self.addr_ton, "addr_npi": self.addr_npi,
            "address_range": self.address_range})
        resp = await self._request(req, self.timeout, use_window=False)
        if resp.command_status != 0 or resp.command != f"{command}_resp":
            raise BindError(f"{command} refused: {resp.command} {resp.status_name} "
                            f"(0x{resp.command_status:08X})", resp.command_status)
        self.bound_system_id = str(resp.fields.get("system_id", "")) or None
        self.state = transition(self.state, f"bound_{self.bind_type}")
        self._bound_event.set()
        if self.enquire_interval and self._conn is not None:
            self._conn.tasks.append(asyncio.create_task(self._keepalive(self._conn)))
        return resp

    async def submit(self, pdu: Pdu, *, timeout: float | None = None) -> Pdu:
        """Send a request PDU inside the window; returns its response (any command_status).

        The session assigns the sequence number. Raises :class:`ResponseTimeout`,
        :class:`ConnectionLost` or :class:`NotBoundError`.
        """
        return await self._request(pdu, self.timeout if timeout is None else timeout)

    async def enquire_link(self, *, timeout: float | None = None) -> Pdu:
        """Send an enquire_link now and return its response."""
        from console.smpp import Pdu

        return await self._request(Pdu("enquire_link"), timeout or self.timeout,
                                   use_window=False)

    async def send_sms(self, source: str, destination: str, text: str,
                       **options: Any) -> list[str]:
        """Send one text (split as needed); see :func:`console.smpp.sms.send_sms`."""
        from console.smpp.sms import send_sms

        return await send_sms(self, source, destination, text, **options)

    async def unbind(self, *, timeout: float = 5.0) -> None:
        """Unbind (the connection stays open until :meth:`close`)."""
        from console.smpp import Pdu

        if self.state not in BOUND:
            return
        self._closing = True
        with contextlib.suppress(SessionError):
            await self._request(Pdu("unbind"), timeout, use_window=False)
        if self.state in BOUND:
            self.state = transition(self.state, "unbind")

    async def close(self) -> None:
        """Unbind if bound, close the connection, fail what is still pending."""
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reconnect_task
            self._reconnect_task = None
        if self.state in BOUND and self._conn is not None:
            await self.unbind(timeout=min(self.timeout, 2.0))
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._close_conn(conn)
        self._fail_pending(ConnectionLost("session closed"), keep_resendable=False)
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        self.state = transition(self.state, "closed")
        self._bound_event.set()  # wakes requests waiting for a rebind: they fail now
        self.receipts.end()
        self.messages.end()

    def correlate(self, message_id: str) -> tuple[PduEvent | None, PduEvent | None, float] | None:
        """(submit event, submit_sm_resp event, send time) for a message id this session got
        (among its newest ``track_submits``).

        The id may be spelled differently than in the submit_sm_resp (case, hex vs decimal).
        """
        rec = self._submits.find(message_id)
        if rec is None:
            return None
        submit, response = submit_events(self, rec)
        return submit, response, rec[0]

    @property
    def track_submits(self) -> int:
        """How many of its newest submits the session remembers to correlate receipts."""
        return self._submits.limit

    # -- requests and responses

    @property
    def _bound_event(self) -> asyncio.Event:
        if self._bound_evt is None:
            self._bound_evt = asyncio.Event()
        return self._bound_evt

    def _write(self, conn: _Connection, pdu: Pdu | None, data: bytes | None = None) -> PduEvent:
        if data is None:
            assert pdu is not None
            data = pdu.encode()
        if not conn.out:  # coalesce the writes of one loop iteration into one send
            asyncio.get_running_loop().call_soon(self._flush, conn)
        conn.out.append(data)
        conn.out_size += len(data)
        event = PduEvent.make(time.time(), "out", self.session_id, conn.local, conn.remote,
                              data, DECODE_LAZILY)
        self.events.emit(event)
        return event

    def _flush(self, conn: _Connection) -> None:
        if conn.out:
            data = b"".join(conn.out)
            conn.out.clear()
            conn.out_size = 0
            with contextlib.suppress(ConnectionError, OSError, RuntimeError):
                conn.writer.write(data)

    async def _flush_and_drain(self, conn: _Connection) -> None:
        self._flush(conn)
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            await conn.writer.drain()

    def _respond(self, conn: _Connection, pdu: Pdu, status: int = 0, **fields: Any) -> None:
        try:
            self._write(conn, pdu.response(status=status, **fields))
        except (ConnectionError, OSError, RuntimeError):
            pass  # the reader notices the closed connection

    def _nack(self, conn: _Connection, seq: int, status_name: str) -> None:
        from console.smpp import Pdu

        nack = Pdu("generic_nack", sequence_number=seq, command_status=_status(status_name))
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            self._write(conn, nack)

    # -- reading

    async def _read_loop(self, conn: _Connection) -> None:
        reason = "closed by the peer"
        try:
            while True:
                data = await conn.reader.read(1 << 16)
                if not data:
                    break
                self._last_rx = time.monotonic()
                try:
                    chunks = self._framer.feed(data)
                    for raw in chunks:
                        self._on_bytes(conn, raw)
                    if chunks:
                        self._framer.feed(b"")  # raises an error found after those PDUs
                except FramingError as exc:
                    self._on_garbage(conn, data, exc)
                    reason = f"stream out of sync: {exc}"
                    break
        except (ConnectionError, OSError, ssl.SSLError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        except asyncio.CancelledError:
            reason = "cancelled"
            raise
        finally:
            if self._conn is conn:
                self._connection_lost(conn, reason)

    def _on_garbage(self, conn: _Connection, data: bytes, exc: Exception) -> None:
        left = int(getattr(self._framer, "buffered", 0) or 0)  # from the bad header on
        if 0 < left <= len(data):
            data = data[-left:]
        self.events.emit(PduEvent.make(time.time(), "in", self.session_id, conn.local,
                                       conn.remote, data, None, f"{type(exc).__name__}: {exc}"))
        seq = struct.unpack_from(">I", data, 12)[0] if len(data) >= 16 else 0
        self._nack(conn, seq, "ESME_RINVCMDLEN")

    def _on_bytes(self, conn: _Connection, raw: bytes) -> None:
        now = time.time()
        fast = read_deliver_sm(raw) if raw[4:8] == _DELIVER_SM_ID else None
        if fast is not None and fast[1] is not None:
            try:
                self._on_receipt_fast(conn, raw, now, fast[0], fast[1])
            except Exception:  # a faulty subscriber must not take the connection down
                log.exception("%s: handling a deliver_sm failed", self.session_id)
            return
        try:
            pdu = read_submit_sm_resp(raw) or self._decode(raw)
        except DecodeError as exc:
            self.events.emit(PduEvent.make(now, "in", self.session_id, conn.local, conn.remote,
                                           raw, None, f"{type(exc).__name__}: {exc}"))
            seq = struct.unpack_from(">I", raw, 12)[0] if len(raw) >= 16 else 0
            self._nack(conn, seq, "ESME_RINVCMDLEN")
            return
        if pdu.is_response or pdu.command == "generic_nack":
            self._on_response(conn, pdu, now)
            return
        event = PduEvent.make(now, "in", self.session_id, conn.local, conn.remote, raw, pdu)
        self.events.emit(event)
        try:
            self._on_request(conn, pdu, event)
        except Exception:  # a faulty handler must not take the connection down
            log.exception("%s: handling %s failed", self.session_id, pdu.command)

    def _on_response(self, conn: _Connection, pdu: Pdu, now: float) -> None:
        entry = self._pending.pop(pdu.sequence_number, None)
        if entry is None:
            self._on_other_response(conn, pdu, now)
            return
        event = PduEvent.make(now, "in", self.session_id, conn.local, conn.remote, pdu.raw,
                              pdu, None, now - entry.sent)
        self.events.emit(event)
        if (pdu.command == "submit_sm_resp" and pdu.command_status == 0
                and pdu.fields.get("message_id")):
            self._remember_submit(conn, str(pdu.fields["message_id"]), entry, event)
        self._finish(entry, pdu)

    def _on_other_response(self, conn: _Connection, pdu: Pdu, now: float) -> None:
        """A response to a raw request (send_raw), or to nothing this session waits for."""
        raw = self._raw_response(pdu) if self._raw_pending else None
        error = None
        if not raw and pdu.command != "generic_nack":
            error = (f"no request with sequence_number {pdu.sequence_number} is waiting "
                     "(late or unsolicited response)")
        self.events.emit(PduEvent.make(now, "in", self.session_id, conn.local, conn.remote,
                                       pdu.raw, pdu, error, now - raw.sent if raw else None))

    def _remember_submit(self, conn: _Connection, message_id: str, entry: Pending,
                         event: PduEvent) -> None:
        self._submits.remember(message_id, (
            entry.sent, event.time, entry.event.raw if entry.event is not None else b"",
            event.raw, conn.number))

    def _on_request(self, conn: _Connection, pdu: Pdu, event: PduEvent) -> None:
        command = pdu.command
        if command == "enquire_link":
            self._respond(conn, pdu)
        elif command in ("deliver_sm", "data_sm"):
            fields: dict[str, Any] = {"message_id": ""} if command == "data_sm" else {}
            self._respond(conn, pdu, 0, **fields)
            self._on_deliver(pdu, event)
        elif command == "unbind":
            self._respond(conn, pdu)
            if self.state in BOUND or self.state is State.OPEN:
                self.state = transition(self.state, "unbind")
            # the unbind_resp goes out, then the connection closes (SMPP 3.4 section 4.2)
            asyncio.get_running_loop().call_soon(self._hang_up, conn)
        elif command in ("alert_notification", "outbind"):
            pass  # informational: visible in the event stream
        elif command.startswith("unknown"):
            self._nack(conn, pdu.sequence_number, "ESME_RINVCMDID")
        else:  # a request an SMSC must not send to an ESME
            self._respond(conn, pdu, status=_status("ESME_RINVCMDID"))

    def _hang_up(self, conn: _Connection) -> None:
        self._flush(conn)
        with contextlib.suppress(Exception):
            conn.writer.close()

    def _on_receipt_fast(self, conn: _Connection, raw: bytes, now: float, esm: int,
                         message_id: str) -> None:
        """A well-formed deliver_sm with receipted_message_id: answered from a template, its
        event and receipt decoded only when someone looks (the common case under load)."""
        event = PduEvent.make(now, "in", self.session_id, conn.local, conn.remote, raw,
                              DECODE_LAZILY)
        self.events.emit(event)
        # queued for this loop iteration's write (a closed connection shows in the reader)
        self._write(conn, None, deliver_sm_resp(int.from_bytes(raw[12:16], "big")))
        if not esm & _RECEIPT_BITS:
            self.messages.put(event)
            return
        rec = self._submits.find(message_id)
        self.receipts.put(LazyReceiptEvent.lazily(message_id, event, self, rec,
                                                  None if rec is None else now - rec[0]))

    def _on_deliver(self, pdu: Pdu, event: PduEvent) -> None:
        esm = int(pdu.fields.get("esm_class", 0) or 0)
        if not esm & _RECEIPT_BITS:
            self.messages.put(event)
            return
        from console.smpp.receipt import receipt_from_pdu

        receipt = receipt_from_pdu(pdu)  # text plus receipted_message_id / message_state TLVs
        message_id = receipt.message_id or ""
        found = self.correlate(message_id) if message_id else None
        submit, response, sent = found if found else (None, None, None)
        self.receipts.put(ReceiptEvent(receipt, message_id, event, submit, response,
                                       None if sent is None else event.time - sent))

    # -- keep-alive, loss and reconnection

    async def _keepalive(self, conn: _Connection) -> None:
        interval = float(self.enquire_interval or 0)
        while self._conn is conn and self.bound:
            await asyncio.sleep(interval)
            if self._conn is not conn or not self.bound:
                return
            if time.monotonic() - self._last_rx < interval * 0.5:
                continue  # traffic is flowing: the link is evidently alive
            try:
                await self.enquire_link(timeout=min(self.timeout, max(interval, 1.0)))
            except ResponseTimeout:
                log.warning("%s: enquire_link unanswered, dropping the connection",
                            self.session_id)
                conn.writer.transport.abort()
                return
            except SessionError:
                return

    def _connection_lost(self, conn: _Connection, reason: str) -> None:
        self._conn = None
        for task in conn.tasks:
            task.cancel()
        self._flush(conn)  # e.g. the generic_nack answering garbage goes out before we close
        with contextlib.suppress(Exception):
            conn.writer.close()
        self.events.emit(PduEvent.make(time.time(), "in", self.session_id, conn.local,
                                       conn.remote, b"", None, f"connection closed: {reason}"))
        self.state = transition(self.state, "closed")
        if self._bound_evt is not None:
            self._bound_evt.clear()
        retry = self.reconnect and not self._closing
        self._fail_pending(ConnectionLost(f"connection lost before the response: {reason}"),
                           keep_resendable=retry and self.resend_unacked)
        if retry and self._reconnect_task is None:
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        delay = self.backoff
        attempt = 0
        try:
            while not self._closing:
                attempt += 1
                if self.max_reconnect_attempts is not None and \
                        attempt > self.max_reconnect_attempts:
                    self._fail_pending(ConnectionLost("reconnection attempts exhausted"),
                                       keep_resendable=False)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                try:
                    await self.connect()
                    await self.bind()
                except (SessionError, OSError) as exc:
                    log.info("%s: reconnect attempt %d failed: %s", self.session_id, attempt, exc)
                    conn, self._conn = self._conn, None
                    if conn is not None:
                        await self._close_conn(conn)
                    self.state = State.CLOSED
                    continue
                self.reconnects += 1
                resend, self._resend = self._resend, []
                for entry in resend:
                    if not entry.finished:
                        self._send_request(entry)
                return
        finally:
            self._reconnect_task = None

    async def _close_conn(self, conn: _Connection) -> None:
        for task in conn.tasks:
            task.cancel()
        self._flush(conn)
        conn.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.writer.wait_closed(), 2.0)
        if conn.task is not None and conn.task is not asyncio.current_task():
            conn.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await conn.task

    def _ssl_context(self) -> ssl.SSLContext | None:
        if isinstance(self.tls, ssl.SSLContext):
            return self.tls
        if not self.tls:
            return None
        ctx = ssl.create_default_context(cafile=self.cafile)
        if not self.verify:  # test SMSCs use self-signed certificates
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx


def _not_connected(raw: bytes) -> Pdu:
    raise SessionError("not connected")


__all__ = ["ALLOWED_REQUESTS", "BIND_COMMANDS", "TRANSITIONS", "ConnectError", "ConnectionLost",
           "NotBoundError", "RawPduError", "ResponseTimeout", "SmppSession", "State",
           "transition"]
