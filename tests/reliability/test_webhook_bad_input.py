"""The webhook listener under hostile input, journaling every hit: invalid JSON/XML, wrong
types, 10 MB bodies, XXE (with a real local file) and billion laughs, invalid UTF-8, slow-loris.

The listener's contract (issue 7): a malformed body is *recorded* raw with its parse error,
never dropped, and answered by the path's reply rule; an oversized one gets 413 (or the
connection closed) with its first bytes kept; XML never expands entities. Here on top: the
listener keeps serving, reports recorded before are intact (in memory and in the journal),
and no secret from a local file ever shows up in a hit.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import random

import httpx
import pytest
from reliability_support import fuzz_count

from console.journal import Journal
from console.webhooks import WebhookListener

pytestmark = pytest.mark.timeout(120)

SECRET_MARK = "XXE-LEAK-MARKER-91c2"
DLR = {"results": [{"bulkId": "B1", "messageId": "KEPT-1", "to": "41793026727",
                    "sentAt": "2026-11-25T06:00:00.000+0000", "doneAt": "2026-11-25T06:00:05.000+0000",
                    "smsCount": 1, "price": {"pricePerMessage": 0.01, "currency": "EUR"},
                    "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
                               "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset"},
                    "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
                              "description": "No Error", "permanent": False}}]}


@pytest.fixture
async def setup(tmp_path):
    journal = Journal(tmp_path / "case.sqlite")
    listener = WebhookListener(journal=journal)  # default limits: 1 MB bodies
    await listener.start()
    async with httpx.AsyncClient(base_url=listener.url, timeout=30) as client:
        r = await client.post("/dlr", json=DLR)
        assert r.status_code == 200
        yield listener, journal, client
    await listener.stop()
    journal.close()


def assert_intact(listener: WebhookListener, journal: Journal) -> None:
    kept = [r for r in listener.reports() if r.message_id == "KEPT-1"]
    assert len(kept) == 1 and kept[0].status_name == "DELIVERED_TO_HANDSET"
    journal.flush()
    assert journal.count(kind="webhook") == listener.count
    assert [r.message_id for r in journal.reports(message_id="KEPT-1")] == ["KEPT-1"]


async def still_serving(client: httpx.AsyncClient, listener: WebhookListener) -> None:
    before = listener.count
    r = await client.post("/dlr", json={"results": [{**DLR["results"][0], "messageId": f"ALIVE-{before}"}]})
    assert r.status_code == 200
    assert listener.hits[-1].reports and listener.hits[-1].reports[0].message_id == f"ALIVE-{before}"


async def test_malformed_bodies_are_recorded_not_dropped(setup):
    listener, journal, client = setup
    bodies = [(b"{", "application/json"), (b'{"results": [1,2,],}', "application/json"),
              (b"\xff\xfe{\"a\"", "application/json"),
              (b"<a><b></a>", "application/xml"), (b"<reportResponse>", "application/xml"),
              (b"<r>\xff\xc3\x28</r>", "application/xml"), (b"\x00" * 1000, "application/octet-stream"),
              (b'{"results": "not a list"}', "application/json"),
              (b'{"results": [{"messageId": 5, "status": "x", "price": []}]}', "application/json"),
              (b'{"results": [null, 1, "x", {"status": {"id": "five"}}]}', "application/json")]
    for body, ctype in bodies:
        before = listener.count
        r = await client.post("/dlr", content=body, headers={"Content-Type": ctype})
        assert r.status_code in (200, 400), (body[:40], r.status_code)
        assert listener.count == before + 1
        hit = listener.hits[-1]
        assert hit.body == body  # kept raw, byte for byte
        assert not hit.reports or all(rep.message_id != "KEPT-1" for rep in hit.reports)
    syntax_errors = {b for b, _ in bodies[:6]}
    assert all(h.parse_error for h in listener.hits if h.body in syntax_errors)
    await still_serving(client, listener)
    assert_intact(listener, journal)
    # the journal holds the raw bodies too (hex when not UTF-8)
    stored = journal.records(kind="webhook", limit=100)
    assert {h.body for h in stored} >= {b for b, _ in bodies}


@pytest.mark.parametrize("body,ctype", [(b"[" * 100_000, "application/json"),
                                        (b'{"a":' * 100_000, "application/json"),
                                        (b"<a>" * 50_000 + b"</a>" * 50_000, "application/xml")])
async def test_deeply_nested_body_is_recorded(setup, body, ctype):
    listener, journal, client = setup
    before = listener.count
    r = await client.post("/dlr", content=body, headers={"Content-Type": ctype})
    assert r.status_code in (200, 400)
    assert listener.count == before + 1 and listener.hits[-1].parse_error
    assert listener.hits[-1].body == body


@pytest.mark.parametrize("value", [10**30, 1e308])
async def test_huge_integer_in_a_report_does_not_kill_the_journal(setup, value):
    listener, journal, client = setup
    result = copy.deepcopy(DLR["results"][0])
    result["messageId"] = "HUGE"
    result["status"]["id"] = value  # 1e308 becomes int(1e308) in the report
    r = await client.post("/dlr", json={"results": [result]})
    assert r.status_code == 200
    await still_serving(client, listener)
    assert_intact(listener, journal)
    # the status_id column cannot hold the number (it stays empty), the record keeps it exactly
    (row,) = journal.report_rows(message_id="HUGE")
    assert row[9] is None and row[10] == "DELIVERED_TO_HANDSET"
    (report,) = journal.reports(message_id="HUGE")
    assert report.status_id == int(value) and report.status_name == "DELIVERED_TO_HANDSET"
    assert journal.write_errors == 0  # a big number is not an error


@pytest.mark.fuzz
async def test_random_report_shapes_seeded(setup):
    listener, journal, client = setup
    rng = random.Random(5)
    # (no ids beyond 64 bits here: test_huge_integer_in_a_report_does_not_kill_the_journal)
    values = [None, 0, -1, 1.5, "", "x" * 3000, [], {}, [None], {"id": None}, True, "😀",
              "2026-99-99T00:00:00.000+0000", 2**63 - 1]
    keys = ["messageId", "bulkId", "to", "status", "error", "price", "sentAt", "doneAt",
            "smsCount", "callbackData", "mccMnc", "groupId", "name", "id", "permanent"]
    for i in range(fuzz_count(200, 5_000)):
        result = copy.deepcopy(DLR["results"][0])
        result["messageId"] = f"R{i}"
        for _ in range(rng.randint(1, 4)):
            key = rng.choice(keys)
            target = result if rng.random() < 0.6 else result.setdefault("status", {})
            if not isinstance(target, dict):
                target = result
            target[key] = copy.deepcopy(rng.choice(values))
        body = {"results": [result]} if rng.random() < 0.8 else copy.deepcopy(rng.choice(values))
        path = rng.choice(["/dlr", "/intermediate", "/mo", "/other"])
        r = await client.post(path, content=json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"})
        assert r.status_code == 200, (body, r.status_code)
    await still_serving(client, listener)
    assert_intact(listener, journal)


async def test_ten_megabytes_refused_and_kept_short(setup):
    listener, journal, client = setup
    big = b'{"results": [' + b" " * (10 * 1024 * 1024) + b"]}"
    before = listener.count
    r = await client.post("/dlr", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413

    async def chunks():  # chunked: no Content-Length to refuse up front
        for _ in range(160):
            yield b" " * 65536

    with contextlib.suppress(httpx.TransportError):  # closing on us is a fine answer
        r = await client.post("/dlr", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413
    assert listener.count >= before + 1
    for hit in list(listener.hits)[before - listener.count:]:
        assert hit.too_large and len(hit.body) <= listener.max_body
    await still_serving(client, listener)
    assert_intact(listener, journal)


async def test_xxe_and_billion_laughs_expand_nothing(setup, tmp_path):
    listener, journal, client = setup
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_MARK)
    lol = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    bodies = [
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<reportResponse><results><result><messageId>&x;</messageId></result></results></reportResponse>',
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "file://{secret}"> %p;]><r/>',
        '<?xml version="1.0"?><!DOCTYPE r [' + "".join(lol) + ']><reportResponse>&lol9;</reportResponse>',
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + "A" * 50_000 + '">]><r>' + "&a;" * 2000 + "</r>",
    ]
    for body in bodies:
        r = await client.post("/dlr", content=body.encode(), headers={"Content-Type": "application/xml"})
        assert r.status_code in (200, 400)
        hit = listener.hits[-1]
        assert hit.parse_error and not hit.reports
        assert SECRET_MARK not in repr(hit.parsed) and SECRET_MARK not in json.dumps(hit.to_dict())
        assert len(repr(hit.parsed)) < 1000  # nothing expanded
    journal.flush()
    assert SECRET_MARK.encode() not in journal.path.read_bytes()
    await still_serving(client, listener)
    assert_intact(listener, journal)


async def test_slow_loris_and_half_requests(setup):
    listener, journal, client = setup
    host, port = "127.0.0.1", listener.port
    conns = []
    for _ in range(100):
        _, writer = await asyncio.open_connection(host, port)
        writer.write(b"POST /dlr HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        conns.append(writer)
    try:
        for _ in range(3):
            for w in conns:
                w.write(b"a")
            await asyncio.sleep(0.02)
            await still_serving(client, listener)
        # a body cut short, then the client goes: no hit with a partial report appears
        body = json.dumps({"results": [{**DLR["results"][0], "messageId": "HALF"}]}).encode()
        _, w = await asyncio.open_connection(host, port)
        w.write(b"POST /dlr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:20])
        await w.drain()
        await asyncio.sleep(0.05)
        w.close()
    finally:
        for w in conns:
            w.close()
    await asyncio.sleep(0.05)
    assert all(r.message_id != "HALF" for r in listener.reports())
    await still_serving(client, listener)
    assert_intact(listener, journal)


async def test_garbage_request_lines(setup):
    listener, journal, client = setup
    for data in (b"\x16\x03\x01\x00\x05hello", b"GET / HTTP/7.0\r\n\r\n", bytes(range(256)),
                 b"POST /dlr HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
                 b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n"):
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(data)
        with contextlib.suppress(OSError, RuntimeError):
            writer.write_eof()
        reply = await asyncio.wait_for(reader.read(1 << 16), 10)
        writer.close()
        if reply:
            assert reply.startswith(b"HTTP/1.") and reply.split(b" ", 2)[1].startswith(b"4"), reply[:80]
    await still_serving(client, listener)
    assert_intact(listener, journal)
