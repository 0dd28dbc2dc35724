"""The reference tables: complete against the spec (counts), exact (samples), never raising."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console import reference
from console.errors import ConsoleError
from console.paths import RESOURCES
from console.reference import (
    TABLES,
    Entry,
    UnknownTableError,
    command_id_name,
    command_status_name,
    decode_bits,
    http_error,
    http_status,
    lookup,
    search,
    table,
    tlv_info,
)

# Row counts, derived by reading the spec (infobip-technical-doc.zh-TW.txt) and SMPP 3.4.
EXPECTED_COUNTS = {
    "http_status_group": 6,  # 狀態群組: 0 ACCEPTED … 5 REJECTED
    "http_status": 34,  # 狀態 table: ids 1–31, 51, 52 (33 rows) + MESSAGE_ACCEPTED 0 of the examples
    "http_error_group": 4,  # 錯誤群組: OK, HANDSET_ERRORS, USER_ERRORS, OPERATOR_ERRORS
    "gsm_error": 91,  # GSM 錯誤代碼: 0 NO_ERROR … 5005 EC_VOICE_ERROR_UNSUPPORTED_AUDIO_FORMAT
    "smpp_gsm_error": 84,  # SMPP GSM 錯誤代碼: 0 NO_ERROR … 4102 EC_NotSubmittedToSmppChannel
    "smpp_command_id": 27,  # SMPP 3.4: 13 requests, 13 responses, generic_nack
    "smpp_command_status": 50,  # SMPP 3.4 (48) + Infobip 0x22 and 0x4A1
    "dlr_stat": 8,  # the spec's 7 MESSAGE_STAT values + ENROUTE (SMPP 3.4)
    "message_state": 8,  # SMPP 3.4 message_state 1–8
    "tlv": 65,  # SMPP 3.4 (44) + the spec's 19 Number Context TLVs + IMSI 0x1403 + MSC 0x1406
    "data_coding": 33,  # SMPP 3.4 (13) + GSM 03.38 message-class codings (20)
    "ton": 7,
    "npi": 10,
    "esm_class": 14,  # mode (4) + type (6) + GSM features (4)
    "registered_delivery": 10,  # receipt (4) + SME ack (4) + intermediate (2)
    "priority": 4,
    "smpp_field": 58,  # SMPP 3.4 header, body and submit_multi fields, TLV and UDH parts
}


def test_tables_are_exactly_the_contract_names() -> None:
    assert set(TABLES) == set(EXPECTED_COUNTS)
    on_disk = {p.stem for p in (RESOURCES / "reference").glob("*.json") if not p.stem.startswith("_")}
    assert on_disk == set(TABLES)


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_table_counts_match_the_spec(name: str) -> None:
    assert len(table(name)) == EXPECTED_COUNTS[name]


@pytest.mark.parametrize("name", TABLES)
def test_rows_are_well_formed(name: str) -> None:
    rows = json.loads((RESOURCES / "reference" / f"{name}.json").read_text("utf-8"))
    for row in rows:
        assert isinstance(row["id"], int) and row["id"] >= 0, row
        assert isinstance(row["name"], str) and row["name"], row
        assert isinstance(row["description"], str) and row["description"].strip(), row
    ids = [r["id"] for r in rows]
    if name in ("esm_class", "registered_delivery"):
        # bit fields: unique per (mask, value)
        assert len({(r["mask"], r["id"]) for r in rows}) == len(rows)
        assert all(r["id"] & ~r["mask"] == 0 for r in rows)
    else:
        assert len(set(ids)) == len(ids), f"duplicate id in {name}"


def test_http_status_samples() -> None:
    e = lookup("http_status", 5)
    assert (e.name, e["groupId"], e["groupName"]) == ("DELIVERED_TO_HANDSET", 3, "DELIVERED")
    assert e.description == "Message delivered to handset"
    assert e["description_zh"] == "訊息已傳送至手機"
    assert lookup("http_status", 7)["groupName"] == "PENDING"
    rejected = lookup("http_status", 6)
    assert rejected.name == "REJECTED_NETWORK" and rejected["groupId"] == 5
    assert rejected["action"] == "Contact account manager"
    assert rejected["action_zh"] == "請聯絡帳戶管理員"
    assert lookup("http_status", 52).name == "REJECTED_DESTINATION"
    assert lookup("http_status", 51).name == "MISSING_TO"
    assert lookup("http_status", 30)["groupName"] == "DELIVERED"
    assert lookup("http_status", 15).name == "EXPIRED_EXPIRED"
    accepted = lookup("http_status", 0)
    assert (accepted.name, accepted["groupName"]) == ("MESSAGE_ACCEPTED", "ACCEPTED")
    assert [e.id for e in table("http_status")][:4] == [0, 1, 2, 3]  # spec order
    groups = {e.id: e.name for e in table("http_status_group")}
    for e in table("http_status"):
        assert groups[e["groupId"]] == e["groupName"], e


def test_every_http_status_has_a_hint() -> None:
    assert all(e["hint"] for e in table("http_status"))
    assert "retries" in lookup("gsm_error", 27)["hint"]


def test_http_status_object_shape() -> None:
    assert http_status(5) == {"groupId": 3, "groupName": "DELIVERED", "id": 5,
                              "name": "DELIVERED_TO_HANDSET",
                              "description": "Message delivered to handset"}
    assert http_status(13)["action"] == "Remove sender from blacklist"
    assert "action" not in http_status(7)
    unknown = http_status(999)
    assert unknown["name"] == "unknown (0x03E7)" and unknown["groupId"] is None


def test_gsm_error_samples() -> None:
    e = lookup("gsm_error", 27)
    assert (e.name, e["groupId"], e["groupName"], e["permanent"]) == (
        "EC_ABSENT_SUBSCRIBER", 1, "HANDSET_ERRORS", False)
    assert lookup("gsm_error", 1)["permanent"] is True
    blacklisted = lookup("gsm_error", 2049)
    assert (blacklisted.name, blacklisted["groupName"], blacklisted["permanent"]) == (
        "EC_IMSI_BLACKLISTED", "USER_ERRORS", True)
    assert lookup("gsm_error", 10)["groupName"] == "OPERATOR_ERRORS"
    assert lookup("gsm_error", 5000)["groupName"] == "OK"
    assert lookup("gsm_error", 5005).name == "EC_VOICE_ERROR_UNSUPPORTED_AUDIO_FORMAT"
    assert lookup("gsm_error", 1162).name == "EC_NNR_DESTINATIONCANNOTPERFORMREASSEMBLYXUDT"
    assert http_error(0) == {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
                             "description": "No Error", "permanent": False}
    groups = {e.id: e.name for e in table("http_error_group")}
    for e in table("gsm_error"):
        assert groups[e["groupId"]] == e["groupName"], e


def test_smpp_gsm_error_keeps_the_spec_flags() -> None:
    # The SMPP table's permanence differs from the HTTP table's for some codes: keep each as written.
    assert lookup("smpp_gsm_error", 10)["permanent"] is False
    assert lookup("gsm_error", 10)["permanent"] is True
    assert lookup("smpp_gsm_error", 0)["permanent"] is None  # the spec's NULL
    assert lookup("smpp_gsm_error", 4097).name == "EC_NotSubmittedToGMSC"
    assert lookup("smpp_gsm_error", 4097)["permanent"] is True
    assert lookup("smpp_gsm_error", 256).name == "EC_SM_DF_memoryCapacityExceeded"
    assert lookup("smpp_gsm_error", "001").name == "EC_UNKNOWN_SUBSCRIBER"  # receipt err:001
    http_ids = {e.id for e in table("gsm_error")}
    smpp_ids = {e.id for e in table("smpp_gsm_error")}
    assert http_ids - smpp_ids == {501, 5000, 5001, 5002, 5003, 5004, 5005}
    assert smpp_ids <= http_ids


def test_command_ids() -> None:
    assert lookup("smpp_command_id", 0x00000004).name == "submit_sm"
    assert lookup("smpp_command_id", 0x80000004).name == "submit_sm_resp"
    assert lookup("smpp_command_id", "deliver_sm_resp").id == 0x80000005
    assert lookup("smpp_command_id", 0x80000000).name == "generic_nack"
    assert lookup("smpp_command_id", 0x0B).name == "outbind"
    assert lookup("smpp_command_id", 0x103).name == "data_sm"
    assert command_id_name(0x15) == "enquire_link"
    assert lookup("smpp_command_id", "submit_sm")["response_id"] == 0x80000004
    assert lookup("smpp_command_id", "bind_transceiver")["infobip_supported"] is True
    assert lookup("smpp_command_id", "submit_multi")["infobip_supported"] is False


def test_command_status_standard_and_infobip() -> None:
    assert lookup("smpp_command_status", 0x0E).name == "ESME_RINVPASWD"
    assert lookup("smpp_command_status", 0x0F).name == "ESME_RINVSYSID"
    assert lookup("smpp_command_status", 0x0B).name == "ESME_RINVDSTADR"
    assert lookup("smpp_command_status", 0x58).name == "ESME_RTHROTTLED"
    assert command_status_name(0) == "ESME_ROK"
    covered = lookup("smpp_command_status", 0x22)
    assert covered.name == "Network_Not_Covered" and covered["description_zh"] == "網路無法涵蓋"
    balance = lookup("smpp_command_status", 255)
    assert balance.name == "Insufficient_Balance" and balance["standard_name"] == "ESME_RUNKNOWNERR"
    assert lookup("smpp_command_status", "ESME_RUNKNOWNERR") is balance
    dup = lookup("smpp_command_status", 0x0C)
    assert dup.name == "Duplicate_Message_ID" and dup["standard_name"] == "ESME_RINVMSGID"
    src = lookup("smpp_command_status", 0x0A)
    assert src.name == "ESME_RINVSRCADR" and src["infobip"] is True
    assert lookup("smpp_command_status", "Invalid_Source_Address") is src
    system = lookup("smpp_command_status", 0x4A1)
    assert system.id == 1185 and system.name == "System_Error_or_Channel_Disabled"
    assert lookup("smpp_command_status", "channel_disabled") is system


def test_tlvs() -> None:
    imsi = tlv_info(0x1403)
    assert (imsi.name, imsi["type"], imsi["vendor"]) == ("imsi", "string", True)
    assert tlv_info("SMPP_VENDOR_SPECIFIC_IMSI") is imsi
    assert tlv_info(5129).name == "serving_hlr"  # the spec's decimal column
    assert tlv_info(0x1418)["type"] == "int4"  # price ×100
    assert tlv_info(0x1416).name == "mccmnc" and tlv_info(0x1416)["type"] == "cstring"
    payload = tlv_info(0x0424)
    assert (payload.name, payload["type"], payload["vendor"]) == ("message_payload", "octets", False)
    rmid = tlv_info("receipted_message_id")
    assert (rmid.id, rmid["type"], rmid["max_length"]) == (0x001E, "cstring", 65)
    assert tlv_info(0x0427)["type"] == "int1"
    assert tlv_info(0x0423)["min_length"] == tlv_info(0x0423)["max_length"] == 3
    assert tlv_info(0x020C).name == "sar_msg_ref_num" and tlv_info(0x020C)["type"] == "int2"
    vendor = {e.id for e in table("tlv") if e["vendor"]}
    assert vendor == {0x1403, 0x1406, 0x1409, 0x140B, 0x1412, 0x1413, 0x1414, 0x1415, 0x1416,
                      0x1417, 0x1418, 0x1419, 0x1420, 0x1421, 0x1422, 0x1423, 0x1424, 0x1425,
                      0x143E, 0x143F, 0x1442}
    allowed = {"int1", "int2", "int4", "cstring", "octets", "string"}
    assert {e["type"] for e in table("tlv")} <= allowed
    for e in table("tlv"):
        if e["type"].startswith("int"):
            assert e["min_length"] == e["max_length"] == int(e["type"][3:]), e


def test_small_smpp_tables() -> None:
    assert lookup("dlr_stat", "DELIVRD")["message_state"] == 2
    assert lookup("dlr_stat", "DELIVRD")["message_state_name"] == "DELIVERED"
    assert lookup("dlr_stat", "DELIVRD").id == 2
    assert lookup("dlr_stat", "REJECTED").name == "REJECTD"  # the spec's spelling
    assert lookup("dlr_stat", "delivery unknown").name == "UNKNOWN"
    assert lookup("message_state", 5).name == "UNDELIVERABLE"
    assert lookup("message_state", "UNDELIV").id == 5
    assert lookup("data_coding", 8).name == "UCS2" and lookup("data_coding", 8)["charset"] == "utf-16-be"
    assert lookup("data_coding", 3)["charset"] == "latin-1"
    assert lookup("data_coding", 0)["charset"] == lookup("data_coding", 1)["charset"] == "gsm7"
    assert lookup("data_coding", 0xF0)["message_class"] == 0
    assert lookup("ton", 5).name == "ALPHANUMERIC"
    assert lookup("npi", 1).name == "ISDN"
    assert lookup("npi", "land_mobile").id == 6
    assert lookup("priority", 3)["is_95"] == "Emergency"
    assert lookup("registered_delivery", 1).name == "RECEIPT_ALWAYS"


def test_decode_bits() -> None:
    names = [e.name for e in decode_bits("esm_class", 0x44)]
    assert names == ["MODE_DEFAULT", "TYPE_SMSC_DELIVERY_RECEIPT", "GSM_UDHI"]
    assert [e.name for e in decode_bits("registered_delivery", 0x11)] == [
        "RECEIPT_ALWAYS", "NO_SME_ACK", "INTERMEDIATE_REQUESTED"]
    with_reserved = decode_bits("registered_delivery", 0x21)
    assert with_reserved[-1].known is False and with_reserved[-1].id == 0x20
    odd_type = decode_bits("esm_class", 0x0C)  # message type bits 0011: not defined
    assert odd_type[1].known is False


@pytest.mark.parametrize("key", [11, "0x0b", "0X0B", "0x0000000B", "11", " esme_rinvdstadr ",
                                 "ESME_RINVDSTADR"])
def test_lookup_key_forms(key: int | str) -> None:
    assert lookup("smpp_command_status", key).name == "ESME_RINVDSTADR"


def test_unknown_codes_never_raise() -> None:
    e = lookup("smpp_command_status", 0x0400)
    assert isinstance(e, Entry) and e.known is False
    assert e.name == "unknown (0x0400)"
    assert "vendor" in e.description
    assert lookup("smpp_command_status", 0x0400).known is False
    assert lookup("gsm_error", 9999).name == "unknown (0x270F)"
    assert lookup("http_status", "NO_SUCH_STATUS").name == "unknown (NO_SUCH_STATUS)"
    assert lookup("smpp_command_id", 0x80000999).name == "unknown (0x80000999)"
    assert lookup("ton", "").known is False
    assert command_status_name(0x0999) == "unknown (0x0999)"
    vendor_tlv = tlv_info(0x1500)
    assert (vendor_tlv.known, vendor_tlv["type"], vendor_tlv["vendor"]) == (False, "octets", True)
    mwi = lookup("data_coding", 0xC1)
    assert (mwi.known, mwi["charset"]) == (False, "gsm7") and "message waiting" in mwi.description
    reserved_tlv = tlv_info(0x4000)
    assert (reserved_tlv.known, reserved_tlv["vendor"]) == (False, False)


def test_unknown_table_is_an_error() -> None:
    with pytest.raises(UnknownTableError) as info:
        lookup("no_such_table", 1)
    assert isinstance(info.value, ConsoleError)
    assert "http_status" in str(info.value)  # the message lists the valid names
    with pytest.raises(UnknownTableError):
        table("")
    with pytest.raises(UnknownTableError):
        search("5", tables=["nope"])


def test_entries_are_immutable_and_cached() -> None:
    e = lookup("http_status", 5)
    with pytest.raises(AttributeError):
        e.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        e.extra["groupId"] = 9  # type: ignore[index]
    assert lookup("http_status", "DELIVERED_TO_HANDSET") is e
    assert table("http_status")[e.id] is e  # id 0 is first, so index == id here
    assert hash(e) == hash(lookup("http_status", 5))
    assert e.hex == "0x0005"
    assert e.text("zh") == "訊息已傳送至手機" and e.text("en") == "Message delivered to handset"
    assert lookup("tlv", 0x0424).text("zh") == "Message content, used instead of short_message (up to 64K)"
    d = e.to_dict()
    assert d["groupName"] == "DELIVERED" and d["known"] is True
    json.dumps(d, ensure_ascii=False)


def test_search_by_name() -> None:
    found = search("EC_ABSENT_SUBSCRIBER")
    assert (found[0].table, found[0].id) == ("gsm_error", 27)
    assert ("smpp_gsm_error", 27) in [(e.table, e.id) for e in found]
    assert {e.name for e in found} == {"EC_ABSENT_SUBSCRIBER", "EC_ABSENT_SUBSCRIBER_SM"}
    assert [e.id for e in found[:2]] == [27, 27]  # exact names before substrings


def test_search_by_hex() -> None:
    found = search("0x0b")
    assert (found[0].table, found[0].name) == ("smpp_command_status", "ESME_RINVDSTADR")
    pairs = [(e.table, e.name) for e in found]
    assert ("smpp_command_id", "outbind") in pairs
    assert ("http_status", "REJECTED_SOURCE") in pairs  # id 11 in the HTTP table too
    assert all(e.id == 11 for e in found)


def test_search_by_stat_and_decimal() -> None:
    found = search("DELIVRD")
    assert (found[0].table, found[0].name) == ("dlr_stat", "DELIVRD")
    five = search("5")
    exact = [e for e in five if e.id == 5]
    assert five[: len(exact)] == exact  # exact ids first
    assert ("http_status", "DELIVERED_TO_HANDSET") in [(e.table, e.name) for e in exact]
    assert ("smpp_command_id", "deliver_sm") in [(e.table, e.name) for e in exact]
    assert {e.table for e in exact} >= {"http_status", "gsm_error", "ton", "dlr_stat"}


def test_search_text_and_limits() -> None:
    zh = search("缺少用戶")
    assert {e.id for e in zh if e.table == "gsm_error"} == {6, 27}
    assert search("throttling")[0].name == "ESME_RTHROTTLED"
    assert search("0x14", tables=["tlv"])[0].table == "tlv"
    assert all(e["vendor"] for e in search("0x14", tables=["tlv"]))
    assert lookup("smpp_command_status", 0xFF) in search("balance insufficient")  # every word
    assert len(search("EC_", limit=3)) == 3
    assert search("   ") == []
    assert search("zzz-no-such-thing") == []


def test_module_has_no_code_tables() -> None:
    # Names live in resources/, not Python: no status name is spelled in the module source.
    source = Path(str(reference.__file__)).read_text("utf-8")
    for name in ("ESME_RINVDSTADR", "EC_ABSENT_SUBSCRIBER", "DELIVERED_TO_HANDSET", "0x1403"):
        assert name not in source.split('"""', 2)[-1]


SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "infobip-technical-doc.zh-TW.txt"


@pytest.mark.skipif(not SPEC.exists(), reason="the spec is not next to this checkout")
def test_rows_are_transcribed_from_the_spec_text() -> None:
    # The spec's PDF-extracted tables wrap cells across lines; without whitespace each row reads
    # as id, group, name, Chinese text, flag in one run.
    flat = "".join(SPEC.read_text("utf-8").split())
    for e in table("http_status")[1:]:  # 0 comes from the examples, not the table
        row = f"{e.id}{e['groupId']}{e.name}{e['description_zh']}{e['action_zh'] or 'NULL'}"
        assert "".join(row.split()) in flat, e
    for e in table("gsm_error"):
        row = f"{e.id}{e['groupId']}{e.name}{e['description_zh']}{str(e['permanent']).lower()}"
        assert "".join(row.split()) in flat, e
    for e in table("smpp_gsm_error"):
        flag = {None: "NULL", True: "1", False: "0"}[e["permanent"]]
        assert f"{e.id}{e.name}{flag}" in flat, e
    for e in table("tlv"):
        if e["vendor"] and e.id not in (0x1403, 0x1406):
            assert f"0x{e.id:04x}{e.id}" in flat.lower(), e
    for e in table("http_status_group") + table("http_error_group"):
        assert f"{e.id}{e.name}{e['description_zh']}" in flat, e
    infobip = [e for e in table("smpp_command_status") if e.get("infobip")]
    assert {e.id for e in infobip} == {0x0A, 0x0C, 0x22, 0xFF, 0x4A1}
    for e in infobip:
        assert f"0x{e.id:08x}" in flat.lower() and "".join(e["description_zh"].split()) in flat, e


def test_field_meanings_cover_every_field_the_codec_names() -> None:
    import smpplib.client
    import smpplib.smpp

    from console.reference import field_meaning
    from console.smpp import decode_pdu

    seq = smpplib.client.SimpleSequenceGenerator()
    pdus = [smpplib.smpp.make_pdu("submit_sm", client=seq, source_addr="InfoSMS",
                                  destination_addr="41793026727", esm_class=0x40,
                                  short_message=b"\x05\x00\x03\x2a\x02\x01hi",
                                  sar_msg_ref_num=3),
            smpplib.smpp.make_pdu("bind_transceiver", client=seq, system_id="a", password="b"),
            smpplib.smpp.make_pdu("deliver_sm", client=seq, source_addr="1", destination_addr="2",
                                  short_message=b"id:1 stat:DELIVRD", message_state=2)]
    missing = set()

    def walk(spans):
        for span in spans:
            if not field_meaning(span.name) and not lookup("tlv", span.name).known:
                missing.add(span.name)
            walk(span.children)

    for p in pdus:
        walk(decode_pdu(p.generate()).spans)
    assert not missing, f"fields without a meaning: {sorted(missing)}"
    assert "echoed in its response" in field_meaning("sequence_number")
    assert field_meaning("no_such_field") == ""
