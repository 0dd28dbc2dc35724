"""Bytes ↔ PDU objects for every SMPP 3.4 PDU, with the byte span of every field (sans-IO).

``decode_pdu`` never raises for what it finds inside a PDU: spec violations become
``Pdu.warnings``. It raises :class:`~console.errors.DecodeError` only when the bytes are not
one PDU (shorter than the header, or command_length disagreeing with the data).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from console.errors import DecodeError
from console.smpp.fields import PduError, compile_body
from console.smpp.pdus import BY_ID, BY_NAME, RESPONSE_BIT, PduType
from console.smpp.tlv import Tlv, decode_tlvs

if TYPE_CHECKING:
    from console.smpp.message import Message

HEADER = struct.Struct(">IIII")
HEADER_FIELDS = ("command_length", "command_id", "command_status", "sequence_number")


class FieldSpan:
    """One field as the inspector shows it: where it is in the PDU and what it means.

    ``offset`` is from the first byte of the PDU; ``value`` the Python value; ``display`` the
    value as text; ``meaning`` its name/explanation from the reference tables (may be "");
    ``children`` the parts inside it (TLV tag/length/value, UDH IEs, destinations);
    ``warning`` the spec violation found in it, if any. ``lazy(span)``, when given, fills in
    children and meaning; the decoder's spans run it on first access (so decoding stays fast
    when nobody opens the tree), a span built by hand runs it at once.
    """

    __slots__ = ("name", "offset", "length", "value", "display", "meaning", "children",
                 "warning")

    def __init__(self, name: str, offset: int, length: int, value: Any, display: str = "",
                 meaning: str = "", children: list[FieldSpan] | None = None,
                 warning: str | None = None,
                 lazy: Callable[[FieldSpan], None] | None = None) -> None:
        self.name = name
        self.offset = offset
        self.length = length
        self.value = value
        self.display = display
        self.meaning = meaning
        self.children = [] if children is None else children
        self.warning = warning
        if lazy is not None:
            lazy(self)

    @property
    def end(self) -> int:
        return self.offset + self.length

    def find(self, name: str) -> FieldSpan | None:
        """This span or the first descendant called ``name``."""
        if self.name == name:
            return self
        for c in self.children:
            hit = c.find(name)
            if hit is not None:
                return hit
        return None

    def to_json(self) -> dict[str, Any]:
        """name, offset, length, display, meaning, warning and children (JSON-safe)."""
        out: dict[str, Any] = {"name": self.name, "offset": self.offset, "length": self.length,
                               "display": self.display, "meaning": self.meaning}
        if self.warning:
            out["warning"] = self.warning
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSpan):
            return NotImplemented
        return (self.name, self.offset, self.length, self.value, self.display, self.meaning,
                self.children, self.warning) == (other.name, other.offset, other.length,
                                                 other.value, other.display, other.meaning,
                                                 other.children, other.warning)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"FieldSpan({self.name!r}, offset={self.offset}, length={self.length}, "
                f"display={self.display!r}, meaning={self.meaning!r})")


class LazySpan(FieldSpan):
    """A FieldSpan whose children and meaning are computed when first read.

    Only spans with costly insides are lazy (a TLV's tag/length/value parts, the UDH and text
    of short_message); every other span's attributes are plain slots.
    """

    # the base class's meaning/children slots stay unused: properties over these replace them
    __slots__ = ("_lazy", "_meaning", "_children")

    def __init__(self, name: str, offset: int, length: int, value: Any, display: str,
                 meaning: str, warning: str | None,
                 lazy: Callable[[FieldSpan], None]) -> None:
        self.name = name
        self.offset = offset
        self.length = length
        self.value = value
        self.display = display
        self._meaning = meaning
        self._children: list[FieldSpan] = []
        self.warning = warning
        self._lazy: Callable[[FieldSpan], None] | None = lazy

    @property  # type: ignore[override]
    def children(self) -> list[FieldSpan]:
        lazy = self._lazy
        if lazy is not None:
            self._lazy = None
            lazy(self)
        return self._children

    @children.setter
    def children(self, value: list[FieldSpan]) -> None:
        self._children = value

    @property  # type: ignore[override]
    def meaning(self) -> str:
        lazy = self._lazy
        if lazy is not None:
            self._lazy = None
            lazy(self)
        return self._meaning

    @meaning.setter
    def meaning(self, value: str) -> None:
        self._meaning = value


_build_spans: list[Callable[[Pdu], list[FieldSpan]]] = []


def _renderer() -> Callable[[Pdu], list[FieldSpan]]:
    """render.build_spans, imported once (render imports this module)."""
    if not _build_spans:
        from console.smpp.render import build_spans

        _build_spans.append(build_spans)
    return _build_spans[0]


def command_name(command_id: int) -> str:
    """``submit_sm`` for 0x00000004; ``unknown (0x…)`` for an id SMPP 3.4 does not define."""
    t = BY_ID.get(command_id)
    return t.name if t is not None else f"unknown (0x{command_id:08X})"


def command_id_of(name: str) -> int:
    """The command id of a PDU name (also accepts ``unknown (0x…)``); PduError when unknown."""
    t = BY_NAME.get(name)
    if t is not None:
        return t.command_id
    if name.startswith("unknown (0x") and name.endswith(")"):
        return int(name[9:-1], 16)
    raise PduError(f"unknown SMPP command {name!r}")


class Pdu:
    """One SMPP PDU: header, body fields (by their SMPP 3.4 names) and TLVs.

    Built by hand (``Pdu("submit_sm", fields={...})``) or by :func:`decode_pdu`, which also
    fills ``raw``, ``warnings`` and the layout behind ``spans``. A PDU of an unknown command
    keeps its body as ``fields["body"]`` (bytes).
    """

    __slots__ = ("command", "command_id", "command_status", "sequence_number", "fields", "tlvs",
                 "warnings", "_raw", "_layout", "_spans", "_message")

    def __init__(self, command: str | int, sequence_number: int = 0,
                 fields: dict[str, Any] | None = None, tlvs: list[Tlv] | None = None,
                 command_status: int = 0, command_id: int | None = None) -> None:
        if isinstance(command, int):
            command_id, command = command, command_name(command)
        elif not command_id:
            command_id = command_id_of(command)
        self.command: str = command
        self.command_id: int = command_id
        self.command_status = command_status
        self.sequence_number = sequence_number
        self.fields: dict[str, Any] = dict(fields) if fields else {}
        self.tlvs: list[Tlv] = list(tlvs) if tlvs else []
        self.warnings: list[str] = []
        self._raw: bytes | None = None
        self._layout: list[Any] | None = None
        self._spans: list[FieldSpan] | None = None
        self._message: Any = None

    # ------------------------------------------------------------------ derived views
    @property
    def type(self) -> PduType | None:
        """The PDU declaration (None for an unknown command id)."""
        return BY_ID.get(self.command_id)

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)

    @property
    def status_name(self) -> str:
        """Name of command_status from the reference table (``ESME_ROK``, ``ESME_RINVDSTADR``…)."""
        from console.smpp.render import status_name

        return status_name(self.command_status)

    @property
    def raw(self) -> bytes:
        """The wire bytes: as decoded, or the encoding of this (built) PDU."""
        return self._raw if self._raw is not None else encode_pdu(self)

    @property
    def spans(self) -> list[FieldSpan]:
        """Header fields, body fields and TLVs with their byte spans, names and meanings."""
        if self._spans is None:
            if self._layout is None:
                return decode_pdu(encode_pdu(self)).spans
            self._spans = _renderer()(self)
        return self._spans

    @property
    def message(self) -> Message:
        """short_message / message_payload decoded by data_coding, with its UDH."""
        if self._message is None:
            from console.smpp.message import decode_message

            self._message = decode_message(self)
        return self._message

    def tlv(self, tag: int | str) -> Tlv | None:
        """The first TLV with ``tag`` (number or name), or None."""
        from console.smpp.tlv import tag_of

        t = tag_of(tag)
        for x in self.tlvs:
            if x.tag == t:
                return x
        return None

    def span(self, name: str) -> FieldSpan | None:
        """The first span (at any depth) called ``name``."""
        for s in self.spans:
            hit = s.find(name)
            if hit is not None:
                return hit
        return None

    # ------------------------------------------------------------------ building
    def encode(self) -> bytes:
        """The wire bytes of this PDU (command_length computed)."""
        return encode_pdu(self)

    def response(self, status: int = 0, **fields: Any) -> Pdu:
        """The matching ``*_resp`` with the same sequence number."""
        t = self.type
        name = t.response_name if t is not None else None
        if name is None:
            raise PduError(f"{self.command} has no response PDU")
        return Pdu(name, self.sequence_number, fields, None, status)

    @property
    def summary(self) -> str:
        """One line for a PDU list (see :func:`console.smpp.render.summary`)."""
        from console.smpp.render import summary

        return summary(self)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict (see :func:`console.smpp.render.pdu_to_json`)."""
        from console.smpp.render import pdu_to_json

        return pdu_to_json(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pdu):
            return NotImplemented
        return encode_pdu(self) == encode_pdu(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        status = f", status=0x{self.command_status:08X}" if self.command_status else ""
        tl = f", tlvs={self.tlvs!r}" if self.tlvs else ""
        return f"Pdu({self.command!r}, seq={self.sequence_number}{status}, fields={self.fields!r}{tl})"


def encode_pdu(pdu: Pdu) -> bytes:
    """Encode a PDU; missing body fields get their defaults ("" / 0), lengths are computed."""
    t = BY_ID.get(pdu.command_id)
    fields = pdu.fields
    if t is None:
        body = bytes(fields.get("body") or b"")
    elif not t.body or (t.is_response and pdu.command_status and not fields and not pdu.tlvs):
        body = b""  # error responses carry no body (SMPP 3.4 4.4.2)
    else:
        if not fields.keys() <= _field_names(t.command_id):
            unknown = sorted(fields.keys() - _field_names(t.command_id))
            raise PduError(f"{t.name} has no field {', '.join(map(repr, unknown))}; its fields "
                           f"are {', '.join(sorted(_field_names(t.command_id)))} (TLVs go in tlvs)")
        body = b"".join([f.encode(fields) for f in t.body])
    if pdu.tlvs:
        body += b"".join([x.encode() for x in pdu.tlvs])
    return HEADER.pack(16 + len(body), pdu.command_id, pdu.command_status & 0xFFFFFFFF,
                       pdu.sequence_number & 0xFFFFFFFF) + body


@cache
def _field_names(command_id: int) -> frozenset[str]:
    """Every body field name a PDU of ``command_id`` may carry in ``fields``."""
    return frozenset(n for f in BY_ID[command_id].body for n in f.names())


def _plans() -> dict[int, tuple[PduType, Callable[[bytes, int], Any] | None]]:
    """Each command id's declaration and compiled body decoder (None: descriptors only)."""
    return {t.command_id: (t, compile_body(t.name, t.body) if t.body else None)
            for t in BY_ID.values()}


_PLANS = _plans()


def decode_body(t: PduType, data: bytes, n: int,
                warnings: list[str]) -> tuple[int, dict[str, Any], list[Any]]:
    """(next position, fields, layout) of the body of ``t`` in ``data[16:n]`` by the field
    descriptors, one after the other; what they find wrong goes to ``warnings``.

    The reference the compiled plans are tested against, and what decodes a body the plan
    declines (a missing NUL, a field too long, a reserved value…).
    """
    fields: dict[str, Any] = {}
    layout: list[Any] = []
    pos = 16
    for f in t.body:
        if pos >= n:
            warnings.append(f"body ends before {f.name}")
            break
        pos = f.decode(data, pos, n, fields, layout, warnings)
    return pos, fields, layout
_unpack_header = HEADER.unpack_from


def decode_pdu(data: bytes | bytearray | memoryview) -> Pdu:
    """Decode one whole PDU (header included); DecodeError only when the bytes are not one PDU.

    ``raw`` keeps the exact bytes; ``encode()`` re-serialises the decoded values (computing
    lengths and adding missing NULs), so a malformed PDU's ``encode()`` may differ from ``raw``.
    """
    n = len(data)
    if n < 16:
        raise DecodeError(f"{n} bytes are shorter than the 16-byte SMPP header")
    length, cid, status, seq = _unpack_header(data)
    if length != n:
        raise DecodeError(f"command_length says {length} bytes, {n} given")
    if data.__class__ is not bytes:
        data = bytes(data)
    pdu = Pdu.__new__(Pdu)
    warnings: list[str] = []
    tlvs: list[Tlv] = []
    plan = _PLANS.get(cid)
    if plan is None:
        fields: dict[str, Any] = {}
        layout: list[Any] = []
        pdu.command = f"unknown (0x{cid:08X})"
        warnings.append(f"command_id 0x{cid:08X} is not an SMPP 3.4 command")
        if n > 16:
            fields["body"] = data[16:]
            layout.append(("body", 16, n - 16, None))
    else:
        t, fast = plan
        pdu.command = t.name
        is_resp = cid & RESPONSE_BIT
        if status and not is_resp:
            warnings.append(f"command_status 0x{status:08X} in a request (must be 0)")
        if is_resp and status and n == 16:  # an error response without a body
            pos, fields, layout = 16, {}, []
        else:  # the compiled plan when every field is well-formed, else the descriptors
            decoded = fast(data, n) if fast is not None else None
            if decoded is None:
                decoded = decode_body(t, data, n, warnings)
            pos, fields, layout = decoded
        if pos < n:
            if not t.tlvs:
                warnings.append(f"{n - pos} octet(s) after the {t.name} body "
                                "(SMPP 3.4 defines no TLVs here)")
            tlvs, stop = decode_tlvs(data, pos, n, warnings)
            if stop < n:
                layout.append(("trailing", stop, n - stop, None))
        if t.check is not None:
            problems = t.check(fields, tlvs)
            if problems:
                warnings.extend(problems)
    pdu.command_id = cid
    pdu.command_status = status
    pdu.sequence_number = seq
    pdu.fields = fields
    pdu.tlvs = tlvs
    pdu.warnings = warnings
    pdu._raw = data
    pdu._layout = layout
    pdu._spans = None
    pdu._message = None
    return pdu


def decode_all(data: bytes | bytearray | str) -> list[Pdu]:
    """Every PDU in ``data`` (bytes or hex text, PDUs back to back); DecodeError for leftovers."""
    from console.smpp.framer import Framer

    if isinstance(data, str):
        try:
            data = bytes.fromhex("".join(data.replace("0x", "").split()))
        except ValueError as exc:
            raise DecodeError(f"not hex: {exc}") from None
    framer = Framer(max_length=max(len(data), 16))
    pdus = [decode_pdu(raw) for raw in framer.feed(data)]
    if framer.buffered:
        raise DecodeError(f"{framer.buffered} byte(s) at the end do not form a whole PDU")
    return pdus
