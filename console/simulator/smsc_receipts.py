"""deliver_sm out of the SMSC: delivery receipts, Number Context (HLR) results and MO messages.

Each account has a queue per kind ("sms" receipts and MO, "hlr" Number Context results).
Items go round robin to the account's RX/TRX sessions of that kind (the spec: reports are
spread evenly over every session able to receive), wait while none is bound, and are sent
again when their deliver_sm is not acknowledged in time or the session carrying it closes.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from console.platform import MoMessage, ReportEvent
from console.simulator.smsc_wire import RawTlv as Tlv
from console.simulator.smsc_wire import encode_deliver_sm

if TYPE_CHECKING:
    from console.simulator.smsc import SmscServer
    from console.simulator.smsc_session import SmscSession

log = logging.getLogger(__name__)

TLV_RECEIPTED_MESSAGE_ID, TLV_MESSAGE_STATE, TLV_NETWORK_ERROR_CODE = 0x001E, 0x0427, 0x0423
TLV_MESSAGE_PAYLOAD = 0x0424
ESM_RECEIPT, ESM_INTERMEDIATE = 0x04, 0x20
GSM_NETWORK = 3  # network_error_code network type: GSM
# receipt stat word -> SMPP 3.4 message_state
MESSAGE_STATE = {"ENROUTE": 1, "DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5,
                 "ACCEPTD": 6, "UNKNOWN": 7, "REJECTD": 8, "REJECTED": 8}
MAX_ATTEMPTS = 20


@dataclass(slots=True)
class Delivery:
    """One deliver_sm waiting to go (or waiting for its deliver_sm_resp).

    Receipts come encoded (``raw``, sequence number 0; each attempt patches its own in) and
    keep no ``fields``/``tlvs``: a queue of them while no receiver is bound stays small.
    """

    account: str
    kind: str  # "sms" | "hlr"
    fields: dict[str, Any] | None
    tlvs: list[Any] | None
    message_id: str | None = None  # the receipted message, for receipts
    attempts: int = 0
    # (session id, sequence_number, epoch seconds) of each attempt
    history: list[tuple[str, int, float]] = field(default_factory=list)
    raw: bytes | None = field(default=None, repr=False)


class _InFlight(NamedTuple):
    delivery: Delivery
    session: SmscSession
    sent: float


class ReceiptRouter:
    """Queues and spreads deliver_sm over the receiving sessions of each account."""

    def __init__(self, server: SmscServer, retry_after: float = 10.0) -> None:
        self.server = server
        self.retry_after = retry_after
        self.queues: dict[tuple[str, str], deque[Delivery]] = {}
        self._rr: dict[tuple[str, str], int] = {}
        self._inflight: OrderedDict[tuple[str, int], _InFlight] = OrderedDict()
        self._sweeper: asyncio.TimerHandle | None = None
        self._receivers: dict[tuple[str, str], tuple[int, list[SmscSession]]] = {}
        self._generation = 0
        self.sent = 0
        self.retried = 0

    # -- what goes in ------------------------------------------------------------------
    def on_report(self, event: ReportEvent) -> None:
        """Platform report → receipt, when the message came over SMPP and asked for one."""
        msg = event.message
        if msg.door != "smpp":
            return
        rd = msg.registered_delivery
        wanted = rd & 0x03
        if event.intermediate:
            if not rd & 0x10:
                return
        elif wanted == 0 or (wanted == 2 and event.stat == "DELIVRD"):
            return
        stat, err = event.stat, event.err
        head = _SUFFIX.get((stat, err))
        if head is None:
            head = _SUFFIX[(stat, err)] = (
                f" stat:{stat} err:{err:03d}".encode("ascii", "replace"),
                bytes([MESSAGE_STATE.get(stat, 7)]),
                bytes([GSM_NETWORK]) + (err & 0xFFFF).to_bytes(2, "big"))
        suffix, state, net_err = head
        dates = (f" submit date:{_minute(msg.submitted_at)} "
                 f"done date:{_minute(event.time)}").encode()
        dlvrd = b" dlvrd:001" if stat == "DELIVRD" else b" dlvrd:000"
        esm = ESM_INTERMEDIATE if event.intermediate else ESM_RECEIPT
        # the deliver_sm body up to short_message is the same for every part (and every
        # receipt between the same two addresses): built once, as encode_deliver_sm would
        # (a test compares the bytes)
        key = (msg.to, msg.from_, esm)
        head = _HEADS.get(key)
        if head is None:
            if len(_HEADS) >= 4096:
                _HEADS.clear()
            dest_ton = _ton(msg.from_)
            head = _HEADS[key] = b"".join((
                b"\x00\x01\x01", msg.to.encode("latin-1"), b"\x00",
                bytes((dest_ton, 1 if dest_ton == 1 else 0)), msg.from_.encode("latin-1"),
                bytes((0, esm)), b"\x00" * 8))
        tail = b"".join((_TLV_HEAD.pack(TLV_MESSAGE_STATE, 1), state,
                         _TLV_HEAD.pack(TLV_NETWORK_ERROR_CODE, 3), net_err))
        # Infobip: a multipart message has an id per part, and a receipt per part
        for mid in msg.part_ids or (msg.message_id,):
            mid_b = mid.encode()
            text = b"id:" + mid_b + b" sub:001" + dlvrd + dates + suffix
            body = b"".join((head, bytes((len(text),)), text,
                             _TLV_HEAD.pack(TLV_RECEIPTED_MESSAGE_ID, len(mid_b) + 1), mid_b,
                             b"\x00", tail))
            raw = _HEADER.pack(16 + len(body), DELIVER_SM, 0, 0) + body
            self.enqueue(Delivery(msg.account, "sms", None, None, mid, raw=raw))

    def on_mo(self, mo: MoMessage) -> None:
        """Inbound message → deliver_sm (esm_class 0) to the account's receivers."""
        data = mo.binary
        if mo.data_coding in (0, 1) and mo.text:
            try:
                from console.encoding import encode_text
                data = encode_text(mo.text, "GSM7")
            except Exception:  # not representable: keep the platform's bytes
                data = mo.binary
        fields: dict[str, Any] = {"source_addr_ton": 1, "source_addr_npi": 1, "source_addr": mo.from_,
                                  "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": mo.to,
                                  "esm_class": mo.esm_class, "data_coding": mo.data_coding}
        tlvs: list[Any] = []
        if len(data) <= 254:
            fields["short_message"] = data
        else:
            fields["short_message"] = b""
            tlvs.append(Tlv(TLV_MESSAGE_PAYLOAD, data))
        self.enqueue(Delivery(mo.account, "sms", fields, tlvs, mo.message_id))

    def enqueue(self, delivery: Delivery) -> None:
        key = (delivery.account, delivery.kind)
        if not self.queues.get(key) and not self.server.faults.receipts_stopped:
            sessions = self.receivers(key)
            if sessions:  # nothing waits before it: straight to the next receiver
                i = self._rr.get(key, 0)
                self._rr[key] = i + 1
                self._send(sessions[i % len(sessions)], delivery)
                return
        self.queues.setdefault(key, deque()).append(delivery)
        self.pump(key)

    # -- sending -------------------------------------------------------------------------
    def receivers(self, key: tuple[str, str]) -> list[SmscSession]:
        """The RX/TRX sessions of an account for one kind, in bind order (cached until a
        session binds, unbinds or goes)."""
        cached = self._receivers.get(key)
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        account, kind = key
        found = [s for s in self.server.sessions
                 if s.can_receive and s.kind == kind and s.account is not None
                 and s.account.username == account]
        self._receivers[key] = (self._generation, found)
        return found

    def sessions_changed(self) -> None:
        """Forget the cached receiver lists (a session bound, unbound or closed)."""
        self._generation += 1

    def pump(self, key: tuple[str, str] | None = None) -> None:
        """Send what is queued (for one key, or all) to the receivers bound now."""
        if self.server.faults.receipts_stopped:
            return
        for k in [key] if key is not None else list(self.queues):
            queue = self.queues.get(k)
            if not queue:
                continue
            sessions = self.receivers(k)
            if not sessions:
                continue
            i = self._rr.get(k, 0)
            while queue:
                session = sessions[i % len(sessions)]
                i += 1
                self._send(session, queue.popleft())
            self._rr[k] = i

    def _send(self, session: SmscSession, d: Delivery) -> None:
        seq = session.next_sequence()
        d.attempts += 1
        d.history.append((session.id, seq, time.time()))
        self._inflight[(session.id, seq)] = _InFlight(d, session, time.monotonic())
        session.receipts_sent += 1
        self.sent += 1
        raw = d.raw
        if raw is None:
            raw = d.raw = encode_deliver_sm(0, d.fields or {}, d.tlvs or [])
            d.fields = d.tlvs = None
        session.write_encoded(raw[:12] + _SEQ.pack(seq) + raw[16:])
        if self._sweeper is None:
            self._arm_sweeper()

    def acked(self, session: SmscSession, sequence_number: int, status: int) -> float | None:
        """A response from the ESME; returns the latency when it answers one of our deliver_sm."""
        entry = self._inflight.pop((session.id, sequence_number), None)
        if entry is None:
            return None
        if status != 0:
            # the ESME refused it (e.g. ESME_RX_T_APPN): try again later, maybe elsewhere
            self._retry(entry.delivery)
        return time.monotonic() - entry.sent

    def attach(self, session: SmscSession) -> None:
        """A receiver bound: flush what waited for it."""
        self.sessions_changed()
        if session.account is not None:
            self.pump((session.account.username, session.kind))

    def detach(self, session: SmscSession) -> None:
        """A session went away: its unacknowledged deliver_sm go back to the queue front."""
        self.sessions_changed()
        lost = [k for k, v in self._inflight.items() if v.session is session]
        back: dict[tuple[str, str], list[Delivery]] = {}
        for k in lost:
            d = self._inflight.pop(k).delivery
            back.setdefault((d.account, d.kind), []).append(d)
        for key, items in back.items():
            self.queues.setdefault(key, deque()).extendleft(reversed(items))
            self.pump(key)

    def adopt(self, other: ReceiptRouter) -> None:
        """Take over what another (stopped) router still holds: its queues, then the
        deliver_sm it had sent without an answer (they go again)."""
        for key, queue in other.queues.items():
            self.queues.setdefault(key, deque()).extend(queue)
        for entry in other._inflight.values():
            d = entry.delivery
            self.queues.setdefault((d.account, d.kind), deque()).append(d)
        other.queues.clear()
        other._inflight.clear()
        other.close()
        self.pump()

    def _retry(self, d: Delivery) -> None:
        if d.attempts >= MAX_ATTEMPTS:
            log.warning("deliver_sm for %s dropped after %d attempts", d.message_id, d.attempts)
            return
        self.retried += 1
        self.queues.setdefault((d.account, d.kind), deque()).append(d)
        self.pump((d.account, d.kind))

    def _arm_sweeper(self) -> None:
        if self._sweeper is None and self.retry_after > 0:
            loop = asyncio.get_running_loop()
            self._sweeper = loop.call_later(self.retry_after / 2, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        limit = time.monotonic() - self.retry_after
        while self._inflight:
            key, entry = next(iter(self._inflight.items()))
            if entry.sent > limit:
                break
            del self._inflight[key]
            self._retry(entry.delivery)
        if self._inflight:
            self._arm_sweeper()

    @property
    def queued(self) -> int:
        """deliver_sm waiting for a receiver."""
        return sum(len(q) for q in self.queues.values())

    @property
    def unacknowledged(self) -> int:
        """deliver_sm sent and not yet answered."""
        return len(self._inflight)

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None


_SEQ = struct.Struct(">I")
_HEADER = struct.Struct(">IIII")
_TLV_HEAD = struct.Struct(">HH")
DELIVER_SM = 0x00000005
_SUFFIX: dict[tuple[str, int], tuple[bytes, bytes, bytes]] = {}
_HEADS: dict[tuple[str, str, int], bytes] = {}
_MINUTES: dict[tuple[int, int, int, int, int], str] = {}


def _minute(t: datetime | None) -> str:
    """``YYMMDDhhmm`` as format_receipt writes it (a test checks they agree), cached: many
    receipts share the minute and strftime is the costly part of a receipt."""
    if t is None:
        t = datetime.now()
    key = (t.year, t.month, t.day, t.hour, t.minute)
    out = _MINUTES.get(key)
    if out is None:
        if len(_MINUTES) > 4096:
            _MINUTES.clear()
        out = _MINUTES[key] = t.strftime("%y%m%d%H%M")
    return out


def _ton(addr: str) -> int:
    """TON for an address: international for digits, alphanumeric otherwise."""
    return 1 if addr.isdigit() else 5
