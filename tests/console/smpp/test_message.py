"""short_message / message_payload decoding by data_coding, UDH, SAR, and multipart reassembly."""

from __future__ import annotations

import random

import pytest

from console.encoding import Encoding, encode_text, gsm7_pack, split_text
from console.smpp import Pdu, Tlv, decode_pdu
from console.smpp.message import Reassembler, decode_message
from console.smpp.udh import Concat, build_udh, parse_udh


def deliver(sm: bytes = b"", dc: int = 0, esm: int = 0, tlvs: list[Tlv] | None = None,
            src: str = "41793026727", dst: str = "InfoSMS") -> Pdu:
    return decode_pdu(Pdu("deliver_sm", 1, {"source_addr": src, "destination_addr": dst,
                                            "short_message": sm, "data_coding": dc,
                                            "esm_class": esm}, tlvs or []).encode())


def test_gsm7_unpacked() -> None:
    text = "Hello @£$ {€}"
    m = deliver(encode_text(text, "GSM7")).message
    assert (m.text, m.encoding, m.packed, m.source, m.warnings) == (text, "GSM7", False,
                                                                   "short_message", [])


def test_gsm7_packed_detected_and_forced() -> None:
    packed = gsm7_pack(encode_text("Hello world", "GSM7"))
    m = deliver(packed).message
    assert m.text == "Hello world" and m.packed
    assert "read as packed septets" in m.warnings[0]
    forced = decode_message(deliver(gsm7_pack(encode_text("Hi", "GSM7"))), packed=True)
    assert forced.text == "Hi"


def test_latin1_ucs2_binary() -> None:
    assert deliver("Zürich à".encode("latin-1"), dc=3).message.text == "Zürich à"
    ucs2 = deliver("Привет 😀".encode("utf-16-be"), dc=8).message
    assert (ucs2.text, ucs2.encoding) == ("Привет 😀", "UCS2")
    binary = deliver(b"\x01\xff\x10", dc=4).message
    assert binary.binary and binary.text == "01 ff 10" and binary.encoding == "BINARY"


def test_odd_ucs2_is_a_warning() -> None:
    m = deliver(b"\x00A\x00", dc=8).message
    assert any("odd number of octets" in w for w in m.warnings)


def test_udh_concat_8_and_16() -> None:
    m = deliver(b"\x05\x00\x03\x2a\x02\x01" + b"Hello", esm=0x40).message
    assert m.text == "Hello" and m.concat == Concat(0x2A, 2, 1, "udh8")
    assert m.udh.raw == b"\x05\x00\x03\x2a\x02\x01" and m.payload == b"Hello"
    m16 = deliver(b"\x06\x08\x04\x01\x2c\x03\x02" + b"Hi", esm=0x40).message
    assert m16.concat == Concat(300, 3, 2, "udh16")


def test_port_addressing() -> None:
    wap = deliver(b"\x06\x05\x04\x0b\x84\x23\xf0" + b"\x01\x02", dc=4, esm=0x40).message
    assert wap.ports == (2948, 9200) and wap.udh.ies[0].name.startswith("application port")
    p8 = parse_udh(b"\x04\x04\x02\xf5\xf0")
    assert p8.ports == (0xF5, 0xF0)


def test_national_language_shift() -> None:
    enc = Encoding("GSM7", language="TR", single_shift=True)
    parts = split_text("Çok güzel ş", enc).parts
    assert len(parts) == 1 and parts[0].udh
    m = deliver(parts[0].udh + parts[0].payload, esm=0x40).message
    assert m.text == "Çok güzel ş"
    assert m.udh.single_shift == 1 and m.udh.locking_shift is None


def test_unknown_and_malformed_ies() -> None:
    udh = parse_udh(b"\x07\x70\x02\xaa\xbb\x00\x01\x09")
    assert [(ie.iei, ie.data, ie.known) for ie in udh.ies] == [(0x70, b"\xaa\xbb", False),
                                                               (0x00, b"\x09", False)]
    assert udh.warnings == ["IE 0x00 (concatenated short message, 8-bit reference) has 1 octets, "
                            "3 expected"]
    broken = deliver(b"\x09\x00\x03", esm=0x40).message
    assert broken.warnings[0] == "UDH length 9 exceeds the 2 octets present"
    assert parse_udh(b"").warnings == ["UDHI set but the message is empty"]
    assert build_udh(concat=Concat(7, 2, 1, "udh8"), ports=(2948, 9200)) == \
        b"\x0b\x00\x03\x07\x02\x01\x05\x04\x0b\x84\x23\xf0"


def test_sar_tlvs_and_message_payload() -> None:
    m = deliver(b"", tlvs=[Tlv(0x020C, b"\x01\x00"), Tlv(0x020E, b"\x02"), Tlv(0x020F, b"\x02"),
                           Tlv(0x0424, b"payload text")]).message
    assert m.text == "payload text" and m.source == "message_payload"
    assert m.concat == Concat(256, 2, 2, "sar")
    both = deliver(b"short", tlvs=[Tlv(0x0424, b"long")]).message
    assert both.text == "long" and "both short_message and message_payload" in both.warnings[0]


def _submits(text: str, concat: str, encoding: str | None = None) -> list[Pdu]:
    split = split_text(text, encoding, concat=concat, ref=77)
    pdus = []
    for seg in split.parts:
        tlvs = [Tlv(0x020C, seg.sar[0].to_bytes(2, "big")), Tlv(0x020E, bytes([seg.sar[1]])),
                Tlv(0x020F, bytes([seg.sar[2]]))] if seg.sar else []
        pdus.append(decode_pdu(Pdu("submit_sm", 1, {
            "source_addr": "InfoSMS", "destination_addr": "41793026727",
            "esm_class": 0x40 if seg.udh else 0, "data_coding": split.encoding.data_coding,
            "short_message": seg.udh + seg.payload}, tlvs).encode()))
    return pdus


@pytest.mark.parametrize(("concat", "encoding"), [("udh8", "GSM7"), ("udh16", "GSM7"),
                                                  ("sar", "GSM7"), ("udh8", "UCS2")])
def test_reassembly_in_any_order(concat: str, encoding: str) -> None:
    text = ("Infobip long message 😀 " if encoding == "UCS2" else "Infobip long message ") * 20
    pdus = _submits(text, concat, encoding)
    assert len(pdus) >= 3
    random.Random(4).shuffle(pdus)
    r = Reassembler()
    states = []
    for p in pdus:
        a = r.add(p)
        states.append(a.complete)
    assert states == [False] * (len(pdus) - 1) + [True]
    assert a.text == text
    assert r.pending() == []


def test_missing_parts_reported() -> None:
    pdus = _submits("x" * 400, "udh8")  # three parts of 153 septets
    r = Reassembler()
    r.add(pdus[0])
    a = r.add(pdus[2])
    assert not a.complete and a.missing == [2]
    assert a.text == "x" * 153 + "[part 2 missing]" + "x" * 94
    assert [p.missing for p in r.pending()] == [[2]]
    # the same reference from another sender is another message
    other = decode_pdu(Pdu("submit_sm", 1, {**pdus[1].fields, "source_addr": "Other"}).encode())
    assert r.add(other).missing == [1, 3]
    assert r.add(pdus[1]).complete


def test_single_part_is_complete_at_once() -> None:
    a = Reassembler().add(deliver(b"Hello"))
    assert a.complete and a.text == "Hello" and a.total == 1


def test_short_message_span_shows_udh_and_text() -> None:
    pdu = deliver(b"\x06\x05\x04\x0b\x84\x23\xf0" + b"Hi", esm=0x40)
    sm = pdu.span("short_message")
    udh, user = sm.children
    assert (udh.name, udh.offset, udh.length) == ("udh", sm.offset, 7)
    assert [c.name for c in udh.children] == ["udhl", "ie 0x05"]
    ie = udh.children[1]
    assert pdu.raw[ie.offset:ie.end] == b"\x05\x04\x0b\x84\x23\xf0"
    assert ie.value == {"dest_port": 2948, "orig_port": 9200}
    assert (user.offset, user.length, user.value) == (sm.offset + 7, 2, "Hi")
    assert sm.meaning == "GSM7: 'Hi'"


def test_gsm7_packed_after_udh_uses_fill_bits() -> None:
    from console.gsm7 import fill_bits

    udh = b"\x05\x00\x03\x07\x02\x02"
    body = gsm7_pack(encode_text("second part text", "GSM7"), fill_bits(len(udh)))
    m = decode_message(deliver(udh + body, esm=0x40), packed=True)
    assert m.text == "second part text" and m.concat == Concat(7, 2, 2, "udh8") and m.packed


def test_turkish_locking_and_single_shift() -> None:
    enc = Encoding("GSM7", language="TR", single_shift=True, locking_shift=True)
    seg = split_text("Şişli ğüzel İstanbul", enc).parts[0]
    m = deliver(seg.udh + seg.payload, esm=0x40).message
    assert m.text == "Şişli ğüzel İstanbul"
    assert (m.udh.single_shift, m.udh.locking_shift) == (1, 1)


def test_pending_assemblies_are_bounded() -> None:
    r = Reassembler(max_pending=2)
    for ref in (1, 2, 3):
        r.add(deliver(bytes((5, 0, 3, ref, 2, 1)) + b"a", esm=0x40))
    assert [a.key[2] for a in r.pending()] == [2, 3]
