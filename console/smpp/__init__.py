"""SMPP 3.4: a sans-IO codec with byte spans, a stream framer, messages and receipts.

>>> from console.smpp import Pdu, decode_pdu
>>> p = decode_pdu(Pdu("enquire_link", sequence_number=7).encode())
>>> p.command, p.sequence_number
('enquire_link', 7)

Modules: ``pdus`` (every PDU declared once), ``fields`` (typed field descriptors), ``codec``
(decode/encode, ``Pdu``, ``FieldSpan``), ``tlv``, ``framer``, ``message`` (text, UDH, SAR,
reassembly), ``udh``, ``receipt`` (delivery receipts), ``timefmt`` (SMPP time fields),
``render`` (text tree, JSON). The asyncio session lives in ``session`` (imported on demand).
"""

from __future__ import annotations

from console.smpp.codec import (
    FieldSpan,
    Pdu,
    PduError,
    command_id_of,
    command_name,
    decode_all,
    decode_pdu,
    encode_pdu,
)
from console.smpp.framer import MAX_PDU_LENGTH, Framer
from console.smpp.message import Assembly, Message, Reassembler, decode_message
from console.smpp.pdus import BY_ID, BY_NAME, PDU_TYPES, PduType
from console.smpp.receipt import Receipt, format_receipt, parse_receipt, receipt_from_pdu
from console.smpp.render import pdu_to_json, render_tree
from console.smpp.timefmt import RelativeTime, format_time, parse_time
from console.smpp.tlv import Tlv, TlvInfo, tlv_info
from console.smpp.udh import Concat, Udh, parse_udh

#: ``console.smpp.decode("00 00 00 10 …")``: every PDU in hex text or bytes (Jupyter shorthand)
decode = decode_all

__all__ = [
    "BY_ID",
    "BY_NAME",
    "MAX_PDU_LENGTH",
    "PDU_TYPES",
    "Assembly",
    "Concat",
    "FieldSpan",
    "Framer",
    "Message",
    "Pdu",
    "PduError",
    "PduType",
    "Reassembler",
    "Receipt",
    "RelativeTime",
    "Tlv",
    "TlvInfo",
    "Udh",
    "command_id_of",
    "command_name",
    "decode",
    "decode_all",
    "decode_message",
    "decode_pdu",
    "encode_pdu",
    "format_receipt",
    "format_time",
    "parse_receipt",
    "parse_time",
    "parse_udh",
    "pdu_to_json",
    "receipt_from_pdu",
    "render_tree",
    "tlv_info",
]
