"""Requests/s of the simulator's POST /sms/1/text/single vs a bare aiohttp handler.

Run: ``.venv/bin/python -m bench.http_sim``. Each server runs in its own process; the load
comes from a lean keep-alive HTTP/1.1 client (raw asyncio streams, several connections) in this
process, so the client is not the bottleneck. Goal: ≥ 2,000 req/s and ≥ 0.3× bare aiohttp.

The machine is shared and its load drifts: the two servers are measured back to back in each
round (alternating which goes first), each round gives a ratio, and the median counts. The
servers' CPU time per request is printed too: it drifts less with the load than the rate does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing as mp
import os
import statistics
import time
from typing import Any

GOAL_RATE = 2_000.0
GOAL_RATIO = 0.3
CONNECTIONS = 16
SECONDS = 2.0
ROUNDS = 5  # paired rounds; the median ratio counts (the machine is shared and noisy)
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


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux), else None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _measure(kind: str, seconds: float = SECONDS) -> tuple[float, float | None]:
    """(requests/s, server CPU µs per request) of one server kind in a fresh process."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(kind, child), daemon=True)
    proc.start()
    try:
        port = parent.recv()
        asyncio.run(_load(port, 0.5))  # warm up
        cpu0 = _cpu_seconds(proc.pid)
        start = time.perf_counter()
        ok, bad = asyncio.run(_load(port, seconds))
        elapsed = time.perf_counter() - start
        cpu1 = _cpu_seconds(proc.pid)
        if bad:
            raise RuntimeError(f"{kind}: {bad} non-200 answers")
        cpu = (cpu1 - cpu0) / ok * 1e6 if cpu0 is not None and cpu1 is not None and ok else None
        return ok / elapsed, cpu
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.terminate()


def run() -> list[dict]:
    rounds: list[dict[str, tuple[float, float | None]]] = []
    for i in range(ROUNDS):
        order = ("bare", "simulator") if i % 2 == 0 else ("simulator", "bare")
        rounds.append({kind: _measure(kind) for kind in order})
    ratio = statistics.median(r["simulator"][0] / r["bare"][0] for r in rounds)
    bare = statistics.median(r["bare"][0] for r in rounds)
    ours = statistics.median(r["simulator"][0] for r in rounds)
    metrics = [{
        "name": "http_sim: POST /sms/1/text/single", "value": ours, "unit": "req/s",
        "baseline": bare, "ratio": ratio,
        "goal": f"≥ {GOAL_RATE:,.0f} req/s and ≥ {GOAL_RATIO}× bare aiohttp",
    }]
    cpu = {kind: [r[kind][1] for r in rounds if r[kind][1] is not None] for kind in ("bare", "simulator")}
    cpu_text = (f"; server CPU per request {statistics.median(cpu['simulator']):.0f} µs vs bare "
                f"{statistics.median(cpu['bare']):.0f} µs" if cpu["bare"] and cpu["simulator"] else "")
    for m in metrics:
        print(f"{m['name']}: {m['value']:,.0f} {m['unit']} vs bare aiohttp {m['baseline']:,.0f} "
              f"(medians of {ROUNDS}); median paired ratio {m['ratio']:.2f}× "
              f"(goal {m['goal']}){cpu_text}", flush=True)
    return metrics


if __name__ == "__main__":
    run()
