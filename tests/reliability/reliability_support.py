"""Helpers (no tests) for the reliability tests: a corpus of valid SMPP PDUs, seeded frame
mutators (bit flips, truncation, wrong command_length, TLV lengths overrunning, huge lengths),
the fuzz counts, and a free-port helper."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import struct
from collections.abc import Callable

from console.smpp import Pdu, Tlv

FULL = bool(os.environ.get("INFOBIP_FUZZ_FULL"))


def fuzz_count(quick: int, full: int = 100_000) -> int:
    """``quick`` frames in ``make test``; ``full`` (the issue's 100,000) under ``make fuzz``."""
    return full if FULL else quick


SM = {"service_type": "", "source_addr_ton": 5, "source_addr_npi": 0, "source_addr": "InfoSMS",
      "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "41793026727", "esm_class": 0,
      "protocol_id": 0, "priority_flag": 0, "schedule_delivery_time": "",
      "validity_period": "000001000000000R", "registered_delivery": 1,
      "replace_if_present_flag": 0, "data_coding": 0, "sm_default_msg_id": 0,
      "short_message": b"Hello fuzz"}
BIND = {"system_id": "Fuzzer", "password": "fuzzpw", "system_type": "",
        "interface_version": 0x34, "addr_ton": 0, "addr_npi": 0, "address_range": ""}


def corpus() -> list[bytes]:
    """Valid PDUs of every kind an SMSC meets, some with standard, vendor and unknown TLVs."""
    udh_text = b"\x05\x00\x03\x2a\x02\x01" + b"part one of two"
    pdus = [
        Pdu("bind_transceiver", 1, BIND),
        Pdu("bind_transmitter", 2, {**BIND, "system_type": "HLR"}),
        Pdu("bind_receiver", 3, {**BIND, "system_type": "NSMS"}),
        Pdu("enquire_link", 4),
        Pdu("enquire_link_resp", 5),
        Pdu("unbind_resp", 6),
        Pdu("generic_nack", 7, command_status=3),
        Pdu("submit_sm", 8, SM),
        Pdu("submit_sm", 9, {**SM, "esm_class": 0x40, "short_message": udh_text}),
        Pdu("submit_sm", 10, {**SM, "data_coding": 8, "short_message": "Zdravo 😀".encode("utf-16-be")},
            [Tlv(0x020C, b"\x00\x2a"), Tlv(0x020E, b"\x02"), Tlv(0x020F, b"\x01")]),
        Pdu("submit_sm", 11, {**SM, "short_message": b""}, [Tlv(0x0424, b"payload " * 40)]),
        Pdu("submit_sm", 12, SM, [Tlv(0x1403, b"\x01\x02"), Tlv(0x7777, b"unknown tlv")]),
        Pdu("data_sm", 13, {k: SM[k] for k in ("service_type", "source_addr_ton", "source_addr_npi",
                                               "source_addr", "dest_addr_ton", "dest_addr_npi",
                                               "destination_addr", "esm_class",
                                               "registered_delivery", "data_coding")},
            [Tlv(0x0424, b"data sm payload")]),
        Pdu("query_sm", 14, {"message_id": "abc", "source_addr_ton": 5, "source_addr_npi": 0,
                             "source_addr": "InfoSMS"}),
        Pdu("cancel_sm", 15, {"service_type": "", "message_id": "abc", "source_addr": "InfoSMS",
                              "destination_addr": "41793026727"}),
        Pdu("replace_sm", 16, {"message_id": "abc", "source_addr": "InfoSMS",
                               "short_message": b"new"}),
        Pdu("submit_multi", 17, {**{k: v for k, v in SM.items() if not k.startswith("dest")},
                                 "dest_address": [
                                     {"dest_flag": 1, "dest_addr_ton": 1, "dest_addr_npi": 1,
                                      "destination_addr": "41793026727"},
                                     {"dest_flag": 2, "dl_name": "friends"}]}),
        Pdu("deliver_sm", 18, {**SM, "esm_class": 4, "validity_period": ""},
            [Tlv(0x001E, b"abc\x00"), Tlv(0x0427, b"\x02")]),
        Pdu("deliver_sm_resp", 19, {"message_id": ""}),
        Pdu("unbind", 20),
        Pdu("alert_notification", 21, {"source_addr": "41793026727", "esme_addr": "InfoSMS"}),
    ]
    return [p.encode() for p in pdus]


def _set_length(buf: bytearray, value: int) -> None:
    buf[0:4] = struct.pack(">I", value & 0xFFFFFFFF)


def _fix_length(buf: bytearray) -> bytearray:
    _set_length(buf, len(buf))
    return buf


def bit_flips(rng: random.Random, buf: bytearray) -> bytearray:
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(4, len(buf)) if len(buf) > 4 else 0
        buf[i] ^= 1 << rng.randrange(8)
    return _fix_length(buf) if rng.random() < 0.8 else buf


def byte_sets(rng: random.Random, buf: bytearray) -> bytearray:
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(16, len(buf)) if len(buf) > 16 else rng.randrange(len(buf))
        buf[i] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
    return _fix_length(buf)


def truncate(rng: random.Random, buf: bytearray) -> bytearray:
    cut = rng.randint(1, max(1, len(buf) - 1))
    del buf[len(buf) - cut:]
    if len(buf) >= 4 and rng.random() < 0.7:
        _fix_length(buf)  # a short body whose header agrees: the decoder must cope
    return buf


def wrong_length(rng: random.Random, buf: bytearray) -> bytearray:
    n = len(buf)
    _set_length(buf, rng.choice((0, 1, 15, 16, n - 1, n + 1, n + rng.randint(2, 300),
                                 max(16, n - rng.randint(2, 20)))))
    return buf


def huge_length(rng: random.Random, buf: bytearray) -> bytearray:
    _set_length(buf, rng.choice((0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 65_537, 1 << 20,
                                 rng.randint(65_537, 0xFFFFFFFF))))
    return buf


def tlv_overrun(rng: random.Random, buf: bytearray) -> bytearray:
    """Append a TLV whose length field runs past the end of the PDU (or set one near it)."""
    value = bytes(rng.randrange(256) for _ in range(rng.randint(0, 8)))
    tag = rng.choice((0x0424, 0x001E, 0x0427, 0x020C, 0x1403, 0x1442, rng.randrange(0x10000)))
    claimed = rng.choice((len(value) + 1, len(value) + 100, 0xFFFF, 0x8000))
    buf += struct.pack(">HH", tag, claimed) + value
    if rng.random() < 0.3:
        buf += b"\x00"  # a dangling half header after it
    return _fix_length(buf)


def random_body(rng: random.Random, buf: bytearray) -> bytearray:
    body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 120)))
    return _fix_length(bytearray(buf[:16]) + body)


def random_command(rng: random.Random, buf: bytearray) -> bytearray:
    buf[4:8] = struct.pack(">I", rng.choice((0, 0x99, 0x80000099, 0x00010000, 0xFFFFFFFF,
                                             rng.randrange(1 << 32), 0x0A, 0x80000004)))
    if rng.random() < 0.5:
        buf[8:12] = struct.pack(">I", rng.randrange(1 << 32))
    return buf


def pure_random(rng: random.Random, buf: bytearray) -> bytearray:
    return bytearray(rng.randrange(256) for _ in range(rng.randint(0, 64)))


MUTATORS: list[Callable[[random.Random, bytearray], bytearray]] = [
    bit_flips, byte_sets, truncate, wrong_length, huge_length, tlv_overrun, random_body,
    random_command, pure_random,
]


def mutate(rng: random.Random, frame: bytes) -> tuple[str, bytes]:
    """(mutator name, mutated frame); one or two mutations of ``frame``."""
    buf = bytearray(frame)
    names = []
    for _ in range(1 if rng.random() < 0.75 else 2):
        if len(buf) < 16:  # pure noise already: nothing left to aim at
            break
        m = rng.choice(MUTATORS)
        names.append(m.__name__)
        buf = m(rng, buf)
    return "+".join(names), bytes(buf)


def frames(seed: int, count: int) -> list[tuple[str, bytes]]:
    """``count`` mutated frames, reproducible from ``seed``."""
    rng = random.Random(seed)
    base = corpus()
    return [mutate(rng, rng.choice(base)) for _ in range(count)]


def free_port() -> int:
    """A TCP port nothing listens on right now (for servers that must come back on it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(cond: Callable[[], bool], timeout: float = 10.0, step: float = 0.01) -> bool:
    """Poll ``cond`` until true or ``timeout`` seconds passed; returns its last value."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            return bool(cond())
        await asyncio.sleep(step)
    return True
