"""notifyUrl push with the spec's retry cycle (time-scaled), intermediate reports, and MO
forwarding by URL template or POST — each to a real local aiohttp receiver."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import defusedxml.ElementTree as DET
import httpx
import pytest
from aiohttp import web

from console.simulator import Simulator

AUTH = ("Aladdin", "open sesame")


class Receiver:
    """A webhook target answering a scripted list of statuses (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.hits: list[dict] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.hits.append({"method": request.method, "path": request.path, "query": dict(request.query),
                          "content_type": request.content_type, "body": body})
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200, text="ok")

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()


async def settle(cond, rounds: int = 1000) -> None:
    for _ in range(rounds):
        if cond():
            return
        await asyncio.sleep(0.005)


def advanced(to: str, url: str, **extra) -> dict:
    return {"bulkId": "BULK-ID-123-xyz", "messages": [{
        "from": "InfoSMS", "destinations": [{"to": to, "messageId": "MESSAGE-ID-123-xyz"}],
        "text": "Mama always said life was like a box of chocolates.", "notifyUrl": url,
        "notifyContentType": "application/json", "callbackData": "There's no place like home.", **extra}]}


async def test_notify_retries_on_the_spec_schedule(client, sim):
    rx = await Receiver([500, 503]).start()
    try:
        await client.post("/sms/1/text/advanced", json=advanced("41793026727", rx.url + "/dlr"))
        msg = sim.platform.store.get("MESSAGE-ID-123-xyz")
        sim.clock.advance(10)  # delivered after 5 s → attempt 0
        await settle(lambda: len(msg.notify_attempts) == 1)
        sim.clock.advance(60)  # retry 1 after 1 min
        await settle(lambda: len(msg.notify_attempts) == 2)
        sim.clock.advance(120)  # retry 2 after 2 more min
        await settle(lambda: len(msg.notify_attempts) == 3)
        attempts = msg.notify_attempts
        assert [a.status for a in attempts] == [500, 503, 200]
        assert [a.attempt for a in attempts] == [0, 1, 2]
        assert attempts[1].time - attempts[0].time == timedelta(minutes=1)
        assert attempts[2].time - attempts[1].time == timedelta(minutes=2)
        assert attempts[0].next_retry == attempts[1].time and attempts[2].next_retry is None
        assert len(rx.hits) == 3 and rx.hits[0]["body"] == rx.hits[2]["body"]
        (result,) = json.loads(rx.hits[2]["body"])["results"]
        assert result["bulkId"] == "BULK-ID-123-xyz" and result["messageId"] == "MESSAGE-ID-123-xyz"
        assert result["callbackData"] == "There's no place like home."
        assert result["status"]["name"] == "DELIVERED_TO_HANDSET"
        assert rx.hits[0]["content_type"] == "application/json"
        # pushed to an explicit notifyUrl: not in the pull queue; the logs still have it
        assert (await client.get("/sms/1/reports")).json()["results"] == []
        assert (await client.get("/sms/1/logs")).json()["results"][0]["messageId"] == "MESSAGE-ID-123-xyz"
        assert [a.attempt for a in sim.platform.pipeline.attempts] == [0, 1, 2]
    finally:
        await rx.stop()


async def test_unreachable_notify_url_is_retried_and_recorded(client, sim):
    rx = await Receiver().start()
    dead = rx.url
    await rx.stop()  # nothing listens there any more
    await client.post("/sms/1/text/advanced", json=advanced("41793026727", dead + "/dlr"))
    msg = sim.platform.store.get("MESSAGE-ID-123-xyz")
    sim.clock.advance(10)
    await settle(lambda: len(msg.notify_attempts) == 1)
    (a,) = msg.notify_attempts
    assert a.status is None and a.error and not a.ok
    assert a.next_retry - a.time == timedelta(minutes=1)


async def test_notify_in_xml(client, sim):
    rx = await Receiver().start()
    try:
        body = advanced("41793026727", rx.url + "/dlr")
        body["messages"][0]["notifyContentType"] = "application/xml"
        await client.post("/sms/1/text/advanced", json=body)
        sim.clock.advance(10)
        await settle(lambda: len(rx.hits) == 1)
        root = DET.fromstring(rx.hits[0]["body"])
        assert rx.hits[0]["content_type"] == "application/xml" and root.tag == "reportResponse"
        assert root.findtext("results/result/messageId") == "MESSAGE-ID-123-xyz"
        assert root.findtext("results/result/status/groupName") == "DELIVERED"
    finally:
        await rx.stop()


@pytest.mark.parametrize("intermediate", [True, False])
async def test_intermediate_reports(client, sim, intermediate):
    rx = await Receiver().start()
    try:
        await client.post("/sms/1/text/advanced",
                          json=advanced("41793020001", rx.url + "/dlr", intermediateReport=intermediate))
        sim.clock.advance(3600)
        expected = 3 if intermediate else 1
        await settle(lambda: len(rx.hits) == expected)
        await asyncio.sleep(0.02)
        results = [json.loads(h["body"])["results"][0] for h in rx.hits]
        assert len(results) == expected
        if intermediate:
            for r in results[:2]:
                assert r["status"]["groupName"] == "PENDING"
                assert r["error"]["name"] == "EC_ABSENT_SUBSCRIBER" and r["error"]["permanent"] is False
        assert results[-1]["status"]["name"] == "DELIVERED_TO_HANDSET"
    finally:
        await rx.stop()


async def test_default_notify_url_keeps_pull_working():
    rx = await Receiver().start()
    sim = await Simulator(time_scale=1.0, notify_default_url=rx.url + "/default").start()
    try:
        async with httpx.AsyncClient(base_url=sim.http_url, auth=AUTH) as c:
            await c.post("/sms/1/text/single", json={"to": "41793026727", "text": "x"})
            sim.clock.advance(10)
            await settle(lambda: len(rx.hits) == 1)
            assert rx.hits[0]["path"] == "/default"
            assert len((await c.get("/sms/1/reports")).json()["results"]) == 1
    finally:
        await sim.stop()
        await rx.stop()


async def test_mo_forwarded_by_get_template_as_in_the_spec(sim):
    rx = await Receiver().start()
    try:
        acct = sim.platform.accounts.get("Aladdin")
        acct.mo_url = rx.url + "/incoming_sms.php?who=%sender%&what=%text%&output=xml"
        mo = sim.platform.inject_mo("+38598123123", "41793026700", "ABC")
        await settle(lambda: len(rx.hits) == 1)
        assert rx.hits[0]["method"] == "GET" and rx.hits[0]["path"] == "/incoming_sms.php"
        assert rx.hits[0]["query"] == {"who": "38598123123", "what": "ABC"}
        acct.mo_url = rx.url + "/in?who=%sender%&what=%bin%"
        sim.platform.inject_mo("+38598123123", "41793026700", "ABC")
        await settle(lambda: len(rx.hits) == 2)
        assert rx.hits[1]["query"] == {"who": "38598123123", "what": "414243"}
        await settle(lambda: bool(mo.forwarded))
        assert mo.forwarded[0]["status"] == 200
    finally:
        await rx.stop()


async def test_mo_text_only_for_data_coding_0(sim):
    rx = await Receiver().start()
    try:
        acct = sim.platform.accounts.get("Aladdin")
        acct.mo_url = rx.url + "/in?s=%sender%&r=%receiver%&t=%text%&b=%bin%&dc=%datacoding%&id=%messageid%"
        sim.platform.inject_mo("38598123123", "41793026700", "ABC")
        sim.platform.inject_mo("38598123123", "41793026700", "中文", data_coding=8)
        await settle(lambda: len(rx.hits) == 2)
        gsm, ucs2 = sorted((h["query"] for h in rx.hits), key=lambda q: q["dc"])
        assert gsm["t"] == "ABC" and gsm["b"] == "" and gsm["r"] == "41793026700" and gsm["id"]
        assert ucs2["t"] == "" and ucs2["b"] == "中文".encode("utf-16-be").hex() and ucs2["dc"] == "8"
    finally:
        await rx.stop()


async def test_mo_forwarded_by_post(sim, client):
    rx = await Receiver().start()
    try:
        acct = sim.platform.accounts.get("Aladdin")
        acct.mo_url, acct.mo_method = rx.url + "/mo", "POST"
        sim.platform.inject_mo("38598111", "41793026727", "KEY Test message")
        await settle(lambda: len(rx.hits) == 1)
        (res,) = json.loads(rx.hits[0]["body"])["results"]
        assert rx.hits[0]["method"] == "POST"
        assert res["keyword"] == "KEY" and res["cleanText"] == "Test message"
        received = datetime.strptime(res["receivedAt"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert received.tzinfo is not None
        # forwarding does not consume the inbox
        assert len((await client.get("/sms/1/inbox/reports")).json()["results"]) == 1
    finally:
        await rx.stop()
