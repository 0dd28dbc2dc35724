"""Decode-with-spans (and encode) throughput of console.smpp vs smpplib on the same PDUs.

Run: ``.venv/bin/python -m bench.codec``. Goal: ≥ 50,000 PDUs/s and ≥ 1× smpplib's parser.

What is compared, so the ratio is honest:

* Both sides parse the same bytes: a traffic-like mix built by smpplib (so it accepts all of
  them) of binds, submit_sm in GSM 7-bit, Latin-1, UCS2 with a concatenation UDH, binary with
  a port UDH, with SAR TLVs and with absolute/relative time fields, deliver_sm receipts with
  receipted_message_id/message_state TLVs, MO deliver_sm, data_sm with message_payload, and
  the responses. Every message comes in 40 variants (numbers, ids, texts, references,
  dates), not one PDU repeated; the codec memoises only small-domain values (meanings of
  integer fields and of TLV values of ≤ 4 octets), never text, ids or times.
* smpplib's ``parse_pdu`` builds its PDU object: every body field and every TLV as an
  attribute, integers typed — nothing lazy.
* "decode with spans" is ``decode_pdu`` alone: every body field typed, with its (offset,
  length), every TLV with its offset and raw value (typed on demand by ``Tlv.decoded``),
  warnings. "decode + full span tree" — the comparison that counts — also walks ``pdu.spans``
  the way the inspector does, reading every node's name, offset, length, value, display,
  meaning, warning and children, so everything lazy is computed: typed TLV values and their
  tag/length/value parts, reference-table meanings, time fields as datetimes, the UDH and the
  decoded text inside short_message (smpplib decodes no text at all).
* The contenders take turns in short slices within each of several rounds (the machine is
  shared and noisy); value and baseline are the medians of the rounds' rates, measured in the
  same process, and the per-round ratios are printed too.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import smpplib.client
import smpplib.smpp

GOAL_RATE = 50_000.0
VARIANTS = 40
ROUNDS = 5

_STATES = (("DELIVRD", 2, "000"), ("UNDELIV", 5, "034"), ("EXPIRED", 3, "027"),
           ("REJECTD", 8, "012"))


def corpus(objects: list[Any] | None = None, variants: int = VARIANTS) -> list[bytes]:
    """A traffic-like mix of PDUs, built by smpplib (so both parsers accept all of them).

    ``objects`` (if given) receives the smpplib PDU objects, in the same order.
    """
    seqgen = smpplib.client.SimpleSequenceGenerator()
    pdus: list[bytes] = []

    def make(command: str, **fields: object) -> None:
        pdu = smpplib.smpp.make_pdu(command, client=seqgen, **fields)
        if objects is not None:
            objects.append(pdu)
        pdus.append(pdu.generate())

    for i in range(variants):
        dst = f"4179302{6700 + i:04d}"
        msg_id = str(40072910491427628 + 7919 * i)
        stat, state, err = _STATES[i % len(_STATES)]
        day = 1 + i % 28
        receipt = (f"id:{msg_id} sub:001 dlvrd:{int(stat == 'DELIVRD'):03d} "
                   f"submit date:2601{day:02d}1049 done date:2601{day:02d}1050 stat:{stat} "
                   f"err:{err} text:Hello {i}").encode()
        if i % 8 == 0:
            make("bind_transceiver", system_id="Aladdin", password="opensesa",
                 system_type="HLR")
            make("bind_transceiver_resp", system_id="SMSC")
        make("submit_sm", source_addr="InfoSMS", destination_addr=dst, source_addr_ton=5,
             dest_addr_ton=1, dest_addr_npi=1, registered_delivery=1,
             short_message=f"Hello {i} from the benchmark, see you at 10:{i % 60:02d}".encode())
        make("submit_sm_resp", message_id=msg_id)
        make("submit_sm", source_addr="InfoSMS", destination_addr=dst, esm_class=0x40,
             data_coding=8, registered_delivery=1,
             short_message=bytes((5, 0, 3, i & 0xFF, 2, 1 + i % 2))
             + f"Привет из Infobip №{i}".encode("utf-16-be"))
        make("submit_sm", source_addr="Zürich", destination_addr=dst, data_coding=3,
             validity_period="000001000000000R",
             schedule_delivery_time=f"2601{day:02d}120000004+",
             short_message=f"Grüße aus Zürich, Nr. {i}".encode("latin-1"))
        make("submit_sm", source_addr="38591", destination_addr=dst, esm_class=0x40,
             data_coding=4, short_message=bytes((6, 5, 4, 0x0B, 0x84, 0x23, 0xF0))
             + bytes(range(i % 7, i % 7 + 24)))
        make("submit_sm", source_addr="38591", destination_addr=dst,
             short_message=f"SAR part {1 + i % 3} of 3".encode(), sar_msg_ref_num=i,
             sar_total_segments=3, sar_segment_seqnum=1 + i % 3)
        make("deliver_sm", source_addr=dst, destination_addr="InfoSMS", esm_class=4,
             source_addr_ton=1, source_addr_npi=1, short_message=receipt,
             receipted_message_id=msg_id, message_state=state)
        make("deliver_sm_resp")
        make("deliver_sm", source_addr=dst, destination_addr="38591", source_addr_ton=1,
             source_addr_npi=1, short_message=f"STOP {i}".encode())
        make("data_sm", source_addr="InfoSMS", destination_addr=dst, registered_delivery=1,
             message_payload=(f"Long message {i}: " + "lorem ipsum " * 16).encode())
        make("data_sm_resp", message_id=msg_id)
        make("enquire_link")
        make("enquire_link_resp")
        if i % 8 == 7:
            make("generic_nack", status=3)
            make("unbind")
            make("unbind_resp")
    return pdus


def _walk(spans: list[Any]) -> None:
    """Read every node of a span tree as the inspector does (forcing anything lazy)."""
    for s in spans:
        s.name, s.offset, s.length, s.value, s.display, s.meaning, s.warning  # noqa: B018
        children = s.children
        if children:
            _walk(children)


def _run_for(fn: Callable[[Any], object], items: list[Any], seconds: float) -> tuple[int, float]:
    """(PDUs done, seconds spent) running ``fn`` over ``items`` for about ``seconds``."""
    count = 0
    start = time.perf_counter()
    while True:
        for p in items:
            fn(p)
        count += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count, elapsed


def _measure(cases: dict[str, tuple[Callable[[Any], object], list[Any]]], rounds: int = ROUNDS,
             slices: int = 6, seconds: float = 0.05) -> dict[str, list[float]]:
    """PDUs/s of every case in each round. Within a round the cases take turns in short
    slices, so load from other processes hits all of them alike."""
    for fn, items in cases.values():  # warm up (and fail early on a PDU a parser rejects)
        for p in items:
            fn(p)
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        gc.collect()
        done = dict.fromkeys(cases, 0)
        spent = dict.fromkeys(cases, 0.0)
        for _ in range(slices):
            for name, (fn, items) in cases.items():
                n, t = _run_for(fn, items, seconds)
                done[name] += n
                spent[name] += t
        for name in cases:
            rates[name].append(done[name] / spent[name])
    return rates


def run() -> list[dict]:
    from console.smpp import decode_pdu

    made: list[Any] = []
    pdus = corpus(made)
    seqgen = smpplib.client.SimpleSequenceGenerator()

    def theirs(data: bytes) -> object:
        return smpplib.smpp.parse_pdu(data, client=seqgen)

    def ours(data: bytes) -> object:
        return decode_pdu(data)  # every field's and TLV's (offset, length), typed, warnings

    def ours_tree(data: bytes) -> object:
        pdu = decode_pdu(data)
        _walk(pdu.spans)  # the inspector's whole tree: display, meanings, children
        return pdu

    for p in pdus:  # both sides accept every PDU, ours without a single warning
        assert theirs(p) is not None
        assert not decode_pdu(p).warnings, decode_pdu(p).warnings
    decoded = [decode_pdu(p) for p in pdus]
    dec = _measure({"theirs": (theirs, pdus), "ours": (ours, pdus),
                    "tree": (ours_tree, pdus)})
    enc = _measure({"theirs": (lambda p: p.generate(), made),
                    "ours": (lambda p: p.encode(), decoded)})
    goal = f"≥ {GOAL_RATE:,.0f} PDUs/s and ≥ 1× smpplib.smpp.parse_pdu"
    med = {k: statistics.median(v) for k, v in dec.items()}
    emed = {k: statistics.median(v) for k, v in enc.items()}

    def ratios(a: list[float], b: list[float]) -> list[float]:
        return [round(x / y, 2) for x, y in zip(a, b, strict=True)]

    metrics = [
        {"name": "codec: decode with spans (offset/length of every field)", "value": med["ours"],
         "unit": "PDUs/s", "baseline": med["theirs"], "ratio": med["ours"] / med["theirs"],
         "goal": goal, "round_ratios": ratios(dec["ours"], dec["theirs"])},
        {"name": "codec: decode + full span tree (display, meanings, UDH, text)",
         "value": med["tree"], "unit": "PDUs/s", "baseline": med["theirs"],
         "ratio": med["tree"] / med["theirs"], "goal": goal,
         "round_ratios": ratios(dec["tree"], dec["theirs"])},
        {"name": "codec: encode", "value": emed["ours"], "unit": "PDUs/s",
         "baseline": emed["theirs"], "ratio": emed["ours"] / emed["theirs"],
         "goal": "informational (smpplib generate)",
         "round_ratios": ratios(enc["ours"], enc["theirs"])},
    ]
    print(f"{len(pdus)} PDUs, {ROUNDS} alternating rounds; medians:")
    for m in metrics:
        rr = m["round_ratios"]
        print(f"{m['name']}: {m['value']:,.0f} {m['unit']} vs smpplib {m['baseline']:,.0f} "
              f"-> ratio {m['ratio']:.2f} (rounds {min(rr):.2f}–{max(rr):.2f}; goal {m['goal']})")
    return metrics


if __name__ == "__main__":
    run()
