"""SMPP optional parameters (TLVs): standard SMPP 3.4 tags and Infobip's vendor tags.

The tag table (name, type, maximum length, vendor) comes from ``resources/reference/tlv.json``
through :mod:`console.reference`. A TLV's value is always kept as the raw octets; ``decoded``
gives the typed value (integers sized by the length field, C-strings without their NUL).
Unknown tags are kept raw, never dropped.
"""

from __future__ import annotations

import struct
from functools import cache
from typing import Any, NamedTuple

from console.smpp.fields import PduError, to_bytes

_TL = struct.Struct(">HH")


class TlvInfo(NamedTuple):
    """What the reference table says about one tag."""

    tag: int
    name: str
    type: str  # int1 | int2 | int4 | cstring | octets | string
    max: int | None
    vendor: bool
    description: str


def _as_int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            return None
    return None


@cache
def tlv_table() -> dict[int, TlvInfo]:
    """All known tags from the reference table (empty when the table is not available)."""
    try:
        from console.reference import table

        rows = table("tlv")
    except Exception:  # noqa: BLE001 - the codec must work without names
        return {}
    out: dict[int, TlvInfo] = {}
    for e in rows:
        extra = getattr(e, "extra", {}) or {}
        tag = _as_int(extra.get("tag", e.id))
        if tag is None:
            continue
        kind = str(extra.get("type") or "octets").lower()
        mx = _as_int(extra.get("max_length", extra.get("max", extra.get("length"))))
        out[tag] = TlvInfo(tag, e.name, kind, mx, bool(extra.get("vendor", False)), e.description)
    return out


def tlv_info(tag: int) -> TlvInfo | None:
    """Table row of ``tag``, or None when unknown."""
    return tlv_table().get(tag)


def tag_of(name_or_tag: int | str) -> int:
    """A tag from its number or its name (e.g. ``"message_payload"``); KeyError when unknown."""
    if isinstance(name_or_tag, int):
        return name_or_tag
    key = name_or_tag.strip().lower()
    for info in tlv_table().values():
        if info.name.lower() == key:
            return info.tag
    value = _as_int(name_or_tag)
    if value is None:
        raise KeyError(f"unknown TLV {name_or_tag!r}")
    return value


def decode_value(tag: int, value: bytes) -> tuple[Any, str | None]:
    """The typed value of a TLV and a warning (None when the value fits its declaration)."""
    info = tlv_table().get(tag)
    if info is None:
        return value, None
    kind = info.type
    warning = None
    if info.max is not None and len(value) > info.max and kind not in ("int1", "int2", "int4"):
        warning = f"{info.name}: {len(value)} octets, at most {info.max} allowed"
    if kind in ("int1", "int2", "int4"):
        size = int(kind[3])
        if len(value) != size:
            warning = f"{info.name}: length {len(value)}, the type is a {size}-octet integer"
        return int.from_bytes(value, "big"), warning
    if kind == "cstring":
        if not value.endswith(b"\x00"):
            warning = warning or f"{info.name}: C-string without NUL terminator"
            return value.decode("latin-1"), warning
        return value[:-1].decode("latin-1"), warning
    if kind == "string":
        return value.rstrip(b"\x00").decode("latin-1"), warning
    return value, warning


def encode_value(tag: int, value: Any) -> bytes:
    """Octets of a TLV value given as bytes, int (sized by the tag's type) or str."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    info = tlv_table().get(tag)
    kind = info.type if info else ("int4" if isinstance(value, int) else "string")
    if isinstance(value, bool | int):
        size = int(kind[3]) if kind in ("int1", "int2", "int4") else (info.max if info and info.max else 4)
        try:
            return int(value).to_bytes(size, "big")
        except OverflowError:
            raise PduError(f"TLV 0x{tag:04X}: {value} does not fit in {size} octet(s)") from None
    raw = to_bytes(value, f"TLV 0x{tag:04X}")
    return raw + b"\x00" if kind == "cstring" else raw


class Tlv:
    """One optional parameter. ``value`` is the raw octets; ``length`` the length field as
    decoded (or the value's size); ``offset`` its position in the PDU (None when built);
    ``overrun`` True when the declared length ran past the end of the PDU."""

    __slots__ = ("tag", "value", "length", "offset", "overrun")

    def __init__(self, tag: int | str, value: Any = b"", *, length: int | None = None,
                 offset: int | None = None, overrun: bool = False) -> None:
        self.tag = tag_of(tag)
        if not 0 <= self.tag <= 0xFFFF:
            raise PduError(f"TLV tag {self.tag} is outside 0..0xFFFF")
        self.value = encode_value(self.tag, value)
        self.length = len(self.value) if length is None else length
        self.offset = offset
        self.overrun = overrun

    @property
    def info(self) -> TlvInfo | None:
        return tlv_table().get(self.tag)

    @property
    def name(self) -> str:
        info = tlv_table().get(self.tag)
        return info.name if info else f"unknown (0x{self.tag:04X})"

    @property
    def known(self) -> bool:
        return self.tag in tlv_table()

    @property
    def decoded(self) -> Any:
        """The typed value (int, str, or bytes for octets and unknown tags)."""
        return decode_value(self.tag, self.value)[0]

    def encode(self) -> bytes:
        """Wire bytes: tag, length (of the value), value."""
        if len(self.value) > 0xFFFF:
            raise PduError(f"TLV 0x{self.tag:04X}: {len(self.value)} octets exceed 65535")
        return _TL.pack(self.tag, len(self.value)) + self.value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tlv):
            return NotImplemented
        return self.tag == other.tag and self.value == other.value

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        extra = " overrun" if self.overrun else ""
        return f"Tlv(0x{self.tag:04X} {self.name}, {self.decoded!r}{extra})"


_INT_SIZES = {"int1": 1, "int2": 2, "int4": 4}


@cache
def _value_rules() -> dict[int, tuple[int, int, bool]]:
    """tag -> (exact length or -1, maximum length, NUL-terminated): when a value passes
    these, :func:`decode_value` has no warning for it (a quick test for the decoder)."""
    out: dict[int, tuple[int, int, bool]] = {}
    for tag, info in tlv_table().items():
        size = _INT_SIZES.get(info.type, -1)
        mx = info.max if info.max is not None and size < 0 else 0xFFFF
        out[tag] = (size, mx, info.type == "cstring")
    return out


def decode_tlvs(data: bytes, pos: int, end: int, warnings: list[str]) -> tuple[list[Tlv], int]:
    """TLVs in ``data[pos:end]``; returns them and where decoding stopped (< end: trailing octets)."""
    out: list[Tlv] = []
    rules = _value_rules()
    unpack = _TL.unpack_from
    while pos < end:
        if end - pos < 4:
            warnings.append(f"{end - pos} trailing octet(s) at offset {pos} do not form a TLV")
            return out, pos
        tag, ln = unpack(data, pos)
        vstart = pos + 4
        vend = vstart + ln
        t = _new_tlv(Tlv)
        t.tag = tag
        t.length = ln
        t.offset = pos
        if vend > end:
            warnings.append(f"TLV 0x{tag:04X} at offset {pos}: length {ln} overruns the PDU by "
                            f"{vend - end} octet(s)")
            t.value = data[vstart:end]
            t.overrun = True
            vend = end
        else:
            value = t.value = data[vstart:vend]
            t.overrun = False
            rule = rules.get(tag)
            if rule is not None and ((rule[0] >= 0 and ln != rule[0]) or ln > rule[1]
                                     or (rule[2] and value[-1:] != b"\x00")):
                problem = decode_value(tag, value)[1]  # says what is wrong
                if problem:
                    warnings.append(problem)
        out.append(t)
        pos = vend
    return out, pos


_new_tlv = object.__new__
