"""The SMSC's hot-path submit_sm reader agrees with the codec, or steps aside."""

from __future__ import annotations

import random

import pytest

from console.simulator.smsc_wire import read_submit_sm
from console.smpp import Pdu, Tlv, decode_pdu

CASES = [
    {"source_addr": "InfoSMS", "destination_addr": "41793026727", "short_message": b"Hello"},
    {"service_type": "CMT", "source_addr_ton": 5, "source_addr": "Inf\xe9", "dest_addr_ton": 1,
     "dest_addr_npi": 1, "destination_addr": "385911234567", "esm_class": 0x40,
     "protocol_id": 1, "priority_flag": 3, "schedule_delivery_time": "070605040302100R",
     "validity_period": "260101120000000+", "registered_delivery": 0x11,
     "replace_if_present_flag": 1, "data_coding": 8, "sm_default_msg_id": 2,
     "short_message": bytes([5, 0, 3, 1, 2, 1]) + "Привет".encode("utf-16-be")},
    {"short_message": b""},
    {"source_addr": "x", "short_message": bytes(range(254))},
]


@pytest.mark.parametrize("fields", CASES)
def test_plain_submit_sm_reads_as_the_codec_decodes(fields):
    raw = Pdu("submit_sm", sequence_number=42, fields=fields).encode()
    fast, codec = read_submit_sm(raw), decode_pdu(raw)
    assert fast is not None
    assert fast.fields == codec.fields
    assert (fast.command, fast.command_id, fast.sequence_number, fast.tlvs) == (
        "submit_sm", 4, 42, [])
    assert fast.raw == raw and fast.encode() == raw  # it encodes back to the same bytes


def test_odd_submit_sm_left_to_the_codec():
    base = Pdu("submit_sm", fields=CASES[0]).encode()
    with_tlv = Pdu("submit_sm", fields=CASES[0], tlvs=[Tlv(0x020C, b"\x00\x01")]).encode()
    bad_time = Pdu("submit_sm", fields=dict(CASES[0], validity_period="1")).encode()
    assert read_submit_sm(with_tlv) is None  # TLVs follow the body
    assert read_submit_sm(bad_time) is None  # the codec warns about the time: let it
    assert read_submit_sm(base[:-2]) is None  # short_message cut short
    assert read_submit_sm(base[:20]) is None  # fields missing
    no_nul = base[:16] + b"CMT"  # C-string without NUL
    assert read_submit_sm(no_nul) is None


def test_mutated_bytes_agree_or_step_aside():
    rng = random.Random(7)
    base = bytearray(Pdu("submit_sm", fields=CASES[1]).encode())
    for _ in range(3000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(16, len(data))] = rng.randrange(256)
        data = bytes(data[:rng.randint(16, len(data))]) if rng.random() < 0.3 else bytes(data)
        data = len(data).to_bytes(4, "big") + data[4:]
        fast = read_submit_sm(data)
        if fast is not None:
            codec = decode_pdu(data)
            assert fast.fields == codec.fields and not codec.tlvs
            assert not [w for w in codec.warnings if "body ends before" in w or "without NUL" in w]
