"""``infobip-console decode``: decode SMPP PDUs from hex or from a pcap/pcapng capture."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from console.errors import ConsoleError, DecodeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "decode", help="decode SMPP PDUs (hex or a .pcap/.pcapng capture) as a tree or JSON",
        description="Decode SMPP 3.4 PDUs. Each HEX argument is one PDU or several back to back "
                    "(spaces, colons and 0x are ignored; '-' reads hex from stdin). With --pcap, "
                    "every SMPP PDU of the capture's TCP streams is decoded.")
    p.add_argument("hex", nargs="*", metavar="HEX", help="PDU bytes in hex")
    p.add_argument("--pcap", metavar="FILE", help="read PDUs from a .pcap/.pcapng capture")
    p.add_argument("--json", action="store_true", help="print one JSON object per PDU (JSON lines)")
    p.add_argument("--spans", action="store_true",
                   help="with --json: include every field's byte span, display text and meaning")
    p.set_defaults(func=run)


def _hex_inputs(args: argparse.Namespace) -> Iterator[str]:
    for h in args.hex:
        if h == "-":  # all of stdin is one hex text (PDUs back to back are framed)
            yield sys.stdin.read()
        else:
            yield h


def _pdus_from_hex(text: str) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Raw PDUs cut from one hex argument (several PDUs back to back are framed)."""
    from console.smpp import Framer
    from console.smpp.hexinput import HEADER_LEN, parse_hex

    data = parse_hex(text, min_length=HEADER_LEN)
    if len(data) >= 4 and int.from_bytes(data[:4], "big") == len(data):
        yield data, {}
        return
    framer = Framer(max_length=max(len(data), 16))
    try:
        parts = framer.feed(data)
    except DecodeError:
        yield data, {}  # decode_pdu will say what is wrong with it
        return
    yield from ((p, {}) for p in parts)
    if framer.buffered:
        raise DecodeError(f"{framer.buffered} byte(s) at the end do not form a whole PDU")


def run(args: argparse.Namespace) -> int:
    from console.smpp import decode_pdu
    from console.smpp.render import pdu_to_json, render_tree

    if not args.hex and not args.pcap:
        print("error: give PDU hex or --pcap FILE", file=sys.stderr)
        return 2
    status = 0
    out = sys.stdout

    def emit(pdu: Any, meta: dict[str, Any]) -> None:
        if args.json:
            obj = pdu_to_json(pdu, spans=args.spans)
            if meta:
                obj = {**meta, **obj}
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        else:
            head = "  ".join(f"{k}={v}" for k, v in meta.items())
            out.write((f"# {head}\n" if head else "") + render_tree(pdu) + "\n\n")

    def fail(message: str, meta: dict[str, Any]) -> None:
        nonlocal status
        status = 1
        if args.json:
            out.write(json.dumps({**meta, "error": message}, ensure_ascii=False) + "\n")
        else:
            print(f"error: {message}", file=sys.stderr)

    try:
        for text in _hex_inputs(args):
            try:
                for raw, meta in _pdus_from_hex(text):
                    try:
                        emit(decode_pdu(raw), meta)
                    except DecodeError as exc:
                        fail(str(exc), {"raw": raw.hex()})
            except DecodeError as exc:
                fail(str(exc), {})
        if args.pcap:
            status = max(status, _run_pcap(args.pcap, emit, fail))
    except BrokenPipeError:
        return status
    except OSError as exc:
        name = exc.filename or args.pcap
        print(f"error: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ConsoleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return status


def _run_pcap(path: str, emit: Any, fail: Any) -> int:
    from console.smpp.pcap import read_pcap

    status = 0
    for ev in read_pcap(path):
        meta = {"time": getattr(ev, "time", None), "direction": getattr(ev, "direction", None),
                "local": _addr(getattr(ev, "local", None)),
                "remote": _addr(getattr(ev, "remote", None))}
        meta = {k: v for k, v in meta.items() if v is not None}
        pdu = getattr(ev, "pdu", None)
        if pdu is not None:
            emit(pdu, meta)
        else:
            status = 1
            raw = getattr(ev, "raw", b"") or b""
            fail(str(getattr(ev, "error", None) or "undecodable bytes"),
                 {**meta, "raw": bytes(raw).hex()})
    return status


def _addr(a: Any) -> str | None:
    if not a:
        return None
    host, port = a[0], a[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
