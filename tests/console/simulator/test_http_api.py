"""HTTP API v1 of the simulator, against the real server with httpx: every endpoint,
both formats, auth, consume-once, scheduling, validity, logs filters, lookup."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import defusedxml.ElementTree as DET
import httpx
import pytest

from console.simulator import Simulator

AUTH = ("Aladdin", "open sesame")
SPEC_AUTH = {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}
XML_HEADERS = {"Content-Type": "application/xml", "Accept": "application/xml"}


async def settle(cond, rounds: int = 1000) -> None:
    for _ in range(rounds):
        if cond():
            return
        await asyncio.sleep(0.005)


async def deliver_all(sim: Simulator, seconds: float = 3600) -> None:
    sim.clock.advance(seconds)
    await settle(lambda: all(m.final for m in sim.platform.store))


# -- auth ---------------------------------------------------------------------------------------
async def test_spec_authorization_header_works(sim):
    async with httpx.AsyncClient(base_url=sim.http_url) as c:
        r = await c.post("/sms/1/text/single", headers=SPEC_AUTH,
                         json={"from": "InfoSMS", "to": "41793026727", "text": "My first Infobip SMS"})
    assert r.status_code == 200


@pytest.mark.parametrize("header", [
    None, "Basic " + base64.b64encode(b"Aladdin:wrong").decode(), "Basic !!notbase64!!",
    "Bearer abc", "Basic " + base64.b64encode(b"no-colon").decode(),
])
async def test_bad_credentials_get_the_infobip_401(sim, header):
    headers = {"Authorization": header} if header else {}
    async with httpx.AsyncClient(base_url=sim.http_url) as c:
        r = await c.get("/sms/1/reports", headers=headers)
    assert r.status_code == 401
    assert r.json() == {"requestError": {"serviceException": {
        "messageId": "UNAUTHORIZED", "text": "Invalid login details"}}}


async def test_401_in_xml(sim):
    async with httpx.AsyncClient(base_url=sim.http_url) as c:
        r = await c.get("/sms/1/logs", headers={"Accept": "application/xml"})
    root = DET.fromstring(r.content)
    assert r.status_code == 401 and root.tag == "requestError"
    assert root.findtext("serviceException/messageId") == "UNAUTHORIZED"


# -- send ---------------------------------------------------------------------------------------------
async def test_single_json_as_in_the_spec(client):
    r = await client.post("/sms/1/text/single", json={"from": "InfoSMS", "to": "41793026727",
                                                     "text": "My first Infobip SMS"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert "bulkId" not in body
    (m,) = body["messages"]
    assert m["to"] == "41793026727" and m["smsCount"] == 1 and m["messageId"]
    assert m["status"] == {"groupId": 0, "groupName": "ACCEPTED", "id": 0, "name": "MESSAGE_ACCEPTED",
                           "description": "Message accepted"}


async def test_single_to_many_gets_a_bulk_id(client):
    r = await client.post("/sms/1/text/single", json={
        "from": "WineShop", "to": ["41793026727", "41793026834"],
        "text": "Wine shop grand opening at Monday 8pm.Don't forget glasses."})
    body = r.json()
    assert body["bulkId"] and [m["to"] for m in body["messages"]] == ["41793026727", "41793026834"]
    assert len({m["messageId"] for m in body["messages"]}) == 2


async def test_single_xml_in_xml_out(client):
    xml = ("<request><from>InfoSMS</from><to>41793026727</to><to>41793026834</to>"
           "<text>Hello from XML</text></request>")
    r = await client.post("/sms/1/text/single", content=xml, headers=XML_HEADERS)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = DET.fromstring(r.content)
    assert root.tag == "smsResponse" and root.findtext("bulkId")
    msgs = root.findall("messages/message")
    assert [m.findtext("to") for m in msgs] == ["41793026727", "41793026834"]
    assert msgs[0].findtext("status/name") == "MESSAGE_ACCEPTED" and msgs[0].findtext("smsCount") == "1"


async def test_xml_body_json_answer_by_accept(client):
    r = await client.post("/sms/1/text/single", content="<request><to>41793026727</to><text>x</text></request>",
                          headers={"Content-Type": "application/xml", "Accept": "application/json"})
    assert r.status_code == 200 and r.json()["messages"][0]["to"] == "41793026727"


async def test_multi(client):
    r = await client.post("/sms/1/text/multi", json={"messages": [
        {"from": "WineShop", "to": "41793026727", "text": "Hey Mike, delicious Istrian Malvazija is finally here."},
        {"from": "WineShop", "to": "41793026834", "text": "Hi Jenny " + "x" * 200},
    ]})
    body = r.json()
    assert r.status_code == 200 and body["bulkId"]
    assert [m["smsCount"] for m in body["messages"]] == [1, 2]


async def test_multi_xml(client):
    xml = ("<request><messages><message><from>WineShop</from><to>41793026727</to><text>a</text></message>"
           "<message><from>WineShop</from><to>41793026834</to><text>b</text></message></messages></request>")
    r = await client.post("/sms/1/text/multi", content=xml, headers=XML_HEADERS)
    root = DET.fromstring(r.content)
    assert r.status_code == 200 and len(root.findall("messages/message")) == 2


SPEC_ADVANCED = {
    "bulkId": "BULK-ID-123-xyz",
    "messages": [
        {"from": "InfoSMS",
         "destinations": [{"to": "41793026727", "messageId": "MESSAGE-ID-123-xyz"}, {"to": "41793026731"}],
         "text": "Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz.",
         "flash": False, "language": {"languageCode": "TR", "singleShift": True, "lockingShift": False},
         "transliteration": "TURKISH", "intermediateReport": True,
         "notifyUrl": "http://www.example.com/sms/advanced", "notifyContentType": "application/json",
         "callbackData": "DLR callback data", "validityPeriod": 720},
        {"from": "41793026700", "destinations": [{"to": "41793026785"}],
         "text": "A long time ago, in a galaxy far, far away...It is a period of civil war.Rebel spaceships, "
                 "striking from a hidden base, have won their first victory against the evil Galactic Empire.",
         "sendAt": "2015-07-07T17:00:00.000+01:00"},
    ],
    "tracking": {"track": "SMS", "type": "MY_CAMPAIGN"},
}


async def test_advanced_spec_example(client, sim):
    r = await client.post("/sms/1/text/advanced", json=SPEC_ADVANCED)
    assert r.status_code == 200
    body = r.json()
    assert body["bulkId"] == "BULK-ID-123-xyz"
    assert [m["to"] for m in body["messages"]] == ["41793026727", "41793026731", "41793026785"]
    assert body["messages"][0]["messageId"] == "MESSAGE-ID-123-xyz"
    assert body["messages"][2]["smsCount"] == 2  # 170 GSM characters
    stored = sim.platform.store.get("MESSAGE-ID-123-xyz")
    assert stored.callback_data == "DLR callback data" and stored.validity_minutes == 720
    assert stored.intermediate_report and stored.notify_url == "http://www.example.com/sms/advanced"
    assert stored.language == {"languageCode": "TR", "singleShift": True, "lockingShift": False}
    assert "ş" not in stored.text and "ğ" not in stored.text  # TURKISH transliteration applied
    assert stored.tracking == {"track": "SMS", "type": "MY_CAMPAIGN"}


async def test_advanced_flash_and_url_tracking(client, sim):
    r = await client.post("/sms/1/text/advanced", json={
        "messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727"}],
                      "text": "Can you beat my score: http://www.example.com/awesomeApp/someUserId",
                      "flash": True}],
        "tracking": {"track": "URL", "type": "SOCIAL_INVITES"}})
    msg = sim.platform.store.get(r.json()["messages"][0]["messageId"])
    assert msg.flash is True
    assert "http://www.example.com" not in msg.text and msg.text.endswith(msg.short_urls[0])
    logs = (await client.get("/sms/1/logs", params={"messageId": msg.message_id})).json()["results"]
    assert logs[0]["text"] == msg.text


async def test_scheduled_send_stays_pending_until_send_at(client, sim):
    at = (sim.clock.now() + timedelta(hours=1)).isoformat(timespec="milliseconds")
    r = await client.post("/sms/1/text/advanced", json={"messages": [
        {"from": "41793026700", "destinations": [{"to": "41793026785"}], "text": "later", "sendAt": at}]})
    m = r.json()["messages"][0]
    assert m["status"]["id"] == 26 and m["status"]["name"] == "PENDING_ACCEPTED"
    sim.clock.advance(1800)
    await asyncio.sleep(0.02)
    assert (await client.get("/sms/1/reports")).json()["results"] == []
    log = (await client.get("/sms/1/logs", params={"messageId": m["messageId"]})).json()["results"][0]
    assert log["status"]["groupName"] == "PENDING"
    await deliver_all(sim, 3600)
    (rep,) = (await client.get("/sms/1/reports")).json()["results"]
    assert rep["messageId"] == m["messageId"] and rep["status"]["name"] == "DELIVERED_TO_HANDSET"
    assert rep["sentAt"].startswith(at[:19].replace("+00:00", ""))


async def test_validity_expiry_over_http(client, sim):
    r = await client.post("/sms/1/text/advanced", json={"messages": [
        {"destinations": [{"to": "41793020003"}], "text": "never arrives", "validityPeriod": 1}]})
    mid = r.json()["messages"][0]["messageId"]
    await deliver_all(sim, 120)
    (rep,) = (await client.get("/sms/1/reports", params={"messageId": mid})).json()["results"]
    assert rep["status"]["groupName"] == "EXPIRED" and rep["status"]["name"] == "EXPIRED_EXPIRED"
    assert rep["error"]["name"] == "EC_VALIDITYEXPIRED"


async def test_rejections_in_the_send_response(client):
    r = await client.post("/sms/1/text/single", json={"to": ["41793020004", "41793026727"], "text": "x"})
    first, second = r.json()["messages"]
    assert first["status"]["groupName"] == "REJECTED" and first["status"]["name"] == "REJECTED_NETWORK"
    assert second["status"]["name"] == "MESSAGE_ACCEPTED"


# -- reports ------------------------------------------------------------------------------------------------
async def test_reports_are_returned_once(client, sim):
    r = await client.post("/sms/1/text/single", json={"from": "InfoSMS", "to": ["41793026727", "41793026731"],
                                                     "text": "x"})
    bulk = r.json()["bulkId"]
    await deliver_all(sim)
    first = (await client.get("/sms/1/reports", params={"limit": 1})).json()["results"]
    assert len(first) == 1 and first[0]["bulkId"] == bulk
    rest = (await client.get("/sms/1/reports")).json()["results"]
    assert len(rest) == 1 and rest[0]["messageId"] != first[0]["messageId"]
    assert (await client.get("/sms/1/reports")).json() == {"results": []}
    rep = rest[0]
    assert rep["price"] == {"pricePerMessage": 0.01, "currency": "EUR"}
    assert rep["status"]["name"] == "DELIVERED_TO_HANDSET" and rep["error"]["name"] == "NO_ERROR"
    assert rep["smsCount"] == 1 and rep["sentAt"] <= rep["doneAt"]


async def test_reports_by_message_id_and_bulk_id_xml(client, sim):
    ids = []
    for _ in range(2):
        r = await client.post("/sms/1/text/single", json={"to": ["41793026727", "41793026731"], "text": "x"})
        ids.append(r.json())
    await deliver_all(sim)
    wanted = ids[0]["messages"][1]["messageId"]
    r = await client.get("/sms/1/reports", params={"messageId": wanted}, headers={"Accept": "application/xml"})
    root = DET.fromstring(r.content)
    assert root.tag == "reportResponse"
    assert [x.findtext("messageId") for x in root.findall("results/result")] == [wanted]
    by_bulk = (await client.get("/sms/1/reports", params={"bulkId": ids[1]["bulkId"]})).json()["results"]
    assert {x["bulkId"] for x in by_bulk} == {ids[1]["bulkId"]} and len(by_bulk) == 2
    assert len((await client.get("/sms/1/reports")).json()["results"]) == 1  # the one left


# -- logs -----------------------------------------------------------------------------------------------------
async def test_logs_filters_and_repeatable(client, sim):
    await client.post("/sms/1/text/single", json={"from": "InfoSMS", "to": "41793026727", "text": "Test SMS."})
    r2 = await client.post("/sms/1/text/single", json={"from": "Other", "to": ["49151000000", "41793020004"],
                                                      "text": "y"})
    await deliver_all(sim)
    q = {"from": "InfoSMS", "to": "41793026727", "limit": 1}
    one = (await client.get("/sms/1/logs", params=q)).json()["results"]
    assert one == (await client.get("/sms/1/logs", params=q)).json()["results"]  # not consumed
    (log,) = one
    assert log["from"] == "InfoSMS" and log["text"] == "Test SMS." and log["mccmnc"] == "22801"
    assert (await client.get("/sms/1/logs", params={"mcc": "262", "mnc": "01"})).json()["results"][0]["to"] == "49151000000"
    rejected = (await client.get("/sms/1/logs", params={"generalStatus": "REJECTED"})).json()["results"]
    assert [x["to"] for x in rejected] == ["41793020004"]
    bulk = r2.json()["bulkId"]
    assert len((await client.get("/sms/1/logs", params={"bulkId": bulk})).json()["results"]) == 2
    ids = [m["messageId"] for m in r2.json()["messages"]]
    both = (await client.get(f"/sms/1/logs?messageId={ids[0]}&messageId={ids[1]}")).json()["results"]
    assert {x["messageId"] for x in both} == set(ids)
    future = (sim.clock.now() + timedelta(days=1)).isoformat()
    assert (await client.get("/sms/1/logs", params={"sentSince": future})).json()["results"] == []
    assert len((await client.get("/sms/1/logs", params={"sentUntil": future})).json()["results"]) == 3
    xml = await client.get("/sms/1/logs", headers={"Accept": "application/xml"})
    assert DET.fromstring(xml.content).tag == "logsResponse"


async def test_logs_cover_the_last_48_hours(client, sim):
    await client.post("/sms/1/text/single", json={"to": "41793026727", "text": "old"})
    await deliver_all(sim)
    assert len((await client.get("/sms/1/logs")).json()["results"]) == 1
    sim.clock.advance(timedelta(hours=49))
    assert (await client.get("/sms/1/logs")).json()["results"] == []


# -- inbox and number lookup -------------------------------------------------------------------------------------
async def test_inbox_reports_once(client, sim):
    sim.platform.inject_mo("38598111", "41793026727", "KEY Test message")
    r = await client.get("/sms/1/inbox/reports")
    (mo,) = r.json()["results"]
    assert mo["from"] == "38598111" and mo["to"] == "41793026727" and mo["text"] == "KEY Test message"
    assert mo["cleanText"] == "Test message" and mo["keyword"] == "KEY" and mo["smsCount"] == 1
    assert mo["receivedAt"] and mo["messageId"]
    assert (await client.get("/sms/1/inbox/reports")).json() == {"results": []}
    sim.platform.inject_mo("38598111", "41793026727", "second")
    root = DET.fromstring((await client.get("/sms/1/inbox/reports", headers={"Accept": "application/xml"})).content)
    assert [x.findtext("text") for x in root.findall("results/result")] == ["second"]


async def test_number_lookup_json_and_xml(client):
    r = await client.post("/number/1/query", json={"to": ["41793026727"]})
    (res,) = r.json()["results"]
    assert res["to"] == "41793026727" and res["mccMnc"] == "22801" and len(res["imsi"]) == 15
    assert res["originalNetwork"]["networkPrefix"] == "79" and res["originalNetwork"]["countryPrefix"] == "41"
    assert res["ported"] is False and res["roaming"] is False
    assert res["status"]["name"] == "DELIVERED_TO_HANDSET" and res["error"]["permanent"] is False
    x = await client.post("/number/1/query", content="<request><to><to>41793020013</to></to></request>",
                          headers=XML_HEADERS)
    root = DET.fromstring(x.content)
    assert root.findtext("results/result/ported") == "true"
    assert root.findtext("results/result/portedNetwork/networkPrefix") == "76"


async def test_language_shift_tables_are_reflected_in_sms_count(client):
    text = "Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz."
    plain = {"destinations": [{"to": "41793026727"}], "text": text}
    turkish = {**plain, "language": {"languageCode": "TR", "singleShift": True, "lockingShift": False}}
    r = await client.post("/sms/1/text/advanced", json={"messages": [plain, turkish]})
    counts = [m["smsCount"] for m in r.json()["messages"]]
    assert counts == [2, 1]  # UCS-2 needs two parts; GSM 7-bit with the Turkish single shift one


async def test_advanced_in_xml_with_every_field(client, sim):
    xml = """<request><bulkId>BULK-XML</bulkId><messages><message>
      <from>InfoSMS</from>
      <destinations><destination><to>41793026727</to><messageId>XML-ID-1</messageId></destination>
        <destination><to>41793026731</to></destination></destinations>
      <text>Toto, I've got a feeling we're not in Kansas anymore.</text>
      <flash>true</flash><transliteration>NON_UNICODE</transliteration>
      <language><languageCode>TR</languageCode><singleShift>true</singleShift><lockingShift>false</lockingShift></language>
      <intermediateReport>true</intermediateReport><notifyUrl>http://127.0.0.1:9/dlr</notifyUrl>
      <notifyContentType>application/xml</notifyContentType><callbackData>cb</callbackData>
      <validityPeriod>5000</validityPeriod><sendAt>2015-07-07T17:00:00.000+01:00</sendAt>
    </message></messages><tracking><track>URL</track><type>T</type><processKey>PK</processKey></tracking></request>"""
    r = await client.post("/sms/1/text/advanced", content=xml, headers={
        "Content-Type": "application/xml", "Accept": "application/xml"})
    assert r.status_code == 200, r.text
    root = DET.fromstring(r.content)
    assert root.findtext("bulkId") == "BULK-XML"
    assert [m.findtext("messageId") for m in root.findall("messages/message")][0] == "XML-ID-1"
    msg = sim.platform.store.get("XML-ID-1")
    assert msg.flash is True and msg.intermediate_report is True and msg.callback_data == "cb"
    assert msg.notify_content_type == "application/xml" and msg.validity_minutes == 2880
    assert msg.tracking == {"track": "URL", "type": "T", "processKey": "PK"}
    assert msg.language == {"languageCode": "TR", "singleShift": True, "lockingShift": False}
    assert msg.transliteration == "NON_UNICODE"


async def test_concurrent_sends_are_all_stored(client, sim):
    async def send(i: int) -> str:
        r = await client.post("/sms/1/text/single", json={"to": f"4179302{i:04d}", "text": f"n{i}"})
        assert r.status_code == 200
        return r.json()["messages"][0]["messageId"]

    ids = await asyncio.gather(*(send(i) for i in range(100, 300)))
    assert len(set(ids)) == 200 and all(sim.platform.store.get(i) is not None for i in ids)
    logs = (await client.get("/sms/1/logs", params={"limit": 1000})).json()["results"]
    assert len(logs) == 200


async def test_password_change_takes_effect_at_once(client, sim):
    assert (await client.get("/sms/1/reports")).status_code == 200
    sim.platform.accounts.get("Aladdin").password = "new secret"
    assert (await client.get("/sms/1/reports")).status_code == 401
    r = await client.get("/sms/1/reports", auth=("Aladdin", "new secret"))
    assert r.status_code == 200
    sim.platform.accounts.get("Aladdin").enabled = False
    assert (await client.get("/sms/1/reports", auth=("Aladdin", "new secret"))).status_code == 401
