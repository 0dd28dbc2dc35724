"""Typed field descriptors of SMPP PDU bodies (scapy-style ``fields_desc``).

A PDU body is an ordered tuple of descriptors (see :mod:`console.smpp.pdus`). Each descriptor
knows how to decode itself from the PDU bytes (recording ``(name, offset, length, children)``
in a compact layout list, from which spans are built on demand), how to encode a Python value,
and which reference table names its values. Spec violations become warnings, never exceptions.

:func:`compile_body` turns a PDU's declaration into one straight-line decoder for the common
case (every field present and well-formed); the descriptors remain the reference and decode
whatever that decoder declines.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from console.errors import ConsoleError

# (name, offset, length, children-layout | None); offsets are absolute in the PDU
Layout = list[tuple[str, int, int, Any]]
Check = Callable[[int], str | None]

_TIME_RE = re.compile(rb"\d{12}[0-9][0-4]\d[+\-R]")


class PduError(ConsoleError, ValueError):
    """A PDU object cannot be built or encoded (unknown command, a value that does not fit)."""


def to_bytes(value: Any, name: str = "value") -> bytes:
    """A C-string/octet value as bytes (str as Latin-1, None as empty)."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    text = value if isinstance(value, str) else str(value)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise PduError(f"{name}: {text[exc.start:exc.end]!r} cannot be sent in a C-string "
                       "(one octet per character)") from None


def _count(name: str, n: int) -> bytes:
    if n > 0xFF:
        raise PduError(f"{name}: {n} does not fit in one octet (max 255)")
    return bytes((n,))


class Field:
    """Base of the body field descriptors."""

    __slots__ = ("name", "table")
    name: str
    table: str | None

    def decode(self, data: bytes, pos: int, end: int, fields: dict[str, Any], layout: Layout,
               warnings: list[str]) -> int:
        """Decode from ``data[pos:end]`` into ``fields``; return the next position."""
        raise NotImplementedError

    def encode(self, fields: Mapping[str, Any]) -> bytes:
        """The wire bytes of this field taken from ``fields`` (defaults when missing)."""
        raise NotImplementedError

    def names(self) -> tuple[str, ...]:
        """Field names this descriptor puts into ``Pdu.fields``."""
        return (self.name,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class CString(Field):
    """A NUL-terminated string of at most ``max`` octets (NUL included, as SMPP 3.4 counts)."""

    __slots__ = ("max",)

    def __init__(self, name: str, max: int, table: str | None = None) -> None:
        self.name, self.max, self.table = name, max, table

    def decode(self, data: bytes, pos: int, end: int, fields: dict[str, Any], layout: Layout,
               warnings: list[str]) -> int:
        nul = data.find(b"\x00", pos, end)
        if nul < 0:
            warnings.append(f"{self.name}: C-string without NUL terminator at offset {pos}")
            nul = nxt = end
        else:
            nxt = nul + 1
        fields[self.name] = data[pos:nul].decode("latin-1")
        layout.append((self.name, pos, nxt - pos, None))
        if nxt - pos > self.max:
            warnings.append(f"{self.name}: {nxt - pos} octets, SMPP 3.4 allows at most {self.max}")
        return nxt

    def encode(self, fields: Mapping[str, Any]) -> bytes:
        return to_bytes(fields.get(self.name), self.name) + b"\x00"


class TimeString(CString):
    """An SMPP time (``YYMMDDhhmmsstnnp``, 16 characters + NUL) or empty."""

    __slots__ = ()

    def __init__(self, name: str) -> None:
        super().__init__(name, 17)

    def decode(self, data: bytes, pos: int, end: int, fields: dict[str, Any], layout: Layout,
               warnings: list[str]) -> int:
        nxt = CString.decode(self, data, pos, end, fields, layout, warnings)
        if nxt - pos > 1:
            raw = data[pos:nxt].rstrip(b"\x00")
            if len(raw) != 16 or not _TIME_RE.fullmatch(raw):
                warnings.append(f"{self.name}: {raw.decode('latin-1')!r} is not an SMPP time "
                                "(YYMMDDhhmmsstnnp)")
        return nxt

    def encode(self, fields: Mapping[str, Any]) -> bytes:
        value = fields.get(self.name)
        if value is not None and not isinstance(value, str | bytes | bytearray):
            from console.smpp.timefmt import format_time

            value = format_time(value)
        return to_bytes(value, self.name) + b"\x00"


class Int(Field):
    """An unsigned big-endian integer of ``size`` octets; ``check`` flags reserved values."""

    __slots__ = ("size", "check", "default", "_struct")

    def __init__(self, name: str, size: int = 1, table: str | None = None,
                 check: Check | None = None, default: int = 0) -> None:
        self.name, self.size, self.table, self.check = name, size, table, check
        self.default = default
        self._struct = struct.Struct({1: ">B", 2: ">H", 4: ">I"}[size])

    def decode(self, data: bytes, pos: int, end: int, fields: dict[str, Any], layout: Layout,
               warnings: list[str]) -> int:
        nxt = pos + self.size
        if nxt > end:
            warnings.append(f"{self.name}: body ends inside this {self.size}-octet integer")
            layout.append((self.name, pos, end - pos, None))
            fields[self.name] = int.from_bytes(data[pos:end], "big")
            return end
        value = data[pos] if self.size == 1 else self._struct.unpack_from(data, pos)[0]
        fields[self.name] = value
        layout.append((self.name, pos, self.size, None))
        if self.check is not None:
            problem = self.check(value)
            if problem:
                warnings.append(f"{self.name}: {problem}")
        return nxt

    def encode(self, fields: Mapping[str, Any]) -> bytes:
        value = fields.get(self.name)
        value = self.default if value is None else int(value)
        if not 0 <= value < 1 << (8 * self.size):
            raise PduError(f"{self.name}: {value} does not fit in {self.size} octet(s)")
        return value.to_bytes(self.size, "big")


class OctetString(Field):
    """Octets preceded by their length (``sm_length`` + ``short_message``); length computed on encode."""

    __slots__ = ("length_name", "max")

    def __init__(self, name: str, length_name: str, max: int = 254) -> None:
        self.name, self.length_name, self.max, self.table = name, length_name, max, None

    def names(self) -> tuple[str, ...]:
        return (self.length_name, self.name)

    def decode(self, data: bytes, pos: int, end: int, fields: dict[str, Any], layout: Layout,
               warnings: list[str]) -> int:
        n = data[pos]
        fields[self.length_name] = n
        layout.append((self.length_name, pos, 1, None))
        pos += 1
        nxt = pos + n
        if nxt > end:
            warnings.append(f"{self.length_name} {n} overruns the body ({end - pos} octets left)")
            nxt = end
        if n > self.max:
            warnings.append(f"{self.length_name}: {n} octets, SMPP 3.4 allows at most {self.max}")
        fields[self.name] = data[pos:nxt]
        layout.append((self.name, pos, nxt - pos, None))
        return nxt

    def encode(self, fields: Mapping[str, Any]) -> bytes:
        value = fields.get(self.name)
        if isinstance(value, str):
            value = _text_bytes(value, int(fields.get("data_coding") or 0))
        raw = to_bytes(value, self.name)
        if len(raw) > 0xFF:
            raise PduError(f"{self.name}: {len(raw)} octets do not fit {self.length_name} "
                           "(max 255); send long text in message_payload or in parts")
        return bytes((len(raw),)) + raw


def _text_bytes(text: str, data_coding: int) -> bytes:
    """A str short_message as bytes: UCS2 for data_coding 8, GSM 7-bit (unpacked) for 0/1, else Latin-1."""
    if data_coding == 8:
        return text.encode("utf-16-be")
    if data_coding in (0, 1):
        try:
            from console.encoding import encode_text

            return encode_text(text, "GSM7")
        except Exception:  # noqa: BLE001 - characters outside GSM7: fall back to Latin-1
            pass
    return text.encode("latin-1", errors="replace")


class _CountedList(Field):
    """A one-octet count (``count_name``) followed by that many entries, each a dict of fields
    with its own span; subclasses say how one entry is decoded and encoded."""

    __slots__ = ("count_name",)

    def __init__(self, name: str, count_name: str) -> None:
        self.name, self.count_name, self.table = name, count_name, None

    def names(self) -> tuple[str, ...]:
        return (self.count_name, self.name)

    def decode(self, data: bytes, pos: int, end: int, fields: dict[str, Any], layout: Layout,
               warnings: list[str]) -> int:
        count = data[pos]
        fields[self.count_name] = count
        layout.append((self.count_name, pos, 1, None))
        pos += 1
        start = pos
        items: list[dict[str, Any]] = []
        children: Layout = []
        for i in range(count):
            item: dict[str, Any] = {}
            sub: Layout = []
            p = self._decode_item(data, i, count, pos, end, item, sub, warnings)
            if p is None:
                break
            items.append(item)
            children.append((f"{self.name}[{i}]", pos, p - pos, sub))
            pos = p
        fields[self.name] = items
        layout.append((self.name, start, pos - start, children))
        return pos

    def encode(self, fields: Mapping[str, Any]) -> bytes:
        items = list(fields.get(self.name) or [])
        return b"".join([_count(self.count_name, len(items)),
                         *(self._encode_item(item) for item in items)])

    def _decode_item(self, data: bytes, i: int, count: int, pos: int, end: int,
                     item: dict[str, Any], sub: Layout, warnings: list[str]) -> int | None:
        """Decode entry ``i`` at ``pos`` into ``item``/``sub``; its end, or None to stop."""
        raise NotImplementedError

    def _encode_item(self, item: Any) -> bytes:
        raise NotImplementedError

    def _decode_fields(self, fields: Sequence[Field], data: bytes, i: int, p: int, end: int,
                       item: dict[str, Any], sub: Layout, warnings: list[str]) -> int:
        for f in fields:
            if p >= end:
                warnings.append(f"{self.name}[{i}]: body ends before {f.name}")
                break
            p = f.decode(data, p, end, item, sub, warnings)
        return p


class DestAddresses(_CountedList):
    """submit_multi's ``number_of_dests`` and its list of SME addresses / distribution lists.

    Each entry is a dict: ``{"dest_flag": 1, "dest_addr_ton", "dest_addr_npi", "destination_addr"}``
    or ``{"dest_flag": 2, "dl_name"}``.
    """

    __slots__ = ()

    def __init__(self, name: str = "dest_address", count_name: str = "number_of_dests") -> None:
        super().__init__(name, count_name)

    def _decode_item(self, data: bytes, i: int, count: int, pos: int, end: int,
                     item: dict[str, Any], sub: Layout, warnings: list[str]) -> int | None:
        if pos >= end:
            warnings.append(f"{self.name}: body ends after {i} of {count} destinations")
            return None
        flag = data[pos]
        item["dest_flag"] = flag
        sub.append(("dest_flag", pos, 1, None))
        if flag == 2:
            return _DL_NAME.decode(data, pos + 1, end, item, sub, warnings)
        if flag != 1:
            warnings.append(f"{self.name}[{i}]: dest_flag {flag} is neither 1 (SME) nor 2 (list)")
        return self._decode_fields(_SME_ADDR, data, i, pos + 1, end, item, sub, warnings)

    def _encode_item(self, item: Any) -> bytes:
        if isinstance(item, str):
            item = {"dest_flag": 1, "destination_addr": item}
        flag = int(item.get("dest_flag", 2 if "dl_name" in item else 1))
        if flag == 2:
            return bytes((flag,)) + _DL_NAME.encode(item)
        return bytes((flag,)) + b"".join(f.encode(item) for f in _SME_ADDR)


class UnsuccessSmes(_CountedList):
    """submit_multi_resp's ``no_unsuccess`` and list of failed destinations.

    Each entry: ``{"dest_addr_ton", "dest_addr_npi", "destination_addr", "error_status_code"}``.
    """

    __slots__ = ()

    def __init__(self, name: str = "unsuccess_sme", count_name: str = "no_unsuccess") -> None:
        super().__init__(name, count_name)

    def _decode_item(self, data: bytes, i: int, count: int, pos: int, end: int,
                     item: dict[str, Any], sub: Layout, warnings: list[str]) -> int | None:
        p = self._decode_fields(_UNSUCCESS, data, i, pos, end, item, sub, warnings)
        return None if p == pos else p

    def _encode_item(self, item: Any) -> bytes:
        return b"".join(f.encode(item) for f in _UNSUCCESS)


def _check_ton(v: int) -> str | None:
    return None if v <= 6 else f"TON {v} is reserved"


def _check_npi(v: int) -> str | None:
    return None if v in (0, 1, 3, 4, 6, 8, 9, 10, 14, 18) else f"NPI {v} is reserved"


def check_registered_delivery(v: int) -> str | None:
    """Bits 7–5 of registered_delivery are reserved in SMPP 3.4."""
    return f"reserved bits set (0x{v & 0xE0:02X})" if v & 0xE0 else None


def check_priority(v: int) -> str | None:
    """priority_flag is 0–3 in SMPP 3.4 (4 exists only for IS-95)."""
    return None if v <= 4 else f"priority {v} is reserved (0–3)"


def check_flag(v: int) -> str | None:
    """A 0/1 flag such as replace_if_present_flag."""
    return None if v <= 1 else f"value {v} is reserved (0 or 1)"


def check_esm_class(v: int) -> str | None:
    """esm_class message type bits (5–2): only 0000, 0001, 0010, 0100, 1000 are defined."""
    mtype = (v >> 2) & 0x0F
    return None if mtype in (0, 1, 2, 4, 8) else f"message type bits 0x{v & 0x3C:02X} are reserved"


def check_interface_version(v: int) -> str | None:
    """interface_version: 0x00–0x33 for 3.3 and earlier, 0x34 for 3.4."""
    return None if v <= 0x34 else f"0x{v:02X} is not an SMPP version this codec speaks (3.4 is 0x34)"


def ton(name: str) -> Int:
    """A Type Of Number field."""
    return Int(name, 1, "ton", _check_ton)


def npi(name: str) -> Int:
    """A Numbering Plan Indicator field."""
    return Int(name, 1, "npi", _check_npi)


_SME_ADDR = (ton("dest_addr_ton"), npi("dest_addr_npi"), CString("destination_addr", 21))
_DL_NAME = CString("dl_name", 21)
_UNSUCCESS = (ton("dest_addr_ton"), npi("dest_addr_npi"), CString("destination_addr", 21),
              Int("error_status_code", 4, "smpp_command_status"))


# ------------------------------------------------------------------ compiled decode plans


def compile_body(name: str, body: tuple[Field, ...]) -> Callable[[bytes, int], Any] | None:
    """A straight-line decoder of a PDU body made of C-strings, times, integers and octet
    strings (None when the body has other fields, e.g. submit_multi's lists).

    The function takes ``(data, n)`` (the PDU and its length; the body starts at 16) and
    returns ``(next position, fields, layout)`` — exactly what the descriptors' ``decode``
    methods give — when every field is present and well-formed. On anything a descriptor
    would warn about it returns None and the caller runs the descriptors, which say what is
    wrong. One generic routine, generated from the same declarations, instead of one
    interpreted method call per field.
    """
    ns: dict[str, Any] = {"_TIME_FULLMATCH": _TIME_RE.fullmatch}
    lines = ["find = data.find"]
    values: list[tuple[str, str]] = []  # (field name, expression)
    layout: list[tuple[str, str, str]] = []  # (field name, offset, length)
    base, k = "16", 0  # the current position is base + k

    def at(extra: int = 0) -> str:
        return f"{base} + {k + extra}" if k + extra else base

    def pin(i: int) -> str:
        """Give the current position a variable (so expressions stay short)."""
        nonlocal base, k
        if k or not base.isidentifier():
            lines.append(f"q{i} = {at()}")
            base, k = f"q{i}", 0
        return base

    i = 0
    while i < len(body):
        f = body[i]
        kind = type(f)
        if kind is Int:
            run = _takewhile_int(body, i)
            lines.append(f"if {at(sum(x.size for x in run))} > n: return None")
            for x in run:
                v = f"v{i}"
                if x.size == 1:
                    lines.append(f"{v} = data[{at()}]")
                else:
                    ns[f"_U{i}"] = x._struct.unpack_from
                    lines.append(f"{v} = _U{i}(data, {at()})[0]")
                if x.check is not None:
                    if x.size == 1:
                        ns[f"_OK{i}"] = bytes(0 if x.check(b) else 1 for b in range(256))
                        lines.append(f"if not _OK{i}[{v}]: return None")
                    else:
                        ns[f"_CHK{i}"] = x.check
                        lines.append(f"if _CHK{i}({v}): return None")
                values.append((x.name, v))
                layout.append((x.name, at(), str(x.size)))
                k += x.size
                i += 1
            continue
        if kind is CString or kind is TimeString:
            assert isinstance(f, CString)
            q = pin(i)
            e = f"e{i}"
            lines.append(f"{e} = find(b'\\x00', {q}, n)")
            lines.append(f"if {e} < 0 or {e} - {q} >= {f.max}: return None")
            if kind is TimeString:
                lines.append(f"if {e} != {q} and ({e} - {q} != 16 "
                             f"or not _TIME_FULLMATCH(data, {q}, {e})): return None")
            lines.append(f"v{i} = data[{q}:{e}].decode('latin-1') if {e} != {q} else ''")
            values.append((f.name, f"v{i}"))
            lines.append(f"p{i} = {e} + 1")
            layout.append((f.name, q, f"p{i} - {q}"))
            base, k = f"p{i}", 0
        elif kind is OctetString:
            assert isinstance(f, OctetString)
            q = pin(i)
            lines.append(f"if {q} >= n: return None")
            lines.append(f"n{i} = data[{q}]")
            lines.append(f"p{i} = {q} + 1 + n{i}")
            lines.append(f"if p{i} > n or n{i} > {f.max}: return None")
            values.append((f.length_name, f"n{i}"))
            values.append((f.name, f"data[{q} + 1:p{i}]"))
            layout.append((f.length_name, q, "1"))
            layout.append((f.name, f"{q} + 1", f"n{i}"))
            base, k = f"p{i}", 0
        else:
            return None
        i += 1
    fields = ", ".join(f"{n!r}: {v}" for n, v in values)
    spans = ", ".join(f"({n!r}, {o}, {ln}, None)" for n, o, ln in layout)
    lines.append(f"return {at()}, {{{fields}}}, [{spans}]")
    src = f"def decode_{name}(data, n):\n" + "".join(f"    {line}\n" for line in lines)
    exec(compile(src, f"<smpp body plan: {name}>", "exec"), ns)  # noqa: S102 - our own source
    fn = ns[f"decode_{name}"]
    fn.source = src  # for tests and debugging
    return fn  # type: ignore[no-any-return]


def _takewhile_int(body: tuple[Field, ...], i: int) -> list[Int]:
    out: list[Int] = []
    while i < len(body) and type(body[i]) is Int:
        out.append(body[i])  # type: ignore[arg-type]
        i += 1
    return out
