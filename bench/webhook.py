"""Webhook listener throughput: delivery-report POSTs/s received, parsed and journaled, against
a bare aiohttp handler (read the body, answer 200) in the same run — goal ≥ 0.5× — and zero
lost (every POST and every report it carried counted in the journal).

Each POST carries one report, as the platform (and the simulator) pushes them: one
``{"results": [report]}`` per status change. The load comes from a separate process (aiohttp client, keep-alive, fixed concurrency) so the
client does not share the server's event loop; both targets get the same load.

The aiohttp client costs more per request than a bare handler, so the bare rate is about what
the client can send (the bare server idles part of the time): the printed server CPU per POST
(this process: listener and journal writer) shows the cost of each target regardless.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from console.journal import Journal
from console.webhooks import WebhookListener

REQUESTS = 6000
CONCURRENCY = 16
ROUNDS = 5
BODY = json.dumps({"results": [
    {"bulkId": "BULK-ID-123-xyz", "messageId": f"MESSAGE-ID-{i}", "to": "41793026727",
     "sentAt": "2015-06-04T13:01:52.937+0000", "doneAt": "2015-06-04T13:02:01.204+0000",
     "smsCount": 1, "price": {"pricePerMessage": 0.0001, "currency": "EUR"},
     "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
                "description": "Message delivered to handset"},
     "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
               "description": "No Error", "permanent": False},
     "callbackData": "There's no place like home."} for i in range(1)]})
PER_POST = 1

_CLIENT = r"""
import asyncio, sys, time, aiohttp
url, n, conc, body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
async def main():
    ok = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as s:
        async def worker(k):
            nonlocal ok
            for _ in range(k):
                async with s.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                    await r.read()
                    ok += r.status == 200
        t = time.perf_counter()
        await asyncio.gather(*(worker(n // conc) for _ in range(conc)))
        print(ok, time.perf_counter() - t)
asyncio.run(main())
"""


async def _load(url: str) -> tuple[int, float]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CLIENT, url, str(REQUESTS), str(CONCURRENCY), BODY,
        stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    ok, seconds = out.split()
    return int(ok), float(seconds)


async def _bare() -> tuple[float, float]:
    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/dlr", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    cpu = time.process_time()
    try:
        ok, seconds = await _load(f"http://127.0.0.1:{port}/dlr")
    finally:
        cpu = time.process_time() - cpu
        await runner.cleanup()
    return ok / seconds, cpu / ok * 1e6


async def _listener(path: Path) -> tuple[float, int, int, int, float]:
    journal = Journal(path)
    listener = WebhookListener(journal=journal, keep=1000)
    await listener.start()
    cpu = time.process_time()  # this process: the listener and the journal's writer thread
    try:
        ok, seconds = await _load(listener.url + "/dlr")
    finally:
        await listener.stop()
    t0 = time.perf_counter()
    journal.flush(timeout=None)
    flush = time.perf_counter() - t0
    cpu = time.process_time() - cpu
    hits, reports = journal.count(kind="webhook"), journal.count_reports()
    journal.close()
    # the rate counts the journal catching up too: received, parsed *and* journaled
    return ok / (seconds + flush), ok, hits, reports, cpu / ok * 1e6


def run() -> list[dict]:
    # interleaved rounds, each ratio taken against the bare run next to it, then the median:
    # the machine is shared and its load drifts between rounds
    bares, runs = [], []
    with tempfile.TemporaryDirectory() as d:
        for i in range(ROUNDS):  # alternate which goes first: load drift hits both alike
            if i % 2:
                runs.append(asyncio.run(_listener(Path(d) / f"hooks{i}.sqlite")))
            bares.append(asyncio.run(_bare()))
            if not i % 2:
                runs.append(asyncio.run(_listener(Path(d) / f"hooks{i}.sqlite")))
    ratio = statistics.median(r[0] / b[0] for r, b in zip(runs, bares, strict=True))
    bare = statistics.median(b[0] for b in bares)
    cpu, bare_cpu = statistics.median(r[4] for r in runs), statistics.median(b[1] for b in bares)
    rate = statistics.median(r[0] for r in runs)
    ok, hits, reports = min(r[1] for r in runs), min(r[2] for r in runs), min(r[3] for r in runs)
    lost = sum(PER_POST * REQUESTS - r[3] + REQUESTS - r[2] for r in runs)
    metrics = [
        {"name": "webhook: report POSTs received+parsed+journaled", "value": rate,
         "unit": "req/s", "baseline": bare, "ratio": ratio,
         "goal": "≥ 0.5× bare aiohttp handler"},
        {"name": "webhook: hits/reports lost (journal count)", "value": lost, "unit": "count",
         "baseline": 0, "ratio": None, "goal": "0"},
    ]
    print(f"webhook: {rate:,.0f} req/s vs bare aiohttp {bare:,.0f} req/s (medians of {ROUNDS}); "
          f"median paired ratio {ratio:.2f}× "
          f"(goal ≥ 0.5×); answered 200: {ok}/{REQUESTS}, journaled hits {hits}, "
          f"reports {reports}/{PER_POST * REQUESTS}, lost over {len(runs)} runs: {lost}; "
          f"server CPU per POST {cpu:.0f} µs vs bare {bare_cpu:.0f} µs")
    return metrics


if __name__ == "__main__":
    run()
