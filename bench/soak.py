"""``make soak``: a long run of steady traffic through the whole console, watching for leaks.

``python -m bench.soak [--minutes 10] [--rate 100] [--http-rate 10] [--interval S]``

One process, one event loop, everything real on 127.0.0.1: the embedded simulator (HTTP API
and SMSC), an ESME session (TRX, window 10) submitting ``--rate`` submit_sm/s with receipts
flowing back, an HTTP client sending ``--http-rate`` messages/s whose notifyUrl push goes to
the webhook listener, and a journal taking every PDU event, HTTP exchange and webhook hit.

Every ``--interval`` seconds it prints resident memory (RSS), open file descriptors,
event-loop lag (p50/p99/max of a 10 ms ticker's overshoot) and the traffic counts. At the end
it prints a verdict, ``flat`` or ``growing``, judged on the samples after a warm-up (the first
30 %: caches, SQLite's page cache and the simulator's 49 h retention window fill up first):

- RSS: growing when the least-squares trend over the judged window adds more than
  max(10 MB, 5 % of RSS) across it *and* the last sample is that much above the first;
- file descriptors: growing when the last third's maximum exceeds the first third's by > 3;
- loop lag: growing when the last third's p99 exceeds twice the first third's plus 10 ms.

The last three columns say where memory is held: messages in the simulator's store (pruned
after the 49 simulated hours), submits the ESME session remembers to correlate receipts, and
submits the journal's correlator remembers.

Exit status 0 for flat, 1 for growing, 2 when the traffic itself failed. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TICK = 0.01  # the lag probe's sleep
WARMUP = 0.3  # share of the samples not judged
SOURCE, DEST = "InfoSMS", "41793026727"


def rss_mb() -> float:
    """Resident set size of this process in MB (from /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Counters:
    submits: int = 0
    receipts: int = 0
    http: int = 0
    hits: int = 0
    errors: int = 0
    last_error: str = ""

    def fail(self, exc: BaseException) -> None:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"


@dataclass
class Sample:
    t: float
    rss: float
    fds: int
    lag_p50: float
    lag_p99: float
    lag_max: float
    counts: dict[str, int] = field(default_factory=dict)


class LagProbe:
    """Overshoot of a short sleep: how late the loop runs a ready callback."""

    def __init__(self) -> None:
        self.lags: list[float] = []

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            t0 = loop.time()
            await asyncio.sleep(TICK)
            self.lags.append(max(0.0, loop.time() - t0 - TICK))

    def take(self) -> tuple[float, float, float]:
        lags, self.lags = sorted(self.lags) or [0.0], []
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        return lags[len(lags) // 2] * 1e3, p99 * 1e3, lags[-1] * 1e3


async def _paced(stop: asyncio.Event, rate: float, step: Any) -> None:
    """Call ``await step(n)`` so that ``rate`` items per second go out on average."""
    loop = asyncio.get_running_loop()
    start, sent = loop.time(), 0
    while not stop.is_set():
        due = int((loop.time() - start) * rate) - sent
        if due > 0:
            await step(due)
            sent += due
        await asyncio.sleep(0.02)


async def soak(minutes: float, rate: float, http_rate: float, interval: float,
               out: Any = sys.stdout) -> list[Sample]:
    """Run the traffic for ``minutes``, sampling every ``interval`` seconds."""
    from console.http.client import HttpClient
    from console.journal import Journal
    from console.platform import Account
    from console.simulator import Simulator
    from console.smpp import Pdu
    from console.smpp.session import SmppSession
    from console.webhooks import WebhookListener

    home = Path(tempfile.mkdtemp(prefix="infobip-soak-"))
    os.environ.setdefault("INFOBIP_CONSOLE_HOME", str(home))
    counters = Counters()
    journal = Journal(home / "soak.sqlite")
    # the listener keeps its last 1,000 hits (its default 10,000 would fill only after
    # 17 minutes at 10 hits/s: longer than a soak, which would then see it as growth)
    listener = await WebhookListener(journal=journal, keep=1000).start()
    listener.subscribe(lambda _hit: setattr(counters, "hits", counters.hits + 1))
    # time scale 3600: deliveries in milliseconds, and the 49 h retention (messages beyond
    # the logs' reach are forgotten) is 49 real seconds — so the store reaches its steady size
    sim = await Simulator(http_port=0, smpp_port=0, time_scale=3600.0, accounts=[
        Account("Soak", "soak-pass", smpp_password="soakpw", balance=1e12)]).start()
    session = SmppSession("127.0.0.1", sim.smpp_port, system_id="Soak", password="soakpw",
                          window=10, enquire_interval=30.0, reconnect=True)
    session.events.subscribe(journal.append)
    await session.open()
    client = HttpClient(sim.http_url, "Soak", "soak-pass", history_size=1000)
    client.subscribe(journal.append)
    notify = listener.url + "/dlr"
    stop = asyncio.Event()
    probe = LagProbe()

    async def smpp_step(n: int) -> None:
        fields = {"source_addr": SOURCE, "dest_addr_ton": 1, "dest_addr_npi": 1,
                  "destination_addr": DEST, "registered_delivery": 1,
                  "short_message": b"soak test message"}
        for r in await session.submit_many([Pdu("submit_sm", fields=fields) for _ in range(n)]):
            if isinstance(r, Exception) or r.command_status:
                counters.fail(r if isinstance(r, Exception) else RuntimeError(r.status_name))
            else:
                counters.submits += 1

    async def http_step(n: int) -> None:
        for _ in range(n):
            ex = await client.send_sms(DEST, "soak over http", notify_url=notify)
            if ex.status == 200:
                counters.http += 1
            else:
                counters.fail(RuntimeError(ex.error or f"HTTP {ex.status}"))

    async def receipts() -> None:
        async for _ in session.receipts:
            counters.receipts += 1

    tasks = [asyncio.create_task(c) for c in (
        probe.run(stop), _paced(stop, rate, smpp_step), _paced(stop, http_rate, http_step),
        receipts())]
    samples: list[Sample] = []
    print(f"soak: {minutes:g} min, {rate:g} submit_sm/s + {http_rate:g} HTTP sends/s, "
          f"sample every {interval:g} s (pid {os.getpid()}, data in {home})", file=out)
    print(f"{'time s':>7} {'RSS MB':>8} {'fds':>5} {'lag p50':>8} {'p99 ms':>7} {'max ms':>7} "
          f"{'submits':>8} {'receipts':>8} {'http':>6} {'hooks':>6} {'journal':>8} {'errors':>6}"
          f" {'stored':>7} {'tracked':>7} {'correl':>7}",
          file=out, flush=True)
    t0 = time.monotonic()
    end = t0 + minutes * 60
    try:
        while time.monotonic() < end:
            await asyncio.sleep(min(interval, max(0.0, end - time.monotonic())))
            for t in tasks:  # a crashed traffic task ends the soak with its error
                if t.done() and not t.cancelled() and t.exception() is not None:
                    raise t.exception()  # type: ignore[misc]
            p50, p99, mx = probe.take()
            s = Sample(time.monotonic() - t0, rss_mb(), open_fds(), p50, p99, mx,
                       {"submits": counters.submits, "receipts": counters.receipts,
                        "http": counters.http, "hits": counters.hits,
                        "journal": journal.saved_seq, "errors": counters.errors})
            samples.append(s)
            print(f"{s.t:7.0f} {s.rss:8.1f} {s.fds:5d} {p50:8.2f} {p99:7.2f} {mx:7.1f} "
                  f"{counters.submits:8d} {counters.receipts:8d} {counters.http:6d} "
                  f"{counters.hits:6d} {journal.saved_seq:8d} {counters.errors:6d} "
                  f"{len(sim.platform.store):7d} {_held(session):7d} {len(journal.correlator):7d}",
                  file=out, flush=True)
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t
        await client.aclose()
        await session.close()
        await sim.stop()
        await listener.stop()
        journal.close()
        shutil.rmtree(home, ignore_errors=True)
    if counters.errors:
        print(f"traffic errors: {counters.errors} (last: {counters.last_error})", file=out)
    return samples


def _held(session: Any) -> int:
    """Submits the session remembers for receipt correlation (what it holds per message)."""
    return len(getattr(session, "_submits", ()))


def _slope(xs: list[float], ys: list[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def verdict(samples: list[Sample]) -> tuple[str, list[str]]:
    """("flat" | "growing", reasons) over the samples after the warm-up."""
    judged = samples[int(len(samples) * WARMUP):]
    if len(judged) < 3:
        return "flat", ["too few samples to judge (run longer or sample more often)"]
    notes: list[str] = []
    growing = False
    xs = [s.t for s in judged]
    rss = [s.rss for s in judged]
    span = xs[-1] - xs[0]
    trend = _slope(xs, rss) * span
    limit = max(10.0, 0.05 * statistics.median(rss))
    rss_grew = trend > limit and rss[-1] - rss[0] > limit
    growing |= rss_grew
    notes.append(f"RSS {rss[0]:.1f} → {rss[-1]:.1f} MB, trend {trend:+.1f} MB over {span:.0f} s "
                 f"(limit {limit:.1f} MB){' — GROWING' if rss_grew else ''}")
    third = max(1, len(judged) // 3)
    first, last = judged[:third], judged[-third:]
    fd_first, fd_last = max(s.fds for s in first), max(s.fds for s in last)
    fds_grew = fd_last > fd_first + 3
    growing |= fds_grew
    notes.append(f"open fds {fd_first} → {fd_last}{' — GROWING' if fds_grew else ''}")
    lag_first = statistics.fmean(s.lag_p99 for s in first)
    lag_last = statistics.fmean(s.lag_p99 for s in last)
    lag_grew = lag_last > 2 * lag_first + 10.0
    growing |= lag_grew
    notes.append(f"loop lag p99 {lag_first:.2f} → {lag_last:.2f} ms"
                 f"{' — GROWING' if lag_grew else ''}")
    return ("growing" if growing else "flat"), notes


def run(minutes: float = 1.0) -> list[dict[str, Any]]:
    """A short soak as bench metrics (``make bench`` does not run it by default)."""
    samples = asyncio.run(soak(minutes, 100.0, 10.0, max(2.0, minutes * 60 / 30)))
    word, _ = verdict(samples)
    judged = samples[int(len(samples) * WARMUP):] or samples
    return [{"name": "soak: RSS growth after warm-up", "value": judged[-1].rss - judged[0].rss,
             "unit": "MB", "baseline": judged[0].rss, "ratio": judged[-1].rss / judged[0].rss,
             "goal": f"flat (verdict: {word})"}]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0, help="how long (default 10)")
    p.add_argument("--rate", type=float, default=100.0, help="submit_sm per second (default 100)")
    p.add_argument("--http-rate", type=float, default=10.0,
                   help="HTTP sends per second, each with a notifyUrl push (default 10)")
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between samples (default: 40 samples over the run, ≥ 2 s)")
    args = p.parse_args(argv)
    if args.minutes <= 0 or args.rate < 0 or args.http_rate < 0:
        p.error("--minutes must be > 0 and rates >= 0")
    interval = args.interval or max(2.0, args.minutes * 60 / 40)
    errors: list[str] = []

    class Tee:
        def write(self, text: str) -> None:
            sys.stdout.write(text)
            if text.startswith("traffic errors"):
                errors.append(text)

        def flush(self) -> None:
            sys.stdout.flush()

    samples = asyncio.run(soak(args.minutes, args.rate, args.http_rate, interval, Tee()))
    word, notes = verdict(samples)
    for n in notes:
        print("  " + n)
    print(f"verdict: {word}")
    if errors:
        return 2
    return 0 if word == "flat" else 1


if __name__ == "__main__":
    sys.exit(main())
