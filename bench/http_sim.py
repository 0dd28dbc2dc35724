"""Requests/s of the simulator's POST /sms/1/text/single vs a bare aiohttp handler.

Run: ``.venv/bin/python -m bench.http_sim``. Each server runs in its own process; the load
comes from a lean keep-alive HTTP/1.1 client (raw asyncio streams, several connections) so the
client is not the bottleneck. Goal: ≥ 2,000 req/s and ≥ 0.3× bare aiohttp.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing as mp
import time
from typing import Any

GOAL_RATE = 2_000.0
GOAL_RATIO = 0.3
CONNECTIONS = 16
SECONDS = 2.0
ROUNDS = 3  # interleaved rounds; the best of each counts (the machine is shared and noisy)
BODY = json.dumps({"from": "InfoSMS", "to": "41793026727", "text": "My first Infobip SMS"}).encode()
AUTH = "Basic " + base64.b64encode(b"Aladdin:open sesame").decode()
CANNED = json.dumps({"messages": [{"to": "41793026727", "status": {
    "groupId": 0, "groupName": "ACCEPTED", "id": 0, "name": "MESSAGE_ACCEPTED",
    "description": "Message accepted"}, "smsCount": 1, "messageId": "x" * 36}]}).encode()


def _serve(kind: str, conn: Any) -> None:
    """Server process: the simulator or a bare aiohttp app; sends its port, runs until told."""
    from aiohttp import web

    async def main() -> None:
        if kind == "simulator":
            from console.simulator import Simulator

            sim = Simulator(http_port=0, time_scale=60.0)
            await sim.start()
            port = sim.http_port
        else:
            async def handler(request: web.Request) -> web.Response:
                await request.read()
                return web.Response(body=CANNED, content_type="application/json")

            app = web.Application()
            app.router.add_post("/sms/1/text/single", handler)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
        conn.send(port)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # any message stops the server

    asyncio.run(main())


async def _load(port: int, seconds: float) -> tuple[int, int]:
    """(requests answered 200, other answers) within ``seconds``."""
    request = (f"POST /sms/1/text/single HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Authorization: {AUTH}\r\nContent-Type: application/json\r\n"
               f"Accept: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n").encode() + BODY
    ok = bad = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal ok, bad
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                if head.startswith(b"HTTP/1.1 200"):
                    ok += 1
                else:
                    bad += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return ok, bad


def _measure(kind: str, seconds: float = SECONDS) -> float:
    """Requests/s of one server kind in a fresh process."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(kind, child), daemon=True)
    proc.start()
    try:
        port = parent.recv()
        asyncio.run(_load(port, 0.5))  # warm up
        start = time.perf_counter()
        ok, bad = asyncio.run(_load(port, seconds))
        elapsed = time.perf_counter() - start
        if bad:
            raise RuntimeError(f"{kind}: {bad} non-200 answers")
        return ok / elapsed
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.terminate()


def run() -> list[dict]:
    bare = ours = 0.0
    for _ in range(ROUNDS):
        bare = max(bare, _measure("bare"))
        ours = max(ours, _measure("simulator"))
    ratio = ours / bare if bare else None
    metrics = [{
        "name": "http_sim: POST /sms/1/text/single", "value": ours, "unit": "req/s",
        "baseline": bare, "ratio": ratio,
        "goal": f"≥ {GOAL_RATE:,.0f} req/s and ≥ {GOAL_RATIO}× bare aiohttp",
    }]
    for m in metrics:
        print(f"{m['name']}: {m['value']:,.0f} {m['unit']} vs bare aiohttp {m['baseline']:,.0f} "
              f"({m['ratio']:.2f}×; goal {m['goal']})", flush=True)
    return metrics


if __name__ == "__main__":
    run()
