"""The HTTP simulator under hostile input: invalid JSON/XML, wrong types (seeded random
bodies), 10 MB bodies, XXE and billion-laughs XML, invalid UTF-8, slow-loris partial requests
over raw sockets. Every answer is a 4xx (Infobip-shaped) or a closed connection — never a 500;
the server keeps serving and the messages stored before are all still there, unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from typing import Any

import httpx
import pytest
from reliability_support import fuzz_count

from console.simulator import Simulator

pytestmark = pytest.mark.timeout(120)

AUTH = ("Aladdin", "open sesame")
BASIC = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="  # the spec's own example header
SECRET_MARK = "XXE-LEAK-MARKER-7f3a"
POSTS = ("/sms/1/text/single", "/sms/1/text/multi", "/sms/1/text/advanced", "/number/1/query")


@pytest.fixture
async def sim():
    s = Simulator(time_scale=60.0)  # the default body limit (4 MB): 10 MB must be refused
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def client(sim):
    async with httpx.AsyncClient(base_url=sim.http_url, auth=AUTH, timeout=30) as c:
        yield c


async def seed_messages(client: httpx.AsyncClient) -> list[str]:
    ids = []
    for i in range(3):
        r = await client.post("/sms/1/text/single", json={"from": "InfoSMS", "to": "41793026727",
                                                          "text": f"kept {i}"})
        assert r.status_code == 200, r.text
        ids.append(r.json()["messages"][0]["messageId"])
    return ids


async def assert_intact(client: httpx.AsyncClient, sim: Simulator, ids: list[str], count: int) -> None:
    """The server answers, no message was added by bad input, the seeded ones are unchanged."""
    assert len(sim.platform.store) == count
    r = await client.get("/sms/1/logs", params={"limit": 1000})
    assert r.status_code == 200
    logged = {m["messageId"]: m for m in r.json()["results"]}
    for i, mid in enumerate(ids):
        assert logged[mid]["text"] == f"kept {i}"


def assert_infobip_4xx(r: httpx.Response, *, allowed: tuple[int, ...] = (400, 413, 415)) -> dict:
    assert r.status_code in allowed, (r.status_code, r.text[:300])
    body = r.json() if "json" in r.headers.get("content-type", "") else None
    if body is not None:
        exc = body["requestError"]["serviceException"]
        assert exc["messageId"] and exc["text"]
        return exc
    assert r.text.startswith("<?xml") or r.text.startswith("<requestError")
    return {}


async def test_malformed_json_and_xml(client, sim, caplog):
    caplog.set_level(logging.ERROR)
    ids = await seed_messages(client)
    json_bodies = [b"{", b"}", b"[1,2", b"{\"to\": \"41793026727\", \"text\": \"x\",}", b"null",
                   b"\"just a string\"", b"12345", b"{\"to\": NaN}", b"{\"a\":" * 100_000,
                   b"[" * 50_000 + b"]" * 50_000, b"\x00\x01\x02", b"{\"to\": \"\\ud800\"}",
                   b"\xef\xbb\xbf{\"to\": \"41793026727\"}", b"   "]
    for path in POSTS:
        for body in json_bodies:
            r = await client.post(path, content=body, headers={"Content-Type": "application/json"})
            assert_infobip_4xx(r)
    xml_bodies = [b"<request>", b"<a><b></a></b>", b"not xml at all", b"<?xml version='1.0'?>",
                  b"<request><to>41793026727</to><text>x</text></request><extra/>",
                  b"<a>" * 20_000 + b"</a>" * 20_000, b"<request><to>\x00</to></request>"]
    for path in POSTS:
        for body in xml_bodies:
            r = await client.post(path, content=body, headers={"Content-Type": "application/xml",
                                                                "Accept": "application/json"})
            assert_infobip_4xx(r)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await assert_intact(client, sim, ids, 3)


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["str", "int", "float", "bool", "null", "num_str", "list", "dict", "huge_int",
             "unicode"]
    if depth > 3:
        kinds = kinds[:6]
    k = rng.choice(kinds)
    if k == "str":
        return rng.choice(["", "x", "InfoSMS", "41793026727", "2026-13-45T99:99:99.000+0000",
                           "TURKISH", "a" * 5000, "%s%n", "<script>", "+", "-1"])
    if k == "int":
        return rng.choice([0, -1, 1, 41793026727, 2**31, -(2**63)])
    if k == "float":
        return rng.choice([0.5, -1e308, 1e308, 3.14])
    if k == "bool":
        return rng.random() < 0.5
    if k == "null":
        return None
    if k == "num_str":
        return str(rng.randrange(10**15))
    if k == "huge_int":  # (beyond float range: test_validity_period_beyond_float_range)
        return 10**rng.randint(20, 300)
    if k == "unicode":
        return "".join(chr(rng.choice([0x20AC, 0x1F600, 0x0, 0xFFFF, 0x41, 0x10FFFF]))
                       for _ in range(rng.randint(1, 30)))
    if k == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["to", "from", "text", "messages", "destinations", "messageId", "bulkId", "flash",
            "validityPeriod", "sendAt", "notifyUrl", "notifyContentType", "callbackData",
            "transliteration", "language", "languageCode", "singleShift", "tracking", "track",
            "type", "intermediateReport", "processKey", "zzz"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def near_valid(rng: random.Random, path: str) -> Any:
    """A valid-looking body with one to three fields replaced by values of the wrong type."""
    if path == "/sms/1/text/single":
        body: dict[str, Any] = {"from": "InfoSMS", "to": "41793026727", "text": "Hello"}
    elif path == "/number/1/query":
        body = {"to": ["41793026727"]}
    else:
        msg = {"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": "Hello",
               "flash": False, "validityPeriod": 60, "language": {"languageCode": "TR"}}
        if path.endswith("multi"):
            msg = {"from": "InfoSMS", "to": ["41793026727"], "text": "Hello"}
        body = {"messages": [msg]}
    target = body["messages"][0] if "messages" in body else body
    for _ in range(rng.randint(1, 3)):
        target[rng.choice([*target.keys(), "language", "sendAt", "notifyUrl"])] = random_json(rng, 2)
    return body


@pytest.mark.fuzz
async def test_wrong_types_seeded(client, sim, caplog):
    caplog.set_level(logging.ERROR)
    ids = await seed_messages(client)
    rng = random.Random(99)
    statuses: dict[int, int] = {}
    accepted = 0
    for i in range(fuzz_count(300, 5_000)):
        path = rng.choice(POSTS)
        body = near_valid(rng, path) if i % 2 else random_json(rng)
        data = json.dumps(body).encode()
        r = await client.post(path, content=data, headers={"Content-Type": "application/json"})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        assert r.status_code in (200, 400, 413), (path, data[:300], r.status_code, r.text[:300])
        if r.status_code == 200 and path != "/number/1/query":
            accepted += len(r.json()["messages"])
        elif r.status_code != 200:
            assert_infobip_4xx(r)
    assert statuses.get(400, 0) > 50, statuses  # the generator mostly made bad bodies
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    await assert_intact(client, sim, ids, 3 + accepted)


async def test_ten_megabyte_bodies(client, sim):
    ids = await seed_messages(client)
    big = b'{"to": "41793026727", "text": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    for path in POSTS:
        r = await client.post(path, content=big, headers={"Content-Type": "application/json"})
        exc = assert_infobip_4xx(r, allowed=(413,))
        assert exc["messageId"] == "REQUEST_ENTITY_TOO_LARGE"

    async def chunks():  # no Content-Length: the limit must hold for a chunked body as well
        for _ in range(160):
            yield b"x" * 65536

    with contextlib.suppress(httpx.TransportError):  # a closed connection is a fine answer too
        r = await client.post("/sms/1/text/single", content=chunks(),
                              headers={"Content-Type": "application/json"})
        assert_infobip_4xx(r, allowed=(413,))
    await assert_intact(client, sim, ids, 3)


async def test_xxe_and_billion_laughs(client, sim, tmp_path):
    ids = await seed_messages(client)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_MARK)
    xxe = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<request><from>InfoSMS</from><to>41793026727</to><text>&x;</text></request>').encode()
    xxe_param = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'
                 '<request><to>41793026727</to><text>x</text></request>').encode()
    lol = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'
                                      for i in range(1, 10)]
    laughs = ('<?xml version="1.0"?><!DOCTYPE r [' + "".join(lol) + ']>'
              '<request><to>41793026727</to><text>&lol9;</text></request>').encode()
    quadratic = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + "A" * 50_000 + '">]>'
                 '<request><to>41793026727</to><text>' + "&a;" * 2_000 + '</text></request>').encode()
    for body in (xxe, xxe_param, laughs, quadratic):
        for path in ("/sms/1/text/single", "/sms/1/text/advanced", "/number/1/query"):
            r = await client.post(path, content=body, headers={"Content-Type": "application/xml"})
            assert r.status_code == 400, r.text[:300]
            assert SECRET_MARK not in r.text
            assert "lollol" not in r.text
    assert all(SECRET_MARK not in m.text for m in sim.platform.store)
    await assert_intact(client, sim, ids, 3)


async def test_invalid_utf8(client, sim):
    ids = await seed_messages(client)
    for body, ctype in ((b'{"to": "41793026727", "text": "\xff\xfe\xc3\x28"}', "application/json"),
                        (b'{"to": "41793026727", "text": "\xed\xa0\x80"}', "application/json"),
                        (b"<request><to>41793026727</to><text>\xff\xc3\x28</text></request>",
                         "application/xml"),
                        (b'<?xml version="1.0" encoding="utf-8"?><request><text>\x80</text></request>',
                         "application/xml")):
        r = await client.post("/sms/1/text/single", content=body, headers={"Content-Type": ctype})
        assert_infobip_4xx(r)
    # invalid bytes in a query string and in the Authorization header: 4xx, not 500
    r = await client.get("/sms/1/logs?to=%FF%FE&messageId=%C3%28")
    assert r.status_code in (200, 400)
    status, _ = await raw_request(sim, b"GET /sms/1/logs HTTP/1.1\r\nHost: x\r\n"
                                       b"Authorization: Basic \xff\xfe\xfd\r\nConnection: close\r\n\r\n")
    assert status in (400, 401, None)
    await assert_intact(client, sim, ids, 3)


async def raw_request(sim: Simulator, data: bytes, timeout: float = 10.0) -> tuple[int | None, bytes]:
    """Send raw bytes; (status or None when the server closed without a status line, reply)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.http_port)
    writer.write(data)
    await writer.drain()
    with contextlib.suppress(OSError, RuntimeError):
        writer.write_eof()  # nothing more is coming: a server waiting for more must give up
    try:
        reply = await asyncio.wait_for(reader.read(1 << 16), timeout)
    except ConnectionError:
        reply = b""
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    if reply.startswith(b"HTTP/1."):
        return int(reply.split(b" ", 2)[1]), reply
    return None, reply


async def test_garbage_request_lines(client, sim):
    ids = await seed_messages(client)
    for data in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS hello
                 b"GET / HTTP/9.9\r\n\r\n", b"POST /sms/1/text/single HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST /sms/1/text/single HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
                 b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n",
                 b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"b" * 100_000 + b"\r\n\r\n",
                 b"\r\n\r\n\r\n", bytes(range(256))):
        status, _ = await raw_request(sim, data)
        assert status is None or 400 <= status < 500, (data[:60], status)
    await assert_intact(client, sim, ids, 3)


async def test_slow_loris_does_not_starve_the_server(client, sim):
    """Many connections dribbling a never-finished request: others are still served; a body
    shorter than its Content-Length stores nothing."""
    ids = await seed_messages(client)
    conns = []
    for _ in range(100):
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.http_port)
        writer.write(b"POST /sms/1/text/single HTTP/1.1\r\nHost: x\r\n")
        conns.append((reader, writer))
    try:
        for round_ in range(5):
            for _, writer in conns:  # a byte of header per connection per round
                writer.write(b"X-a: b\r\n"[round_ % 8:round_ % 8 + 1])
            await asyncio.sleep(0.02)
            r = await client.get("/sms/1/logs")
            assert r.status_code == 200
        # half a body, then the client goes away: nothing may be stored from it
        body = json.dumps({"to": "41793026727", "text": "never complete"}).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.http_port)
        writer.write(b"POST /sms/1/text/single HTTP/1.1\r\nHost: x\r\nAuthorization: " + BASIC.encode()
                     + b"\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body[: len(body) // 2])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
    finally:
        for _, writer in conns:
            writer.close()
    await asyncio.sleep(0.05)
    await assert_intact(client, sim, ids, 3)
    assert all(m.text != "never complete" for m in sim.platform.store)


async def test_auth_probing_is_refused(client, sim):
    ids = await seed_messages(client)
    async with httpx.AsyncClient(base_url=sim.http_url) as anon:
        for header in ("", "Basic", "Basic !!!", "Basic " + "A" * 8_000, "Bearer x",
                       "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ", "Basic QWxhZGRpbg==",  # no colon
                       "basic QWxhZGRpbjpvcGVuIHNlc2FtZg=="):  # wrong password
            r = await anon.post("/sms/1/text/single", headers={"Authorization": header} if header else {},
                                json={"to": "41793026727", "text": "intruder"})
            assert r.status_code == 401, (header, r.status_code)
            assert r.json()["requestError"]["serviceException"]["messageId"] == "UNAUTHORIZED"
    await assert_intact(client, sim, ids, 3)


async def test_validity_period_beyond_float_range(client, sim):
    ids = await seed_messages(client)
    r = await client.post("/sms/1/text/advanced", json={"messages": [{
        "from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": "x",
        "validityPeriod": 10**400}]})
    assert r.status_code in (200, 400), r.text[:200]
    await assert_intact(client, sim, ids, 3 + (r.status_code == 200))
