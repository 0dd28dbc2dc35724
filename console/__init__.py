"""Infobip Test Console: the GUI-free library.

Everything the desktop app does is available here for scripts and Jupyter.
Public names are imported lazily so ``import console`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from console.errors import (
    BindError,
    ConsoleError,
    DecodeError,
    EncodingError,
    FramingError,
    HttpApiError,
    JournalError,
    SessionError,
    SimulatorError,
)

# public name -> module that defines it
_LAZY = {
    "reference": "console.reference",
    "encoding": "console.encoding",
    "split_text": "console.encoding",
    "count_parts": "console.encoding",
    "Pdu": "console.smpp.codec",
    "decode_pdu": "console.smpp.codec",
    "encode_pdu": "console.smpp.codec",
    "Framer": "console.smpp.framer",
    "parse_receipt": "console.smpp.receipt",
    "render_tree": "console.smpp.render",
    "SmppSession": "console.smpp.session",
    "send_sms": "console.smpp.sms",
    "PduEvent": "console.smpp.events",
    "PcapWriter": "console.smpp.pcap",
    "read_pcap": "console.smpp.pcap",
    "write_events": "console.smpp.pcap",
    "Platform": "console.platform",
    "Simulator": "console.simulator.simulator",
    "SmscServer": "console.simulator.smsc",
    "HttpClient": "console.http.client",
    "WebhookListener": "console.webhooks.listener",
    "Journal": "console.journal.journal",
    "DeliveryReport": "console.reports",
}

__all__ = [
    "BindError",
    "ConsoleError",
    "DecodeError",
    "EncodingError",
    "FramingError",
    "HttpApiError",
    "JournalError",
    "SessionError",
    "SimulatorError",
    "decode",
    *_LAZY,
]


def decode(data: bytes | str) -> Any:
    """Decode one SMPP PDU from bytes or a hex string (spaces allowed) into a ``Pdu``."""
    from console.smpp.codec import decode_pdu

    if isinstance(data, str):
        data = bytes.fromhex("".join(data.split()))
    return decode_pdu(data)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'console' has no attribute {name!r}")
    mod = importlib.import_module(module)
    return mod if module.endswith("." + name) else getattr(mod, name)
