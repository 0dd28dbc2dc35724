"""User Data Header (TS 23.040 9.2.3.24) of a short_message sent with esm_class UDHI (0x40).

Parsing never raises: a UDH that does not fit becomes warnings; IEs this module does not
interpret are kept raw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IEI_CONCAT8 = 0x00
IEI_PORT8 = 0x04
IEI_PORT16 = 0x05
IEI_CONCAT16 = 0x08
IEI_SINGLE_SHIFT = 0x24
IEI_LOCKING_SHIFT = 0x25

# IEI → (name, expected data length); the structure of TS 23.040's IEs this module reads
_KNOWN: dict[int, tuple[str, int]] = {
    IEI_CONCAT8: ("concatenated short message, 8-bit reference", 3),
    IEI_PORT8: ("application port addressing, 8-bit", 2),
    IEI_PORT16: ("application port addressing, 16-bit", 4),
    IEI_CONCAT16: ("concatenated short message, 16-bit reference", 4),
    IEI_SINGLE_SHIFT: ("national language single shift", 1),
    IEI_LOCKING_SHIFT: ("national language locking shift", 1),
}


@dataclass(frozen=True, slots=True)
class InformationElement:
    """One IE: identifier, data, and (for known IEs) its name and interpreted value."""

    iei: int
    data: bytes
    offset: int  # of the IEI octet, from the start of the UDH (the UDHL octet is offset 0)
    name: str = ""
    value: dict[str, Any] | None = None

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Concat:
    """Where a part sits in a concatenated message (from the UDH or the SAR TLVs)."""

    ref: int
    total: int
    seq: int
    kind: str  # udh8 | udh16 | sar


@dataclass(slots=True)
class Udh:
    """A parsed UDH: the raw octets (UDHL included), its IEs and any problems found."""

    raw: bytes
    ies: list[InformationElement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def ie(self, iei: int) -> InformationElement | None:
        """The last IE with identifier ``iei`` (TS 23.040: a repeated IE, the last one counts)."""
        found = None
        for e in self.ies:
            if e.iei == iei:
                found = e
        return found

    @property
    def concat(self) -> Concat | None:
        for e in reversed(self.ies):
            if e.iei in (IEI_CONCAT8, IEI_CONCAT16) and e.value is not None:
                v = e.value
                return Concat(v["ref"], v["total"], v["seq"],
                              "udh8" if e.iei == IEI_CONCAT8 else "udh16")
        return None

    @property
    def ports(self) -> tuple[int, int] | None:
        """(destination port, originator port) from a port addressing IE."""
        for e in reversed(self.ies):
            if e.iei in (IEI_PORT8, IEI_PORT16) and e.value is not None:
                return e.value["dest_port"], e.value["orig_port"]
        return None

    @property
    def single_shift(self) -> int | None:
        e = self.ie(IEI_SINGLE_SHIFT)
        return e.data[0] if e is not None and e.value is not None else None

    @property
    def locking_shift(self) -> int | None:
        e = self.ie(IEI_LOCKING_SHIFT)
        return e.data[0] if e is not None and e.value is not None else None

    def to_json(self) -> dict[str, Any]:
        return {"raw": self.raw.hex(),
                "ies": [{"iei": e.iei, "name": e.name, "data": e.data.hex(), "value": e.value,
                         "offset": e.offset} for e in self.ies],
                "warnings": list(self.warnings)}


def _interpret(iei: int, data: bytes) -> dict[str, Any] | None:
    if iei == IEI_CONCAT8:
        return {"ref": data[0], "total": data[1], "seq": data[2]}
    if iei == IEI_CONCAT16:
        return {"ref": (data[0] << 8) | data[1], "total": data[2], "seq": data[3]}
    if iei == IEI_PORT8:
        return {"dest_port": data[0], "orig_port": data[1]}
    if iei == IEI_PORT16:
        return {"dest_port": (data[0] << 8) | data[1], "orig_port": (data[2] << 8) | data[3]}
    if iei in (IEI_SINGLE_SHIFT, IEI_LOCKING_SHIFT):
        return {"nli": data[0]}
    return None


def parse_udh(data: bytes) -> Udh:
    """Parse the UDH at the start of ``data`` (its first octet is UDHL). Never raises."""
    if not data:
        return Udh(b"", [], ["UDHI set but the message is empty"])
    udhl = data[0]
    end = 1 + udhl
    warnings: list[str] = []
    if end > len(data):
        warnings.append(f"UDH length {udhl} exceeds the {len(data) - 1} octets present")
        end = len(data)
    ies: list[InformationElement] = []
    i = 1
    while i < end:
        if i + 2 > end:
            warnings.append(f"truncated information element at UDH offset {i}")
            break
        iei, ln = data[i], data[i + 1]
        if i + 2 + ln > end:
            warnings.append(f"IE 0x{iei:02X} length {ln} runs past the UDH")
            ies.append(InformationElement(iei, bytes(data[i + 2:end]), i, f"IE 0x{iei:02X}"))
            break
        ie_data = bytes(data[i + 2:i + 2 + ln])
        known = _KNOWN.get(iei)
        if known is None:
            ies.append(InformationElement(iei, ie_data, i, f"IE 0x{iei:02X} (not interpreted)"))
        elif ln != known[1]:
            warnings.append(f"IE 0x{iei:02X} ({known[0]}) has {ln} octets, {known[1]} expected")
            ies.append(InformationElement(iei, ie_data, i, known[0]))
        else:
            value = _interpret(iei, ie_data)
            if value is not None and "seq" in value and not 1 <= value["seq"] <= value["total"]:
                warnings.append(f"concatenation part {value['seq']} of {value['total']} is "
                                "out of range")
            ies.append(InformationElement(iei, ie_data, i, known[0], value))
        i += 2 + ln
    return Udh(bytes(data[:end]), ies, warnings)


def build_udh(*, concat: Concat | None = None, ports: tuple[int, int] | None = None,
              single_shift: int | None = None, locking_shift: int | None = None,
              extra: list[tuple[int, bytes]] | None = None) -> bytes:
    """A UDH (UDHL included) with the given IEs; empty when there are none."""
    body = bytearray()
    if concat is not None:
        if concat.kind == "udh16" or concat.ref > 0xFF:
            body += bytes((IEI_CONCAT16, 4, concat.ref >> 8 & 0xFF, concat.ref & 0xFF,
                           concat.total, concat.seq))
        else:
            body += bytes((IEI_CONCAT8, 3, concat.ref, concat.total, concat.seq))
    if ports is not None:
        dst, src = ports
        if dst > 0xFF or src > 0xFF:
            body += bytes((IEI_PORT16, 4)) + dst.to_bytes(2, "big") + src.to_bytes(2, "big")
        else:
            body += bytes((IEI_PORT8, 2, dst, src))
    if single_shift is not None:
        body += bytes((IEI_SINGLE_SHIFT, 1, single_shift))
    if locking_shift is not None:
        body += bytes((IEI_LOCKING_SHIFT, 1, locking_shift))
    for iei, data in extra or []:
        body += bytes((iei, len(data))) + data
    return bytes((len(body),)) + bytes(body) if body else b""
