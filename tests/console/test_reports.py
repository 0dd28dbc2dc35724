"""The one delivery-report model: builders for every source, the correlator, and the same
message's report arriving by HTTP pull, webhook and SMPP receipt giving equal records."""

from __future__ import annotations

import asyncio
import json

import pytest

from console.http import HttpClient
from console.http.pretty import to_xml
from console.reports import Correlator, DeliveryReport, parse_reports, reports_from_value
from console.simulator import Simulator
from console.webhooks import WebhookListener

SPEC_PULL = {"results": [{
    "bulkId": "80664c0c-e1ca-414d-806a-5caf146463df",
    "messageId": "bcfb828b-7df9-4e7b-8715-f34f5c61271a", "to": "41793026731",
    "sentAt": "2015-02-12T09:51:43.123+0100", "doneAt": "2015-02-12T09:51:43.127+0100",
    "smsCount": 1, "price": {"pricePerMessage": 0.01, "currency": "EUR"},
    "callbackData": "User defined data.",
    "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
               "description": "Message delivered to handset"},
    "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
              "description": "No Error", "permanent": False}}]}


def test_pull_result_of_the_spec_gives_every_field():
    (r,) = reports_from_value(SPEC_PULL, "http-pull", received_at=1.0)
    assert (r.message_id, r.bulk_id, r.to, r.source) == (
        "bcfb828b-7df9-4e7b-8715-f34f5c61271a", "80664c0c-e1ca-414d-806a-5caf146463df",
        "41793026731", "http-pull")
    assert (r.status_group_id, r.status_group, r.status_id, r.status_name) == (
        3, "DELIVERED", 5, "DELIVERED_TO_HANDSET")
    assert (r.error_group, r.error_id, r.error_name, r.error_permanent, r.gsm_error) == (
        "OK", 0, "NO_ERROR", False, 0)
    assert (r.sms_count, r.price, r.currency, r.callback_data) == (1, 0.01, "EUR",
                                                                   "User defined data.")
    assert (r.sent_at, r.done_at, r.final, r.delivered) == (
        "2015-02-12T09:51:43.123+0100", "2015-02-12T09:51:43.127+0100", True, True)
    assert json.loads(r.raw)["messageId"] == r.message_id
    assert DeliveryReport.from_dict(json.loads(json.dumps(r.to_dict()))) == r


def test_spec_intermediate_example_is_intermediate_despite_its_group_id():
    obj = json.loads(json.dumps(SPEC_PULL["results"][0]))
    obj["status"] = {"groupId": 3, "groupName": "PENDING", "id": 1,
                     "name": "PENDING_WAITING_DELIVERY"}
    obj["error"] = {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 27,
                    "name": "EC_ABSENT_SUBSCRIBER", "permanent": False}
    r = DeliveryReport.from_result(obj, "webhook")
    assert r.intermediate and r.error_name == "EC_ABSENT_SUBSCRIBER" and r.gsm_error == 27


def test_xml_and_json_bodies_give_equal_records():
    j, err_j = parse_reports(json.dumps(SPEC_PULL).encode(), "application/json", received_at=2.0)
    x, err_x = parse_reports(to_xml("reportResponse", SPEC_PULL).encode(), "application/xml",
                             received_at=2.0)
    assert err_j is err_x is None
    assert [(r.to_dict() | {"raw": ""}) for r in x] == [(r.to_dict() | {"raw": ""}) for r in j]
    bad, err = parse_reports(b"<reportResponse><results>", "application/xml")
    assert bad == [] and "invalid XML" in err


def test_receipt_text_maps_stat_and_err_to_the_http_objects():
    r = DeliveryReport.from_receipt(
        "id:40072910491427628 sub:001 dlvrd:001 submit date:1007291049 done date:1007291049 "
        "stat:DELIVRD err:000", to="38591xxxxxxx", received_at=3.0)
    assert (r.message_id, r.source, r.smpp_stat, r.final) == ("40072910491427628", "smpp",
                                                              "DELIVRD", True)
    assert (r.status_group, r.status_id, r.status_name) == ("DELIVERED", 5, "DELIVERED_TO_HANDSET")
    assert (r.error_id, r.error_name) == (0, "NO_ERROR")
    assert r.done_at == "2010-07-29T10:49:00.000+0000" and r.sms_count == 1
    u = DeliveryReport.from_receipt(
        "id:40072910491419819 sub:001 dlvrd:001 submit date:1007291049 done date:1007291049 "
        "stat:UNDELIV err:001")
    assert (u.status_group, u.error_name, u.error_permanent) == (
        "UNDELIVERABLE", "EC_UNKNOWN_SUBSCRIBER", True)
    e = DeliveryReport.from_receipt("id:1 stat:ENROUTE err:027")
    assert e.intermediate and e.status_group == "PENDING" and e.error_name == "EC_ABSENT_SUBSCRIBER"
    garbage = DeliveryReport.from_receipt("this is no receipt")
    assert garbage.message_id == "" and garbage.raw == "this is no receipt"


def test_correlator_links_by_id_in_any_spelling_with_latency():
    c = Correlator()
    c.add_submit("0a1b2c", time=100.0, door="smpp", to="41793026727", from_="InfoSMS")
    c.add_submit("MID-HTTP", time=50.0, door="http", bulk_id="B")
    by_decimal = c.link(DeliveryReport.from_receipt(f"id:{int('0a1b2c', 16)} stat:DELIVRD err:0",
                                                    received_at=112.5))
    assert (by_decimal.submit_door, by_decimal.latency, by_decimal.to, by_decimal.from_) == (
        "smpp", 12.5, "41793026727", "InfoSMS")
    http = c.link(DeliveryReport(message_id="MID-HTTP", source="webhook", received_at=51.0))
    assert (http.latency, http.bulk_id, http.submitted_at) == (1.0, "B", 50.0)
    stranger = DeliveryReport(message_id="nope", source="webhook", received_at=1.0)
    assert c.link(stranger) is stranger
    small = Correlator(max_entries=2)
    for i in range(3):
        small.add_submit(f"m{i}", time=float(i))
    assert small.lookup("m0") is None and small.lookup("m2") is not None
    assert len(small) == 2


def test_submits_awaiting_their_response_are_bounded_too():
    from console.smpp import Pdu
    from console.smpp.events import DECODE_LAZILY, PduEvent

    local, remote = ("127.0.0.1", 40000), ("127.0.0.1", 2775)
    c = Correlator(max_pending=3)
    for seq in range(1, 6):  # five submit_sm whose responses have not come (yet)
        sm = Pdu("submit_sm", seq, fields={"destination_addr": f"4179302672{seq}"}).encode()
        c.add_pdu_event(PduEvent.make(100.0 + seq, "out", "s", local, remote, sm, DECODE_LAZILY))
    assert c.waiting == 3
    for seq, mid in ((5, "AA05"), (1, "AA01")):  # the newest is remembered, the oldest not
        resp = Pdu("submit_sm_resp", seq, fields={"message_id": mid}).encode()
        assert c.add_pdu_event(PduEvent.make(110.0, "in", "s", local, remote, resp, DECODE_LAZILY,
                                             latency=2.0))
    assert c.waiting == 2
    assert (c.lookup("AA05").time, c.lookup("AA05").to) == (105.0, "41793026725")
    assert (c.lookup("AA01").time, c.lookup("AA01").to) == (108.0, None)  # from the latency


def _deliver_sm_like_the_smsc(event):
    """The deliver_sm the simulator's SMSC sends for a platform report event (its own code)."""
    from console.simulator.smsc_receipts import ESM_INTERMEDIATE, ESM_RECEIPT, MESSAGE_STATE
    from console.simulator.smsc_wire import Pdu, Tlv, decode_pdu, format_receipt

    msg = event.message
    text = format_receipt(msg.message_id, event.stat, event.err, submit=msg.submitted_at,
                          done=event.time)
    pdu = Pdu("deliver_sm", 7, {
        "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": msg.to,
        "dest_addr_ton": 5, "dest_addr_npi": 0, "destination_addr": msg.from_,
        "esm_class": ESM_INTERMEDIATE if event.intermediate else ESM_RECEIPT,
        "data_coding": 0, "short_message": text.encode()},
        [Tlv(0x001E, msg.message_id.encode() + b"\0"),
         Tlv(0x0427, bytes([MESSAGE_STATE.get(event.stat, 7)])),
         Tlv(0x0423, bytes([3]) + event.err.to_bytes(2, "big"))])
    raw = pdu.encode()
    try:  # our codec when it is there; the SMSC's own decoder otherwise
        from console.smpp import decode_pdu as ours

        return ours(raw)
    except ImportError:
        return decode_pdu(raw)


async def test_same_message_from_pull_webhook_and_smpp_gives_equal_records():
    # the simulator's default notifyUrl points at the listener: reports are pushed there and
    # stay pullable (a notifyUrl given in the request makes them push-only, as on the platform)
    listener = await WebhookListener().start()
    sim = Simulator(time_scale=1.0, notify_default_url=listener.url + "/dlr")
    await sim.start()
    events = []
    sim.platform.subscribe_reports(events.append)
    try:
        async with HttpClient(sim.http_url, "Aladdin", "open sesame") as client:
            ex = await client.send_sms("41793020001", "absent, then delivered",
                                       intermediate_report=True)
            mid = ex.message_ids()[0]
            for _ in range(100):
                sim.clock.advance(600)
                await asyncio.sleep(0.01)
                if any(r.final for r in listener.reports()):
                    break
            pulled = await client.fetch_reports(message_id=mid)
    finally:
        await listener.stop()
        await sim.stop()
    hooks = listener.reports()
    smpp = [DeliveryReport.from_pdu(_deliver_sm_like_the_smsc(e)) for e in events]
    assert len(pulled) == 1 and pulled[0].final
    final = {src: [r for r in reps if r.final] for src, reps in
             (("pull", pulled), ("webhook", hooks), ("smpp", smpp))}
    assert all(len(v) == 1 for v in final.values()), final
    outcomes = {src: v[0].outcome() for src, v in final.items()}
    assert outcomes["pull"] == outcomes["webhook"] == outcomes["smpp"]
    assert outcomes["pull"][:4] == (mid, "41793020001", True, "DELIVERED")
    # intermediate reports (not pullable): the webhook and SMPP ones agree too
    inter_w = [r.outcome() for r in hooks if r.intermediate]
    inter_s = [r.outcome() for r in smpp if r.intermediate]
    assert inter_w and inter_w == inter_s
    assert {r.source for r in (*pulled, *hooks, *smpp)} == {"http-pull", "webhook", "smpp"}


def test_non_receipt_pdus_are_not_reports():
    from console.simulator.smsc_wire import Pdu

    mo = Pdu("deliver_sm", 1, {"esm_class": 0, "source_addr": "385", "short_message": b"hi"})
    assert DeliveryReport.from_pdu(mo) is None
    assert DeliveryReport.from_pdu(Pdu("submit_sm", 1, {})) is None


@pytest.mark.parametrize("body", [b"", b"[]", b'{"results": "x"}', b'{"results": [{"no": 1}]}'])
def test_bodies_without_reports_give_none(body):
    assert parse_reports(body, "application/json")[0] == []


async def test_smpp_receipt_through_the_real_door_is_journaled_linked_and_matches_the_log(
        tmp_path):
    from console.journal import Journal
    from console.smpp.session import SmppSession

    sim = Simulator(time_scale=1.0, smpp_port=0)
    await sim.start()
    journal = Journal(tmp_path / "case.sqlite")
    try:
        session = SmppSession("127.0.0.1", sim.smpp_port, system_id="Aladdin",
                              password="opensesa", enquire_interval=None)
        session.events.subscribe(journal.append)  # before the bind: it is journaled too
        async with session:
            (mid,) = await session.send_sms("InfoSMS", "41793026727", "Hello over SMPP",
                                            registered_delivery=1)
            for _ in range(200):
                sim.clock.advance(60)
                await asyncio.sleep(0.01)
                journal.flush()
                if journal.count_reports(message_id=mid):
                    break
            async with HttpClient(sim.http_url, "Aladdin", "open sesame") as client:
                log = await client.logs(messageId=mid)
    finally:
        await sim.stop()
    (rep,) = journal.reports(message_id=mid)
    assert journal.count(kind="pdu") >= 6  # bind, submit, receipt and their responses
    journal.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("case.sqlite*"))
    assert b"opensesa".hex().encode() not in stored and b"opensesa" not in stored
    assert rep.source == "smpp" and rep.smpp_stat == "DELIVRD" and rep.final
    assert (rep.to, rep.from_) == ("41793026727", "InfoSMS")
    # linked by the journal's correlator to the submit_sm / submit_sm_resp it saw
    assert rep.submit_door == "smpp" and rep.latency is not None and rep.latency >= 0
    (entry,) = log.json()["results"]
    from_log = DeliveryReport.from_result(entry, "http-pull", intermediate=False)
    assert rep.outcome() == from_log.outcome()
