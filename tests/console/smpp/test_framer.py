"""The stream framer: partial reads, several PDUs per read, insane command_length."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.errors import DecodeError, FramingError
from console.smpp import Framer, Pdu, decode_pdu


def _examples(quick: int) -> int:
    """Hypothesis examples: a quick count in the suite, 100× under ``make fuzz``."""
    return quick * 100 if os.environ.get("INFOBIP_FUZZ_FULL") else quick

PDUS = [Pdu("enquire_link", 1).encode(),
        Pdu("submit_sm", 2, {"source_addr": "InfoSMS", "destination_addr": "41793026727",
                             "short_message": b"Hello"}).encode(),
        Pdu("submit_sm_resp", 2, {"message_id": "40072910491427628"}).encode(),
        Pdu("generic_nack", 3, command_status=3).encode()]
STREAM = b"".join(PDUS)


def test_several_pdus_in_one_read() -> None:
    f = Framer()
    assert f.feed(STREAM) == PDUS
    assert f.buffered == 0


def test_byte_by_byte() -> None:
    f = Framer()
    out: list[bytes] = []
    for i in range(len(STREAM)):
        out += f.feed(STREAM[i:i + 1])
    assert out == PDUS


def test_partial_header_then_rest() -> None:
    f = Framer()
    assert f.feed(STREAM[:3]) == []
    assert f.buffered == 3
    assert f.feed(STREAM[3:20]) == [PDUS[0]]
    assert f.feed(STREAM[20:]) == PDUS[1:]


@pytest.mark.parametrize("length", [0, 15, 64 * 1024 + 1, 0xFFFFFFFF])
def test_insane_length_rejected(length: int) -> None:
    f = Framer()
    with pytest.raises(FramingError, match=f"command_length {length} is outside"):
        f.feed(struct.pack(">I", length) + b"\x00" * 12)
    with pytest.raises(FramingError):  # the stream stays broken until reset
        f.feed(PDUS[0])
    f.reset()
    assert f.feed(PDUS[0]) == [PDUS[0]]


def test_good_pdus_before_garbage_are_delivered_first() -> None:
    f = Framer()
    assert f.feed(PDUS[0] + b"\x00\x00\x00\x01garbage!") == [PDUS[0]]
    with pytest.raises(FramingError):
        f.feed(b"")


def test_max_length_is_configurable() -> None:
    big = Pdu("submit_sm", 1, tlvs=[]).encode()
    with pytest.raises(FramingError):
        Framer(max_length=len(big) - 1).feed(big)
    assert Framer(max_length=len(big)).feed(big) == [big]
    assert issubclass(FramingError, DecodeError)


@pytest.mark.fuzz
@settings(max_examples=_examples(200), deadline=None)
@given(st.lists(st.integers(1, 40), max_size=30))
def test_any_chunking_gives_the_same_pdus(sizes: list[int]) -> None:
    f = Framer()
    out: list[bytes] = []
    pos = 0
    for n in sizes:
        out += f.feed(STREAM[pos:pos + n])
        pos += n
    out += f.feed(STREAM[pos:])
    assert out == PDUS
    assert [decode_pdu(p).command for p in out] == ["enquire_link", "submit_sm", "submit_sm_resp",
                                                    "generic_nack"]


@pytest.mark.fuzz
@settings(max_examples=_examples(300), deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_random_streams_raise_only_framing_error(chunks: list[bytes]) -> None:
    f = Framer()
    try:
        for c in chunks:
            for pdu in f.feed(c):
                assert 16 <= len(pdu) <= 64 * 1024
                try:
                    decode_pdu(pdu)
                except DecodeError:
                    pytest.fail("a framed PDU must have a consistent command_length")
    except FramingError:
        pass
