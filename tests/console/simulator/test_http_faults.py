"""Fault injection on the simulator's HTTP door, with real httpx requests: added latency,
Infobip-shaped 5xx at a seeded rate, dropped connections; and the door's 404/405/401 order."""

from __future__ import annotations

import random

import defusedxml.ElementTree as DET
import httpx
import pytest

from console.simulator.http_faults import HttpFaults

AUTH = ("Aladdin", "open sesame")
SEND = {"from": "InfoSMS", "to": "41793026727", "text": "My first Infobip SMS"}


async def test_error_rate_one_answers_the_chosen_status_with_an_infobip_body(sim, client):
    sim.http_faults.set(error_rate=1.0, error_status=503)
    r = await client.post("/sms/1/text/single", json=SEND)
    assert r.status_code == 503
    exc = r.json()["requestError"]["serviceException"]
    assert exc["messageId"] == "SERVICE_UNAVAILABLE" and "503" in exc["text"]
    assert len(sim.platform.store) == 0  # a failed request never reaches the platform

    sim.http_faults.set(error_status=500)
    r = await client.get("/sms/1/reports", headers={"Accept": "application/xml"})
    assert r.status_code == 500 and r.headers["Content-Type"].startswith("application/xml")
    root = DET.fromstring(r.content)
    assert root.tag == "requestError" and root.findtext("serviceException/messageId") == "GENERAL_ERROR"
    assert sim.http_faults.counts["errors"] == 2

    sim.http_faults.clear()
    r = await client.post("/sms/1/text/single", json=SEND)
    assert r.status_code == 200 and len(sim.platform.store) == 1


async def test_seeded_error_rate_is_reproducible(sim, client):
    async def statuses() -> list[int]:
        sim.http_faults.set(error_rate=0.5, error_status=503, seed=42)
        return [(await client.get("/sms/1/reports")).status_code for _ in range(24)]

    first = await statuses()
    assert first == await statuses()
    # one draw per request from random.Random(seed): below the rate fails
    rng = random.Random(42)
    assert first == [503 if rng.random() < 0.5 else 200 for _ in range(24)]
    assert 200 in first and 503 in first


async def test_drop_closes_the_connection_without_an_answer(sim, client):
    sim.http_faults.set(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/sms/1/text/single", json=SEND)
    assert len(sim.platform.store) == 0 and sim.http_faults.counts["drops"] == 1
    sim.http_faults.clear()
    r = await client.post("/sms/1/text/single", json=SEND)  # the door still serves
    assert r.status_code == 200


async def test_latency_delays_the_answer_after_the_message_was_accepted(sim, client):
    sim.http_faults.set(latency_ms=400)
    with pytest.raises(httpx.ReadTimeout):
        await client.post("/sms/1/text/single", json=SEND, timeout=0.05)
    # the client gave up, yet the platform took the message: the retry would send it twice
    assert len(sim.platform.store) == 1
    assert sim.http_faults.counts["delayed"] == 1
    sim.http_faults.set(latency_ms=0)
    r = await client.post("/sms/1/text/single", json=SEND, timeout=5)
    assert r.status_code == 200 and len(sim.platform.store) == 2


def test_settings_are_validated_and_reported():
    faults = HttpFaults()
    seen: list[dict] = []
    faults.subscribe(lambda f: seen.append(f.to_dict()))
    for bad in ({"error_rate": 1.5}, {"drop_rate": -0.1}, {"latency_ms": -1},
                {"error_status": 404}, {"error_rate": 0.6, "drop_rate": 0.6},
                {"latency_ms": float("nan")}):
        with pytest.raises(ValueError):
            faults.set(**bad)
    assert not faults.active and seen == []
    faults.set(latency_ms=250, error_rate=0.25, error_status=429, seed=7)
    faults.set(drop_rate=0.1)  # the others stay
    assert faults.to_dict() == {
        "latency_ms": 250.0, "error_rate": 0.25, "error_status": 429, "drop_rate": 0.1,
        "seed": 7, "active": True, "counts": {"delayed": 0, "errors": 0, "drops": 0}}
    faults.clear()
    assert not faults.active and seen[-1]["active"] is False and len(seen) == 3


async def test_route_errors_come_before_auth_and_list_the_allowed_methods(sim):
    async with httpx.AsyncClient(base_url=sim.http_url) as anonymous:
        r = await anonymous.get("/sms/9/nothing")
        assert r.status_code == 404
        assert r.json()["requestError"]["serviceException"]["text"] == "Unknown endpoint GET /sms/9/nothing"
        r = await anonymous.post("/sms/1/reports")
        assert r.status_code == 405
        assert r.json()["requestError"]["serviceException"]["text"] == (
            "Method POST is not allowed on /sms/1/reports; use GET, HEAD")
        r = await anonymous.get("/sms/1/reports")
        assert r.status_code == 401
