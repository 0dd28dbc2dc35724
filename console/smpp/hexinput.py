"""Hex typed or pasted by a person → bytes, with errors that say what to fix.

Accepts spaces, newlines, colons, commas, dashes and ``0x`` prefixes between bytes (what
Wireshark, hexdumps and log lines produce). Used by ``infobip-console decode`` and the SMPP
tab's raw-PDU box, so both explain bad input the same way.
"""

from __future__ import annotations

import re

from console.errors import DecodeError

_NOISE = re.compile(r"0[xX]|[\s:,\-]")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
HEADER_LEN = 16


def parse_hex(text: str, *, min_length: int = 0) -> bytes:
    """The bytes spelled by ``text``; :class:`DecodeError` explains the first problem.

    ``min_length`` (16 for one PDU) rejects input too short to be what the caller expects.
    """
    cleaned = _NOISE.sub("", text)
    if not cleaned:
        raise DecodeError("no hex digits given")
    bad = next((i for i, ch in enumerate(cleaned) if ch not in _HEX_DIGITS), None)
    if bad is not None:
        ch = cleaned[bad]
        raise DecodeError(f"not hex: {ch!r} at digit {bad + 1}; use pairs of 0-9 a-f digits")
    if len(cleaned) % 2:
        raise DecodeError(f"odd number of hex digits ({len(cleaned)}): every byte is two digits; "
                          "a digit is missing or extra")
    data = bytes.fromhex(cleaned)
    if len(data) < min_length:
        raise DecodeError(f"{len(data)} byte(s): an SMPP PDU has a {HEADER_LEN}-byte header "
                          "(command_length, command_id, command_status, sequence_number)")
    return data
