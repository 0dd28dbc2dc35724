"""SMS text encoding and segmentation (GSM 7-bit, national shift tables, Latin-1, UCS2).

``split_text`` turns text into the parts an ESME submits: each with its encoded payload
(GSM 7-bit as one septet per byte, as SMPP carries it), its UDH, its SAR values and the
text it carries. An escape pair (GSM) or a surrogate pair (UCS2) is never split.

Part sizes (TS 23.040): one SMS carries 140 octets of user data = 160 septets / 70 UCS2
units / 140 octets. A UDH takes its octets out of that: concatenation with an 8-bit
reference (6 octets) leaves 153 / 67 / 134; each national language shift IE takes 3 more.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import ClassVar, Literal

from console import gsm7
from console.errors import EncodingError
from console.gsm7 import (
    IEI_CONCAT8,
    IEI_CONCAT16,
    TRANSLITERATIONS,
    Alphabet,
    DecodedText,
    dcs_alphabet,
    decode_payload,
    decode_text,
    fill_bits,
    parse_udh,
    septets_for_udh,
    transliterate,
    udh_concat,
)
from console.gsm7 import pack as gsm7_pack
from console.gsm7 import unpack as gsm7_unpack

__all__ = [
    "Concat",
    "DecodedText",
    "Encoding",
    "EncodingError",
    "Segment",
    "SplitResult",
    "TRANSLITERATIONS",
    "choose_encoding",
    "count_parts",
    "dcs_alphabet",
    "decode_payload",
    "decode_text",
    "encode_text",
    "gsm7_pack",
    "gsm7_unpack",
    "parse_udh",
    "reassemble",
    "split_bytes",
    "split_text",
    "transliterate",
    "ucs2_forcing",
    "udh_concat",
]

Concat = Literal["udh8", "udh16", "sar", "payload"]
_CONCATS = ("udh8", "udh16", "sar", "payload")
MAX_PARTS = 255
SMS_OCTETS = 140

Kind = Literal["GSM7", "LATIN1", "UCS2", "BINARY"]
_DATA_CODING: dict[str, int] = {"GSM7": 0x00, "LATIN1": 0x03, "UCS2": 0x08, "BINARY": 0x04}


@dataclass(frozen=True)
class Encoding:
    """An SMS encoding: GSM 7-bit (optionally with national shift tables), Latin-1, UCS2, 8-bit."""

    kind: Kind
    language: str | None = None  # TR / ES / PT for national shift tables (GSM7 only)
    single_shift: bool = False
    locking_shift: bool = False

    GSM7: ClassVar[Encoding]
    LATIN1: ClassVar[Encoding]
    UCS2: ClassVar[Encoding]
    BINARY: ClassVar[Encoding]

    def __post_init__(self) -> None:
        if self.kind not in _DATA_CODING:
            raise ValueError(f"unknown encoding kind {self.kind!r}")
        if self.kind != "GSM7" and (self.language or self.single_shift or self.locking_shift):
            raise ValueError("national language shift tables apply to GSM7 only")
        if self.language is not None:
            object.__setattr__(self, "language", gsm7.language(self.language).code)
        if (self.single_shift or self.locking_shift) and self.language is None:
            raise ValueError("a shift table needs a language (TR, ES or PT)")
        if self.language is not None and not (self.single_shift or self.locking_shift):
            raise ValueError("a language needs single_shift and/or locking_shift")
        if self.locking_shift and gsm7.language(self.language).locking is None:
            raise ValueError(f"{gsm7.language(self.language).name} has no locking shift table")

    @classmethod
    def parse(cls, value: str | Encoding) -> Encoding:
        """An encoding from a name: ``gsm7``, ``latin1``, ``ucs2``, ``binary`` (or a data_coding)."""
        if isinstance(value, Encoding):
            return value
        key = str(value).strip().upper().replace("-", "").replace("_", "")
        aliases = {"GSM7": "GSM7", "GSM": "GSM7", "GSM0338": "GSM7", "DEFAULT": "GSM7", "0": "GSM7",
                   "LATIN1": "LATIN1", "ISO88591": "LATIN1", "3": "LATIN1",
                   "UCS2": "UCS2", "UTF16": "UCS2", "UTF16BE": "UCS2", "UNICODE": "UCS2", "8": "UCS2",
                   "BINARY": "BINARY", "8BIT": "BINARY", "4": "BINARY", "2": "BINARY"}
        if key not in aliases:
            raise ValueError(f"unknown encoding {value!r} (gsm7, latin1, ucs2, binary)")
        return cls(aliases[key])  # type: ignore[arg-type]

    @property
    def data_coding(self) -> int:
        """The SMPP data_coding value (0 GSM7, 3 Latin-1, 8 UCS2, 4 8-bit binary)."""
        return _DATA_CODING[self.kind]

    @property
    def alphabet(self) -> Alphabet | None:
        """The GSM 7-bit alphabet (tables) of a GSM7 encoding, else None."""
        if self.kind != "GSM7":
            return None
        return gsm7.alphabet(self.language, self.single_shift, self.locking_shift)

    @property
    def udh_ies(self) -> bytes:
        """National language IEs (0x24 single shift, 0x25 locking shift) every part carries."""
        alpha = self.alphabet
        return alpha.udh_ies if alpha is not None else b""

    def flash_data_coding(self) -> int:
        """data_coding of a flash SMS (GSM message class 0): 0x10 GSM7, 0x18 UCS2, 0x14 8-bit."""
        if self.kind == "LATIN1":
            raise EncodingError("Latin-1 (data_coding 3) has no message class: flash needs GSM7 or UCS2")
        return {"GSM7": 0x10, "UCS2": 0x18, "BINARY": 0x14}[self.kind]

    @property
    def unit(self) -> str:
        """What lengths are counted in: septets, UCS2 code units or octets."""
        return {"GSM7": "septets", "UCS2": "UCS2 units"}.get(self.kind, "octets")

    @property
    def label(self) -> str:
        """Human name, e.g. ``GSM7``, ``GSM7 + Turkish single shift``, ``UCS2``."""
        if self.kind != "GSM7" or self.language is None:
            return {"LATIN1": "Latin-1"}.get(self.kind, self.kind)
        tables = [t for t, on in (("single", self.single_shift), ("locking", self.locking_shift)) if on]
        return f"GSM7 + {gsm7.language(self.language).name} {' + '.join(tables)} shift"

    def __str__(self) -> str:
        return self.label


Encoding.GSM7 = Encoding("GSM7")
Encoding.LATIN1 = Encoding("LATIN1")
Encoding.UCS2 = Encoding("UCS2")
Encoding.BINARY = Encoding("BINARY")


@dataclass(frozen=True)
class Segment:
    """One SMS part as an ESME submits it."""

    payload: bytes  # encoded body; GSM7 is one septet per byte, as SMPP carries it
    udh: bytes  # complete UDH (UDHL first) or b""
    text: str  # the characters this part carries
    sar: tuple[int, int, int] | None  # (sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)
    encoding: Encoding
    seq: int = 1  # 1-based position
    total: int = 1

    @property
    def data_coding(self) -> int:
        return self.encoding.data_coding

    @property
    def esm_class(self) -> int:
        """0x40 (UDHI) when the part carries a UDH, else 0."""
        return 0x40 if self.udh else 0x00

    @property
    def short_message(self) -> bytes:
        """UDH + payload: the SMPP short_message (or message_payload) octets."""
        return self.udh + self.payload

    @property
    def units(self) -> int:
        """Length of the body in the encoding's unit (septets, UCS2 units or octets)."""
        return len(self.payload) // 2 if self.encoding.kind == "UCS2" else len(self.payload)

    @property
    def tlvs(self) -> dict[str, int]:
        """The SAR TLV values of this part (empty unless SAR concatenation)."""
        if self.sar is None:
            return {}
        ref, total, seq = self.sar
        return {"sar_msg_ref_num": ref, "sar_total_segments": total, "sar_segment_seqnum": seq}

    def user_data(self) -> bytes:
        """TP-User-Data as on the air: UDH, then packed septets after fill bits (GSM7)."""
        if self.encoding.kind != "GSM7":
            return self.short_message
        return self.udh + gsm7_pack(self.payload, fill_bits(len(self.udh)) if self.udh else 0)

    @property
    def udl(self) -> int:
        """TP-User-Data-Length: septets (UDH included, with fill) for GSM7, else octets."""
        if self.encoding.kind == "GSM7":
            return (septets_for_udh(len(self.udh)) if self.udh else 0) + len(self.payload)
        return len(self.udh) + len(self.payload)


@dataclass(frozen=True)
class SplitResult:
    """The parts of a text and its counts (what the composer shows)."""

    text: str
    encoding: Encoding
    concat: Concat
    parts: list[Segment]
    sms_count: int  # SMS on the air (message_payload is one part here but N SMS)
    chars: int  # code points
    septets: int | None  # GSM7 only: escaped characters count two
    octets: int  # encoded body octets (GSM7: packed)
    units: int  # in encoding.unit
    per_part: int  # capacity of one part of a multipart message, in encoding.unit
    single_capacity: int  # capacity of a single-part message, in encoding.unit
    ref: int | None
    remaining: int  # units left in the last SMS before another one is needed
    ucs2_forcing: list[tuple[int, str]] = field(default_factory=list)

    @property
    def data_coding(self) -> int:
        return self.encoding.data_coding

    def escaped(self) -> list[tuple[int, str]]:
        """(index, char) of characters that cost two septets (shift table, ESC + code)."""
        alpha = self.encoding.alphabet
        if alpha is None:
            return []
        m = alpha.encode_map
        return [(i, c) for i, c in enumerate(self.text) if len(m[c]) == 2]

    def utf16_spans(self, items: Iterable[tuple[int, str]]) -> list[tuple[int, int]]:
        """(start, length) in UTF-16 code units of (index, char) items, for Qt text cursors."""
        out = []
        pos = units = 0
        for i, c in sorted(items):
            units += sum(2 if ord(ch) > 0xFFFF else 1 for ch in self.text[pos:i])
            pos = i
            out.append((units, 2 if ord(c) > 0xFFFF else 1))
        return out


# ---------------------------------------------------------------- encoding of characters


def _candidates(language: str | None, single_shift: bool | None,
                locking_shift: bool | None) -> list[Encoding]:
    """GSM7 variants allowed: the default alphabet, plus the language's shift tables.

    A flag True means that table must be used, False that it must not, None either.
    """
    out = [Encoding.GSM7]
    if not language:
        return out
    if str(language).upper() == "AUTODETECT":
        langs = [code for code in gsm7.languages() if code]
    else:
        langs = [gsm7.language(language).code]
    for code in langs:
        has_locking = gsm7.language(code).locking is not None
        for single in (True, False):
            for locking in (False, True):
                if not (single or locking) or (locking and not has_locking):
                    continue
                if single_shift is not None and single != single_shift:
                    continue
                if locking_shift is not None and locking != locking_shift:
                    continue
                out.append(Encoding("GSM7", code, single, locking))
    return out


def _misfits(text: str, enc: Encoding) -> list[tuple[int, str]]:
    alpha = enc.alphabet
    if alpha is not None:
        return alpha.misfits(text)
    if enc.kind == "LATIN1":
        return [(i, c) for i, c in enumerate(text) if ord(c) > 0xFF]
    if enc.kind == "UCS2":
        return [(i, c) for i, c in enumerate(text) if 0xD800 <= ord(c) <= 0xDFFF]
    return [(i, c) for i, c in enumerate(text) if ord(c) > 0xFF]  # BINARY: text as octets


def _describe(misfits: Sequence[tuple[int, str]]) -> str:
    seen: dict[str, list[int]] = {}
    for i, c in misfits:
        seen.setdefault(c, []).append(i)
    items = []
    for c, where in seen.items():
        pos = ", ".join(str(i) for i in where[:5]) + (", …" if len(where) > 5 else "")
        shown = c if c.isprintable() else ""
        items.append(f"{shown!r} U+{ord(c):04X} at {pos}" if shown else f"U+{ord(c):04X} at {pos}")
    return "; ".join(items)


def _encode(text: str, enc: Encoding) -> bytes:
    """Encoded text (GSM7: one septet per byte); EncodingError lists what does not fit."""
    try:
        alpha = enc.alphabet
        if alpha is not None:
            return alpha.encode(text)
        return text.encode("utf-16-be" if enc.kind == "UCS2" else "latin-1")
    except (KeyError, UnicodeEncodeError):
        raise EncodingError(f"text does not fit {enc.label}: {_describe(_misfits(text, enc))}") from None


def _cuts(data: bytes, enc: Encoding, cap: int) -> list[int]:
    """Byte offsets where ``data`` is cut into parts of at most ``cap`` units.

    A cut never falls inside an escape pair (GSM7: the encoder only emits 0x1B as the
    first septet of a pair) or a surrogate pair (UCS2: a high surrogate ends a part).
    """
    ucs2 = enc.kind == "UCS2"
    step = cap * 2 if ucs2 else cap
    gsm = enc.kind == "GSM7"
    cuts: list[int] = []
    pos, n = 0, len(data)
    while n - pos > step:
        cut = pos + step
        if gsm and data[cut - 1] == gsm7.ESCAPE:
            cut -= 1
        elif ucs2 and 0xD8 <= data[cut - 2] <= 0xDB:
            cut -= 2
        cuts.append(cut)
        pos = cut
    return cuts


def _chars_in(body: bytes, enc: Encoding) -> int:
    """Characters (code points) encoded in ``body``."""
    if enc.kind == "GSM7":
        return len(body) - body.count(gsm7.ESCAPE)
    if enc.kind == "UCS2":
        high = body[0::2]
        return len(high) - sum(high.count(b) for b in (0xD8, 0xD9, 0xDA, 0xDB))
    return len(body)


def encode_text(text: str, encoding: Encoding | str | None = None) -> bytes:
    """Encoded octets of ``text`` (GSM7: one septet per byte); chooses the encoding if None."""
    auto = encoding is None or (isinstance(encoding, str) and encoding.lower() == "auto")
    enc = choose_encoding(text) if auto else Encoding.parse(encoding)  # type: ignore[arg-type]
    return _encode(text, enc)


def ucs2_forcing(text: str, language: str | None = None, *, single_shift: bool | None = None,
                 locking_shift: bool | None = None) -> list[tuple[int, str]]:
    """(index, char) of every character that keeps ``text`` out of GSM 7-bit.

    With a language, the GSM7 variant that fits most of the text is the reference.
    """
    best: list[tuple[int, str]] | None = None
    for enc in _candidates(language, single_shift, locking_shift):
        miss = _misfits(text, enc)
        if best is None or len(miss) < len(best):
            best = miss
        if not best:
            break
    return best or []


def _gsm_cost(enc: Encoding, text: str, concat: Concat = "udh8") -> tuple[int, int] | None:
    """(sms count, septets incl. UDH) of text in a GSM7 variant, None if it does not fit."""
    alpha = enc.alphabet
    assert alpha is not None
    try:
        data = alpha.encode(text)
    except KeyError:
        return None
    single_cap, per_part = _capacities(enc, concat)
    n = 1 if len(data) <= single_cap else len(_cuts(data, enc, per_part)) + 1
    return n, len(data) + n * (160 - (single_cap if n == 1 else per_part))


def choose_encoding(text: str, language: str | None = None, *, single_shift: bool | None = None,
                    locking_shift: bool | None = None, allow_latin1: bool = False,
                    concat: Concat = "udh8") -> Encoding:
    """The encoding that sends ``text`` in the fewest SMS (then fewest septets).

    GSM7 first; with ``language`` (TR, ES, PT or AUTODETECT) also its national shift tables
    (``single_shift``/``locking_shift``: True = use, False = do not use, None = either);
    Latin-1 only when ``allow_latin1`` (SMPP data_coding 3); UCS2 otherwise.
    """
    if not language and set(text).issubset(gsm7.alphabet().encode_map):
        return Encoding.GSM7
    best: tuple[tuple[int, int], Encoding] | None = None
    for enc in _candidates(language, single_shift, locking_shift) if language else ():
        cost = _gsm_cost(enc, text, concat)
        if cost is not None and (best is None or cost < best[0]):
            best = (cost, enc)
    if best is not None:
        return best[1]
    if allow_latin1 and all(ord(c) <= 0xFF for c in text):
        return Encoding.LATIN1
    return Encoding.UCS2


# ---------------------------------------------------------------- segmentation


def _concat_ie_len(concat: Concat) -> int:
    # SAR and message_payload leave the UDH to the SMSC, which adds an 8-bit reference IE
    return 6 if concat == "udh16" else 5


@cache
def _capacities(enc: Encoding, concat: Concat) -> tuple[int, int]:
    """(single-part capacity, per-part capacity) in the encoding's unit."""
    nli = len(enc.udh_ies)
    single_udh = nli + 1 if nli else 0
    multi_udh = 1 + nli + _concat_ie_len(concat)
    if enc.kind == "GSM7":
        single = 160 - (septets_for_udh(single_udh) if single_udh else 0)
        return single, 160 - septets_for_udh(multi_udh)
    if enc.kind == "UCS2":
        return (SMS_OCTETS - single_udh) // 2, (SMS_OCTETS - multi_udh) // 2
    return SMS_OCTETS - single_udh, SMS_OCTETS - multi_udh


def _resolve(text: str, encoding: Encoding | str | None, language: str | None,
             single_shift: bool | None, locking_shift: bool | None, allow_latin1: bool,
             concat: Concat) -> Encoding:
    if encoding is None or (isinstance(encoding, str) and encoding.lower() == "auto"):
        return choose_encoding(text, language, single_shift=single_shift,
                               locking_shift=locking_shift, allow_latin1=allow_latin1,
                               concat=concat)
    enc = Encoding.parse(encoding)
    if enc.kind == "GSM7" and enc.language is None and language:
        # GSM7 asked for with a language: the best GSM7 variant of that language
        fitting = [e for e in _candidates(language, single_shift, locking_shift)
                   if _gsm_cost(e, text, concat) is not None]
        if not fitting:
            miss = ucs2_forcing(text, language, single_shift=single_shift, locking_shift=locking_shift)
            raise EncodingError(f"text does not fit GSM7 with language {language}: {_describe(miss)}")
        return min(fitting, key=lambda e: _gsm_cost(e, text, concat) or (0, 0))
    return enc


def split_text(text: str, encoding: Encoding | str | None = None, *, concat: Concat = "udh8",
               language: str | None = None, single_shift: bool | None = None,
               locking_shift: bool | None = None, ref: int | None = None,
               allow_latin1: bool = False) -> SplitResult:
    """Encode ``text`` and cut it into SMS parts.

    ``encoding`` None/"auto" picks the smallest (see ``choose_encoding``); an explicit one
    raises EncodingError listing the characters that do not fit. ``concat``: ``udh8``/``udh16``
    (concatenation IE 0x00/0x08 in a UDH), ``sar`` (SAR TLV values, no UDH) or ``payload``
    (one message_payload; the SMSC splits). ``ref`` is the concatenation reference (random
    if None).
    """
    if concat not in _CONCATS:
        raise ValueError(f"concat must be one of {', '.join(_CONCATS)}, not {concat!r}")
    enc = _resolve(text, encoding, language, single_shift, locking_shift, allow_latin1, concat)
    data = _encode(text, enc)
    width = 2 if enc.kind == "UCS2" else 1
    units = len(data) // width
    single_cap, per_part = _capacities(enc, concat)
    nli = enc.udh_ies
    multi = units > single_cap
    bounds = [0, *_cuts(data, enc, per_part), len(data)] if multi else [0, len(data)]
    sms_count = len(bounds) - 1
    if sms_count > MAX_PARTS:
        raise EncodingError(f"text needs {sms_count} SMS parts; concatenation allows at most {MAX_PARTS}")
    ref_max = 0xFFFF if concat in ("udh16", "sar") else 0xFF
    if multi and concat != "payload":
        if ref is None:
            ref = random.randint(1, ref_max)
        elif not 0 <= ref <= ref_max:
            raise ValueError(f"concatenation reference must be 0..{ref_max} for {concat}")
    else:
        ref = None
    parts: list[Segment] = []
    if concat == "payload" and multi:
        udh = bytes((len(nli),)) + nli if nli else b""
        parts.append(Segment(data, udh, text, None, enc, 1, 1))
    else:
        pos = 0
        for seq in range(1, sms_count + 1):
            body = data[bounds[seq - 1]:bounds[seq]]
            chars = _chars_in(body, enc) if sms_count > 1 else len(text)
            chunk_text = text[pos:pos + chars]
            pos += chars
            ies, sar = nli, None
            if multi and concat == "udh8":
                assert ref is not None
                ies = bytes((IEI_CONCAT8, 3, ref, sms_count, seq)) + nli
            elif multi and concat == "udh16":
                assert ref is not None
                ies = bytes((IEI_CONCAT16, 4, ref >> 8, ref & 0xFF, sms_count, seq)) + nli
            elif multi and concat == "sar":
                assert ref is not None
                sar = (ref, sms_count, seq)
            udh = bytes((len(ies),)) + ies if ies else b""
            parts.append(Segment(body, udh, chunk_text, sar, enc, seq, sms_count if multi else 1))
    is_gsm = enc.kind == "GSM7"
    return SplitResult(
        text=text, encoding=enc, concat=concat, parts=parts, sms_count=sms_count,
        chars=len(text), septets=units if is_gsm else None,
        octets=(units * 7 + 7) // 8 if is_gsm else units * width, units=units,
        per_part=per_part, single_capacity=single_cap, ref=ref,
        remaining=(per_part if multi else single_cap) - (bounds[-1] - bounds[-2]) // width,
        ucs2_forcing=ucs2_forcing(text, language, single_shift=single_shift,
                                  locking_shift=locking_shift)
        if enc.kind in ("UCS2", "LATIN1") else [],
    )


def split_bytes(data: bytes, *, concat: Concat = "udh8", ref: int | None = None) -> list[Segment]:
    """Cut 8-bit binary data (data_coding 4) into parts of 140 octets / 134 with a UDH."""
    text = data.decode("latin-1")
    return split_text(text, Encoding.BINARY, concat=concat, ref=ref).parts


def _seq_of(seg: Segment) -> tuple[int, int]:
    info = udh_concat(seg.udh)
    if info is not None:
        return info[0], info[2]
    if seg.sar is not None:
        return seg.sar[0], seg.sar[2]
    return 0, seg.seq


def reassemble(parts: Iterable[Segment]) -> str:
    """Text of parts (any order) decoded from their bytes, ordered by UDH or SAR sequence."""
    ordered = sorted(parts, key=_seq_of)
    out = []
    for seg in ordered:
        if seg.encoding.kind == "BINARY":
            out.append(seg.payload.decode("latin-1"))
        else:
            out.append(decode_payload(seg.payload, seg.data_coding, seg.udh))
    return "".join(out)


# ---------------------------------------------------------------- HTTP API helpers

def count_parts(text: str, language_code: str | None = None, single_shift: bool = False,
                locking_shift: bool = False, transliteration: str | None = None) -> int:
    """smsCount the HTTP API reports for ``text`` with its language/transliteration options.

    ``language_code`` TR/ES/PT (or AUTODETECT) allows that language's shift tables: the ones
    flagged, or both when neither flag is set; the cheapest fitting encoding wins.
    """
    if transliteration:
        text = transliterate(text, transliteration)
    flags_given = single_shift or locking_shift
    enc = choose_encoding(text, language_code,
                          single_shift=single_shift if flags_given else None,
                          locking_shift=locking_shift if flags_given else None)
    return split_text(text, enc, ref=1).sms_count
