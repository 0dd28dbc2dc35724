"""Decode-with-spans (and encode) throughput of console.smpp vs smpplib on the same PDUs.

Run: ``.venv/bin/python -m bench.codec``. Goal: ≥ 50,000 PDUs/s and ≥ 1× smpplib's parser.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import smpplib.client
import smpplib.smpp

GOAL_RATE = 50_000.0


def corpus(objects: list[Any] | None = None) -> list[bytes]:
    """A traffic-like mix of PDUs, built by smpplib (so both parsers accept all of them).

    ``objects`` (if given) receives the smpplib PDU objects of the requests.
    """
    seqgen = smpplib.client.SimpleSequenceGenerator()

    def make(command: str, **fields: object) -> bytes:
        pdu = smpplib.smpp.make_pdu(command, client=seqgen, **fields)
        if objects is not None:
            objects.append(pdu)
        return pdu.generate()

    receipt = (b"id:40072910491427628 sub:001 dlvrd:001 submit date:1007291049 "
               b"done date:1007291049 stat:DELIVRD err:000 text:Hello")
    udh = b"\x05\x00\x03\x2a\x02\x01"
    pdus = [
        make("bind_transceiver", system_id="Aladdin", password="opensesa", system_type="HLR"),
        make("submit_sm", source_addr="InfoSMS", destination_addr="41793026727",
             source_addr_ton=5, dest_addr_ton=1, dest_addr_npi=1, registered_delivery=1,
             short_message=b"Hello from the benchmark"),
        make("submit_sm", source_addr="InfoSMS", destination_addr="41793026727", esm_class=0x40,
             data_coding=8, short_message=udh + "Привет из Infobip".encode("utf-16-be")),
        make("submit_sm", source_addr="38591", destination_addr="41793026727",
             short_message=b"SAR part", sar_msg_ref_num=42, sar_total_segments=2,
             sar_segment_seqnum=1),
        make("deliver_sm", source_addr="41793026727", destination_addr="InfoSMS", esm_class=4,
             short_message=receipt, receipted_message_id="40072910491427628",
             message_state=2),
        make("enquire_link"),
        make("unbind"),
    ]
    seq = 1000
    for command_id, body in ((0x80000004, b"40072910491427628\x00"), (0x80000005, b"\x00"),
                             (0x80000015, b""), (0x80000009, b"SMSC\x00")):
        seq += 1
        pdus.append((16 + len(body)).to_bytes(4, "big") + command_id.to_bytes(4, "big")
                    + b"\x00\x00\x00\x00" + seq.to_bytes(4, "big") + body)
    return pdus


def _rate(fn: Callable[[Any], object], pdus: list[Any], seconds: float = 0.6) -> float:
    """PDUs/s: the best of three timed runs of ``fn`` over the corpus."""
    for p in pdus:  # warm up (and fail early on a PDU the parser rejects)
        fn(p)
    best = 0.0
    for _ in range(3):
        count = 0
        start = time.perf_counter()
        while True:
            for p in pdus:
                fn(p)
            count += len(pdus)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        best = max(best, count / elapsed)
    return best


def run() -> list[dict]:
    from console.smpp import decode_pdu

    made: list[Any] = []
    pdus = corpus(made)
    seqgen = smpplib.client.SimpleSequenceGenerator()

    def theirs(data: bytes) -> object:
        return smpplib.smpp.parse_pdu(data, client=seqgen)

    def ours(data: bytes) -> object:
        return decode_pdu(data)  # records every field's and TLV's (offset, length)

    def ours_tree(data: bytes) -> object:
        return decode_pdu(data).spans  # plus the inspector's tree: display text, meanings

    assert all(decode_pdu(p).spans for p in pdus)
    ours_rate = _rate(ours, pdus)
    theirs_rate = _rate(theirs, pdus)
    tree_rate = _rate(ours_tree, pdus)
    ours_made = [decode_pdu(p) for p in pdus[:len(made)]]
    enc_ours = _rate(lambda p: p.encode(), ours_made)
    enc_theirs = _rate(lambda p: p.generate(), made)
    goal = f"≥ {GOAL_RATE:,.0f} PDUs/s and ≥ 1× smpplib.smpp.parse_pdu"
    metrics = [
        {"name": "codec: decode with spans (offset/length of every field)", "value": ours_rate,
         "unit": "PDUs/s", "baseline": theirs_rate, "ratio": ours_rate / theirs_rate,
         "goal": goal},
        {"name": "codec: decode + span tree (display, meanings)", "value": tree_rate,
         "unit": "PDUs/s", "baseline": theirs_rate, "ratio": tree_rate / theirs_rate,
         "goal": goal},
        {"name": "codec: encode", "value": enc_ours, "unit": "PDUs/s", "baseline": enc_theirs,
         "ratio": enc_ours / enc_theirs, "goal": "informational (smpplib generate)"},
    ]
    for m in metrics:
        print(f"{m['name']}: {m['value']:,.0f} {m['unit']} vs smpplib {m['baseline']:,.0f} "
              f"-> ratio {m['ratio']:.2f}  (goal {m['goal']})")
    return metrics


if __name__ == "__main__":
    run()
