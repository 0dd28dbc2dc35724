"""submit_sm and friends against the platform: encodings, long messages, time fields, the
spec's command statuses by scenario, query/cancel/replace, throttling, faults."""

from __future__ import annotations

import asyncio
import struct
from datetime import timedelta

import pytest
from test_smsc_support import RawClient, Tlv, make_platform, start_smsc

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def smsc():
    server = await start_smsc()
    yield server
    await server.stop()


@pytest.fixture
async def client(smsc):
    c = await RawClient().open(smsc.port)
    assert (await c.bind()).command_status == 0
    yield c
    await c.close()


def stored(smsc, resp):
    assert resp.command_status == 0, hex(resp.command_status)
    msg = smsc.platform.store.get(resp.fields["message_id"])
    assert msg is not None
    return msg


@pytest.mark.parametrize("dcs,payload,text,encoding", [
    (0, b"Hello \x00 world", "Hello @ world", "GSM7"),  # GSM 03.38 septet 0 is '@'
    (1, b"Hi there", "Hi there", "GSM7"),
    (3, "Grüße".encode("latin-1"), "Grüße", "LATIN1"),
    (8, "Привет 😀".encode("utf-16-be"), "Привет 😀", "UCS2"),
    (4, b"\x01\x02\xff", "01 02 ff", "BINARY"),  # binary passed through, shown as hex
])
async def test_data_codings(smsc, client, dcs, payload, text, encoding):
    msg = stored(smsc, await client.submit(text=payload, data_coding=dcs))
    assert msg.text == text
    assert msg.encoding == encoding
    assert msg.data_coding == dcs
    assert msg.sms_count == 1
    assert msg.door == "smpp" and msg.account == "Aladdin"


async def test_long_message_by_udh(smsc, client):
    parts = [b"A" * 153, b"B" * 153, b"C" * 10]
    ids = []
    for i, part in enumerate(parts, 1):
        udh = bytes([5, 0, 3, 0x2A, 3, i])
        resp = await client.submit(text=udh + part, esm_class=0x40)
        assert resp.command_status == 0
        ids.append(resp.fields["message_id"])
    assert len(set(ids)) == 3  # Infobip: every submit_sm gets its own message id …
    msg = smsc.platform.store.get(ids[0])
    assert all(smsc.platform.store.get(i) is msg for i in ids)  # … of one platform message
    assert msg.message_id == ids[0] and msg.part_ids == ids
    assert msg.text == "A" * 153 + "B" * 153 + "C" * 10
    assert msg.sms_count == 3
    assert msg.extra["smpp"]["concat"] == "udh"
    assert len(smsc.platform.store) == 1  # one /sms/1/logs entry, smsCount 3
    assert msg.to_dict()["smppPartIds"] == ids


async def test_long_message_by_sar_out_of_order(smsc, client):
    texts = ["Первая часть ", "вторая"]
    order = [2, 1]
    resp = None
    for seq in order:
        tlvs = [Tlv(0x020C, struct.pack(">H", 7)), Tlv(0x020E, bytes([2])), Tlv(0x020F, bytes([seq]))]
        resp = await client.submit(text=texts[seq - 1].encode("utf-16-be"), data_coding=8, tlvs=tlvs)
        assert resp.command_status == 0
    msg = stored(smsc, resp)
    assert msg.text == "Первая часть вторая"
    assert msg.sms_count == 2 and msg.encoding == "UCS2"


async def test_long_message_by_message_payload(smsc, client):
    body = b"x" * 400
    resp = await client.submit(text=b"", tlvs=[Tlv(0x0424, body)])
    msg = stored(smsc, resp)
    assert msg.text == "x" * 400
    assert msg.sms_count == 3  # 400 septets = 3 × 153
    assert msg.extra["smpp"]["concat"] == "payload"


async def test_short_message_and_payload_together_refused(smsc, client):
    resp = await client.submit(text=b"a", tlvs=[Tlv(0x0424, b"b")])
    assert resp.command_status == 0x01  # ESME_RINVMSGLEN


async def test_data_sm_answered_with_message_id(smsc, client):
    resp = await client.call("data_sm", {
        "service_type": "", "source_addr_ton": 5, "source_addr_npi": 0, "source_addr": "InfoSMS",
        "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "41793026727",
        "esm_class": 0, "registered_delivery": 1, "data_coding": 0}, [Tlv(0x0424, b"data sm")])
    assert resp.command == "data_sm_resp"
    assert smsc.platform.store.get(resp.fields["message_id"]).text == "data sm"


@pytest.mark.parametrize("suffix,status", [
    ("0004", 0x22),  # network not covered
    ("0006", 0xFF),  # insufficient balance
    ("0011", 0x0A),  # invalid source address
    ("0012", 0x0C),  # duplicate message id
    ("0008", 0x4A1),  # system error / channel disabled
])
async def test_spec_command_statuses_by_scenario(smsc, client, suffix, status):
    resp = await client.submit(dest="4179302" + suffix)
    assert resp.command_status == status
    refused = [m for m in smsc.platform.store if m.to.endswith(suffix)]
    assert refused and refused[0].smpp_status == status


async def test_uncovered_network_and_bad_source(smsc, client):
    assert (await client.submit(dest="999123456")).command_status == 0x22
    assert (await client.submit(source="BADSOURCE")).command_status == 0x0A
    assert (await client.submit(source="ThisSenderIsTooLong")).command_status == 0x0A
    assert (await client.submit(dest="")).command_status == 0x0B


async def test_real_balance_runs_out():
    smsc = await start_smsc(make_platform(balance=0.015))  # 0.01 per Swiss message
    c = await RawClient().open(smsc.port)
    await c.bind()
    assert (await c.submit()).command_status == 0
    assert (await c.submit()).command_status == 0xFF
    await c.close()
    await smsc.stop()


async def test_schedule_and_validity_relative_and_absolute(smsc, client):
    now = smsc.platform.clock.now()
    resp = await client.submit(schedule_delivery_time="000000010000000R",
                               validity_period="000001000000000R")
    msg = stored(smsc, resp)
    assert msg.send_at is not None
    assert abs((msg.send_at - now) - timedelta(hours=1)).total_seconds() < 60
    # relative validity counts from now (SMPP 3.4), so 23 h remain after the 1 h wait
    assert msg.validity_minutes == 23 * 60
    assert msg.status["groupName"] == "PENDING"
    absolute = (now + timedelta(hours=2)).strftime("%y%m%d%H%M%S") + "000+"
    msg2 = stored(smsc, await client.submit(validity_period=absolute))
    assert 118 <= msg2.validity_minutes <= 120


@pytest.mark.parametrize("field,value,status", [
    ("schedule_delivery_time", "tomorrow", 0x61),  # ESME_RINVSCHED
    ("validity_period", "2401011200", 0x62),  # ESME_RINVEXPIRY
    ("validity_period", "000000000000000R", 0x62),
])
async def test_bad_time_fields(smsc, client, field, value, status):
    assert (await client.submit(**{field: value})).command_status == status


async def test_query_cancel_replace(smsc, client):
    msg = stored(smsc, await client.submit(dest="41793020003", text=b"first"))  # never delivered
    q = await client.call("query_sm", {"message_id": msg.message_id, "source_addr_ton": 5,
                                       "source_addr_npi": 0, "source_addr": "InfoSMS"})
    assert q.command_status == 0 and q.fields["message_state"] == 1  # ENROUTE
    r = await client.call("replace_sm", {
        "message_id": msg.message_id, "source_addr_ton": 5, "source_addr_npi": 0,
        "source_addr": "InfoSMS", "schedule_delivery_time": "", "validity_period": "",
        "registered_delivery": 1, "sm_default_msg_id": 0, "short_message": b"second"})
    assert r.command_status == 0
    assert msg.text == "second"
    c = await client.call("cancel_sm", {"service_type": "", "message_id": msg.message_id,
                                        "source_addr_ton": 5, "source_addr_npi": 0,
                                        "source_addr": "InfoSMS", "dest_addr_ton": 1,
                                        "dest_addr_npi": 1, "destination_addr": msg.to})
    assert c.command_status == 0
    q2 = await client.call("query_sm", {"message_id": msg.message_id, "source_addr_ton": 5,
                                        "source_addr_npi": 0, "source_addr": "InfoSMS"})
    assert q2.fields["message_state"] == 4  # DELETED
    assert q2.fields["final_date"]
    assert msg.final
    assert msg.error["id"] == 4100 and msg.timer is None  # its pending timer is gone
    # a second cancel fails; an unknown id cannot be queried
    again = await client.call("cancel_sm", {"message_id": msg.message_id})
    assert again.command_status == 0x11
    unknown = await client.call("query_sm", {"message_id": "nope"})
    assert unknown.command_status == 0x67


async def test_replace_moves_expiry_and_cancel_by_part_id(smsc, client):
    msg = stored(smsc, await client.submit(dest="41793020003", text=b"never delivered"))
    r = await client.call("replace_sm", {
        "message_id": msg.message_id, "schedule_delivery_time": "",
        "validity_period": "000000000500000R", "registered_delivery": 1,
        "short_message": b""})
    assert r.command_status == 0
    assert msg.text == "never delivered"  # empty short_message: text kept
    assert msg.validity_minutes == 5
    assert msg.timer is not None and msg.timer.when <= msg.expires_at.timestamp()
    smsc.platform.clock.advance(6 * 60)
    await asyncio.sleep(0.05)
    assert msg.final and msg.status["groupName"] == "EXPIRED"
    # a multipart message is cancelled by any of its parts' ids
    ids = []
    for i in (1, 2):
        resp = await client.submit(dest="41793020003", text=bytes([5, 0, 3, 9, 2, i]) + b"x",
                                   esm_class=0x40)
        ids.append(resp.fields["message_id"])
    c = await client.call("cancel_sm", {"message_id": ids[1]})
    assert c.command_status == 0
    assert smsc.platform.store.get(ids[0]).final


async def test_throttle():
    smsc = await start_smsc(throttle_per_second=3)
    c = await RawClient().open(smsc.port)
    await c.bind()
    statuses = [(await c.submit()).command_status for _ in range(6)]
    assert statuses[:3] == [0, 0, 0]
    assert 0x58 in statuses[3:]  # ESME_RTHROTTLED
    await c.close()
    await smsc.stop()


async def test_fault_fail_next_submits(smsc, client):
    smsc.faults.fail_submits(2, 0x14)  # ESME_RMSGQFUL
    statuses = [(await client.submit()).command_status for _ in range(3)]
    assert statuses == [0x14, 0x14, 0]


async def test_flash_session(smsc):
    c = await RawClient().open(smsc.port)
    await c.bind(system_type="NSMS")
    msg = stored(smsc, await c.submit(text=b"Flash!"))
    assert msg.flash is True
    assert msg.data_coding == 0x10  # GSM 03.38 message class 0
    long_resp = await c.submit(text=bytes([5, 0, 3, 1, 2, 1]) + b"x" * 100, esm_class=0x40)
    assert long_resp.command_status == 0x01  # the spec: no long SMS for flash
    payload = await c.submit(text=b"", tlvs=[Tlv(0x0424, b"y" * 200)])
    assert payload.command_status == 0x01
    await c.close()


async def test_submit_multi(smsc, client):
    resp = await client.call("submit_multi", {
        "service_type": "", "source_addr_ton": 5, "source_addr_npi": 0, "source_addr": "InfoSMS",
        "dest_address": [
            {"dest_flag": 1, "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "41793026727"},
            {"dest_flag": 1, "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "41793020004"},
        ],
        "esm_class": 0, "protocol_id": 0, "priority_flag": 0, "schedule_delivery_time": "",
        "validity_period": "", "registered_delivery": 1, "replace_if_present_flag": 0,
        "data_coding": 0, "sm_default_msg_id": 0, "short_message": b"to many"})
    assert resp.command == "submit_multi_resp" and resp.command_status == 0
    bulk = [m for m in smsc.platform.store if m.bulk_id == resp.fields["message_id"]]
    assert sorted(m.to for m in bulk) == ["41793020004", "41793026727"]
    unsuccess = resp.fields.get("unsuccess_sme") or []
    assert [u["destination_addr"] for u in unsuccess] == ["41793020004"]
    assert unsuccess[0]["error_status_code"] == 0x22


async def test_message_visible_in_store_logs(smsc, client):
    msg = stored(smsc, await client.submit(text=b"to the logs"))
    logs = smsc.platform.store.logs("Aladdin", smsc.platform.clock.now())
    assert [m.message_id for m in logs] == [msg.message_id]
    assert logs[0].log()["text"] == "to the logs"
    await asyncio.sleep(0)


async def test_surrogate_pair_split_over_two_udh_parts(smsc, client):
    emoji = "😀".encode("utf-16-be")  # d83d de00
    resp = None
    for i, chunk in enumerate((b"\x00A" + emoji[:2], emoji[2:] + b"\x00B"), 1):
        resp = await client.submit(text=bytes([5, 0, 3, 9, 2, i]) + chunk, data_coding=8,
                                   esm_class=0x40)
    assert stored(smsc, resp).text == "A😀B"


async def test_incomplete_long_message_is_not_submitted(smsc, client):
    resp = await client.submit(text=bytes([5, 0, 3, 11, 3, 1]) + b"part one", esm_class=0x40)
    assert resp.command_status == 0 and resp.fields["message_id"]
    assert len(smsc.platform.store) == 0
    assert len(smsc.messages.reassembler) == 1
    bad = await client.submit(text=bytes([5, 0, 3, 11, 3, 4]) + b"x", esm_class=0x40)
    assert bad.command_status == 0x43  # ESME_RINVESMCLASS: part 4 of 3


async def test_fast_responses_equal_the_codec(smsc, client):
    from console.smpp import Pdu

    out = []
    smsc.subscribe(lambda e: out.append(e) if e.direction == "out" else None)
    await client.submit()
    await client.submit(dest="41793020004")  # refused: 0x22
    await client.call("enquire_link")
    assert [e.command for e in out] == ["submit_sm_resp", "submit_sm_resp", "enquire_link_resp"]
    ok, refused, link = out
    assert ok.raw == Pdu("submit_sm", sequence_number=ok.sequence_number).response(
        0, message_id=ok.pdu.fields["message_id"]).encode()
    assert refused.raw == Pdu("submit_sm", sequence_number=refused.sequence_number).response(
        0x22).encode()
    assert link.raw == Pdu("enquire_link", sequence_number=link.sequence_number).response(0).encode()
