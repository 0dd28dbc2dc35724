"""Fuzzing the sans-IO SMPP codec and framer: random and mutated frames (bit flips, truncation,
wrong command_length, TLV lengths overrunning, huge lengths).

The contract under test (docs/architecture.md): ``decode_pdu`` raises nothing but
``DecodeError`` and only when the bytes are not one PDU (shorter than 16 bytes, or
command_length disagreeing); everything the inspector does with a decoded PDU (spans, tree,
JSON, message, receipt) works on whatever was decoded, and every span lies inside the PDU.
``Framer.feed`` returns whole frames or raises ``FramingError`` for an insane length.

A seeded loop (reproducible: the seed and the frame are in the failure message) plus
hypothesis; ``make fuzz`` (INFOBIP_FUZZ_FULL=1) runs 100,000 frames, ``make test`` 2,000.
"""

from __future__ import annotations

import json
import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import FULL, corpus, frames, fuzz_count, mutate

from console.errors import DecodeError, FramingError
from console.smpp import MAX_PDU_LENGTH, FieldSpan, Framer, Pdu, decode_pdu
from console.smpp.receipt import receipt_from_pdu
from console.smpp.render import pdu_to_json, render_tree

SEED = 20261125


def _spans_inside(span: FieldSpan, n: int, where: str) -> None:
    assert span.offset >= 0 and span.length >= 0 and span.end <= n, (
        f"{where}: span {span.name} [{span.offset}, {span.end}) outside the {n}-byte PDU")
    for child in span.children:
        _spans_inside(child, n, where)


def check_frame(data: bytes, where: str) -> Pdu | None:
    """Decode ``data`` and use the result the way the inspector does; returns the PDU."""
    header_ok = len(data) >= 16 and struct.unpack_from(">I", data)[0] == len(data)
    try:
        pdu = decode_pdu(data)
    except DecodeError:
        assert not header_ok, f"{where}: DecodeError for a frame whose header agrees"
        return None
    assert header_ok, f"{where}: decoded a frame whose command_length disagrees"
    cid, status, seq = struct.unpack_from(">III", data, 4)
    assert (pdu.command_id, pdu.command_status, pdu.sequence_number) == (cid, status, seq)
    assert pdu.raw == data
    for span in pdu.spans:
        _spans_inside(span, len(data), where)
    assert render_tree(pdu)
    json.dumps(pdu_to_json(pdu, spans=True))
    assert isinstance(pdu.summary, str)
    assert isinstance(pdu.warnings, list)
    if "short_message" in pdu.fields or pdu.tlvs:
        _ = pdu.message.text
    receipt_from_pdu(pdu)
    decode_pdu(pdu.encode())  # what we decoded can be encoded and decoded again
    return pdu


def test_corpus_is_valid() -> None:
    # the mutators start from real PDUs: each decodes without warnings
    for raw in corpus():
        pdu = decode_pdu(raw)
        assert not pdu.warnings, (pdu.command, pdu.warnings)


def _run_seeded(seed: int, count: int) -> dict[str, int]:
    outcomes = {"decoded": 0, "decode_error": 0, "with_warnings": 0}
    for i, (how, data) in enumerate(frames(seed, count)):
        pdu = check_frame(data, f"seed {seed} frame {i} ({how}) {data[:80].hex()}")
        if pdu is None:
            outcomes["decode_error"] += 1
        else:
            outcomes["decoded"] += 1
            outcomes["with_warnings"] += bool(pdu.warnings)
    return outcomes


def test_seeded_mutations_small() -> None:
    outcomes = _run_seeded(SEED, 2_000 if not FULL else 500)
    # the mix reaches both outcomes and the warning paths (a fuzzer that only makes
    # unparseable junk proves nothing)
    assert outcomes["decoded"] > 500 // 5 and outcomes["decode_error"] > 500 // 10
    assert outcomes["with_warnings"] > 500 // 10


@pytest.mark.fuzz
def test_seeded_mutations_full() -> None:
    count = fuzz_count(2_000)
    outcomes = _run_seeded(SEED + 1, count)
    assert sum(outcomes.values()) - outcomes["with_warnings"] == count


def test_tlv_overrun_is_flagged_not_fatal() -> None:
    base = corpus()[7]  # submit_sm
    data = bytearray(base) + struct.pack(">HH", 0x0424, 0xFFFF) + b"abc"
    data[0:4] = struct.pack(">I", len(data))
    pdu = check_frame(bytes(data), "overrun")
    assert pdu is not None and pdu.command == "submit_sm"
    assert pdu.warnings, "an overrunning TLV must leave a warning"
    assert pdu.fields["short_message"] == b"Hello fuzz"  # the body before it is intact


@pytest.mark.parametrize("length", [0, 1, 15, MAX_PDU_LENGTH + 1, 0x7FFFFFFF, 0xFFFFFFFF])
def test_framer_refuses_insane_lengths(length: int) -> None:
    framer = Framer()
    good = corpus()[3]
    # the whole PDU before the bad header comes out first; the error with the next feed
    assert framer.feed(good + struct.pack(">IIII", length, 4, 0, 9)) == [good]
    with pytest.raises(FramingError):
        framer.feed(b"")
    # a framer that failed stays failed until reset (the stream cannot be trusted)
    with pytest.raises(FramingError):
        framer.feed(good)
    framer.reset()
    assert framer.feed(good) == [good]


def test_framer_huge_length_does_not_buffer_forever() -> None:
    framer = Framer()
    # a length just inside the limit: the framer waits for the body, holding only what came
    head = struct.pack(">IIII", MAX_PDU_LENGTH, 4, 0, 1)
    assert framer.feed(head) == []
    assert framer.buffered == 16
    assert framer.feed(b"\x00" * (MAX_PDU_LENGTH - 16)) == [head + b"\x00" * (MAX_PDU_LENGTH - 16)]
    assert framer.buffered == 0


def _split_points(rng: random.Random, n: int) -> list[int]:
    cuts = sorted(rng.sample(range(1, n), min(n - 1, rng.randint(0, 40)))) if n > 1 else []
    return [0, *cuts, n]


@pytest.mark.fuzz
def test_framer_stream_any_split() -> None:
    rng = random.Random(SEED)
    pdus = corpus() * 3
    rng.shuffle(pdus)
    stream = b"".join(pdus)
    for _ in range(200 if not FULL else 5_000):
        framer = Framer()
        out: list[bytes] = []
        cuts = _split_points(rng, len(stream))
        for a, b in zip(cuts, cuts[1:], strict=False):
            out += framer.feed(stream[a:b])
        assert out == pdus
        assert framer.buffered == 0


@pytest.mark.fuzz
def test_framer_garbage_in_stream() -> None:
    """Frames out are whole (header agrees) until a FramingError; nothing else escapes."""
    rng = random.Random(SEED + 7)
    base = corpus()
    for round_ in range(fuzz_count(300, 10_000)):
        parts = [rng.choice(base) for _ in range(rng.randint(1, 5))]
        k = rng.randrange(len(parts))
        parts[k] = mutate(rng, parts[k])[1]
        stream = b"".join(parts)
        framer = Framer()
        cuts = _split_points(rng, len(stream)) if stream else [0, 0]
        try:
            for a, b in zip(cuts, cuts[1:], strict=False):
                for frame in framer.feed(stream[a:b]):
                    assert len(frame) >= 16, round_
                    assert struct.unpack_from(">I", frame)[0] == len(frame), round_
                    check_frame(frame, f"framer round {round_}")
        except FramingError:
            continue
        assert framer.buffered < max(len(stream), 1) + 1


@pytest.mark.fuzz
@settings(max_examples=fuzz_count(200, 20_000), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(corpus()), st.integers(0, 2**32 - 1), st.binary(max_size=64))
def test_hypothesis_mutated(frame: bytes, seed: int, tail: bytes) -> None:
    how, data = mutate(random.Random(seed), frame)
    check_frame(data, how)
    check_frame(data + tail, how + "+tail")


@pytest.mark.fuzz
@settings(max_examples=fuzz_count(200, 20_000), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(min_size=0, max_size=300), max_size=8))
def test_hypothesis_framer_chunks(chunks: list[bytes]) -> None:
    framer = Framer()
    try:
        for c in chunks:
            for frame in framer.feed(c):
                assert struct.unpack_from(">I", frame)[0] == len(frame) >= 16
                check_frame(frame, "hypothesis framer")
    except FramingError:
        pass
