"""The text a PDU carries: short_message or message_payload, decoded by data_coding, with its
UDH (esm_class 0x40) or SAR TLVs; and :class:`Reassembler` for multipart messages.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.smpp.udh import Concat, Udh, parse_udh

if TYPE_CHECKING:
    from console.smpp.codec import Pdu

ESM_UDHI = 0x40
TAG_MESSAGE_PAYLOAD = 0x0424
TAG_SAR_MSG_REF_NUM = 0x020C
TAG_SAR_TOTAL_SEGMENTS = 0x020E
TAG_SAR_SEGMENT_SEQNUM = 0x020F


@dataclass(slots=True)
class Message:
    """A decoded short message.

    ``text`` is the readable text (8-bit binary codings: the octets as hex), ``encoding`` the
    alphabet (GSM7, LATIN1, UCS2, BINARY or a codec name), ``payload`` the user data without
    the UDH, ``source`` which field carried it, ``concat`` the part position when multipart.
    """

    text: str
    encoding: str
    data_coding: int
    payload: bytes
    source: str = "short_message"  # or "message_payload", or "" when the PDU carries none
    udh: Udh | None = None
    concat: Concat | None = None
    binary: bool = False
    packed: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def ports(self) -> tuple[int, int] | None:
        return self.udh.ports if self.udh is not None else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "encoding": self.encoding,
                               "data_coding": self.data_coding, "source": self.source,
                               "payload": self.payload.hex(), "binary": self.binary,
                               "packed": self.packed}
        if self.udh is not None:
            out["udh"] = self.udh.to_json()
        if self.concat is not None:
            c = self.concat
            out["concat"] = {"ref": c.ref, "total": c.total, "seq": c.seq, "kind": c.kind}
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def _fallback_decode(data: bytes, data_coding: int) -> tuple[str, str, bool]:
    if data_coding == 8:
        return data.decode("utf-16-be", errors="replace"), "UCS2", False
    if data_coding in (2, 4):
        return data.hex(" "), "BINARY", True
    return data.decode("latin-1"), "LATIN1" if data_coding == 3 else "GSM7?", False


try:  # the encoding module; without it text is still shown (see _fallback_decode)
    from console import gsm7 as _gsm7
except ImportError:  # pragma: no cover - a broken install
    _gsm7 = None  # type: ignore[assignment]

# data_coding 0..255 -> alphabet (console.gsm7.dcs_alphabet, computed once)
_KINDS: tuple[str, ...] = tuple(_gsm7.dcs_alphabet(dc) for dc in range(256)) if _gsm7 else ()
_utf16be = codecs.utf_16_be_decode
_GSM_TABLE: list[str] = []  # the GSM default alphabet as a charmap (octet -> character)


def _gsm_default(septets: bytes) -> str:
    """Septets (one per octet, all < 0x80, no escape) in the GSM default alphabet: what
    ``console.gsm7`` decodes, by one ``codecs.charmap_decode``."""
    if not _GSM_TABLE:
        main = _gsm7.alphabet().main
        # 0x80-0xFF are undefined, so charmap_decode would fail on them (callers exclude them)
        _GSM_TABLE.append("".join(main[i] or " " for i in range(128)) + "\ufffe" * 128)
    return codecs.charmap_decode(septets, "strict", _GSM_TABLE[0])[0]


def decode_text(data: bytes, data_coding: int, udh: Udh | None = None, *,
                packed: bool | None = None) -> tuple[str, str, bool, bool, list[str]]:
    """(text, encoding, binary, packed, warnings) of user data (UDH already cut off).

    GSM 7-bit is one septet per octet as SMPP carries it; ``packed=None`` guesses packed
    when an octet has its high bit set (no septet does).
    """
    if _gsm7 is None:  # the encoding module is missing: still show something
        text, enc, binary = _fallback_decode(data, data_coding)
        return text, enc, binary, False, ["text decoded without console.encoding"]
    kind = _KINDS[data_coding] if 0 <= data_coding <= 255 else _gsm7.dcs_alphabet(data_coding)
    warnings: list[str] = []
    # the common cases first, decoded exactly as console.gsm7 decodes them
    if kind == "GSM7":
        if packed is None:
            packed = not data.isascii()
            if packed:
                warnings.append("GSM 7-bit data has octets ≥ 0x80: read as packed septets")
        if (not packed and data.__class__ is bytes and data.isascii() and b"\x1b" not in data
                and (udh is None or udh.warnings
                     or (b"\x24" not in udh.raw and b"\x25" not in udh.raw))):
            return _gsm_default(data), kind, False, False, warnings  # no escape, no NLI IE
    elif kind == "UCS2":
        if len(data) % 2:
            warnings.append(f"UCS2 data has an odd number of octets ({len(data)})")
        if data.__class__ is bytes:  # (the codec itself: bytes.decode looks "utf-16-be" up)
            return _utf16be(data, "replace", True)[0], kind, False, False, warnings
    elif data.__class__ is bytes:
        if kind == "LATIN1":
            return data.decode("latin-1"), kind, False, False, warnings
        if kind == "BINARY":
            return data.hex(" "), kind, True, False, warnings
    use_udh = udh.raw if udh is not None and not udh.warnings else None
    try:
        d = _gsm7.decode_text(data, data_coding, use_udh, packed=bool(packed))
    except Exception as exc:  # noqa: BLE001 - undecodable text is a warning, not a failure
        warnings.append(f"text cannot be decoded as {kind}: {exc}")
        return data.hex(" "), kind, True, bool(packed), warnings
    return d.text, d.alphabet, d.binary, bool(packed and kind == "GSM7"), warnings


def _sar(pdu: Pdu) -> Concat | None:
    ref = total = seq = None
    for t in pdu.tlvs:
        if t.tag == TAG_SAR_MSG_REF_NUM:
            ref = int.from_bytes(t.value, "big")
        elif t.tag == TAG_SAR_TOTAL_SEGMENTS:
            total = int.from_bytes(t.value, "big")
        elif t.tag == TAG_SAR_SEGMENT_SEQNUM:
            seq = int.from_bytes(t.value, "big")
    if ref is None or total is None or seq is None:
        return None
    return Concat(ref, total, seq, "sar")


def decode_message(pdu: Pdu, *, packed: bool | None = None) -> Message:
    """The message of a submit_sm/deliver_sm/data_sm/… PDU. Never raises."""
    f = pdu.fields
    dc = int(f.get("data_coding") or 0)
    esm = int(f.get("esm_class") or 0)
    sm = f.get("short_message") or b""
    if isinstance(sm, str):
        sm = sm.encode("latin-1", errors="replace")
    warnings: list[str] = []
    payload_tlv = next((t for t in pdu.tlvs if t.tag == TAG_MESSAGE_PAYLOAD), None)
    source = "short_message"
    data = bytes(sm)
    if payload_tlv is not None:
        if data:
            warnings.append("both short_message and message_payload are present "
                            "(SMPP 3.4: use one; message_payload shown)")
        data, source = payload_tlv.value, "message_payload"
    elif not data:
        source = "short_message" if "short_message" in f else ""
    udh = None
    if esm & ESM_UDHI:
        udh = parse_udh(data)
        warnings.extend(udh.warnings)
        data = data[len(udh.raw):]
    text, enc, binary, was_packed, more = decode_text(data, dc, udh, packed=packed)
    warnings.extend(more)
    concat = udh.concat if udh is not None else None
    sar = _sar(pdu)
    if sar is not None:
        if concat is not None:
            warnings.append("both a UDH concatenation IE and SAR TLVs are present")
        concat = concat or sar
    return Message(text, enc, dc, data, source, udh, concat, binary, was_packed, warnings)


# ------------------------------------------------------------------ reassembly


@dataclass(slots=True)
class Assembly:
    """A multipart message being collected: parts received so far and what is missing."""

    key: tuple[str, str, int, int]  # (source, destination, ref, total)
    total: int
    parts: dict[int, Message] = field(default_factory=dict)

    @property
    def missing(self) -> list[int]:
        return [i for i in range(1, self.total + 1) if i not in self.parts]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def text(self) -> str:
        """The text of the parts present, in order; a missing part shows as ``[part N missing]``."""
        if self.parts and all(m.encoding == "UCS2" for m in self.parts.values()) and self.complete:
            # a UCS2 surrogate pair may straddle two parts: decode the joined payload
            joined = b"".join(self.parts[i].payload for i in range(1, self.total + 1))
            return joined.decode("utf-16-be", errors="replace")
        return "".join(self.parts[i].text if i in self.parts else f"[part {i} missing]"
                       for i in range(1, self.total + 1))


class Reassembler:
    """Collects the parts of concatenated messages by (source, destination, reference).

    ``add(pdu)`` returns the :class:`Assembly` the PDU belongs to (a one-part assembly for an
    unsegmented message); ``pending()`` lists the incomplete ones with their missing parts.
    """

    def __init__(self, max_pending: int = 10_000) -> None:
        self.max_pending = max_pending
        self._open: dict[tuple[str, str, int, int], Assembly] = {}

    def add(self, pdu: Pdu) -> Assembly:
        """Add one PDU's message; the returned assembly is ``complete`` once all parts are in."""
        msg = pdu.message
        src = str(pdu.fields.get("source_addr", ""))
        dst = str(pdu.fields.get("destination_addr", ""))
        c = msg.concat
        if c is None or c.total <= 1:
            return Assembly((src, dst, c.ref if c else 0, 1), 1, {1: msg})
        key = (src, dst, c.ref, c.total)
        found = self._open.get(key)
        a = found if found is not None else Assembly(key, c.total)
        self._open[key] = a
        if len(self._open) > self.max_pending:  # parts that never complete: drop the oldest
            del self._open[next(iter(self._open))]
        if 1 <= c.seq <= c.total:
            if c.seq in a.parts:
                msg.warnings.append(f"part {c.seq} of reference {c.ref} received twice")
            a.parts[c.seq] = msg
        if a.complete:
            del self._open[key]
        return a

    def pending(self) -> list[Assembly]:
        """Incomplete assemblies (``missing`` says which parts)."""
        return list(self._open.values())

    def clear(self) -> None:
        self._open.clear()
