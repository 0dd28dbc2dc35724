"""TLVs: standard SMPP 3.4 and Infobip vendor tags typed from the reference table; unknown kept raw."""

from __future__ import annotations

import struct

import pytest

from console.smpp import Pdu, Tlv, decode_pdu
from console.smpp.tlv import decode_tlvs, decode_value, encode_value, tag_of


def test_standard_tlvs_typed() -> None:
    assert decode_value(0x020C, b"\x01\x2c") == (300, None)  # sar_msg_ref_num int2
    assert decode_value(0x001E, b"abc\x00") == ("abc", None)  # receipted_message_id cstring
    assert decode_value(0x0427, b"\x02") == (2, None)  # message_state int1
    assert decode_value(0x0424, b"\x00\xff") == (b"\x00\xff", None)  # message_payload octets


def test_integer_size_from_length_field() -> None:
    value, warning = decode_value(0x020C, b"\x00\x00\x01\x2c")
    assert value == 300 and warning == "sar_msg_ref_num: length 4, the type is a 2-octet integer"


def test_cstring_without_nul_warns() -> None:
    value, warning = decode_value(0x001E, b"abc")
    assert value == "abc" and "without NUL" in warning


def test_infobip_vendor_tlvs() -> None:
    """The spec's Number Context TLVs: names and types from the reference table."""
    assert Tlv(0x1403, b"219101100935850").name == "imsi"
    assert Tlv(0x1403, b"219101100935850").decoded == "219101100935850"
    assert Tlv(0x1412, b"VipNet\x00").name == "original_network_name"
    assert Tlv(5144, 1).value == b"\x00\x00\x00\x01"  # price_per_message TLVInt
    assert Tlv(0x1425, b"\x00\x00\x00\x01").decoded == 1
    assert Tlv(0x1416, "21910").value == b"21910\x00"
    assert Tlv(0x1416, b"").info.vendor is True


def test_build_by_name_and_python_values() -> None:
    t = Tlv("message_payload", b"xyz")
    assert t.tag == 0x0424 and t.encode() == b"\x04\x24\x00\x03xyz"
    assert Tlv("sar_total_segments", 3).value == b"\x03"
    assert Tlv("receipted_message_id", "abc").value == b"abc\x00"
    assert encode_value(0x9999, 5) == b"\x00\x00\x00\x05"
    assert tag_of("0x1403") == 0x1403
    with pytest.raises(KeyError):
        tag_of("no_such_tlv")


def test_unknown_tags_never_dropped() -> None:
    body = b"\x77\x77\x00\x02ab" + b"\x14\x99\x00\x01z" + b"\x04\x24\x00\x01q"
    warnings: list[str] = []
    tlvs, stop = decode_tlvs(body, 0, len(body), warnings)
    assert [(t.tag, t.value, t.known) for t in tlvs] == [
        (0x7777, b"ab", False), (0x1499, b"z", False), (0x0424, b"q", True)]
    assert [t.offset for t in tlvs] == [0, 6, 11]
    assert stop == len(body) and warnings == []


def test_overrun_and_trailing() -> None:
    warnings: list[str] = []
    tlvs, stop = decode_tlvs(b"\x04\x24\x00\x09abc", 0, 7, warnings)
    assert tlvs[0].overrun and tlvs[0].value == b"abc" and tlvs[0].length == 9
    assert warnings == ["TLV 0x0424 at offset 0: length 9 overruns the PDU by 6 octet(s)"]
    warnings = []
    tlvs, stop = decode_tlvs(b"\x04\x24\x00\x01a\x00\x01", 0, 7, warnings)
    assert len(tlvs) == 1 and stop == 5
    assert warnings == ["2 trailing octet(s) at offset 5 do not form a TLV"]


def test_repeated_tlvs_kept_in_order() -> None:
    pdu = decode_pdu(Pdu("submit_sm", 1, {}, [Tlv(0x7000, b"1"), Tlv(0x7000, b"2")]).encode())
    assert [t.value for t in pdu.tlvs] == [b"1", b"2"]
    assert pdu.tlv(0x7000).value == b"1"
    assert pdu.tlv("message_payload") is None


def test_tlv_offsets_are_absolute() -> None:
    data = Pdu("data_sm", 1, {"source_addr": "1"}, [Tlv(0x0424, b"abc")]).encode()
    t = decode_pdu(data).tlvs[0]
    assert data[t.offset:t.offset + 7] == struct.pack(">HH", 0x0424, 3) + b"abc"
