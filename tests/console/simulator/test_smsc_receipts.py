"""Receipts, MO and Number Context as deliver_sm: format, TLVs, round robin, queueing, retry."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest
from test_smsc_support import RawClient, make_platform, start_smsc, tlvs_of

from console.smpp import Pdu

pytestmark = pytest.mark.timeout(30)

RECEIPT = re.compile(r"^id:(\S+) sub:001 dlvrd:(\d{3}) submit date:\d{10} done date:\d{10} "
                     r"stat:(\w+) err:(\d{3})$")


@pytest.fixture
async def smsc():
    server = await start_smsc()
    yield server
    await server.stop()


async def bound(smsc, command="bind_transceiver", **kw):
    c = await RawClient().open(smsc.port)
    assert (await c.bind(command, **kw)).command_status == 0
    return c


async def test_receipt_format_and_tlvs(smsc):
    c = await bound(smsc)
    mid = (await c.submit(registered_delivery=1)).fields["message_id"]
    [dr] = await c.deliveries(1)
    assert dr.fields["esm_class"] == 0x04
    m = RECEIPT.match(dr.fields["short_message"].decode())
    assert m, dr.fields["short_message"]
    assert m.groups() == (mid, "001", "DELIVRD", "000")
    # the router's cached formatting says exactly what the codec's format_receipt says
    from console.smpp.receipt import format_receipt

    msg = smsc.platform.store.get(mid)
    assert dr.fields["short_message"].decode() == format_receipt(
        mid, "DELIVRD", 0, submit=msg.submitted_at, done=msg.done_at, dlvrd=1)
    tl = tlvs_of(dr)
    assert tl[0x001E] == mid.encode() + b"\x00"  # receipted_message_id
    assert tl[0x0427] == bytes([2])  # message_state DELIVERED
    assert tl[0x0423] == bytes([3, 0, 0])  # network_error_code: GSM, 0
    assert dr.fields["source_addr"] == "41793026727"
    assert dr.fields["destination_addr"] == "InfoSMS"
    await asyncio.sleep(0.01)
    assert smsc.router.unacknowledged == 0
    await c.close()


async def test_multipart_receipt_per_part(smsc):
    c = await bound(smsc)
    ids = []
    for i in (1, 2, 3):
        resp = await c.submit(text=bytes([5, 0, 3, 0x33, 3, i]) + b"part", esm_class=0x40,
                              registered_delivery=1)
        ids.append(resp.fields["message_id"])
    drs = await c.deliveries(3)
    for d in drs:  # the router's prebuilt bytes are what the codec encodes for these values
        assert not d.warnings and d.fields["data_coding"] == 0 and d.fields["esm_class"] == 4
        assert Pdu("deliver_sm", d.sequence_number, d.fields, d.tlvs).encode() == d.raw
    got = [RECEIPT.match(d.fields["short_message"].decode()).group(1) for d in drs]
    assert sorted(got) == sorted(ids) and len(set(ids)) == 3
    assert sorted(tlvs_of(d)[0x001E] for d in drs) == sorted(i.encode() + b"\x00" for i in ids)
    [msg] = list(smsc.platform.store)  # the logs still show one message of 3 parts
    assert msg.sms_count == 3 and msg.log()["messageId"] == ids[0]
    await c.close()


async def test_receipt_to_a_numeric_sender_is_codec_exact(smsc):
    c = await bound(smsc)
    mid = (await c.submit(source="38591000", registered_delivery=1)).fields["message_id"]
    [dr] = await c.deliveries(1)
    assert (dr.fields["dest_addr_ton"], dr.fields["dest_addr_npi"]) == (1, 1)
    assert dr.fields["destination_addr"] == "38591000" and not dr.warnings
    assert RECEIPT.match(dr.fields["short_message"].decode()).group(1) == mid
    assert (dr.fields["esm_class"], dr.fields["data_coding"], dr.fields["protocol_id"]) == (4, 0, 0)
    assert tlvs_of(dr)[0x001E] == mid.encode() + b"\x00"
    assert Pdu("deliver_sm", dr.sequence_number, dr.fields, dr.tlvs).encode() == dr.raw
    await c.close()


async def test_failure_only_receipts_and_error_code(smsc):
    c = await bound(smsc)
    await c.submit(dest="41793026727", registered_delivery=2)  # delivered: no receipt wanted
    failed = (await c.submit(dest="41793020002", registered_delivery=2)).fields["message_id"]
    [dr] = await c.deliveries(1)
    m = RECEIPT.match(dr.fields["short_message"].decode())
    assert m.groups() == (failed, "000", "UNDELIV", "001")  # EC_UNKNOWN_SUBSCRIBER
    assert tlvs_of(dr)[0x0427] == bytes([5])
    assert smsc.router.sent == 1
    await c.close()


async def test_no_receipt_without_registered_delivery(smsc):
    c = await bound(smsc)
    mid = (await c.submit(registered_delivery=0)).fields["message_id"]
    msg = smsc.platform.store.get(mid)
    smsc.platform.clock.advance(60)
    for _ in range(100):
        if msg.final:
            break
        await asyncio.sleep(0.01)
    assert msg.final and msg.status["groupName"] == "DELIVERED"
    assert smsc.router.sent == 0 and smsc.router.queued == 0
    await c.close()


async def test_intermediate_reports_when_asked(smsc):
    c = await bound(smsc)
    await c.submit(dest="41793020001", registered_delivery=0x11)  # absent, absent, delivered
    smsc.platform.clock.advance(1300)
    drs = await c.deliveries(3)
    assert [d.fields["esm_class"] for d in drs] == [0x20, 0x20, 0x04]
    assert [RECEIPT.match(d.fields["short_message"].decode()).group(3) for d in drs] == [
        "ENROUTE", "ENROUTE", "DELIVRD"]
    await c.close()


async def test_receipts_spread_over_four_sessions(smsc):
    sender = await bound(smsc, "bind_transmitter")
    receivers = [await bound(smsc, "bind_receiver") for _ in range(3)]
    receivers.append(await bound(smsc, "bind_receiver", system_id="Bob", password="builder1"))
    for _ in range(9):
        assert (await sender.submit()).command_status == 0
    got = [await r.deliveries(3) for r in receivers[:3]]
    assert [len(g) for g in got] == [3, 3, 3]  # round robin: evenly, and only the owner's
    ids = {RECEIPT.match(d.fields["short_message"].decode()).group(1) for g in got for d in g}
    assert len(ids) == 9
    per_session = Counter(s.receipts_sent for s in smsc.sessions if s.system_id == "Aladdin")
    assert per_session == Counter({0: 1, 3: 3})  # the transmitter gets none
    assert next(s for s in smsc.sessions if s.system_id == "Bob").receipts_sent == 0
    for c in [sender, *receivers]:
        await c.close()


async def test_receipts_queued_until_a_receiver_binds(smsc):
    tx = await bound(smsc, "bind_transmitter")
    ids = [(await tx.submit()).fields["message_id"] for _ in range(3)]
    for _ in range(200):
        if smsc.router.queued == 3:
            break
        await asyncio.sleep(0.01)
    assert smsc.router.queued == 3
    rx = await bound(smsc, "bind_receiver")
    drs = await rx.deliveries(3)
    assert [RECEIPT.match(d.fields["short_message"].decode()).group(1) for d in drs] == ids
    assert smsc.router.queued == 0
    for c in (tx, rx):
        await c.close()


async def test_unacknowledged_receipt_is_retried():
    smsc = await start_smsc(receipt_retry=0.1)
    c = await bound(smsc)
    mid = (await c.submit()).fields["message_id"]
    first = (await c.deliveries(1, ack=False))[0]
    again = (await c.deliveries(1))[0]  # not answered: sent again
    assert again.sequence_number != first.sequence_number
    assert tlvs_of(again)[0x001E] == tlvs_of(first)[0x001E] == mid.encode() + b"\x00"
    assert smsc.router.retried >= 1
    await c.close()
    await smsc.stop()


async def test_receipt_in_flight_moves_to_another_session_when_one_closes(smsc):
    a = await bound(smsc, "bind_receiver")
    tx = await bound(smsc, "bind_transmitter")
    mid = (await tx.submit()).fields["message_id"]
    await a.deliveries(1, ack=False)
    b = await bound(smsc, "bind_receiver")
    await a.close()  # took it, never answered, went away
    [dr] = await b.deliveries(1)
    assert tlvs_of(dr)[0x001E] == mid.encode() + b"\x00"
    for c in (tx, b):
        await c.close()


async def test_stop_receipts_fault_holds_them(smsc):
    c = await bound(smsc)
    smsc.faults.stop_receipts()
    await c.submit()
    for _ in range(200):
        if smsc.router.queued:
            break
        await asyncio.sleep(0.01)
    assert smsc.router.queued == 1 and smsc.router.sent == 0
    smsc.faults.resume_receipts()
    assert len(await c.deliveries(1)) == 1


async def test_mo_delivered_to_receiver(smsc):
    c = await bound(smsc, "bind_receiver")
    smsc.platform.inject_mo("41793026727", "41793026700", "KEY hello @ home")
    [mo] = await c.deliveries(1)
    assert mo.fields["esm_class"] == 0
    assert mo.fields["source_addr"] == "41793026727"
    assert mo.fields["destination_addr"] == "41793026700"
    assert mo.fields["data_coding"] == 0
    assert mo.fields["short_message"] == b"KEY hello \x00 home"  # GSM 03.38: '@' is septet 0
    await c.close()


async def test_number_context_success():
    smsc = await start_smsc(make_platform())
    c = await bound(smsc, system_type="HLR")
    resp = await c.submit(dest="385911234567", source="ignored")
    mid = resp.fields["message_id"]
    [dr] = await c.deliveries(1)
    text = dr.fields["short_message"].decode()
    assert text.startswith(f"id:{mid} sub:001 dlvrd:001 ")
    assert "stat:DELIVRD err:000" in text
    info = smsc.platform.number_info("385911234567")["details"]
    assert f"IMSI:{info['imsi']} MSC:{info['msc']} HLR:{info['hlr']} " in text
    assert text.endswith("ORN:A1 Hrvatska PON:A1 Hrvatska RON:A1 Hrvatska ROC:HR MCCMNC:21910")
    tl = tlvs_of(dr)
    assert tl[0x1403] == info["imsi"].encode()  # SMPP_VENDOR_SPECIFIC_IMSI
    assert tl[0x1416] == b"21910\x00"  # MCCMNC
    assert tl[0x1412] == b"A1 Hrvatska\x00"  # original network name
    assert tl[0x1409] == info["hlr"].encode() + b"\x00"  # serving HLR
    assert int.from_bytes(tl[0x1418], "big") == round(info["price"] * 100 + 0.5 - 1e-9)
    assert tl[0x1424] == b"385\x00" and tl[0x1423] == b"HR\x00"
    assert int.from_bytes(tl[0x1421], "big") == 0  # not ported
    assert tl[0x0427] == bytes([2])
    assert len(smsc.platform.store) == 0  # a lookup, not a message
    await c.close()
    await smsc.stop()


async def test_number_context_failure_and_ported():
    smsc = await start_smsc(make_platform())
    c = await bound(smsc, system_type="HLR")
    await c.submit(dest="385910000002")
    [dr] = await c.deliveries(1)
    text = dr.fields["short_message"].decode()
    assert "stat:UNDELIV err:001" in text
    assert text.endswith(" IMSI:MSC:ORN:A1 Hrvatska MCCMNC:")
    assert tlvs_of(dr)[0x0427] == bytes([5])
    await c.submit(dest="385910000013")  # ported scenario
    [dr2] = await c.deliveries(1)
    tl = tlvs_of(dr2)
    assert int.from_bytes(tl[0x1421], "big") == 1
    assert tl[0x1413] != tl[0x1412]  # ported network differs from the original
    assert 0x143E in tl and 0x1442 in tl
    await c.close()
    await smsc.stop()


async def test_hlr_results_not_sent_to_sms_sessions(smsc):
    sms = await bound(smsc, "bind_receiver")
    hlr = await bound(smsc, system_type="HLR")
    await hlr.submit(dest="385911234567")
    await hlr.deliveries(1)
    assert next(s for s in smsc.sessions if s.kind == "sms").receipts_sent == 0
    for c in (sms, hlr):
        await c.close()


def test_fast_deliver_sm_encoder_matches_the_codec():
    """The SMSC encodes its deliver_sm with a plain struct encoder; it must equal the codec."""
    from console.simulator import hlr
    from console.simulator.smsc_wire import encode_deliver_sm
    from console.smpp import Pdu, Tlv, decode_pdu

    platform = make_platform()
    now = platform.clock.now()
    text, tlvs, _, _ = hlr.number_context("abc", "385911234567",
                                          platform.number_info("385911234567"), now, now,
                                          {"21910": "HR"})
    fields = {"source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "385911234567",
              "dest_addr_ton": 5, "dest_addr_npi": 0, "destination_addr": "InfoSMS",
              "esm_class": 4, "data_coding": 0, "short_message": text.encode()}
    ours = encode_deliver_sm(77, fields, tlvs)
    codec = Pdu("deliver_sm", sequence_number=77, fields=fields,
                tlvs=[Tlv(t.tag, t.value) for t in tlvs]).encode()
    assert ours == codec
    back = decode_pdu(ours)
    assert back.fields["short_message"] == text.encode() and not back.warnings
