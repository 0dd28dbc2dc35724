"""submit_sm/s through the simulator's SMSC (platform, store, scenarios, receipts flowing back)
with our windowed SmppSession vs smpplib's synchronous client, same server, same run.

The SMSC runs in its own process on a platform whose clock runs 3600× so every message's
receipt comes back (as deliver_sm, answered by the client) while the submits are still going;
the client is this process (2 cores: one each). Our client reads its receipts as they come
(as a client does) and has an event subscriber (as the GUI or the journal would).
Run: ``.venv/bin/python -m bench.smsc``. Goal: ≥ 10,000 submit_sm/s windowed.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import struct
import time
from typing import Any

import smpplib.client

GOAL = 10_000.0
WINDOW = 50
FIELDS: dict[str, Any] = {"source_addr": "InfoSMS", "destination_addr": "41793026727",
                          "source_addr_ton": 5, "dest_addr_ton": 1, "dest_addr_npi": 1,
                          "registered_delivery": 1, "short_message": b"Hello from the benchmark"}
_HDR = struct.Struct(">IIII")
_CPU: dict[str, float] = {}  # CPU seconds per submit_sm of the last client run


def _serve(port_queue: multiprocessing.Queue, stats_queue: multiprocessing.Queue,  # type: ignore[type-arg]
           ask: multiprocessing.Queue | None = None) -> None:  # type: ignore[type-arg]
    from console.platform import Account, Platform, SimClock
    from console.simulator.smsc import SmscServer

    async def main() -> None:
        platform = Platform(clock=SimClock(scale=3600.0),
                            # one account per client, so receipts of one never reach the other
                            accounts=[Account(name, name, smpp_password=name, balance=1e12)
                                      for name in ("bench", "baseline")])
        smsc = await SmscServer(platform, port=0, keepalive=0, max_sessions_per_account=16).start()
        port_queue.put(smsc.port)
        while True:
            await asyncio.sleep(0.02)
            if ask is not None and not ask.empty():
                ask.get_nowait()  # "how much CPU so far?" -> the server's own CPU seconds
                stats_queue.put({"messages": len(platform.store), "receipts_sent": smsc.router.sent,
                                 "cpu": time.process_time()})

    asyncio.run(main())


async def _ours(port: int, count: int) -> tuple[float, int]:
    from console.smpp import Pdu
    from console.smpp.session import SmppSession

    async with SmppSession("127.0.0.1", port, system_id="bench", password="bench",
                           window=WINDOW, bind="trx") as s:
        s.events.subscribe(lambda e: None)  # a subscriber, as the GUI or journal would be
        receipts = 0

        async def read_receipts() -> None:  # as a client does: it reads what arrives
            nonlocal receipts
            async for _ in s.receipts:
                receipts += 1

        reader = asyncio.create_task(read_receipts())
        await s.submit_many([Pdu("submit_sm", fields=FIELDS) for _ in range(200)])
        start, cpu = time.perf_counter(), time.process_time()
        # PDUs made as the window takes them (submit_many takes any iterable)
        resps = await s.submit_many(Pdu("submit_sm", fields=FIELDS) for _ in range(count))
        elapsed = time.perf_counter() - start
        _CPU["client"] = (time.process_time() - cpu) / count
        ok = sum(1 for r in resps if getattr(r, "command_status", 1) == 0)
        assert ok == count, f"{count - ok} submits failed"
    await reader
    return count / elapsed, receipts


class _RawWindowed(asyncio.Protocol):
    """Stand-in windowed ESME (struct only) for when SmppSession is not importable yet."""

    def __init__(self, count: int, done: asyncio.Future[None]) -> None:
        self.count, self.done = count, done
        self.buf = bytearray()
        self.sent = self.answered = self.receipts = 0
        body = (b"\x00\x05\x00InfoSMS\x00\x01\x0141793026727\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
                + bytes([len(FIELDS["short_message"])]) + FIELDS["short_message"])
        self.body = body

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t = transport
        self.cpu = time.process_time()
        bind = b"bench\x00bench\x00\x00\x34\x00\x00\x00"
        self.t.write(_HDR.pack(16 + len(bind), 0x09, 0, 1) + bind)  # type: ignore[attr-defined]

    def _submit(self, n: int) -> None:
        out = []
        for _ in range(n):
            self.sent += 1
            out.append(_HDR.pack(16 + len(self.body), 0x04, 0, self.sent + 1) + self.body)
        self.t.write(b"".join(out))  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        pos, out = 0, []
        while len(self.buf) - pos >= 16:
            length, cid, _, seq = _HDR.unpack_from(self.buf, pos)
            if len(self.buf) - pos < length:
                break
            pos += length
            if cid == 0x80000009:
                self.start = time.perf_counter()
                self._submit(min(WINDOW, self.count))
            elif cid == 0x80000004:
                self.answered += 1
                if self.sent < self.count:
                    self._submit(1)
                elif self.answered == self.count and not self.done.done():
                    self.done.set_result(None)
            elif cid == 0x05:
                self.receipts += 1
                out.append(_HDR.pack(17, 0x80000005, 0, seq) + b"\x00")
        del self.buf[:pos]
        if out:
            self.t.write(b"".join(out))  # type: ignore[attr-defined]


async def _raw(port: int, count: int) -> tuple[float, int]:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    transport, proto = await loop.create_connection(lambda: _RawWindowed(count, done),
                                                    "127.0.0.1", port)
    await asyncio.wait_for(done, 120)
    elapsed = time.perf_counter() - proto.start
    _CPU["client"] = (time.process_time() - proto.cpu) / count
    transport.close()
    return count / elapsed, proto.receipts


def _smpplib(port: int, count: int) -> tuple[float, int]:
    client = smpplib.client.Client("127.0.0.1", port, allow_unknown_opt_params=True)
    answered: list[int] = []
    receipts: list[int] = []
    client.set_message_sent_handler(lambda pdu: answered.append(int(pdu.status)))
    client.set_message_received_handler(lambda pdu: receipts.append(1))  # acked by smpplib
    client.connect()
    client.bind_transceiver(system_id="baseline", password="baseline")
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        client.send_message(**FIELDS)
        want = len(answered) + 1
        while len(answered) < want:
            client.read_once()
    elapsed = time.perf_counter() - start
    _CPU["client"] = (time.process_time() - cpu) / count
    assert answered.count(0) == count
    while len(receipts) < count:  # let the last receipts in, so unbind_resp is what comes next
        client.read_once()
    client.unbind()
    client.disconnect()
    return count / elapsed, len(receipts)


def run() -> list[dict]:
    ctx = multiprocessing.get_context("spawn")
    ports, stats, ask = ctx.Queue(), ctx.Queue(), ctx.Queue()
    server = ctx.Process(target=_serve, args=(ports, stats, ask), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=30)
        try:
            importlib.import_module("console.smpp.receipt")
            importlib.import_module("console.smpp.session")
            client, label = _ours, "SmppSession"
        except ImportError:
            client, label = _raw, "raw asyncio ESME (SmppSession not importable)"
        best: dict[str, tuple[float, int]] = {"ours": (0.0, 0), "raw": (0.0, 0), "smpplib": (0.0, 0)}
        # CPU µs per submit_sm, best round: (client, server) — less sensitive to machine load
        cpu: dict[str, tuple[float, float]] = {k: (1.0, 1.0) for k in best}
        last: dict[str, Any] = {}

        def server_cpu() -> dict[str, Any]:
            ask.put(1)
            return stats.get(timeout=30)

        for _ in range(2):  # interleaved rounds, best of each: machine load hits all alike
            for key, result in (("smpplib", lambda: _smpplib(port, 2000)),
                                ("ours", lambda: asyncio.run(client(port, 20000))),
                                ("raw", lambda: asyncio.run(_raw(port, 20000)))):
                before = server_cpu()
                rate, receipts = result()
                last = server_cpu()
                per = ((last["cpu"] - before["cpu"]) / max(1, last["messages"] - before["messages"]))
                cpu[key] = (min(cpu[key][0], _CPU["client"]), min(cpu[key][1], per))
                if rate > best[key][0]:
                    best[key] = (rate, receipts)
    finally:
        server.terminate()
        server.join(5)
    theirs = best["smpplib"][0]
    ours, raw = best["ours"][0], best["raw"][0]
    metrics = [
        {"name": f"smsc: submit_sm/s with receipts, {label} window {WINDOW}", "value": ours,
         "unit": "submit_sm/s", "baseline": theirs, "ratio": ours / theirs,
         "goal": f"≥ {GOAL:,.0f} submit_sm/s windowed"},
        {"name": f"smsc: submit_sm/s with receipts, struct-only client window {WINDOW} "
                 "(server capacity)", "value": raw, "unit": "submit_sm/s", "baseline": theirs,
         "ratio": raw / theirs, "goal": "informational: the SMSC without client-side cost"},
    ]
    metrics += [
        {"name": f"smsc: SMSC CPU per submit_sm (with its receipt), {label} client",
         "value": cpu["ours"][1] * 1e6, "unit": "µs", "baseline": cpu["smpplib"][1] * 1e6,
         "ratio": cpu["smpplib"][1] / cpu["ours"][1], "goal": "informational: server cost"},
        {"name": f"smsc: client CPU per submit_sm (with its receipt), {label}",
         "value": cpu["ours"][0] * 1e6, "unit": "µs", "baseline": cpu["smpplib"][0] * 1e6,
         "ratio": cpu["smpplib"][0] / cpu["ours"][0], "goal": "informational: smpplib CPU / ours"},
    ]

    def us(key: str) -> str:
        return f"client {cpu[key][0] * 1e6:.1f} µs, SMSC {cpu[key][1] * 1e6:.1f} µs CPU/msg"

    print(f"windowed {label}, window {WINDOW}: {ours:,.0f} submit_sm/s "
          f"(receipts received during the run: {best['ours'][1]}; {us('ours')})")
    print(f"windowed struct-only client:     {raw:,.0f} submit_sm/s "
          f"(receipts received during the run: {best['raw'][1]}; {us('raw')})")
    print(f"smpplib synchronous:             {theirs:,.0f} submit_sm/s "
          f"(receipts received during the run: {best['smpplib'][1]}; {us('smpplib')})")
    print(f"ratio {ours / theirs:.2f} ({label}) / {raw / theirs:.2f} (struct-only); "
          f"goal ≥ {GOAL:,.0f} submit_sm/s windowed -> {'met' if ours >= GOAL else 'NOT met'}; "
          f"server totals {last}")
    return metrics


if __name__ == "__main__":
    run()
