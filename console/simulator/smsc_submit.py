"""From submit_sm / data_sm to one platform message: text by data_coding, long messages
reassembled (UDH, SAR TLVs, message_payload), SMPP time fields, flash class.

Pure functions and a small reassembly buffer; no sockets here.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from console.errors import DecodeError
from console.gsm7 import alphabet, dcs_alphabet, decode_text, udh_concat
from console.simulator.smsc_wire import parse_smpp_time

TLV_SAR_REF, TLV_SAR_TOTAL, TLV_SAR_SEQ = 0x020C, 0x020E, 0x020F
TLV_MESSAGE_PAYLOAD = 0x0424
ESM_UDHI = 0x40

# command statuses (SMPP 3.4 section 5.1.3)
ESME_RINVMSGLEN, ESME_RSYSERR, ESME_RINVSRCADR, ESME_RINVDSTADR = 0x01, 0x08, 0x0A, 0x0B
ESME_RINVESMCLASS, ESME_RINVSCHED, ESME_RINVEXPIRY = 0x43, 0x61, 0x62
ESME_RINVTLVVAL = 0xC4

PARTS_TIMEOUT = 300.0  # real seconds an incomplete long message waits for its other parts


class SubmitRefused(Exception):
    """A submit that must be answered with ``status`` (and no message)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Part:
    """One segment of a (possibly long) message as the ESME submitted it."""

    data: bytes  # without UDH
    udh: bytes
    ref: int | None = None
    total: int = 1
    seq: int = 1
    via: str = "single"  # single | udh | sar | payload


@dataclass
class Assembly:
    """Parts of one long message seen so far."""

    total: int
    first: Any  # the first part's PDU fields (addresses, flags) as submitted
    parts: dict[int, Part] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)  # segment number -> its submit_sm_resp id
    started: float = field(default_factory=time.monotonic)

    def part_ids(self) -> list[str]:
        """The parts' message ids in segment order."""
        return [self.ids[i] for i in sorted(self.ids)]


def split_part(fields: dict[str, Any], tlvs: dict[int, bytes]) -> Part:
    """The payload and the concatenation info of one submit_sm."""
    sm = bytes(fields.get("short_message") or b"")
    payload = tlvs.get(TLV_MESSAGE_PAYLOAD)
    if payload is not None:
        if sm:
            raise SubmitRefused(ESME_RINVMSGLEN, "both short_message and message_payload are set")
        sm, via = payload, "payload"
    else:
        via = "single"
    udh = b""
    if int(fields.get("esm_class", 0)) & ESM_UDHI:
        if not sm or 1 + sm[0] > len(sm):
            raise SubmitRefused(ESME_RINVESMCLASS, "UDHI set but no valid UDH in the message")
        udh, sm = sm[:1 + sm[0]], sm[1 + sm[0]:]
        try:
            concat = udh_concat(udh)
        except DecodeError as exc:
            raise SubmitRefused(ESME_RINVESMCLASS, f"bad UDH: {exc}") from None
        if concat is not None:
            ref, total, seq = concat
            if total == 0 or not 1 <= seq <= total:
                raise SubmitRefused(ESME_RINVESMCLASS, f"UDH part {seq} of {total} is impossible")
            return Part(sm, udh, ref, total, seq, "udh")
    if TLV_SAR_REF in tlvs or TLV_SAR_TOTAL in tlvs or TLV_SAR_SEQ in tlvs:
        try:
            ref = int.from_bytes(tlvs[TLV_SAR_REF], "big")
            total, seq = tlvs[TLV_SAR_TOTAL][0], tlvs[TLV_SAR_SEQ][0]
        except (KeyError, IndexError):
            raise SubmitRefused(ESME_RINVTLVVAL, "SAR needs sar_msg_ref_num, sar_total_segments "
                                                 "and sar_segment_seqnum") from None
        if total == 0 or not 1 <= seq <= total:
            raise SubmitRefused(ESME_RINVTLVVAL, f"SAR segment {seq} of {total} is impossible")
        return Part(sm, udh, ref, total, seq, "sar")
    return Part(sm, udh, None, 1, 1, via)


def decode_parts(parts: list[Part], data_coding: int) -> tuple[str, str]:
    """(text, encoding name) of the parts in order; binary codings become hex.

    The parts' octets are joined before decoding, so a UCS-2 surrogate pair or a GSM 7-bit
    escape split over two segments still reads right; national shift IEs come from the first
    part's UDH."""
    kind = dcs_alphabet(data_coding)
    data = parts[0].data if len(parts) == 1 else b"".join(p.data for p in parts)
    if kind == "GSM7" and not parts[0].udh and not data.translate(None, _gsm7_as_ascii()):
        # every septet is a character GSM 03.38 shares with ASCII: the common case, read in
        # one call instead of a table lookup per character (a test compares with decode_text)
        return data.decode("ascii"), kind
    try:
        text = decode_text(data, data_coding, parts[0].udh or None).text
    except DecodeError:
        text = data.hex(" ")
    return text, kind if kind in ("GSM7", "UCS2", "LATIN1", "BINARY") else kind.upper()


@cache
def _gsm7_as_ascii() -> bytes:
    """The septets the GSM default alphabet maps to the ASCII character of the same code."""
    main = alphabet().main
    return bytes(i for i in range(128) if main[i] == chr(i))


def count_parts(parts: list[Part], data_coding: int) -> int:
    """smsCount: the ESME's own segments, or for message_payload what the network would need."""
    if len(parts) > 1 or parts[0].via != "payload":
        return len(parts)
    n = len(parts[0].data)
    if dcs_alphabet(data_coding) == "GSM7":
        return 1 if n <= 160 else math.ceil(n / 153)  # one septet per octet in SMPP
    return 1 if n <= 140 else math.ceil(n / 134)


def flash_data_coding(data_coding: int) -> int:
    """The message-class-0 (flash) data coding for a text coding (GSM 03.38 group 0001)."""
    kind = dcs_alphabet(data_coding)
    return {"GSM7": 0x10, "UCS2": 0x18}.get(kind, 0x14)


def time_fields(fields: dict[str, Any], now: datetime) -> tuple[datetime | None, float | None]:
    """(send_at, validity in minutes) from schedule_delivery_time and validity_period."""
    if not fields.get("schedule_delivery_time") and not fields.get("validity_period"):
        return None, None  # the common case: deliver now, default validity
    try:
        send_at = parse_smpp_time(fields.get("schedule_delivery_time"), now)
    except ValueError as exc:
        raise SubmitRefused(ESME_RINVSCHED, str(exc)) from None
    try:
        expires = parse_smpp_time(fields.get("validity_period"), now)
    except ValueError as exc:
        raise SubmitRefused(ESME_RINVEXPIRY, str(exc)) from None
    validity = None
    if expires is not None:
        start = max(now, send_at) if send_at else now
        validity = (expires - start).total_seconds() / 60
        if validity <= 0:
            raise SubmitRefused(ESME_RINVEXPIRY, "validity_period ends before delivery starts")
    return send_at, validity


class Reassembler:
    """Holds segments of long messages until every part has arrived."""

    def __init__(self, timeout: float = PARTS_TIMEOUT) -> None:
        self.timeout = timeout
        self._open: dict[tuple[Any, ...], Assembly] = {}

    def add(self, key: tuple[Any, ...], part: Part, fields: dict[str, Any],
            new_id: Callable[[], str] = lambda: str(uuid.uuid4())
            ) -> tuple[Assembly, list[Part] | None]:
        """Store a part (its id from ``new_id``, the same one again for a repeated segment);
        returns its assembly and, once complete, the parts in order."""
        self._expire()
        full_key = (*key, part.via, part.ref, part.total)
        asm = self._open.get(full_key)
        if asm is None:
            asm = self._open[full_key] = Assembly(part.total, fields)
        asm.parts[part.seq] = part
        if part.seq not in asm.ids:
            asm.ids[part.seq] = new_id()
        if len(asm.parts) < asm.total:
            return asm, None
        del self._open[full_key]
        return asm, [asm.parts[i] for i in range(1, asm.total + 1)]

    def __len__(self) -> int:
        return len(self._open)

    def _expire(self) -> None:
        limit = time.monotonic() - self.timeout
        for k in [k for k, a in self._open.items() if a.started < limit]:
            del self._open[k]
