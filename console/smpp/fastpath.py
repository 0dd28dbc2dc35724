"""The ESME session's hot-path shortcuts around the codec, each checked against the codec by
tests: a plain submit_sm encoded directly, a submit_sm_resp read directly, a receipt's message
id read straight from the deliver_sm bytes, the deliver_sm_resp from a template, and a
:class:`~console.smpp.events.ReceiptEvent` whose receipt text is parsed on first access.

A windowed client sends and receives thousands of these per second; the codec's generic,
span-recording path costs several times more. Anything unusual returns None here and the
session takes the codec's full path. The PduEvents still decode the bytes with the codec
when a subscriber looks.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from typing import Any

from console.smpp.events import DECODE_LAZILY, PduEvent, ReceiptEvent

DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
SUBMIT_SM_RESP = 0x80000004
_SUBMIT_SM_RESP_OK = SUBMIT_SM_RESP.to_bytes(4, "big") + bytes(4)  # command id, status 0
TAG_RECEIPTED_MESSAGE_ID = 0x001E
_HEADER = struct.Struct(">IIII")
_TLV = struct.Struct(">HH")


SUBMIT_SM = 0x00000004
_STRINGS = ("service_type", "source_addr", "destination_addr")
_TIMES = ("schedule_delivery_time", "validity_period")
_INTS_SRC = ("source_addr_ton", "source_addr_npi")
_INTS_DST = ("dest_addr_ton", "dest_addr_npi")
_INTS_MSG = ("esm_class", "protocol_id", "priority_flag")
_INTS_TAIL = ("registered_delivery", "replace_if_present_flag", "data_coding",
              "sm_default_msg_id")
_KNOWN = frozenset((*_STRINGS, *_TIMES, *_INTS_SRC, *_INTS_DST, *_INTS_MSG, *_INTS_TAIL,
                    "short_message", "sm_length"))


def _cstr(value: Any) -> bytes | None:
    if value is None:
        return b"\x00"
    if type(value) is str:
        try:
            return value.encode("latin-1") + b"\x00"
        except UnicodeEncodeError:
            return None  # the codec raises the right error
    if type(value) is bytes:
        return value + b"\x00"
    return None


def _ints(fields: dict[str, Any], names: tuple[str, ...]) -> bytes | None:
    out = []
    for name in names:
        v = fields.get(name)
        if v is None:
            v = 0
        elif type(v) is not int or not 0 <= v <= 0xFF:
            return None
        out.append(v)
    return bytes(out)


def encode_submit_sm(pdu: Any, sequence_number: int) -> bytes | None:
    """The bytes ``encode_pdu`` gives for a plain submit_sm (text fields as str/bytes, integers
    as int, short_message as bytes, no TLVs) under ``sequence_number``; None for anything
    else (the codec encodes it, or raises what is wrong)."""
    f = pdu.fields
    if pdu.command_id != SUBMIT_SM or pdu.tlvs or pdu.command_status or not f.keys() <= _KNOWN:
        return None
    sm = f.get("short_message")
    if sm is None:
        sm = b""
    elif type(sm) is not bytes or len(sm) > 0xFF:
        return None
    for name in _TIMES:
        t = f.get(name)
        if t is not None and type(t) is not str and type(t) is not bytes:
            return None  # a datetime or duration: the codec formats it
    parts = (_cstr(f.get("service_type")), _ints(f, _INTS_SRC), _cstr(f.get("source_addr")),
             _ints(f, _INTS_DST), _cstr(f.get("destination_addr")), _ints(f, _INTS_MSG),
             _cstr(f.get("schedule_delivery_time")), _cstr(f.get("validity_period")),
             _ints(f, _INTS_TAIL))
    if None in parts:
        return None
    body = b"".join(parts) + bytes((len(sm),)) + sm  # type: ignore[arg-type]
    return _HEADER.pack(16 + len(body), SUBMIT_SM, 0, sequence_number) + body


def deliver_sm_resp(sequence_number: int) -> bytes:
    """deliver_sm_resp, status 0, message_id unused (NULL): what the codec encodes for
    ``deliver_sm.response()``."""
    return _HEADER.pack(17, DELIVER_SM_RESP, 0, sequence_number) + b"\x00"


def read_deliver_sm(raw: bytes) -> tuple[int, str | None] | None:
    """(esm_class, receipted_message_id or None) of a well-formed deliver_sm; None when the
    bytes are anything else or anything unusual (the codec then decodes them)."""
    n = len(raw)
    if n < 33 or _HEADER.unpack_from(raw)[1] != DELIVER_SM:
        return None
    find = raw.find
    try:
        pos = find(b"\x00", 16, n) + 3  # service_type, source TON/NPI
        if pos < 19:
            return None
        nul = find(b"\x00", pos, n)  # source_addr, dest TON/NPI
        if nul < 0:
            return None
        nul = find(b"\x00", nul + 3, n)  # destination_addr
        if nul < 0:
            return None
        esm_class = raw[nul + 1]
        pos = nul + 4  # esm_class, protocol_id, priority_flag
        for _ in range(2):  # schedule_delivery_time, validity_period
            nul = find(b"\x00", pos, n)
            if nul < 0:
                return None
            pos = nul + 1
        pos += 5 + raw[pos + 4]  # registered_delivery … sm_default_msg_id, sm_length, message
    except IndexError:
        return None
    if pos > n:
        return None
    receipted = None
    while pos < n:
        if pos + 4 > n:
            return None
        tag, length = _TLV.unpack_from(raw, pos)
        pos += 4
        if pos + length > n:
            return None
        if tag == TAG_RECEIPTED_MESSAGE_ID and receipted is None:
            receipted = raw[pos:pos + length].rstrip(b"\x00").decode("latin-1") or None
        pos += length
    return esm_class, receipted


def read_submit_sm_resp(raw: bytes) -> Any:
    """A successful submit_sm_resp (header + message_id C-string, nothing else) as the
    :class:`~console.smpp.Pdu` the codec decodes (a test compares them); None otherwise."""
    n = len(raw)
    if (n < 17 or raw[4:12] != _SUBMIT_SM_RESP_OK or raw.find(b"\x00", 16) != n - 1
            or int.from_bytes(raw[:4], "big") != n):
        return None
    from console.smpp import Pdu

    pdu = Pdu.__new__(Pdu)
    pdu.command, pdu.command_id, pdu.command_status = "submit_sm_resp", SUBMIT_SM_RESP, 0
    pdu.sequence_number = int.from_bytes(raw[12:16], "big")
    pdu.fields, pdu.tlvs, pdu.warnings = {"message_id": raw[16:-1].decode("latin-1")}, [], []
    pdu._raw, pdu._layout, pdu._spans, pdu._message = raw, [("message_id", 16, n - 16, None)], \
        None, None
    return pdu


class _LazyReceipt:
    """The ``receipt`` attribute: parsed from the event's deliver_sm on first access."""

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        from console.smpp.receipt import receipt_from_pdu

        receipt = receipt_from_pdu(obj.event.pdu)
        obj.__dict__["receipt"] = receipt
        return receipt


# What a session keeps of a submit it got a message id for, to correlate its receipts: (sent,
# answered (epoch seconds of the submit_sm and its submit_sm_resp), submit_sm bytes,
# submit_sm_resp bytes, connection (an index into the session's ``ends``)). A few hundred
# bytes instead of two events (whose decoded PDUs may have been cached), and a plain tuple of
# plain values, which the cyclic GC stops visiting (a NamedTuple it would visit for ever).
SubmitRecord = tuple[float, float, bytes, bytes, int]


_HEX_DIGITS = frozenset("0123456789abcdef")


class SubmitMemory:
    """The newest ``limit`` submits that got a message id, by id: what receipts are
    correlated with. A receipt may spell the id otherwise (case, hex ↔ decimal, zeros)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_id: OrderedDict[str, SubmitRecord] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_id)

    def remember(self, message_id: str, record: SubmitRecord) -> None:
        if self.limit <= 0:
            return
        # stored under one spelling of the id; find() tries a receipt's id as it is, then
        # each spelling id_forms gives
        key = message_id.strip().lower()
        if key[:1] == "0" and len(key) <= 32 and _HEX_DIGITS.issuperset(key):
            key = key.lstrip("0") or "0"
        by_id = self._by_id
        by_id[key] = record
        while len(by_id) > self.limit:
            by_id.popitem(last=False)

    def find(self, message_id: str) -> SubmitRecord | None:
        from console.smpp.receipt import id_forms

        by_id = self._by_id
        rec = by_id.get(message_id)  # the common case: spelled as in the submit_sm_resp
        if rec is not None:
            return rec
        for key in id_forms(message_id):
            rec = by_id.get(key)
            if rec is not None:
                return rec
        return None


def submit_events(session: Any, rec: SubmitRecord) -> tuple[PduEvent, PduEvent]:
    """The submit_sm and submit_sm_resp events of a record, as ``session`` emitted them (the
    PDUs decoded from the bytes on first access)."""
    sent, answered, submit, response, connection = rec
    local, remote = session.ends[connection]
    sid = session.session_id
    return (PduEvent.make(sent, "out", sid, local, remote, submit, DECODE_LAZILY),
            PduEvent.make(answered, "in", sid, local, remote, response, DECODE_LAZILY, None,
                          answered - sent))


class _LazySubmit:
    """``submit`` / ``submit_response``: made from the session's record on first access."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        found = obj.__dict__.pop("_record", None)
        pair = submit_events(obj.__dict__.pop("_session"), found) if found is not None \
            else (None, None)
        obj.__dict__["submit"], obj.__dict__["submit_response"] = pair
        return pair[self.index]


class LazyReceiptEvent(ReceiptEvent):
    """A ReceiptEvent whose receipt is parsed, and whose submit events are made, when first
    read (same fields and values)."""

    receipt = _LazyReceipt()  # type: ignore[assignment]
    submit = _LazySubmit(0)  # type: ignore[assignment]
    submit_response = _LazySubmit(1)  # type: ignore[assignment]

    @classmethod
    def lazily(cls, message_id: str, event: Any, session: Any, record: SubmitRecord | None,
               latency: float | None) -> LazyReceiptEvent:
        """The event without parsing the receipt text now; ``record`` is the submit's, as
        ``session`` remembered it."""
        obj = object.__new__(cls)
        obj.__dict__.update(message_id=message_id, event=event, latency=latency,
                            _record=record, _session=session)
        return obj


__all__ = ["LazyReceiptEvent", "SubmitMemory", "SubmitRecord", "deliver_sm_resp", "encode_submit_sm",
           "read_deliver_sm", "read_submit_sm_resp", "submit_events"]
