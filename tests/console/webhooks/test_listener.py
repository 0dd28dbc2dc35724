"""The webhook listener over real sockets: valid, invalid, huge, XXE and billion-laughs bodies,
reply rules and sequences, MO by URL template, replay, the simulator's push loop, the CLI."""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
import pytest

from console.http.pretty import to_xml
from console.simulator import Simulator
from console.webhooks import WebhookHit, WebhookListener

SPEC_DLR = {"results": [
    {"bulkId": "BULK-ID-123-xyz", "messageId": "c9823180-94d4-4ea0-9bf3-ec907e7534a6",
     "to": "41793026731", "sentAt": "2015-06-04T13:01:52.933+0000",
     "doneAt": "2015-06-04T13:02:00.134+0000", "smsCount": 1,
     "price": {"pricePerMessage": 0.0001, "currency": "EUR"},
     "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
                "description": "Message delivered to handset"},
     "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
               "description": "No Error", "permanent": False},
     "callbackData": "There's no place like home."},
    {"bulkId": "BULK-ID-123-xyz", "messageId": "MESSAGE-ID-123-xyz", "to": "41793026727",
     "sentAt": "2015-06-04T13:01:52.937+0000", "doneAt": "2015-06-04T13:02:01.204+0000",
     "smsCount": 1, "price": {"pricePerMessage": 0.0001, "currency": "EUR"},
     "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
                "description": "Message delivered to handset"},
     "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
               "description": "No Error", "permanent": False},
     "callbackData": "There's no place like home."}]}

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<reportResponse><results><result><messageId>&xxe;</messageId></result></results></reportResponse>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<reportResponse>&lol4;</reportResponse>"""


@pytest.fixture
async def listener():
    lst = WebhookListener(max_body=10_000)
    await lst.start()
    yield lst
    await lst.stop()


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as c:
        yield c


async def test_json_dlr_is_recorded_with_its_reports(listener, http):
    seen: list[WebhookHit] = []
    listener.subscribe(seen.append)
    r = await http.post(listener.url + "/dlr?x=1", json=SPEC_DLR)
    assert r.status_code == 200
    hit = listener.hits[-1]
    assert seen == [hit]
    assert (hit.method, hit.path, hit.kind, hit.query) == ("POST", "/dlr", "dlr", [("x", "1")])
    assert hit.client[0] == "127.0.0.1" and hit.client[1] > 0
    assert json.loads(hit.body) == SPEC_DLR and hit.parsed == SPEC_DLR
    assert [r.message_id for r in hit.reports] == ["c9823180-94d4-4ea0-9bf3-ec907e7534a6",
                                                   "MESSAGE-ID-123-xyz"]
    rep = hit.reports[1]
    assert (rep.source, rep.final, rep.status_name, rep.error_name, rep.price, rep.callback_data
            ) == ("webhook", True, "DELIVERED_TO_HANDSET", "NO_ERROR", 0.0001,
                  "There's no place like home.")
    assert hit.reply_status == 200


async def test_xml_dlr_gives_the_same_reports_as_json(listener, http):
    await http.post(listener.url + "/dlr", json=SPEC_DLR)
    xml = to_xml("reportResponse", SPEC_DLR)
    await http.post(listener.url + "/dlr", content=xml, headers={"Content-Type": "application/xml"})
    j, x = listener.hits[0].reports, listener.hits[1].reports
    assert listener.hits[1].parse_error is None
    assert [r.outcome() for r in x] == [r.outcome() for r in j]
    assert [(r.price, r.currency, r.sent_at, r.callback_data) for r in x] == \
        [(r.price, r.currency, r.sent_at, r.callback_data) for r in j]


async def test_intermediate_path_marks_reports_intermediate(listener, http):
    await http.post(listener.url + "/intermediate", json=SPEC_DLR)
    hit = listener.hits[-1]
    assert hit.kind == "intermediate" and all(r.intermediate for r in hit.reports)


async def test_malformed_body_is_kept_raw_with_the_reason(listener, http):
    bad = b'{"results":[{"messageId":"x",}]}'
    r = await http.post(listener.url + "/dlr", content=bad,
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    hit = listener.hits[-1]
    assert hit.body == bad and hit.parsed is None and hit.reports == []
    assert "trailing comma" in hit.parse_error


async def test_huge_body_gets_413_and_is_still_recorded(listener, http):
    big = b'{"results": [' + b" " * 50_000 + b"]}"
    r = await http.post(listener.url + "/dlr", content=big,
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    hit = listener.hits[-1]
    assert hit.too_large and hit.reply_status == 413 and "larger than" in hit.parse_error
    assert len(hit.body) <= listener.max_body
    # chunked upload without Content-Length: cut while reading
    async def chunks():
        for _ in range(30):
            yield b"x" * 1000

    r = await http.post(listener.url + "/catch/all", content=chunks())
    assert r.status_code == 413
    assert listener.hits[-1].too_large and len(listener.hits[-1].body) == listener.max_body
    r = await http.post(listener.url + "/dlr", json=SPEC_DLR)  # still serving
    assert r.status_code == 200 and listener.count == 3


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
async def test_xml_entities_are_refused_not_expanded(listener, http, body):
    r = await http.post(listener.url + "/dlr", content=body,
                        headers={"Content-Type": "application/xml"})
    assert r.status_code == 200
    hit = listener.hits[-1]
    assert hit.parsed is None and hit.reports == []
    assert "not allowed" in hit.parse_error
    assert hit.body == body


async def test_reply_sequence_then_status_delay_and_catch_all(listener, http):
    listener.set_reply("/dlr", 200, body="thanks", sequence=[500, 500, 500])
    codes = [(await http.post(listener.url + "/dlr", json=SPEC_DLR)).status_code for _ in range(5)]
    assert codes == [500, 500, 500, 200, 200]
    assert [h.reply_status for h in listener.hits] == codes
    assert (await http.post(listener.url + "/dlr/sub", json={})).text == "thanks"
    listener.set_reply("*", 204)
    listener.set_reply("/mo", 202, delay=0.05)
    assert (await http.get(listener.url + "/anything/else")).status_code == 204
    assert (await http.get(listener.url + "/mo?sender=1&text=a")).status_code == 202
    assert listener.hits[-1].reply_delay == 0.05
    assert listener.hits[-2].kind == "other" and listener.hits[-2].path == "/anything/else"


async def test_mo_by_the_spec_url_template(listener, http):
    # the spec: who=%sender%&what=%text% → who=38598123123&what=ABC; %bin% → 414243
    await http.get(listener.url + "/mo", params={"sender": "38598123123", "receiver": "41793026727",
                                                 "text": "ABC", "bin": "", "datacoding": "0"})
    await http.get(listener.url + "/mo", params={"sender": "38598123123", "text": "",
                                                 "bin": "004100420043", "datacoding": "8"})
    await http.post(listener.url + "/mo", json={"results": [{
        "messageId": "ff4804ef", "from": "38598111", "to": "41793026727",
        "text": "KEY Test message", "cleanText": "Test message", "keyword": "KEY"}]})
    a, b, c = listener.hits
    assert a.kind == "mo" and a.mo["sender"] == "38598123123" and a.mo["text"] == "ABC"
    assert a.mo["receiver"] == "41793026727"
    assert b.mo["bin"] == "004100420043" and b.mo["bin_text"] == "ABC"
    assert c.mo["sender"] == "38598111" and c.mo["keyword"] == "KEY" and c.reports == []


async def test_replay_sends_the_same_request_elsewhere(listener, http):
    other = await WebhookListener().start()
    try:
        await http.post(listener.url + "/dlr?k=v", json=SPEC_DLR,
                        headers={"X-Test": "1", "Authorization": "Basic c2VjcmV0"})
        ex = await listener.replay(listener.hits[-1], other.url + "/dlr")
        assert ex.status == 200
        copy = other.hits[-1]
        assert copy.body == listener.hits[-1].body and copy.query == [("k", "v")]
        assert ("X-Test", "1") in copy.headers and len(copy.reports) == 2
    finally:
        await other.stop()
    d = listener.hits[-1].to_dict()
    assert "c2VjcmV0" not in json.dumps(d)
    back = WebhookHit.from_dict(d)
    assert back.body == listener.hits[-1].body and len(back.reports) == 2


async def test_simulator_pushes_final_and_intermediate_reports_with_retries(listener):
    sim = Simulator(time_scale=1.0)
    await sim.start()
    try:
        from console.http import HttpClient

        listener.set_reply("/dlr", 200, sequence=[500])
        async with HttpClient(sim.http_url, "Aladdin", "open sesame") as client:
            ex = await client.send_sms("41793020001", "absent, then delivered",
                                       notify_url=listener.url + "/dlr", intermediate_report=True,
                                       callback_data="cb")
            assert ex.ok, ex.error_message
            mid = ex.message_ids()[0]
            for _ in range(50):  # run the scenario, then the retry after the 500
                sim.clock.advance(600)
                await asyncio.sleep(0.02)
                if any(r.final for r in listener.reports()) and listener.count >= 4:
                    break
    finally:
        await sim.stop()
    reports = listener.reports()
    assert {r.message_id for r in reports} == {mid}
    inter = [r for r in reports if r.intermediate]
    final = [r for r in reports if r.final]
    assert inter and inter[0].error_name == "EC_ABSENT_SUBSCRIBER"
    assert final and final[-1].status_group == "DELIVERED" and final[-1].callback_data == "cb"
    first, retry = listener.hits[0], listener.hits[1]
    assert first.reply_status == 500 and retry.reply_status == 200
    assert retry.body == first.body  # the platform retried the same report after the 500


async def test_listen_command_prints_one_line_per_hit(http):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "console", "listen", "--port", "0", "--count", "2",
        "--fail-first", "1", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert first.startswith("listening on http://127.0.0.1:")
        url = first.split()[2]
        r1 = await http.post(url + "/dlr", json=SPEC_DLR)
        r2 = await http.get(url + "/mo", params={"sender": "385981", "text": "hi"})
        assert (r1.status_code, r2.status_code) == (500, 500)  # first hit of each path fails
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 10)).decode() for _ in range(2)]
        assert "POST /dlr → 500 | 2 report(s)" in lines[0]
        assert "GET /mo → 500 | MO from 385981" in lines[1]
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
