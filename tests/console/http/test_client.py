"""The HTTP client against the embedded simulator's real server: every preset in JSON and XML,
auth, errors, timings, cURL export re-run with the curl binary, HAR export."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket

import pytest

from console.errors import HttpApiError
from console.http import (
    HttpClient,
    HttpExchange,
    HttpRequest,
    get_preset,
    preset,
    presets,
    to_har,
    validate_har,
)
from console.webhooks import WebhookListener

SPEC_AUTH = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


@pytest.fixture
async def client(sim):
    async with HttpClient(sim.http_url, "Aladdin", "open sesame") as c:
        yield c


@pytest.fixture
async def listener():
    lst = WebhookListener()
    await lst.start()
    yield lst
    await lst.stop()


def test_there_is_a_preset_for_every_endpoint_of_the_spec():
    endpoints = {(p.method, p.path) for p in presets()}
    assert endpoints == {
        ("POST", "/sms/1/text/single"), ("POST", "/sms/1/text/multi"),
        ("POST", "/sms/1/text/advanced"), ("GET", "/sms/1/reports"), ("GET", "/sms/1/logs"),
        ("GET", "/sms/1/inbox/reports"), ("POST", "/number/1/query"),
    }
    with pytest.raises(KeyError, match="sms-single"):
        get_preset("no-such-preset")


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_every_preset_sends_and_gets_the_expected_shape(client, listener, fmt):
    for p in presets():
        ex = await client.send(p.request(fmt, notify_url=listener.url + "/dlr"))
        assert ex.error is None, (p.name, ex.error)
        assert ex.status == 200, (p.name, ex.status, ex.response.body[:300])
        ctype = ex.response.content_type or ""
        assert ctype.startswith(f"application/{fmt}"), (p.name, ctype)
        value = ex.response_value()
        assert isinstance(value, dict), (p.name, ex.parse_error)
        for key in p.expects:
            assert key in value, (p.name, key, value)
        if "messages" in p.expects:
            msgs = value["messages"]
            msgs = msgs if isinstance(msgs, list) else [msgs]
            assert msgs and all(m["messageId"] for m in msgs), p.name
            if len(msgs) > 1:  # the spec: a bulkId comes back for several destinations
                assert value.get("bulkId"), p.name
            assert all(m["status"]["groupName"] in ("PENDING", "ACCEPTED") for m in msgs), p.name


async def test_request_carries_basic_auth_and_the_exchange_is_complete(client, sim):
    ex = await client.send_sms("41793026727", "My first Infobip SMS")
    assert ex.ok
    assert ("Authorization", SPEC_AUTH) in [(k.title(), v) for k, v in ex.request.headers]
    assert ex.request.url == sim.http_url + "/sms/1/text/single"
    body = json.loads(ex.request.body)
    assert body == {"from": "InfoSMS", "to": "41793026727", "text": "My first Infobip SMS"}
    msg = ex.json()["messages"][0]
    assert msg["to"] == "41793026727" and msg["smsCount"] == 1
    assert ex.message_ids() == [msg["messageId"]]
    t = ex.timings
    assert t.total is not None and t.total > 0
    assert t.connect is not None  # first request opened a connection
    assert t.ttfb is not None and t.ttfb <= t.total
    assert ex.server == ("127.0.0.1", sim.http_port)
    assert ex.request_size > len(ex.request.body) and ex.response_size > len(ex.response.body)
    again = await client.send_sms("41793026727", "again")
    assert again.timings.connect is None  # keep-alive: no new connection


async def test_advanced_options_and_reports_as_records(client, sim):
    ex = await client.send_sms(["41793026727", "41793026731"], "Hi", callback_data="cb-1",
                               validity_period=60)
    assert ex.ok and ex.request.url.endswith("/sms/1/text/advanced")
    assert ex.bulk_id() and len(ex.message_ids()) == 2
    sim.clock.advance(3600)
    for _ in range(200):
        if all(m.final for m in sim.platform.store):
            break
        await asyncio.sleep(0.005)
    reports = await client.fetch_reports(bulk_id=ex.bulk_id())
    assert sorted(r.message_id for r in reports) == sorted(ex.message_ids())
    assert {r.status_name for r in reports} == {"DELIVERED_TO_HANDSET"}
    assert all(r.source == "http-pull" and r.callback_data == "cb-1" and r.final for r in reports)
    pulled = client.history[-1]
    explained = pulled.explanations()
    assert any(e.kind == "status" and e.name == "DELIVERED_TO_HANDSET" and e.group == "DELIVERED"
               for e in explained)
    assert any(e.kind == "error" and e.name == "NO_ERROR" for e in explained)
    with pytest.raises(TypeError, match="no_such"):
        await client.send_sms("41793026727", "x", no_such=1)


async def test_infobip_error_bodies_become_one_readable_message(sim):
    async with HttpClient(sim.http_url, "Aladdin", "wrong") as c:
        ex = await c.send(preset("sms-single"))
    assert ex.status == 401
    assert "UNAUTHORIZED" in ex.error_message and "Invalid login details" in ex.error_message
    with pytest.raises(HttpApiError, match="Invalid login details"):
        ex.raise_for_error()


async def test_spec_trailing_comma_body_gets_a_clear_400(client):
    body = '{\n "messages":[{"from":"InfoSMS","destinations":[{"to":"41793026727",}],"text":"x"}]\n}'
    ex = await client.send(HttpRequest("POST", "/sms/1/text/advanced", body=body,
                                       headers=[("Content-Type", "application/json")]))
    assert ex.status == 400
    assert ex.error_message.startswith("HTTP 400")
    assert len(ex.error_message) > len("HTTP 400 Bad Request")


async def test_transport_failure_is_an_exchange_not_an_exception():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    async with HttpClient(f"http://127.0.0.1:{port}", "u", "p") as c:
        ex = await c.send(preset("logs"))
    assert ex.response is None and ex.status is None
    assert "cannot connect" in ex.error
    assert c.history[-1] is ex
    with pytest.raises(HttpApiError, match="cannot connect"):
        ex.raise_for_error()


async def test_subscribers_and_dict_round_trip_mask_the_credentials(client):
    seen: list[HttpExchange] = []
    client.subscribe(seen.append)
    ex = await client.send(preset("number-query"))
    assert seen == [ex]
    d = ex.to_dict()
    text = json.dumps(d)
    assert SPEC_AUTH not in text and "open sesame" not in text
    assert ["Authorization", "Basic ***"] in d["request"]["headers"]
    back = HttpExchange.from_dict(json.loads(text))
    assert back.status == 200 and back.response.body == ex.response.body
    assert back.request.method == "POST" and back.timings == ex.timings


async def test_curl_is_redacted_unless_asked(client):
    ex = await client.send(preset("number-query"))
    redacted = client.curl(ex)
    assert "Basic ***" in redacted and SPEC_AUTH not in redacted
    assert SPEC_AUTH in client.curl(ex, reveal_secrets=True)
    unsent = client.curl(preset("logs-filtered"))
    assert "from=InfoSMS" in unsent and "Basic ***" in unsent


@pytest.mark.skipif(shutil.which("curl") is None, reason="the curl binary is not installed")
@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_curl_export_rerun_with_curl_gives_the_same_response(client, fmt):
    ex = await client.send(preset("number-query", fmt))
    assert ex.ok
    cmd = client.curl(ex, reveal_secrets=True) + " -w '\\n%{http_code}'"
    proc = await asyncio.create_subprocess_exec("bash", "-c", cmd, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err
    body, _, code = out.rpartition(b"\n")
    assert int(code) == 200
    assert body == ex.response.body


async def test_har_export_validates_against_har_1_2(client, tmp_path):
    await client.send(preset("sms-single"))
    await client.send(preset("reports", "xml"))
    async with HttpClient("http://127.0.0.1:1", "u", "p") as dead:
        failed = await dead.send(preset("logs"))
    doc = to_har([*client.history, failed])
    assert validate_har(doc) == []
    entries = doc["log"]["entries"]
    assert [e["request"]["method"] for e in entries] == ["POST", "GET", "GET"]
    assert entries[0]["request"]["postData"]["mimeType"] == "application/json"
    assert entries[0]["response"]["status"] == 200 and entries[2]["response"]["status"] == 0
    assert entries[0]["timings"]["connect"] >= 0 and entries[1]["timings"]["connect"] == -1
    assert all("Basic ***" in json.dumps(e["request"]["headers"]) for e in entries[:2])
    path = client.export_har(tmp_path / "history.har")
    assert validate_har(json.loads(path.read_text("utf-8"))) == []
    broken = json.loads(json.dumps(doc))
    del broken["log"]["entries"][0]["response"]["status"]
    broken["log"]["entries"][1]["timings"]["wait"] = -1
    problems = validate_har(broken)
    assert any("response.status: missing" in p for p in problems)
    assert any("timings.wait" in p for p in problems)


async def test_tls_handshake_is_timed_and_the_certificate_checked(tmp_path):
    from aiohttp import web

    from console.simulator.tls import client_context, server_context

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"results": []})

    app = web.Application()
    app.router.add_get("/sms/1/logs", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context(tmp_path))
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with HttpClient(f"https://127.0.0.1:{port}", "u", "p",
                              verify=client_context(tmp_path)) as c:
            ex = await c.logs()
        assert ex.ok and ex.json() == {"results": []}
        assert ex.timings.tls is not None and ex.timings.tls > 0
        assert ex.timings.connect is not None
        async with HttpClient(f"https://127.0.0.1:{port}", "u", "p") as strict:
            refused = await strict.logs()  # self-signed: refused by the default check
        assert refused.response is None and "cannot connect" in refused.error
    finally:
        await runner.cleanup()
