"""The SMPP codec: every PDU type round trip, golden bytes (smpplib, the spec), spans, malformed input."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess

import pytest
import smpplib.client
import smpplib.smpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.errors import DecodeError
from console.smpp import PDU_TYPES, FieldSpan, Pdu, PduError, Tlv, command_name, decode_pdu
from console.smpp.receipt import receipt_from_pdu
from console.smpp.render import pdu_to_json, render_tree


def _examples(quick: int) -> int:
    """Hypothesis examples: a quick count in the suite, 100× under ``make fuzz``."""
    return quick * 100 if os.environ.get("INFOBIP_FUZZ_FULL") else quick

SM = {"service_type": "", "source_addr_ton": 5, "source_addr_npi": 0, "source_addr": "InfoSMS",
      "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "41793026727", "esm_class": 0,
      "protocol_id": 0, "priority_flag": 1, "schedule_delivery_time": "070605040302100R",
      "validity_period": "261231235959004+", "registered_delivery": 1,
      "replace_if_present_flag": 0, "data_coding": 0, "sm_default_msg_id": 0,
      "short_message": b"Hello"}
BIND = {"system_id": "Aladdin", "password": "opensesa", "system_type": "HLR",
        "interface_version": 0x34, "addr_ton": 1, "addr_npi": 1, "address_range": "^417"}

# one sample of every SMPP 3.4 PDU: (name, fields, tlvs, command_status)
SAMPLES: list[tuple[str, dict, list[Tlv], int]] = [
    ("bind_transmitter", BIND, [], 0),
    ("bind_transmitter_resp", {"system_id": "Infobip"}, [Tlv(0x0210, b"\x34")], 0),
    ("bind_receiver", {**BIND, "system_type": "NSMS"}, [], 0),
    ("bind_receiver_resp", {"system_id": "Infobip"}, [], 0),
    ("bind_transceiver", {**BIND, "system_type": "r:41"}, [], 0),
    ("bind_transceiver_resp", {"system_id": "Infobip"}, [Tlv(0x0210, b"\x34")], 0),
    ("outbind", {"system_id": "Infobip", "password": "secret"}, [], 0),
    ("unbind", {}, [], 0),
    ("unbind_resp", {}, [], 0),
    ("submit_sm", SM, [Tlv(0x020C, b"\x00\x2a"), Tlv(0x020E, b"\x02"), Tlv(0x020F, b"\x01")], 0),
    ("submit_sm_resp", {"message_id": "40072910491427628"}, [], 0),
    ("submit_multi", {**{k: v for k, v in SM.items() if not k.startswith("dest")},
                      "dest_address": [
                          {"dest_flag": 1, "dest_addr_ton": 1, "dest_addr_npi": 1,
                           "destination_addr": "41793026727"},
                          {"dest_flag": 2, "dl_name": "friends"},
                          {"dest_flag": 1, "dest_addr_ton": 1, "dest_addr_npi": 1,
                           "destination_addr": "385915369423"}]}, [], 0),
    ("submit_multi_resp", {"message_id": "m1", "unsuccess_sme": [
        {"dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "385915369423",
         "error_status_code": 0x0B}]}, [], 0),
    ("deliver_sm", {**SM, "esm_class": 0x04, "schedule_delivery_time": "",
                    "validity_period": ""}, [Tlv(0x001E, b"abc\x00"), Tlv(0x0427, b"\x02")], 0),
    ("deliver_sm_resp", {"message_id": ""}, [], 0),
    ("data_sm", {"service_type": "", "source_addr_ton": 1, "source_addr_npi": 1,
                 "source_addr": "41793026727", "dest_addr_ton": 5, "dest_addr_npi": 0,
                 "destination_addr": "InfoSMS", "esm_class": 0, "registered_delivery": 1,
                 "data_coding": 8}, [Tlv(0x0424, "Hi".encode("utf-16-be"))], 0),
    ("data_sm_resp", {"message_id": "d1"}, [Tlv(0x001D, b"\x00")], 0),
    ("query_sm", {"message_id": "q1", "source_addr_ton": 5, "source_addr_npi": 0,
                  "source_addr": "InfoSMS"}, [], 0),
    ("query_sm_resp", {"message_id": "q1", "final_date": "100729104900000+",
                       "message_state": 2, "error_code": 0}, [], 0),
    ("cancel_sm", {"service_type": "", "message_id": "c1", "source_addr_ton": 5,
                   "source_addr_npi": 0, "source_addr": "InfoSMS", "dest_addr_ton": 1,
                   "dest_addr_npi": 1, "destination_addr": "41793026727"}, [], 0),
    ("cancel_sm_resp", {}, [], 0),
    ("replace_sm", {"message_id": "r1", "source_addr_ton": 5, "source_addr_npi": 0,
                    "source_addr": "InfoSMS", "schedule_delivery_time": "",
                    "validity_period": "000001000000000R", "registered_delivery": 1,
                    "sm_default_msg_id": 0, "short_message": b"New text"}, [], 0),
    ("replace_sm_resp", {}, [], 0),
    ("enquire_link", {}, [], 0),
    ("enquire_link_resp", {}, [], 0),
    ("alert_notification", {"source_addr_ton": 1, "source_addr_npi": 1,
                            "source_addr": "41793026727", "esme_addr_ton": 5,
                            "esme_addr_npi": 0, "esme_addr": "InfoSMS"},
     [Tlv(0x0422, b"\x00")], 0),
    ("generic_nack", {}, [], 0x00000003),
]


def test_samples_cover_every_smpp34_pdu() -> None:
    assert {s[0] for s in SAMPLES} == {t.name for t in PDU_TYPES}
    assert len(PDU_TYPES) == 27


def test_declarations_agree_with_the_reference_table() -> None:
    from console.reference import table

    assert {(e.id, e.name) for e in table("smpp_command_id")} == {
        (t.command_id, t.name) for t in PDU_TYPES}


def test_command_meaning_says_what_infobip_supports() -> None:
    """The spec lists bind_*, unbind, submit_sm, deliver_sm, enquire_link as supported."""
    multi = decode_pdu(Pdu("submit_multi", 1, {}).encode()).span("command_id").meaning
    assert multi.startswith("submit_multi") and "not offered by Infobip" in multi and "simulator accepts" in multi
    sm = decode_pdu(Pdu("submit_sm", 1, {}).encode()).span("command_id").meaning
    assert "not offered" not in sm


@pytest.mark.parametrize(("name", "fields", "tlvs", "status"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_round_trip(name: str, fields: dict, tlvs: list[Tlv], status: int) -> None:
    pdu = Pdu(name, sequence_number=0x01020304, fields=fields, tlvs=tlvs, command_status=status)
    data = pdu.encode()
    assert struct.unpack(">I", data[:4])[0] == len(data)
    back = decode_pdu(data)
    assert back.command == name and back.command_id == pdu.command_id
    assert back.sequence_number == 0x01020304 and back.command_status == status
    assert back.warnings == []
    for key, value in fields.items():
        assert back.fields[key] == value, key
    assert back.tlvs == tlvs
    assert back.encode() == data == back.raw
    assert back.is_response == name.endswith(("_resp", "generic_nack"))


@pytest.mark.parametrize(("name", "fields", "tlvs", "status"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_spans_tile_the_pdu(name: str, fields: dict, tlvs: list[Tlv], status: int) -> None:
    """Top-level spans are contiguous from byte 0 to the end; children lie inside their parent."""
    data = Pdu(name, 9, fields, tlvs, status).encode()
    pdu = decode_pdu(data)
    pos = 0
    for span in pdu.spans:
        assert span.offset == pos, (span.name, span.offset, pos)
        pos = span.end
        _check_children(span)
    assert pos == len(data)


def _check_children(span: FieldSpan) -> None:
    pos = span.offset
    for c in span.children:
        assert c.offset == pos and span.offset <= c.offset and c.end <= span.end
        pos = c.end
        _check_children(c)
    if span.children:
        assert pos == span.end


def test_spans_point_at_the_right_bytes() -> None:
    data = Pdu("submit_sm", 1, SM, [Tlv(0x0424, b"payload")]).encode()
    pdu = decode_pdu(data)
    src = pdu.span("source_addr")
    assert data[src.offset:src.end] == b"InfoSMS\x00" and src.value == "InfoSMS"
    sm = pdu.span("short_message")
    assert data[sm.offset:sm.end] == b"Hello"
    length = pdu.span("sm_length")
    assert data[length.offset] == 5 and length.end == sm.offset
    tlv = pdu.span("message_payload")
    assert data[tlv.offset:tlv.end] == b"\x04\x24\x00\x07payload"
    assert [c.name for c in tlv.children] == ["tag", "length", "value"]
    assert data[tlv.children[2].offset:tlv.children[2].end] == b"payload"
    assert pdu.tlvs[0].offset == tlv.offset
    header = [(s.name, s.offset, s.length) for s in pdu.spans[:4]]
    assert header == [("command_length", 0, 4), ("command_id", 4, 4), ("command_status", 8, 4),
                      ("sequence_number", 12, 4)]
    assert pdu.span("command_id").meaning.startswith("submit_sm — ")
    assert pdu.span("source_addr_ton").meaning.startswith("ALPHANUMERIC")
    assert pdu.span("registered_delivery").meaning.startswith("RECEIPT_ALWAYS")


def test_submit_multi_spans_per_destination() -> None:
    fields = dict(SAMPLES[11][1])
    pdu = decode_pdu(Pdu("submit_multi", 1, fields).encode())
    dests = pdu.span("dest_address")
    assert [c.name for c in dests.children] == ["dest_address[0]", "dest_address[1]", "dest_address[2]"]
    assert dests.children[1].find("dl_name").value == "friends"
    addr = dests.children[2].find("destination_addr")
    assert pdu.raw[addr.offset:addr.end] == b"385915369423\x00"
    assert pdu.fields["number_of_dests"] == 3


def test_time_fields_decode_to_datetimes_and_durations() -> None:
    pdu = decode_pdu(Pdu("submit_sm", 1, SM).encode())
    rel = pdu.span("schedule_delivery_time").value
    assert (rel.years, rel.months, rel.days, rel.hours, rel.minutes, rel.seconds, rel.tenths) == (
        7, 6, 5, 4, 3, 2, 1)
    absolute = pdu.span("validity_period").value
    assert absolute.isoformat() == "2026-12-31T23:59:59+01:00"
    bad = decode_pdu(Pdu("submit_sm", 1, {**SM, "validity_period": "tomorrow"}).encode())
    assert any("validity_period" in w and "not an SMPP time" in w for w in bad.warnings)


# ------------------------------------------------------------------ golden bytes from smpplib

def smpplib_bytes(command: str, seq: int, **fields: object) -> bytes:
    pdu = smpplib.smpp.make_pdu(command, client=smpplib.client.SimpleSequenceGenerator(), **fields)
    pdu.sequence = seq
    return pdu.generate()


SMPPLIB_CASES = [
    ("bind_transmitter", {"system_id": "Aladdin", "password": "opensesa", "system_type": "HLR"}),
    ("bind_receiver", {"system_id": "Aladdin", "password": "opensesa", "system_type": "NSMS"}),
    ("bind_transceiver", {"system_id": "Aladdin", "password": "opensesa", "addr_ton": 1}),
    ("bind_transceiver_resp", {"system_id": "SMSC"}),
    ("submit_sm", {"source_addr": "InfoSMS", "destination_addr": "41793026727", "source_addr_ton": 5,
                   "dest_addr_ton": 1, "dest_addr_npi": 1, "short_message": b"Hello",
                   "registered_delivery": 1, "data_coding": 3}),
    ("submit_sm_resp", {"message_id": "40072910491427628"}),
    ("deliver_sm", {"source_addr": "38591", "destination_addr": "InfoSMS", "esm_class": 4,
                    "short_message": b"id:1 stat:DELIVRD err:000"}),
    ("deliver_sm_resp", {}),
    ("data_sm", {"source_addr": "1", "destination_addr": "2", "data_coding": 8}),
    ("query_sm", {"message_id": "abc", "source_addr": "InfoSMS"}),
    ("query_sm_resp", {"message_id": "abc", "final_date": "", "message_state": 2, "error_code": 0}),
    ("alert_notification", {"source_addr": "1", "esme_addr": "2"}),
    ("enquire_link", {}), ("enquire_link_resp", {}), ("unbind", {}), ("unbind_resp", {}),
    ("generic_nack", {}),
]


@pytest.mark.parametrize(("command", "fields"), SMPPLIB_CASES, ids=[c[0] for c in SMPPLIB_CASES])
def test_same_bytes_as_smpplib(command: str, fields: dict) -> None:
    golden = smpplib_bytes(command, 42, **fields)
    ours = Pdu(command, 42, fields).encode()
    assert ours == golden
    back = decode_pdu(golden)
    assert back.command == command and back.warnings == []
    for key, value in fields.items():
        assert back.fields[key] == value


@pytest.mark.parametrize(("command", "fields"), SMPPLIB_CASES, ids=[c[0] for c in SMPPLIB_CASES])
def test_smpplib_reads_our_bytes(command: str, fields: dict) -> None:
    """The other direction: smpplib's parser reads what we encode with the same values."""
    parsed = smpplib.smpp.parse_pdu(Pdu(command, 42, fields).encode(),
                                    client=smpplib.client.SimpleSequenceGenerator())
    assert parsed.command == command and parsed.sequence == 42
    for key, value in fields.items():
        got = getattr(parsed, key)
        assert (got.decode() if isinstance(got, bytes) and isinstance(value, str) else got) == value


def test_decodes_smpplib_submit_with_optional_parameters() -> None:
    golden = smpplib_bytes("submit_sm", 7, source_addr="InfoSMS", destination_addr="41793026727",
                           short_message=b"", message_payload=b"long text", sar_msg_ref_num=300,
                           sar_total_segments=2, sar_segment_seqnum=1)
    pdu = decode_pdu(golden)
    by_name = {t.name: t.decoded for t in pdu.tlvs}
    assert by_name == {"message_payload": b"long text", "sar_msg_ref_num": 300,
                       "sar_total_segments": 2, "sar_segment_seqnum": 1}
    assert pdu.encode() == golden


# ------------------------------------------------------------------ the spec's Number Context deliver_sm

def _tlv(tag: int, value: bytes) -> bytes:
    return struct.pack(">HH", tag, len(value)) + value


def _cs(text: str) -> bytes:
    return text.encode() + b"\x00"


NC_TEXT = (b"id:40072910491427628 sub:001 dlvrd:001 submit date:1007291049 done date:1007291049 "
           b"stat:DELIVRD err:000 IMSI:219101100935850 MSC:38591016 HLR:385911234567 ORN:VipNet "
           b"PON:VipNet RON:VipNet ROC:HR MCCMNC:21910")


def number_context_deliver_sm() -> bytes:
    """Built by hand from the spec's example (tags in decimal as the spec prints them)."""
    body = (b"\x00" + b"\x00\x00" + _cs("385911234567") + b"\x00\x00" + _cs("0000000000")
            + bytes([0x04, 0, 0]) + b"\x00\x00" + bytes([0, 0, 0, 0]) + bytes([207]) + NC_TEXT)
    assert len(NC_TEXT) == 207
    tlvs = [(1059, bytes.fromhex("030000")), (1063, b"\x02"), (30, _cs("40072910491427628")),
            (5129, _cs("385911234567")), (5138, _cs("VipNet")), (5139, _cs("VipNet")),
            (5140, _cs("VipNet")), (5141, _cs("Croatia ")), (5143, _cs("HR")),
            (5142, _cs("21910")), (5144, struct.pack(">I", 1)), (5145, _cs("91")),
            (5152, _cs("385")), (5153, struct.pack(">I", 1)), (5154, _cs("Croatia ")),
            (5155, _cs("HR")), (5156, _cs("385")), (5157, struct.pack(">I", 1)),
            (5123, bytes.fromhex("323139313031313030393335383530")),
            (5126, bytes.fromhex("3338353931303136"))]
    body += b"".join(_tlv(t, v) for t, v in tlvs)
    return struct.pack(">IIII", 16 + len(body), 0x00000005, 0, 77) + body


def test_number_context_deliver_sm_golden() -> None:
    data = number_context_deliver_sm()
    pdu = decode_pdu(data)
    assert pdu.command == "deliver_sm" and pdu.warnings == []
    assert pdu.fields["source_addr"] == "385911234567"
    assert pdu.fields["destination_addr"] == "0000000000"
    assert pdu.fields["esm_class"] == 0x04
    assert pdu.span("esm_class").meaning == "TYPE_SMSC_DELIVERY_RECEIPT, GSM_NONE"
    tl = {t.name: t.decoded for t in pdu.tlvs}
    assert tl["network_error_code"] == bytes.fromhex("030000")
    assert tl["message_state"] == 2
    assert tl["receipted_message_id"] == "40072910491427628"
    assert tl["serving_hlr"] == "385911234567"
    assert tl["original_network_name"] == "VipNet"
    assert tl["roaming_country_name"] == "Croatia "
    assert tl["mccmnc"] == "21910"
    assert tl["price_per_message"] == 1 and tl["is_ported"] == 1 and tl["number_correct"] == 1
    assert tl["imsi"] == "219101100935850" and tl["msc"] == "38591016"
    assert all(t.known for t in pdu.tlvs)
    assert pdu.span("message_state").meaning.startswith("DELIVERED")
    imsi = pdu.tlv(0x1403)
    assert data[imsi.offset:imsi.offset + 4] == b"\x14\x03\x00\x0f"
    r = receipt_from_pdu(pdu)
    assert (r.id, r.stat, r.err, r.sub, r.dlvrd) == ("40072910491427628", "DELIVRD", 0, 1, 1)
    assert r.receipted_message_id == "40072910491427628" and r.message_state == 2
    assert r.extras["IMSI"] == "219101100935850" and r.extras["MCCMNC"] == "21910"
    assert r.network_error == (3, 0)
    assert pdu.encode() == data
    js = pdu_to_json(pdu)
    assert js["command"] == "deliver_sm" and js["command_status"] == {"value": 0, "name": "ESME_ROK"}
    imsi_json = next(t for t in js["tlvs"] if t["tag"] == 0x1403)
    assert imsi_json == {"tag": 5123, "name": "imsi", "length": 15, "value": "219101100935850",
                         "offset": imsi.offset, "raw": "323139313031313030393335383530"}
    tree = render_tree(pdu)
    assert "imsi: '219101100935850'" in tree and "TYPE_SMSC_DELIVERY_RECEIPT" in tree


# ------------------------------------------------------------------ malformed input

def test_too_short_and_length_mismatch_raise_decode_error() -> None:
    with pytest.raises(DecodeError, match="shorter than the 16-byte"):
        decode_pdu(b"\x00\x00\x00\x10\x00\x00\x00")
    good = Pdu("enquire_link", 1).encode()
    with pytest.raises(DecodeError, match="command_length"):
        decode_pdu(good + b"\x00")
    with pytest.raises(DecodeError, match="command_length"):
        decode_pdu(b"\x00\x00\x00\x11" + good[4:])


def _with_body(command_id: int, body: bytes, status: int = 0, seq: int = 1) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


def test_cstring_without_nul_is_a_warning() -> None:
    pdu = decode_pdu(_with_body(0x80000004, b"abc"))
    assert pdu.fields["message_id"] == "abc"
    assert pdu.warnings == ["message_id: C-string without NUL terminator at offset 16"]
    assert pdu.span("message_id").warning == pdu.warnings[0]


def test_field_too_long_is_a_warning() -> None:
    pdu = decode_pdu(Pdu("bind_transmitter", 1, {**BIND, "system_id": "A" * 20}).encode())
    assert pdu.fields["system_id"] == "A" * 20
    assert pdu.warnings == ["system_id: 21 octets, SMPP 3.4 allows at most 16"]


def test_reserved_values_are_warnings() -> None:
    pdu = decode_pdu(Pdu("submit_sm", 1, {**SM, "registered_delivery": 0xE1,
                                          "priority_flag": 9, "replace_if_present_flag": 2,
                                          "esm_class": 0x0C}).encode())
    assert "registered_delivery: reserved bits set (0xE0)" in pdu.warnings
    assert "priority_flag: priority 9 is reserved (0–3)" in pdu.warnings
    assert "replace_if_present_flag: value 2 is reserved (0 or 1)" in pdu.warnings
    assert "esm_class: message type bits 0x0C are reserved" in pdu.warnings
    assert pdu.fields["registered_delivery"] == 0xE1


def test_body_ending_early_is_a_warning() -> None:
    data = Pdu("submit_sm", 1, SM).encode()
    cut = data[:40]
    pdu = decode_pdu(struct.pack(">I", len(cut)) + cut[4:])
    assert pdu.fields["source_addr"] == "InfoSMS"
    assert "esm_class" not in pdu.fields
    assert any(w.startswith("body ends before") for w in pdu.warnings)


def test_sm_length_overrun_is_a_warning() -> None:
    data = bytearray(Pdu("submit_sm", 1, SM).encode())
    data[-6] = 50  # sm_length says 50, 5 octets follow
    pdu = decode_pdu(bytes(data))
    assert pdu.fields["short_message"] == b"Hello"
    assert "sm_length 50 overruns the body (5 octets left)" in pdu.warnings


def test_tlv_overrun_is_flagged_not_fatal() -> None:
    data = Pdu("submit_sm", 1, SM).encode() + b"\x04\x24\x00\x10abc"
    data = struct.pack(">I", len(data)) + data[4:]
    pdu = decode_pdu(data)
    t = pdu.tlvs[0]
    assert t.overrun and t.length == 16 and t.value == b"abc" and t.name == "message_payload"
    assert any("overruns the PDU by 13" in w for w in pdu.warnings)
    assert pdu.span("message_payload").warning.startswith("length 16 overruns")
    assert pdu_to_json(pdu)["tlvs"][0]["overrun"] is True


def test_unknown_tlv_kept_raw() -> None:
    pdu = decode_pdu(Pdu("submit_sm", 1, SM, [Tlv(0x7777, b"\x01\x02\x03")]).encode())
    t = pdu.tlvs[0]
    assert (t.tag, t.value, t.name, t.known, t.decoded) == (
        0x7777, b"\x01\x02\x03", "unknown (0x7777)", False, b"\x01\x02\x03")
    assert pdu.warnings == []
    assert pdu_to_json(pdu)["tlvs"][0] == {"tag": 0x7777, "name": "unknown (0x7777)", "length": 3,
                                           "value": "010203", "offset": t.offset, "raw": "010203"}


def test_unknown_command_id_is_kept() -> None:
    pdu = decode_pdu(_with_body(0x00000111, b"\x01\x02"))
    assert pdu.command == "unknown (0x00000111)" == command_name(0x111)
    assert pdu.warnings == ["command_id 0x00000111 is not an SMPP 3.4 command"]
    assert pdu.fields["body"] == b"\x01\x02"
    assert pdu.encode() == pdu.raw
    assert Pdu(pdu.command, 1, {"body": b"\x01\x02"}).encode() == pdu.raw


def test_trailing_bytes_after_a_body_without_tlvs() -> None:
    pdu = decode_pdu(_with_body(0x00000015, b"\x00\x01"))
    assert pdu.command == "enquire_link"
    assert "2 octet(s) after the enquire_link body (SMPP 3.4 defines no TLVs here)" in pdu.warnings
    assert "2 trailing octet(s) at offset 16 do not form a TLV" in pdu.warnings
    assert pdu.span("trailing").length == 2


def test_status_in_request_warns_error_response_without_body_does_not() -> None:
    req = decode_pdu(_with_body(0x00000015, b"", status=5))
    assert req.warnings == ["command_status 0x00000005 in a request (must be 0)"]
    resp = decode_pdu(_with_body(0x80000004, b"", status=0x0B))
    assert resp.warnings == [] and resp.status_name == "ESME_RINVDSTADR"
    assert resp.fields == {}


def test_infobip_status_names() -> None:
    """The spec's own command statuses: 0xFF insufficient balance, 0x0A invalid source address."""
    assert "INSUFFICIENT" in decode_pdu(_with_body(0x80000004, b"", status=0xFF)).status_name.upper()
    nack = decode_pdu(_with_body(0x80000004, b"", status=0x0A))
    assert "SOURCE" in (nack.status_name + nack.span("command_status").meaning).upper()


def test_route_code_longer_than_system_type_allows() -> None:
    """The spec's system_type placeholder ``<r:route_code>`` needs 15 octets; SMPP 3.4 allows 13."""
    pdu = decode_pdu(Pdu("bind_transceiver", 1, {**BIND, "system_type": "<r:route_code>"}).encode())
    assert pdu.fields["system_type"] == "<r:route_code>"
    assert pdu.warnings == ["system_type: 15 octets, SMPP 3.4 allows at most 13"]


def test_response_and_errors() -> None:
    req = Pdu("submit_sm", 12, SM)
    resp = req.response(message_id="abc")
    assert (resp.command, resp.sequence_number, resp.fields) == ("submit_sm_resp", 12, {"message_id": "abc"})
    nack = req.response(status=0x0B)
    assert nack.encode() == _with_body(0x80000004, b"", 0x0B, 12)
    with pytest.raises(PduError):
        Pdu("outbind", 1).response()
    with pytest.raises(PduError):
        Pdu("submit_everything")
    assert Pdu(0x15, 3).command == "enquire_link"


def test_defaults_for_missing_fields() -> None:
    data = Pdu("submit_sm", 1, {"destination_addr": "41793026727"}).encode()
    pdu = decode_pdu(data)
    assert pdu.fields["source_addr"] == "" and pdu.fields["esm_class"] == 0
    assert pdu.fields["short_message"] == b"" and pdu.warnings == []
    assert decode_pdu(Pdu("bind_transceiver", 1, {}).encode()).fields["interface_version"] == 0x34


def test_text_short_message_encoded_by_data_coding() -> None:
    ucs2 = decode_pdu(Pdu("submit_sm", 1, {"short_message": "Zürich €", "data_coding": 8}).encode())
    assert ucs2.fields["short_message"] == "Zürich €".encode("utf-16-be")
    assert ucs2.message.text == "Zürich €"


# ------------------------------------------------------------------ fuzzing

VALID = [Pdu(n, 5, f, t, s).encode() for n, f, t, s in SAMPLES] + [number_context_deliver_sm()]


def _exercise(pdu: Pdu) -> None:
    """Everything the inspector does with a PDU must work on whatever was decoded."""
    assert isinstance(pdu.spans, list)
    render_tree(pdu)
    pdu_to_json(pdu)
    _ = pdu.message if ("short_message" in pdu.fields or pdu.tlvs) else None
    receipt_from_pdu(pdu)
    decode_pdu(pdu.encode())


@pytest.mark.fuzz
@settings(max_examples=_examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_fuzz_random_bytes_only_decode_error(data: bytes) -> None:
    try:
        pdu = decode_pdu(data)
    except DecodeError:
        return
    _exercise(pdu)


@pytest.mark.fuzz
@settings(max_examples=_examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 0xFFFFFFFF), st.sampled_from([t.command_id for t in PDU_TYPES] + [0x999]),
       st.binary(max_size=120))
def test_fuzz_random_bodies_never_raise(status: int, command_id: int, body: bytes) -> None:
    pdu = decode_pdu(_with_body(command_id, body, status))
    assert pdu.command_id == command_id
    _exercise(pdu)


@pytest.mark.fuzz
@settings(max_examples=_examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                         min_size=1, max_size=6),
       st.integers(0, 40))
def test_fuzz_mutated_valid_pdus(data: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    buf = bytearray(data)
    for pos, value in flips:
        buf[16 + pos % max(1, len(buf) - 16) if len(buf) > 16 else 0] = value
    if cut and len(buf) - cut >= 16:
        del buf[len(buf) - cut:]
    buf[0:4] = struct.pack(">I", len(buf))
    pdu = decode_pdu(bytes(buf))  # length is consistent: must never raise
    _exercise(pdu)


def test_whole_pdu_rules() -> None:
    dl = decode_pdu(Pdu("deliver_sm", 1, {"validity_period": "000001000000000R",
                                          "short_message": b"x"}, [Tlv(0x0424, b"y")]).encode())
    assert "validity_period: must be empty in deliver_sm" in dl.warnings
    assert any("sm_length must be 0" in w for w in dl.warnings)
    dc = decode_pdu(Pdu("submit_sm", 1, {"data_coding": 0x0B}).encode())
    assert dc.warnings == ["data_coding: 0x0B is reserved in SMPP 3.4"]


def test_values_that_do_not_fit_are_refused_on_encode() -> None:
    with pytest.raises(PduError, match="esm_class: 300 does not fit in 1 octet"):
        Pdu("submit_sm", 1, {"esm_class": 300}).encode()
    with pytest.raises(PduError, match="256 octets do not fit sm_length"):
        Pdu("submit_sm", 1, {"short_message": b"x" * 256}).encode()
    with pytest.raises(PduError, match="cannot be sent in a C-string"):
        Pdu("submit_sm", 1, {"source_addr": "Инфо"}).encode()
    with pytest.raises(PduError, match="number_of_dests: 256"):
        Pdu("submit_multi", 1, {"dest_address": ["1"] * 256}).encode()
    with pytest.raises(PduError, match="does not fit in 1 octet"):
        Tlv("sar_total_segments", 256)
    with pytest.raises(PduError):
        Tlv(0x10000, b"")
    assert Pdu("submit_sm", 1, {"short_message": b"x" * 255}).encode()[-256] == 255


def test_decode_all_hex() -> None:
    from console.smpp import decode_all

    two = Pdu("enquire_link", 1).encode() + Pdu("enquire_link_resp", 1).encode()
    assert [p.command for p in decode_all(two.hex(" "))] == ["enquire_link", "enquire_link_resp"]
    with pytest.raises(DecodeError, match="do not form a whole PDU"):
        decode_all(two[:-1])
    with pytest.raises(DecodeError, match="not hex"):
        decode_all("xyz")


@pytest.mark.parametrize("status", [0x22, 0xFF, 0x0A, 0x0C, 0x4A1])
def test_spec_command_statuses_are_named(status: int) -> None:
    """The spec's table of command statuses Infobip answers submit_sm with."""
    pdu = decode_pdu(_with_body(0x80000004, b"", status=status))
    assert not pdu.status_name.startswith("unknown")
    assert pdu.to_json()["command_status"]["value"] == status


def test_summary_lines() -> None:
    assert decode_pdu(number_context_deliver_sm()).summary == (
        "deliver_sm #77  385911234567 → 0000000000  receipt 40072910491427628 DELIVRD err 0")
    assert Pdu("submit_sm", 2, SM).summary == "submit_sm #2  InfoSMS → 41793026727  'Hello'"
    assert Pdu("submit_sm_resp", 2, command_status=0x0B).summary == "submit_sm_resp #2  ESME_RINVDSTADR"
    assert decode_pdu(_with_body(0x80000004, b"x")).summary.endswith("⚠ 1")


# ------------------------------------------------------------------ cross-check with Wireshark

def _flatten(obj: object, acc: dict[str, list]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, dict | list):
                _flatten(v, acc)
            else:
                acc.setdefault(k, []).append(v)
    elif isinstance(obj, list):
        for x in obj:
            _flatten(x, acc)


def _tshark_value(v: str) -> object:
    if v.startswith("0x"):
        return int(v, 16)
    return int(v) if v.isascii() and v.isdigit() else v


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed (apt-get install tshark)")
def test_field_values_agree_with_tshark(tmp_path) -> None:
    """Every PDU type written to a pcap, dissected by Wireshark's SMPP dissector: the values
    of every field both decoders name the same way must be equal."""
    from console.smpp.events import PduEvent
    from console.smpp.pcap import write_events

    raws = [Pdu(n, i + 1, f, t, s).encode() for i, (n, f, t, s) in enumerate(SAMPLES)]
    raws.append(number_context_deliver_sm())
    esme, smsc = ("127.0.0.1", 40001), ("127.0.0.1", 2775)
    write_events(tmp_path / "all.pcap", [
        PduEvent(1_700_000_000.0 + i, "in" if decode_pdu(r).is_response else "out", "s", esme,
                 smsc, r, None, None, None) for i, r in enumerate(raws)],
        redact=False)  # the bind passwords too: tshark must see the bytes we decode
    out = subprocess.run(["tshark", "-r", str(tmp_path / "all.pcap"), "-T", "json", "-J", "smpp",
                          "--no-duplicate-keys"], capture_output=True, text=True, timeout=60,
                         check=True)
    dissected: list[dict] = []
    for pkt in json.loads(out.stdout):
        layer = pkt["_source"]["layers"].get("smpp")
        if layer is not None:
            dissected.extend(layer if isinstance(layer, list) else [layer])
    assert len(dissected) == len(raws)
    skip = {"service_type", "schedule_delivery_time", "validity_period", "final_date"}
    compared = 0
    for raw, theirs in zip(raws, dissected, strict=True):
        pdu = decode_pdu(raw)
        acc: dict[str, list] = {}
        _flatten(theirs, acc)
        assert _tshark_value(acc["smpp.command_id"][0]) == pdu.command_id
        assert int(acc["smpp.sequence_number"][0]) == pdu.sequence_number
        assert int(acc["smpp.command_length"][0]) == len(raw)
        ours: dict[str, list] = {}
        for name, value in pdu.fields.items():
            if isinstance(value, list):
                for item in value:
                    for k, v in item.items():
                        ours.setdefault(k, []).append(v)
            else:
                ours[name] = [value]
        if "short_message" in ours and ours["short_message"][0]:
            ours["message"] = [ours.pop("short_message")[0].hex(":")]
        for name, values in ours.items():
            key = f"smpp.{name}"
            if name in skip or key not in acc:
                continue
            assert len(acc[key]) == len(values), (pdu.command, name)
            got = [v if isinstance(ours_v, str) else _tshark_value(v)
                   for v, ours_v in zip(acc[key], values, strict=True)]
            assert got == values, (pdu.command, name)
            compared += 1
        tags = [int(t, 16) for t in acc.get("smpp.opt_param_tag", [])]
        assert tags == [t.tag for t in pdu.tlvs], pdu.command
        for t in pdu.tlvs:
            key = f"smpp.{t.name}"
            if key in acc and not isinstance(t.decoded, bytes):
                theirs_v = acc[key][0]
                assert (theirs_v if isinstance(t.decoded, str) else _tshark_value(theirs_v)) == \
                    t.decoded, (pdu.command, t.name)
                compared += 1
    assert compared >= 120, compared


def test_a_misspelled_field_is_refused_not_dropped() -> None:
    from console.smpp.fields import PduError

    with pytest.raises(PduError, match=r"submit_sm has no field 'source_adr'.*source_addr"):
        Pdu("submit_sm", 1, fields={"source_adr": "x", "destination_addr": "1"}).encode()
    with pytest.raises(PduError, match="'dests'"):
        Pdu("submit_multi", 1, fields={"dests": ["41793026727"]}).encode()
    # every decoded PDU re-encodes: decoders only produce declared names
    for raw in (Pdu("submit_sm", 2, fields={"source_addr": "x"}).encode(),
                Pdu("submit_multi_resp", 3, fields={"message_id": "1"}).encode()):
        assert decode_pdu(raw).encode() == raw


def test_an_unknown_command_id_is_shown_once_in_hex() -> None:
    from console.smpp.render import render_tree

    head = render_tree(decode_pdu(bytes.fromhex("00000010ffffffff0000000000000007")))
    assert head.splitlines()[0].startswith("unknown (0xFFFFFFFF)  seq 7")
