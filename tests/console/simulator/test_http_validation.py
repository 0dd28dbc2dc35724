"""Every validation error and every kind of bad input gets an Infobip-shaped 4xx; the
server keeps serving and keeps its messages."""

from __future__ import annotations

import defusedxml.ElementTree as DET
import httpx
import pytest

from console.simulator import Simulator

AUTH = ("Aladdin", "open sesame")


@pytest.fixture
async def sim():
    s = Simulator(time_scale=1.0, max_body=64 * 1024)
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def client(sim):
    async with httpx.AsyncClient(base_url=sim.http_url, auth=AUTH) as c:
        yield c


def errors_of(r: httpx.Response) -> dict:
    assert r.status_code == 400, r.text
    exc = r.json()["requestError"]["serviceException"]
    assert exc["messageId"] == "BAD_REQUEST" and exc["text"]
    return exc.get("validationErrors", {})


OK_ADV = {"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": "x"}


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/sms/1/text/single", {"from": "InfoSMS", "text": "x"}, "to"),
    ("/sms/1/text/single", {"to": "4179abc", "text": "x"}, "to"),
    ("/sms/1/text/single", {"to": "12", "text": "x"}, "to"),
    ("/sms/1/text/single", {"to": "1234567890123456", "text": "x"}, "to"),
    ("/sms/1/text/single", {"to": ["41793026727", "x"], "text": "x"}, "to[1]"),
    ("/sms/1/text/single", {"to": [], "text": "x"}, "to"),
    ("/sms/1/text/single", {"to": 41793026727, "text": "x"}, "to"),
    ("/sms/1/text/single", {"to": "41793026727"}, "text"),
    ("/sms/1/text/single", {"to": "41793026727", "text": 5}, "text"),
    ("/sms/1/text/single", {"from": "CompanyName12", "to": "41793026727", "text": "x"}, "from"),
    ("/sms/1/text/single", {"from": "AB", "to": "41793026727", "text": "x"}, "from"),
    ("/sms/1/text/single", {"from": "123456789012345", "to": "41793026727", "text": "x"}, "from"),
    ("/sms/1/text/multi", {}, "messages"),
    ("/sms/1/text/multi", {"messages": []}, "messages"),
    ("/sms/1/text/multi", {"messages": "x"}, "messages"),
    ("/sms/1/text/multi", {"messages": [{"to": "41793026727"}]}, "messages[0].text"),
    ("/sms/1/text/advanced", {"messages": [{"text": "x"}]}, "messages[0].destinations"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "destinations": [{"to": "x"}]}]}, "messages[0].destinations[0].to"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "flash": "yes"}]}, "messages[0].flash"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "validityPeriod": "long"}]}, "messages[0].validityPeriod"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "validityPeriod": 0}]}, "messages[0].validityPeriod"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "sendAt": "tomorrow"}]}, "messages[0].sendAt"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "sendAt": "2099-01-01T00:00:00.000+00:00"}]}, "messages[0].sendAt"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "transliteration": "KLINGON"}]}, "messages[0].transliteration"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "language": {"languageCode": "XX"}}]}, "messages[0].language.languageCode"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "language": {"languageCode": "ES", "lockingShift": True}}]}, "messages[0].language.lockingShift"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "notifyUrl": "ftp://x"}]}, "messages[0].notifyUrl"),
    ("/sms/1/text/advanced", {"messages": [{**OK_ADV, "notifyContentType": "text/plain"}]}, "messages[0].notifyContentType"),
    ("/sms/1/text/advanced", {"messages": [OK_ADV], "tracking": {"track": "EMAIL"}}, "tracking.track"),
    ("/sms/1/text/advanced", {"messages": [OK_ADV], "tracking": "URL"}, "tracking"),
    ("/number/1/query", {"to": ["abc"]}, "to[0]"),
    ("/number/1/query", {}, "to"),
])
async def test_validation_errors(client, path, body, field):
    errors = errors_of(await client.post(path, json=body))
    assert field in errors and errors[field][0]


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/sms/1/reports", {"limit": "0"}, "limit"),
    ("/sms/1/reports", {"limit": "1001"}, "limit"),
    ("/sms/1/reports", {"limit": "many"}, "limit"),
    ("/sms/1/inbox/reports", {"limit": "-1"}, "limit"),
    ("/sms/1/logs", {"generalStatus": "WHATEVER"}, "generalStatus"),
    ("/sms/1/logs", {"sentSince": "yesterday"}, "sentSince"),
    ("/sms/1/logs", {"sentUntil": "2015-13-45"}, "sentUntil"),
    ("/sms/1/logs", {"limit": "x"}, "limit"),
])
async def test_query_validation(client, path, query, field):
    assert field in errors_of(await client.get(path, params=query))


SPEC_SINGLE_WITH_TRAILING_COMMAS = b"""{
   "from":"InfoSMS",
   "to":"41793026727",
   "text":"My first Infobip SMS",
}"""


async def test_trailing_comma_is_named(client):
    r = await client.post("/sms/1/text/single", content=SPEC_SINGLE_WITH_TRAILING_COMMAS,
                          headers={"Content-Type": "application/json"})
    text = r.json()["requestError"]["serviceException"]["text"]
    assert r.status_code == 400 and "trailing comma" in text and "line 4" in text


@pytest.mark.parametrize(("body", "ctype", "needle"), [
    (b'{"to": "41793026727", "text": ', "application/json", "Invalid JSON"),
    (b"", "application/json", "empty"),
    (b"[1, 2]", "application/json", "object"),
    (b"\xff\xfe{}", "application/json", "UTF-8"),
    (b"<request><to>41793026727</to>", "application/xml", "invalid XML"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><request><to>&x;</to></request>',
     "application/xml", "DTD"),
    (b'{"to": "41793026727", "text": "x"}', "text/plain", "Content-Type"),
    (b'{"to": "41793026727", "text": "x"}', "", "Content-Type"),
])
async def test_bad_bodies(client, sim, body, ctype, needle):
    headers = {"Accept": "application/json"} | ({"Content-Type": ctype} if ctype else {})
    r = await client.post("/sms/1/text/single", content=body, headers=headers)
    assert r.status_code == 400
    assert needle in r.json()["requestError"]["serviceException"]["text"]
    assert len(sim.platform.store) == 0


async def test_oversize_body_is_413_with_infobip_body(client, sim):
    r = await client.post("/sms/1/text/single", content=b'{"text": "' + b"x" * 100_000 + b'"}',
                          headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["requestError"]["serviceException"]["messageId"] == "REQUEST_ENTITY_TOO_LARGE"


async def test_unknown_path_and_method(client):
    r = await client.get("/sms/9/nothing")
    assert r.status_code == 404 and r.json()["requestError"]["serviceException"]["messageId"] == "NOT_FOUND"
    r = await client.get("/sms/1/text/single")
    assert r.status_code == 405
    assert r.json()["requestError"]["serviceException"]["messageId"] == "METHOD_NOT_ALLOWED"


async def test_xml_validation_error_shape(client):
    r = await client.post("/sms/1/text/single", content="<request><to>abc</to></request>",
                          headers={"Content-Type": "application/xml"})
    root = DET.fromstring(r.content)
    assert r.status_code == 400 and root.tag == "requestError"
    fields = [e.findtext("field") for e in root.findall("serviceException/validationErrors/error")]
    assert set(fields) == {"to", "text"}


async def test_garbage_never_breaks_the_server(client, sim):
    ok = await client.post("/sms/1/text/single", json={"to": "41793026727", "text": "keep me"})
    junk = [b"\x00" * 50, b"{" * 5000, b'{"messages": [' + b"[" * 3000 + b"]", b"null", b"true",
            b'{"to": {"a": 1}, "text": []}', b'{"to": "1" "text"}']
    for body in junk:
        for path in ("/sms/1/text/single", "/sms/1/text/multi", "/sms/1/text/advanced", "/number/1/query"):
            r = await client.post(path, content=body, headers={"Content-Type": "application/json"})
            assert 400 <= r.status_code < 500, (path, body[:20], r.text)
            assert "requestError" in r.json()
    mid = ok.json()["messages"][0]["messageId"]
    assert sim.platform.store.get(mid).text == "keep me"
    logs = (await client.get("/sms/1/logs")).json()["results"]
    assert [x["messageId"] for x in logs] == [mid]


async def test_text_over_255_parts_is_a_400_and_nothing_is_sent(client, sim):
    before = len(sim.platform.store)
    body = {"messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727"}],
                          "text": "ok"},
                         {"from": "InfoSMS", "destinations": [{"to": "41793026731"}],
                          "text": "x" * 40_000}]}
    r = await client.post("/sms/1/text/advanced", json=body)
    errors = errors_of(r)
    assert "255" in " ".join(errors["text"])
    assert len(sim.platform.store) == before
