"""One ESME connection to the SMSC: framing, the bind state table, binds, enquire_link,
unbind, generic_nack, responses to our deliver_sm, fault injection; message commands are
handed to :mod:`console.simulator.smsc_messages`.

It is an ``asyncio.Protocol`` so each PDU is handled synchronously as bytes arrive (no task
per PDU): a windowed client gets its responses as fast as the platform can decide.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import re
import struct
import time
from typing import TYPE_CHECKING, Any

from console.errors import DecodeError, FramingError
from console.platform import Account
from console.simulator.smsc_wire import SUBMIT_SM, Framer, Pdu, Tlv, decode_pdu, read_submit_sm
from console.smpp.events import DECODE_LAZILY, PduEvent

if TYPE_CHECKING:
    from console.simulator.smsc import SmscServer

log = logging.getLogger(__name__)

# command statuses (SMPP 3.4 section 5.1.3)
ESME_ROK, ESME_RINVCMDLEN, ESME_RINVCMDID, ESME_RINVBNDSTS, ESME_RALYBND = 0, 0x02, 0x03, 0x04, 0x05
ESME_RSYSERR, ESME_RBINDFAIL, ESME_RINVPASWD, ESME_RINVSYSID = 0x08, 0x0D, 0x0E, 0x0F
SMPP_34 = 0x34
TLV_SC_INTERFACE_VERSION = 0x0210
IDLE_PERIODS = 3  # a session silent for this many keepalive periods is closed


class State(enum.Enum):
    """SMSC-side session states (SMPP 3.4 section 2.2)."""

    OPEN = "open"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBOUND = "unbound"
    CLOSED = "closed"


BOUND = frozenset({State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX})
RECEIVERS = frozenset({State.BOUND_RX, State.BOUND_TRX})

# (state, event) -> next state; a request not allowed in a state never reaches this table
TRANSITIONS: dict[tuple[State, str], State] = {
    (State.OPEN, "bind_transmitter"): State.BOUND_TX,
    (State.OPEN, "bind_receiver"): State.BOUND_RX,
    (State.OPEN, "bind_transceiver"): State.BOUND_TRX,
    **{(s, "unbind"): State.UNBOUND for s in BOUND},
    **{(s, "closed"): State.CLOSED for s in State},
}

BINDS = frozenset({"bind_transmitter", "bind_receiver", "bind_transceiver"})
_MESSAGES = frozenset({"submit_sm", "submit_multi", "data_sm", "query_sm", "cancel_sm",
                       "replace_sm"})
_ALWAYS = frozenset({"enquire_link", "generic_nack"})
# requests an ESME may send in each state (SMPP 3.4 table 2-1)
ALLOWED: dict[State, frozenset[str]] = {
    State.OPEN: BINDS | _ALWAYS,
    State.BOUND_TX: _MESSAGES | _ALWAYS | {"unbind"},
    State.BOUND_RX: _ALWAYS | {"unbind"},
    State.BOUND_TRX: _MESSAGES | _ALWAYS | {"unbind"},
    State.UNBOUND: frozenset(),
    State.CLOSED: frozenset(),
}
# commands an ESME never sends: answered generic_nack "invalid command id"
_SMSC_ONLY = frozenset({"deliver_sm", "outbind", "alert_notification"})

_ROUTE = re.compile(r"^<?r:([^>]*)>?$", re.IGNORECASE)
_ids = itertools.count(1)


def transition(state: State, event: str) -> State:
    """The state after ``event`` (KeyError when the table has no such move)."""
    return TRANSITIONS[(state, event)]


class SmscSession(asyncio.Protocol):
    """The SMSC's end of one TCP (or TLS) connection."""

    def __init__(self, server: SmscServer, *, tls: bool = False) -> None:
        self.server = server
        self.tls = tls
        self.id = f"smsc-{next(_ids)}"
        self.state = State.OPEN
        self.account: Account | None = None
        self.system_id = ""
        self.system_type = ""
        self.route_code: str | None = None
        self.kind = "sms"  # "sms" | "hlr" (Number Context) — which receipts it gets
        self.flash = False  # system_type NSMS
        self.interface_version: int | None = None
        self.local: tuple[str, int] = ("", 0)
        self.remote: tuple[str, int] = ("", 0)
        self.connected_at = time.time()
        self.bound_at: float | None = None
        self.pdus_in = 0
        self.pdus_out = 0
        self.submits = 0
        self.receipts_sent = 0
        self.transport: asyncio.Transport | None = None
        self._framer = Framer()
        self._seq = itertools.count(1)
        self._last_rx = time.monotonic()
        self._watchdog: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._paused = False
        self._out: list[bytes] = []  # written in one go: one syscall per batch, not per PDU
        self._flush_scheduled = False
        self._close_reason = ""

    # -- info ----------------------------------------------------------------------------
    @property
    def bound(self) -> bool:
        return self.state in BOUND

    @property
    def can_receive(self) -> bool:
        """True for RX/TRX sessions: the ones receipts and MO go to."""
        return self.state in RECEIVERS and self.transport is not None

    def info(self) -> dict[str, Any]:
        """A JSON-safe summary (the GUI's session list)."""
        return {"id": self.id, "state": self.state.value, "system_id": self.system_id,
                "system_type": self.system_type, "route_code": self.route_code, "tls": self.tls,
                "kind": self.kind, "flash": self.flash, "remote": list(self.remote),
                "connected_at": self.connected_at, "bound_at": self.bound_at,
                "pdus_in": self.pdus_in, "pdus_out": self.pdus_out, "submits": self.submits,
                "receipts_sent": self.receipts_sent}

    def __repr__(self) -> str:
        return f"<SmscSession {self.id} {self.state.value} {self.system_id!r} {self.remote}>"

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._loop = asyncio.get_running_loop()
        sock = transport.get_extra_info("sockname") or ("", 0)
        peer = transport.get_extra_info("peername") or ("", 0)
        self.local, self.remote = (str(sock[0]), int(sock[1])), (str(peer[0]), int(peer[1]))
        self.server._register(self)
        self._arm_watchdog()

    def connection_lost(self, exc: Exception | None) -> None:
        reason = self._close_reason or (str(exc) if exc else "closed by the ESME")
        self._emit("in", b"", None, f"connection closed: {reason}")
        self.state = transition(self.state, "closed")
        self.transport = None
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.server._unregister(self)

    def pause_writing(self) -> None:
        # the client reads slower than we answer: stop reading its requests until it catches up
        if self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and self._paused:
            self._paused = False
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self._last_rx = time.monotonic()
        try:
            frames = self._framer.feed(data)
        except FramingError as exc:
            # the stream cannot be cut into PDUs any more: say why, then hang up this one only
            self._emit("in", bytes(data[:64]), None, str(exc))
            self._nack(0, ESME_RINVCMDLEN)
            self.close(f"unframeable bytes: {exc}")
            return
        for raw in frames:
            if self.transport is None or self.transport.is_closing():
                return  # closed by a PDU before (unbind, a fault): the rest is not handled
            try:
                self._on_frame(raw)
            except Exception:  # a bug on one PDU must not kill the session or the server
                log.exception("SMSC failed on a PDU from %s", self.remote)
                self._nack(_seq_of(raw), ESME_RSYSERR)
        self._flush()

    # -- per PDU ---------------------------------------------------------------------------
    def _on_frame(self, raw: bytes) -> None:
        self.pdus_in += 1
        _, command_id, status, seq = _HEADER.unpack_from(raw)
        if command_id & 0x80000000:
            # a response (deliver_sm_resp, enquire_link_resp, generic_nack …): the header is all
            # the SMSC needs; the event decodes the body only if someone looks
            latency = self.server.router.acked(self, seq, status)
            self._emit("in", raw, DECODE_LAZILY, None, latency)
        else:
            # the hot path: a plain submit_sm read directly (its event decodes it with the
            # codec only when looked at); anything else, or anything odd, goes to the codec
            pdu = read_submit_sm(raw) if command_id == SUBMIT_SM else None
            if pdu is not None:
                self._emit("in", raw, DECODE_LAZILY, None)
            else:
                try:
                    pdu = decode_pdu(raw)
                except DecodeError as exc:
                    self._emit("in", raw, None, str(exc))
                    self._nack(seq, ESME_RINVCMDLEN)
                    return
                self._emit("in", raw, pdu, None)
                if any(w.startswith(_TRUNCATED) or _NO_NUL in w for w in pdu.warnings):
                    self._nack(seq, ESME_RINVCMDLEN)  # the body is shorter than its fields
                    return
            self._dispatch(pdu)
        limit = self.server.faults.drop_after_pdus
        if limit is not None and self.pdus_in >= limit:
            log.info("fault: dropping %s after %d PDUs", self.id, self.pdus_in)
            self.close(f"fault injection: dropped after {self.pdus_in} PDUs")

    def _dispatch(self, pdu: Any) -> None:
        cmd = pdu.command
        if cmd.startswith("unknown") or cmd in _SMSC_ONLY:
            self._nack(pdu.sequence_number, ESME_RINVCMDID)
            return
        if cmd not in ALLOWED[self.state]:
            status = ESME_RALYBND if cmd in BINDS and self.bound else ESME_RINVBNDSTS
            if cmd == "generic_nack":
                return
            self.respond(pdu, status)
            return
        if cmd in BINDS:
            self._bind(pdu)
        elif cmd == "enquire_link":
            self.respond(pdu, ESME_ROK)
        elif cmd == "unbind":
            self.respond(pdu, ESME_ROK)
            self.state = transition(self.state, "unbind")
            self.server.router.detach(self)
            # give the client a moment to read the unbind_resp before the socket goes
            if self._loop is not None:
                self._loop.call_later(0.05, self.close, "unbound")
        else:
            self.server.messages.handle(self, pdu)

    def _bind(self, pdu: Any) -> None:
        f = pdu.fields
        system_id, password = str(f.get("system_id", "")), str(f.get("password", ""))
        system_type = str(f.get("system_type", ""))
        version = int(f.get("interface_version", 0) or 0)
        platform = self.server.platform
        acct = platform.accounts.get(system_id)
        if version < SMPP_34:
            status = ESME_RBINDFAIL  # the spec: SMPP 3.4 only, 3.3 is not supported
            reason = f"interface_version 0x{version:02x}: only SMPP 3.4 is supported"
        elif acct is None:
            status, reason = ESME_RINVSYSID, f"unknown system_id {system_id!r}"
        elif not acct.check(password, "smpp"):
            status, reason = ESME_RINVPASWD, "wrong password"
        elif not acct.enabled:
            status, reason = ESME_RBINDFAIL, "account disabled"
        elif self.server.bound_count(acct.username) >= self.server.max_sessions_per_account:
            status = ESME_RBINDFAIL
            reason = f"already {self.server.max_sessions_per_account} sessions bound for {system_id}"
        else:
            status, reason = ESME_ROK, ""
        if status != ESME_ROK:
            log.info("bind refused for %r from %s: %s", system_id, self.remote, reason)
            self.respond(pdu, status)
            return
        assert acct is not None
        self.account, self.system_id, self.system_type = acct, system_id, system_type
        self.interface_version = version
        kind = system_type.strip().upper()
        self.kind = "hlr" if kind == "HLR" else "sms"
        self.flash = kind == "NSMS"
        m = _ROUTE.match(system_type.strip())
        self.route_code = m.group(1) if m else None
        self.state = transition(self.state, pdu.command)
        self.bound_at = time.time()
        resp = pdu.response(ESME_ROK, system_id=self.server.system_id)
        resp.tlvs = [Tlv(TLV_SC_INTERFACE_VERSION, bytes([SMPP_34]))]
        self.send(resp)
        if self.can_receive:
            self.server.router.attach(self)

    # -- sending ---------------------------------------------------------------------------
    def respond(self, request: Any, status: int = ESME_ROK, **fields: Any) -> None:
        """Answer ``request`` (with the configured response delay, if any)."""
        simple = _SIMPLE_RESPONSES.get(request.command)
        if simple is not None and fields.keys() <= simple and not self.server.faults.response_delay_ms:
            # the hot path (submit_sm_resp, enquire_link_resp …): a header and at most one
            # C-string, built directly; the event decodes it with the codec when looked at
            # SMPP 3.4 4.4.2: no body on an error response (as the codec encodes it)
            body = str(fields.get("message_id", "")).encode() + b"\x00" if simple and not status else b""
            raw = _HEADER.pack(16 + len(body), request.command_id | 0x80000000, status,
                               request.sequence_number) + body
            self._write(raw, DECODE_LAZILY)
            return
        self.send(request.response(status, **fields))

    def next_sequence(self) -> int:
        return next(self._seq)

    def send(self, pdu: Any, *, delay: bool = True) -> None:
        """Encode and write one PDU; responses wait out the fault's delay first."""
        raw = pdu.encode()
        ms = self.server.faults.response_delay_ms if delay and pdu.is_response else 0.0
        if ms > 0 and self._loop is not None:
            self._loop.call_later(ms / 1000, self._write, raw, pdu)
        else:
            self._write(raw, pdu)

    def write_encoded(self, raw: bytes) -> None:
        """Write a PDU already encoded (the event decodes it with the codec when looked at)."""
        self._write(raw, DECODE_LAZILY)

    def _write(self, raw: bytes, pdu: Any) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self._out.append(raw)
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        self.pdus_out += 1
        self._emit("out", raw, pdu, None)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(self._out))
        self._out.clear()

    def _nack(self, seq: int, status: int) -> None:
        self.send(Pdu("generic_nack", sequence_number=seq, fields={}, tlvs=[],
                      command_status=status))

    def _emit(self, direction: str, raw: bytes, pdu: Any, error: str | None,
              latency: float | None = None) -> None:
        hub = self.server.events
        if not hub.active:
            return
        hub.emit(PduEvent.make(time.time(), direction, self.id, self.local, self.remote,  # type: ignore[arg-type]
                          raw, DECODE_LAZILY if pdu is None and error is None else pdu, error,
                          latency))

    def close(self, reason: str = "closed by the SMSC") -> None:
        """Close the connection (queued receipts stay queued for other sessions)."""
        self._close_reason = self._close_reason or reason
        self._flush()  # what was answered goes out first (e.g. the generic_nack for garbage)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def unbind(self) -> None:
        """Ask the ESME to unbind (the SMSC is stopping), then close."""
        if self.bound:
            self.send(Pdu("unbind", sequence_number=self.next_sequence()), delay=False)
        self.close("SMSC stopped")

    # -- keepalive ---------------------------------------------------------------------------
    def _arm_watchdog(self) -> None:
        keepalive = self.server.keepalive
        if keepalive and keepalive > 0 and self._loop is not None:
            self._watchdog = self._loop.call_later(keepalive, self._check_idle)

    def _check_idle(self) -> None:
        silent = time.monotonic() - self._last_rx
        if silent >= IDLE_PERIODS * self.server.keepalive:
            log.info("closing %s: silent for %.1f s", self.id, silent)
            self.close(f"silent for {silent:.1f} s (keepalive {self.server.keepalive:g} s)")
            return
        self._arm_watchdog()


_HEADER = struct.Struct(">IIII")
# codec warnings that mean the body was cut short, not merely unusual
_TRUNCATED, _NO_NUL = "body ends before", "without NUL"
# responses whose body is at most a message_id C-string (SMPP 3.4 section 4)
_SIMPLE_RESPONSES: dict[str, frozenset[str]] = {
    "submit_sm": frozenset({"message_id"}), "data_sm": frozenset({"message_id"}),
    "enquire_link": frozenset(), "unbind": frozenset(), "cancel_sm": frozenset(),
    "replace_sm": frozenset(),
}


def _seq_of(raw: bytes) -> int:
    return int.from_bytes(raw[12:16], "big") if len(raw) >= 16 else 0
