"""Faults: the SMSC stopped and restarted under traffic, an ESME link cut under traffic, a
journal writer process killed with SIGKILL at 2,000 events/s, a notifyUrl target down for a
while. Real components over real sockets on 127.0.0.1; the simulated clock is time-scaled.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from reliability_support import SM, eventually, free_port

from console.journal import Journal
from console.platform import Account, Platform, SimClock, retry_delay
from console.simulator import Simulator
from console.simulator.smsc import SmscServer
from console.smpp import Pdu
from console.smpp.session import SmppSession
from console.webhooks import WebhookListener

pytestmark = pytest.mark.timeout(120)

HERE = Path(__file__).parent


@pytest.fixture
async def closers():
    """Async close functions run at teardown, also when a test failed half-way."""
    items: list = []
    yield items
    for close in reversed(items):
        with contextlib.suppress(Exception):
            await close()


def make_platform() -> Platform:
    # scale 600: a message is delivered 5 simulated seconds (≈ 8 ms) after its submit
    return Platform(clock=SimClock(scale=600.0), accounts=[
        Account("Aladdin", "open sesame", smpp_password="opensesa", balance=1e9)])


class Traffic:
    """Submits numbered messages through a session; keeps what was acknowledged or failed."""

    def __init__(self, session: SmppSession) -> None:
        self.session = session
        self.acked: dict[int, str] = {}  # number -> message id from submit_sm_resp
        self.failed: dict[int, str] = {}  # number -> why (connection lost, timeout …)
        self.receipts: list[str] = []
        session.receipts.subscribe(lambda r: self.receipts.append(r.message_id))
        self.n = 0

    async def run(self, until: asyncio.Event, pause: float = 0.002) -> None:
        while not until.is_set():
            self.n += 1
            n = self.n
            pdu = Pdu("submit_sm", fields={**SM, "short_message": f"traffic {n}".encode()})
            try:
                resp = await self.session.submit(pdu, timeout=10)
            except Exception as exc:  # ConnectionLost / ResponseTimeout / NotBound while down
                self.failed[n] = type(exc).__name__
                await asyncio.sleep(0.01)
                continue
            assert resp.command_status == 0, resp
            self.acked[n] = str(resp.fields["message_id"])
            await asyncio.sleep(pause)


def check_no_duplicates(platform: Platform, traffic: Traffic) -> None:
    """Every acknowledged submit is in the store exactly once; nothing is there twice."""
    texts = collections.Counter(m.text for m in platform.store)
    twice = {t: c for t, c in texts.items() if c > 1}
    assert not twice, f"submits stored more than once: {twice}"
    for n, mid in traffic.acked.items():
        msg = platform.store.get(mid)
        assert msg is not None and msg.text == f"traffic {n}", (n, mid)
    # only submits the ESME sent can be there: the acked ones, plus at most those whose
    # response was lost with the connection (the SMSC took them, the ESME saw the loss)
    sent = set(traffic.acked) | set(traffic.failed)
    assert {int(t.split()[1]) for t in texts} <= sent


async def smsc_with_session(closers: list, port: int = 0
                            ) -> tuple[Platform, SmscServer, SmppSession]:
    """A started SMSC on a fresh platform and a bound, reconnecting TRX session to it (both
    closed by ``closers``)."""
    platform = make_platform()
    smsc = await SmscServer(platform, port=port).start()
    session = SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                          reconnect=True, backoff=0.05, max_backoff=0.2, enquire_interval=None)
    closers += [smsc.stop, session.close]
    await session.open()
    return platform, smsc, session


async def test_smsc_stopped_and_restarted_under_traffic(closers):
    platform, smsc, session = await smsc_with_session(closers, free_port())
    traffic = Traffic(session)
    stop = asyncio.Event()
    task = asyncio.create_task(traffic.run(stop))
    try:
        assert await eventually(lambda: len(traffic.acked) >= 50)
        await smsc.stop()  # killed under traffic: every session is cut
        acked_before_stop = dict(traffic.acked)
        await asyncio.sleep(0.3)
        assert not session.bound
        await smsc.start()  # back on the same port
        assert await eventually(lambda: session.bound and session.reconnects >= 1)
        mark = len(traffic.acked)
        assert await eventually(lambda: len(traffic.acked) >= mark + 50)  # submits flow again
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
    # every receipt of a submit acknowledged after the restart arrives (the receipts of
    # messages delivered while the SMSC was down: see the test below)
    after = {mid for n, mid in traffic.acked.items() if n > max(acked_before_stop)}
    assert await eventually(lambda: after <= set(traffic.receipts), 15), \
        len(after - set(traffic.receipts))
    check_no_duplicates(platform, traffic)
    assert acked_before_stop.items() <= traffic.acked.items()
    await session.close()
    await smsc.stop()


async def test_receipts_generated_while_the_smsc_is_down_arrive_after_restart(closers):
    """Messages delivered while the SMPP door is down: their receipts wait and go out."""
    platform, smsc, session = await smsc_with_session(closers, free_port())
    traffic = Traffic(session)
    platform.clock.scale = 1.0  # the messages stay en route until the clock is moved
    ids = []
    for i in range(20):
        resp = await session.submit(Pdu("submit_sm", fields={
            **SM, "short_message": f"down {i}".encode()}))
        ids.append(str(resp.fields["message_id"]))
    await smsc.stop()
    platform.clock.advance(60)  # all of them are delivered now, while no SMSC listens
    assert await eventually(lambda: all(platform.store.get(i).final for i in ids))
    await smsc.start()
    assert await eventually(lambda: session.bound and session.reconnects >= 1)
    assert await eventually(lambda: set(ids) <= set(traffic.receipts), 3), \
        f"{len(set(ids) - set(traffic.receipts))} of {len(ids)} receipts never arrived"


async def test_esme_link_cut_under_traffic_receipts_wait_for_the_rebind(closers):
    platform, smsc, session = await smsc_with_session(closers)
    traffic = Traffic(session)
    stop = asyncio.Event()
    task = asyncio.create_task(traffic.run(stop))
    try:
        assert await eventually(lambda: len(traffic.acked) >= 30)
        smsc.faults.stop_receipts()  # receipts pile up in the SMSC's queue …
        smsc.faults.drop_after(1)  # … and the next PDU cuts the link
        assert await eventually(lambda: session.reconnects >= 1)
        smsc.faults.drop_after(None)
        mark = len(traffic.acked)
        assert await eventually(lambda: len(traffic.acked) >= mark + 30)
        assert smsc.router.queued > 0
        smsc.faults.resume_receipts()
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
    assert await eventually(lambda: set(traffic.acked.values()) <= set(traffic.receipts), 15)
    check_no_duplicates(platform, traffic)
    await session.close()
    await smsc.stop()


# ------------------------------------------------------------------------------ journal kill

async def test_journal_survives_sigkill_at_2000_events_per_second(tmp_path):
    path = tmp_path / "case.sqlite"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "journal_writer_proc.py"), str(path), "2000",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(HERE.parent.parent)})
    assert proc.stdout is not None
    saved = 0
    appended = 0
    try:
        while saved < 3_000:  # ≈ 1.5 s of traffic, then the kill lands mid-stream
            line = await asyncio.wait_for(proc.stdout.readline(), 15)
            assert line, (await proc.stderr.read()).decode()[-2000:]
            kind, _, value = line.decode().strip().partition(" ")
            if kind == "saved":
                assert int(value) >= saved  # the journal only ever reports more as saved
                saved = int(value)
            elif kind == "appended":
                appended = int(value)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with Journal(path) as journal:
        rows = journal.query(kind="pdu", limit=1_000_000)
        seqs = [e.seq for e in rows]
        # every event reported saved is there, complete and in order, with nothing missing
        assert seqs[:saved] == list(range(1, saved + 1))
        assert len(seqs) >= saved
        for entry in rows[:saved]:
            event = entry.record()
            assert event.sequence_number == entry.seq  # the writer numbers PDUs by seq
        # reopened, the journal appends after what it holds
        next_seq = journal.append(rows[0].record())
        assert next_seq == max(seqs) + 1
    assert appended > 0  # the writer was running at full pace when it was killed


# ------------------------------------------------------------------------------ notifyUrl

async def test_notify_url_down_then_back_follows_the_spec_schedule():
    port = free_port()
    # 1 real second = 20 simulated minutes: retries at +1, +2, +5, +10 min in ≈ 0.9 s
    sim = Simulator(time_scale=1200.0)
    await sim.start()
    listener = WebhookListener(port=port)
    attempts = []
    came_back = asyncio.Event()
    down_for = 4  # attempts 0..3 find nothing listening

    def on_attempt(a):
        attempts.append(a)
        if len(attempts) == down_for:
            came_back.set()

    sim.platform.subscribe_attempts(on_attempt)
    try:
        import httpx

        async with httpx.AsyncClient(base_url=sim.http_url, auth=("Aladdin", "open sesame")) as c:
            r = await c.post("/sms/1/text/advanced", json={"messages": [{
                "from": "InfoSMS", "destinations": [{"to": "41793026727", "messageId": "DOWN-1"}],
                "text": "is anybody there?", "notifyUrl": f"http://127.0.0.1:{port}/dlr",
                "notifyContentType": "application/json"}]})
            assert r.status_code == 200
        await asyncio.wait_for(came_back.wait(), 20)
        await listener.start()  # the target is back, on the same port
        hits = await listener.wait_for(1, timeout=20)
        assert await eventually(lambda: len(attempts) == down_for + 1)
        await asyncio.sleep(0.3)  # no further attempt after the success
    finally:
        await listener.stop()
        await sim.stop()
    assert [a.attempt for a in attempts] == list(range(down_for + 1))
    assert [a.ok for a in attempts] == [False] * down_for + [True]
    assert all(a.status is None and a.error for a in attempts[:down_for])  # refused, not 5xx
    assert attempts[-1].status == 200
    gaps = [b.time - a.time for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps == [retry_delay(n) for n in range(down_for)]
    assert gaps == [timedelta(minutes=1 + n * n) for n in range(down_for)]  # 1 min + 1 min·n²
    assert len(hits) == 1 and listener.count == 1
    (report,) = hits[0].reports
    assert report.message_id == "DOWN-1" and report.status_name == "DELIVERED_TO_HANDSET"
