"""The SMSC stopped and started again: receipts of status changes while it was down wait in
its queue and go out when a receiver binds; a new SMSC on the same platform takes them over;
close() stops queueing for good."""

from __future__ import annotations

import asyncio

import pytest
from test_smsc_support import RawClient, make_platform, start_smsc, tlvs_of

pytestmark = pytest.mark.timeout(30)


async def bound(port: int, command: str = "bind_transceiver") -> RawClient:
    c = await RawClient().open(port)
    assert (await c.bind(command)).command_status == 0
    return c


async def until(check, timeout: float = 5.0) -> bool:
    for _ in range(int(timeout / 0.01)):
        if check():
            return True
        await asyncio.sleep(0.01)
    return check()


async def submit_en_route(smsc, count: int) -> list[str]:
    """``count`` messages accepted and left en route (the clock does not move by itself)."""
    smsc.platform.clock.scale = 1.0
    c = await bound(smsc.port, "bind_transmitter")
    ids = [(await c.submit(text=b"while down %d" % i)).fields["message_id"] for i in range(count)]
    await c.close()
    return ids


def receipted_ids(deliveries) -> list[str]:
    return [tlvs_of(d)[0x001E].rstrip(b"\x00").decode() for d in deliveries]


async def test_receipts_of_changes_while_stopped_go_out_after_start():
    smsc = await start_smsc()
    port = smsc.port
    ids = await submit_en_route(smsc, 5)
    await smsc.stop()
    smsc.platform.clock.advance(60)  # delivered while nothing listens on the SMPP door
    assert await until(lambda: all(smsc.platform.store.get(i).final for i in ids))
    assert smsc.router.queued == 5 and smsc.router.sent == 0
    smsc.requested_port = port
    await smsc.start()
    rx = await bound(smsc.port, "bind_receiver")
    assert sorted(receipted_ids(await rx.deliveries(5))) == sorted(ids)
    assert await until(lambda: smsc.router.queued == 0 and smsc.router.unacknowledged == 0)
    await rx.close()
    await smsc.stop()


async def test_a_new_smsc_on_the_same_platform_takes_over_the_queue():
    platform = make_platform()
    old = await start_smsc(platform)
    ids = await submit_en_route(old, 3)
    await old.stop()
    platform.clock.advance(60)
    assert await until(lambda: all(platform.store.get(i).final for i in ids))
    assert old.router.queued == 3
    new = await start_smsc(platform)
    assert old.router.queued == 0 and new.router.queued == 3
    rx = await bound(new.port)
    assert sorted(receipted_ids(await rx.deliveries(3))) == sorted(ids)
    # the old one listens no more: one receipt per status change, from the new door only
    more = await submit_en_route(new, 1)
    platform.clock.advance(60)
    [dr] = await rx.deliveries(1)
    assert receipted_ids([dr]) == more and old.router.queued == 0
    await rx.close()
    await new.stop()


async def test_close_stops_queueing_receipts():
    smsc = await start_smsc()
    ids = await submit_en_route(smsc, 2)
    await smsc.close()
    smsc.platform.clock.advance(60)
    assert await until(lambda: all(smsc.platform.store.get(i).final for i in ids))
    assert smsc.router.queued == 0 and smsc.router.sent == 0

