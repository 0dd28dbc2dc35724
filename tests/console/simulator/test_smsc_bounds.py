"""What the SMSC and the platform keep per message and per connection: compact, and cleaned
when connections go."""

from __future__ import annotations

import asyncio

import pytest
from test_smsc_support import RawClient, make_platform, start_smsc

pytestmark = pytest.mark.timeout(30)


async def until(check, timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.01)):
        if check():
            return True
        await asyncio.sleep(0.01)
    return check()


async def test_per_connection_and_per_sequence_state_is_cleaned():
    smsc = await start_smsc(make_platform(balance=1e6))
    clients = []
    for _ in range(3):
        c = await RawClient().open(smsc.port)
        assert (await c.bind()).command_status == 0
        clients.append(c)
    for c in clients:
        for i in range(20):
            assert (await c.submit(text=b"bounded %d" % i)).command_status == 0
    for c in clients:
        await c.deliveries(20)  # each answered
    assert await until(lambda: smsc.router.unacknowledged == 0)
    assert smsc.router.queued == 0 and smsc.router.sent == 60
    for c in clients:
        await c.close()
    assert await until(lambda: not smsc.sessions)
    assert not smsc.router._inflight and len(smsc.messages.reassembler) == 0
    # one receiver list cached per (account, kind), not per session
    assert len(smsc.router._receivers) <= 1
    # per message: the SMPP details are one dict per session, shared by its messages
    msgs = list(smsc.platform.store)
    assert len(msgs) == 60
    assert len({id(m.extra["smpp"]) for m in msgs}) == 3
    assert all(m.notify_attempts == () and m.short_urls == () for m in msgs)
    assert len({id(m.from_) for m in msgs}) == 1  # one copy of the sender for all of them
    await smsc.stop()


async def test_queued_receipts_hold_only_their_bytes():
    smsc = await start_smsc()
    tx = await RawClient().open(smsc.port)
    assert (await tx.bind("bind_transmitter")).command_status == 0
    for _ in range(10):
        await tx.submit()
    assert await until(lambda: smsc.router.queued == 10)  # no receiver bound: they wait
    for queue in smsc.router.queues.values():
        for d in queue:
            assert d.fields is None and d.tlvs is None and d.raw[4:8] == b"\x00\x00\x00\x05"
    await tx.close()
    await smsc.close()
