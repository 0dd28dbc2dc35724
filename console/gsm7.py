"""GSM 03.38 / 3GPP TS 23.038 7-bit alphabets and septet packing.

The character tables (default alphabet, extension table and the Turkish, Spanish and
Portuguese national language shift tables) are data in ``resources/encoding/gsm7.json``;
this module builds lookup maps from them, packs septets, reads UDH information elements,
decodes received payloads (``decode_text``/``decode_payload``) and transliterates text to
GSM-representable characters (tables in ``resources/encoding/transliteration.json``).
``console.encoding`` re-exports the public names.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from console.errors import DecodeError, ReferenceError_
from console.paths import RESOURCES

ESCAPE = 0x1B
IEI_CONCAT8 = 0x00
IEI_CONCAT16 = 0x08
IEI_SINGLE_SHIFT = 0x24
IEI_LOCKING_SHIFT = 0x25

_TABLES_FILE = RESOURCES / "encoding" / "gsm7.json"


@dataclass(frozen=True)
class Language:
    """One national language of TS 23.038 annex A (or the default alphabet, code ``None``)."""

    code: str | None
    nli: int
    name: str
    locking: dict[int, str] | None  # septet -> char; None when the language has no locking table
    single: dict[int, str]


@cache
def _raw() -> dict[str, Any]:
    try:
        return json.loads(_TABLES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # a packaging fault, not a user error
        raise ReferenceError_(f"cannot load GSM 7-bit tables from {_TABLES_FILE}: {exc}") from exc


def _codes(table: dict[str, str] | None) -> dict[int, str] | None:
    if table is None:
        return None
    return {int(k, 16): v for k, v in table.items()}


@cache
def languages() -> dict[str | None, Language]:
    """Every table set by language code (``None`` = GSM default alphabet), in NLI order."""
    out: dict[str | None, Language] = {}
    for t in _raw()["tables"]:
        single = _codes(t["single"])
        assert single is not None
        out[t["code"]] = Language(t["code"], t["nli"], t["name"], _codes(t["locking"]), single)
    return out


def language(code: str | None) -> Language:
    """The table set of a language code (``TR``, ``ES``, ``PT``; case-insensitive) or the default."""
    langs = languages()
    if code is not None and not isinstance(code, str):
        raise ValueError(f"a language code is a string like 'TR', not {type(code).__name__}")
    key = code.strip().upper() or None if isinstance(code, str) else None
    if key not in langs:
        known = ", ".join(str(k) for k in langs if k)
        raise ValueError(f"unknown language code {code!r} (known: {known})")
    return langs[key]


def language_by_nli(nli: int) -> Language | None:
    """The table set of a National Language Identifier, or None when we do not have it."""
    for lang in languages().values():
        if lang.nli == nli:
            return lang
    return None


@dataclass(frozen=True)
class Alphabet:
    """A usable GSM 7-bit alphabet: one locking (main) table plus one single shift table.

    ``encode_map`` maps each character to its septets: one byte, or ``ESC`` + code for
    characters of the shift table (two septets).
    """

    locking_nli: int
    single_nli: int
    encode_map: dict[str, bytes] = field(repr=False)
    main: tuple[str | None, ...] = field(repr=False)
    shift: dict[int, str] = field(repr=False)

    @property
    def udh_ies(self) -> bytes:
        """The national language information elements this alphabet needs in the UDH."""
        ies = b""
        if self.single_nli:
            ies += bytes((IEI_SINGLE_SHIFT, 1, self.single_nli))
        if self.locking_nli:
            ies += bytes((IEI_LOCKING_SHIFT, 1, self.locking_nli))
        return ies

    def misfits(self, text: str) -> list[tuple[int, str]]:
        """(index, char) of every character this alphabet cannot encode."""
        m = self.encode_map
        return [(i, c) for i, c in enumerate(text) if c not in m]

    def encode(self, text: str) -> bytes:
        """Septets of ``text``, one per byte (escaped characters take two). KeyError if unmappable."""
        return b"".join(map(self.encode_map.__getitem__, text))

    def decode(self, septets: bytes) -> str:
        """Text of septets given one per byte.

        As TS 23.038 asks of receivers, an escape to an undefined shift code shows the
        main-table character, and a trailing or doubled escape shows a space.
        """
        out: list[str] = []
        main, shift = self.main, self.shift
        i, n = 0, len(septets)
        while i < n:
            s = septets[i] & 0x7F
            i += 1
            if s == ESCAPE:
                if i >= n:
                    out.append(" ")
                    break
                code = septets[i] & 0x7F
                i += 1
                if code == ESCAPE:
                    out.append(" ")
                    continue
                ch = shift.get(code)
                out.append(ch if ch is not None else (main[code] or " "))
            else:
                out.append(main[s] or " ")
        return "".join(out)


@cache
def alphabet(language_code: str | None = None, single_shift: bool = False,
             locking_shift: bool = False) -> Alphabet:
    """The alphabet of a language with its single and/or locking shift table switched on.

    Without a language (or with both flags off) this is the GSM default alphabet with its
    extension table. Spanish has no locking shift table: asking for it raises ValueError.
    """
    default = language(None)
    lang = language(language_code)
    if lang.code is None:
        single_shift = locking_shift = False
    if locking_shift and lang.locking is None:
        raise ValueError(f"{lang.name} has no locking shift table (TS 23.038 defines none)")
    main_table = lang.locking if locking_shift and lang.locking is not None else default.locking
    shift_table = lang.single if single_shift else default.single
    assert main_table is not None
    encode_map: dict[str, bytes] = {}
    # shift characters first so that a character present in both tables uses one septet
    for code, ch in shift_table.items():
        encode_map[ch] = bytes((ESCAPE, code))
    for code, ch in main_table.items():
        encode_map[ch] = bytes((code,))
    main = tuple(main_table.get(i) for i in range(128))
    return Alphabet(lang.nli if locking_shift else 0, lang.nli if single_shift else 0,
                    encode_map, main, dict(shift_table))


def alphabet_for_nli(single_nli: int = 0, locking_nli: int = 0) -> Alphabet:
    """The alphabet a receiver uses for the NLI values found in a UDH (unknown → default)."""
    single = language_by_nli(single_nli) if single_nli else None
    locking = language_by_nli(locking_nli) if locking_nli else None
    if locking is not None and locking.locking is None:
        locking = None
    if single is not None and locking is not None and single.code != locking.code:
        # mixed languages: build from the two halves directly
        base = alphabet(locking.code, False, True)
        other = alphabet(single.code, True, False)
        encode_map = {ch: bytes((ESCAPE, c)) for c, ch in other.shift.items()}
        encode_map.update({ch: bytes((c,)) for c, ch in enumerate(base.main) if ch is not None})
        return Alphabet(locking.nli, single.nli, encode_map, base.main, other.shift)
    code = (locking or single).code if (locking or single) else None
    return alphabet(code, single is not None, locking is not None)


def septets_for_udh(udh_len: int) -> int:
    """Septets a UDH of ``udh_len`` octets (UDHL included) occupies, fill bits included."""
    return (udh_len * 8 + 6) // 7


def fill_bits(udh_len: int) -> int:
    """Fill bits after a UDH of ``udh_len`` octets so the first septet starts on a septet boundary."""
    return (7 - (udh_len * 8) % 7) % 7


def pack(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets (one per byte) into octets, LSB first, after ``fill_bits`` zero bits."""
    if not 0 <= fill_bits <= 6:
        raise ValueError("fill bits must be 0..6")
    out = bytearray()
    acc = 0
    nbits = fill_bits
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        if nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits > 0 and (septets or fill_bits):
        out.append(acc & 0xFF)
    return bytes(out)


def unpack(data: bytes, count: int | None = None, fill_bits: int = 0) -> bytes:
    """Unpack ``count`` septets (default: as many as fit) from octets after ``fill_bits`` bits."""
    if not 0 <= fill_bits <= 6:
        raise ValueError("fill bits must be 0..6")
    available = max(0, (len(data) * 8 - fill_bits) // 7)
    if count is None:
        count = available
    elif count > available:
        raise DecodeError(f"{len(data)} octets hold {available} septets, {count} announced")
    value = int.from_bytes(data, "little") >> fill_bits
    return bytes((value >> (7 * i)) & 0x7F for i in range(count))


# ---------------------------------------------------------------- receiving side


def parse_udh(udh: bytes) -> list[tuple[int, bytes]]:
    """Information elements (iei, data) of a UDH given with its UDHL octet."""
    if not udh:
        return []
    end = 1 + udh[0]
    if end > len(udh):
        raise DecodeError(f"UDH length {udh[0]} exceeds the {len(udh) - 1} octets present")
    ies: list[tuple[int, bytes]] = []
    i = 1
    while i < end:
        if i + 2 > end:
            raise DecodeError(f"truncated information element at UDH offset {i}")
        iei, ln = udh[i], udh[i + 1]
        if i + 2 + ln > end:
            raise DecodeError(f"IE 0x{iei:02X} length {ln} runs past the UDH")
        ies.append((iei, bytes(udh[i + 2:i + 2 + ln])))
        i += 2 + ln
    return ies


def udh_concat(udh: bytes) -> tuple[int, int, int] | None:
    """(reference, total, sequence) of a concatenation IE (0x00 or 0x08) in a UDH."""
    for iei, data in parse_udh(udh):
        if iei == IEI_CONCAT8 and len(data) == 3:
            return data[0], data[1], data[2]
        if iei == IEI_CONCAT16 and len(data) == 4:
            return (data[0] << 8) | data[1], data[2], data[3]
    return None


def _udh_alphabet(udh: bytes | None) -> Alphabet:
    single = locking = 0
    for iei, data in parse_udh(udh or b""):
        if iei == IEI_SINGLE_SHIFT and len(data) == 1:
            single = data[0]
        elif iei == IEI_LOCKING_SHIFT and len(data) == 1:
            locking = data[0]
    return alphabet_for_nli(single, locking)


def dcs_alphabet(data_coding: int) -> str:
    """The alphabet a data_coding value means: GSM7, LATIN1, UCS2, BINARY, or a codec name.

    SMPP 3.4 values 0–14, plus the GSM 03.38 coding groups SMSCs also accept (0x10–0x3F,
    0xC0–0xFF). Infobip treats 0 and 1 both as GSM 7-bit.
    """
    smpp = {0: "GSM7", 1: "GSM7", 2: "BINARY", 3: "LATIN1", 4: "BINARY", 5: "shift_jis",
            6: "iso8859_5", 7: "iso8859_8", 8: "UCS2", 9: "BINARY", 10: "iso2022_jp",
            13: "euc_jis_2004", 14: "euc_kr"}
    if data_coding in smpp:
        return smpp[data_coding]
    group = data_coding >> 4
    if 0x1 <= group <= 0x7:  # general data coding (groups 4-7: marked for auto-deletion)
        return ("GSM7", "BINARY", "UCS2", "BINARY")[(data_coding >> 2) & 0x3]
    if group in (0xC, 0xD):
        return "GSM7"
    if group == 0xE:
        return "UCS2"
    if group == 0xF:
        return "BINARY" if data_coding & 0x04 else "GSM7"
    return "BINARY"


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from a payload, with how it was read."""

    text: str
    alphabet: str
    udh: bytes
    binary: bool  # True when the data coding is not text (text then shows the octets as hex)


def decode_text(data: bytes, data_coding: int, udh: bytes | None = None, *, udhi: bool = False,
                packed: bool = False, septets: int | None = None) -> DecodedText:
    """Decode a short_message/message_payload; see ``decode_payload``."""
    if udhi:
        if not data:
            raise DecodeError("UDHI set but the message is empty")
        n = 1 + data[0]
        if n > len(data):
            raise DecodeError(f"UDH length {data[0]} exceeds the {len(data) - 1} octets present")
        udh, data = data[:n], data[n:]
    udh = udh or b""
    kind = dcs_alphabet(data_coding)
    if kind == "GSM7":
        alpha = _udh_alphabet(udh)
        fill = fill_bits(len(udh)) if udh else 0
        septs = unpack(data, septets, fill) if packed else data
        if packed and septets is None and (len(data) * 8 - fill) % 7 == 0 and septs[-1:] == b"\x00":
            septs = septs[:-1]  # seven spare bits at the end are padding, not '@'
        return DecodedText(alpha.decode(septs), kind, udh, False)
    if kind == "UCS2":
        return DecodedText(data.decode("utf-16-be", errors="replace"), kind, udh, False)
    if kind == "LATIN1":
        return DecodedText(data.decode("latin-1"), kind, udh, False)
    if kind == "BINARY":
        return DecodedText(data.hex(" "), kind, udh, True)
    return DecodedText(data.decode(kind, errors="replace"), kind, udh, False)


def decode_payload(data: bytes, data_coding: int, udh: bytes | None = None, *, udhi: bool = False,
                   packed: bool = False, septets: int | None = None) -> str:
    """Text of a payload as a receiver reads it.

    ``data`` is the body without UDH (or with it when ``udhi``; the UDH is then cut off).
    GSM7 is one septet per byte as SMPP carries it, or ``packed`` (TP-UD style, with fill
    bits after the UDH; ``septets`` = count when known). National shift tables come from the
    UDH's 0x24/0x25 IEs. 8-bit binary data codings give the octets as hex.
    """
    return decode_text(data, data_coding, udh, udhi=udhi, packed=packed, septets=septets).text


# ---------------------------------------------------------------- transliteration

TRANSLITERATIONS = ("TURKISH", "GREEK", "CYRILLIC", "CENTRAL_EUROPEAN", "NON_UNICODE")
_TRANSLITERATION_FILE = RESOURCES / "encoding" / "transliteration.json"


@cache
def _transliteration_tables() -> dict[str, dict[str, str]]:
    try:
        return json.loads(_TRANSLITERATION_FILE.read_text(encoding="utf-8"))["tables"]
    except (OSError, ValueError, KeyError) as exc:
        raise ReferenceError_(f"cannot load {_TRANSLITERATION_FILE}: {exc}") from exc


@cache
def _transliteration_map(kind: str) -> dict[str, str]:
    tables = _transliteration_tables()
    if kind != "NON_UNICODE":
        return dict(tables[kind])
    merged: dict[str, str] = {}
    for name in ("common", "CENTRAL_EUROPEAN", "CYRILLIC", "GREEK", "TURKISH"):
        merged.update(tables[name])
    return merged


def transliterate(text: str, kind: str) -> str:
    """``text`` with characters GSM 7-bit cannot carry replaced, as the HTTP API option does.

    ``kind``: TURKISH, GREEK, CYRILLIC, CENTRAL_EUROPEAN or NON_UNICODE (every table, then
    accents stripped, then whatever still does not fit GSM 7-bit removed).
    """
    key = str(kind).strip().upper()
    if key not in TRANSLITERATIONS:
        raise ValueError(f"unknown transliteration {kind!r} (one of {', '.join(TRANSLITERATIONS)})")
    gsm = alphabet().encode_map
    table = _transliteration_map(key)
    out = "".join(c if c in gsm else table.get(c, c) for c in text)
    if key != "NON_UNICODE":
        return out
    stripped = []
    for c in out:
        if c not in gsm:
            base = "".join(b for b in unicodedata.normalize("NFKD", c) if not unicodedata.combining(b))
            c = base if base and all(b in gsm for b in base) else ""
        stripped.append(c)
    return "".join(stripped)
