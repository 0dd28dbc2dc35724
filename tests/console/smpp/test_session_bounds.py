"""What an SmppSession keeps per message stays bounded under long traffic: the submits it
remembers for receipt correlation, the receipts nobody reads, requests in flight."""

from __future__ import annotations

import asyncio

import pytest

from console.errors import SessionError
from console.platform import Account, Platform, SimClock
from console.simulator.smsc import SmscServer
from console.smpp import Pdu, decode_pdu
from console.smpp.events import DECODE_LAZILY, PduEvent
from console.smpp.session import SmppSession

pytestmark = pytest.mark.timeout(30)

FIELDS = {"source_addr": "InfoSMS", "destination_addr": "41793026727", "source_addr_ton": 5,
          "dest_addr_ton": 1, "dest_addr_npi": 1, "registered_delivery": 1,
          "short_message": b"bounded"}


@pytest.fixture
async def smsc():
    platform = Platform(clock=SimClock(scale=3600.0), accounts=[
        Account("Aladdin", "open sesame", smpp_password="opensesa", balance=1e9)])
    server = await SmscServer(platform, port=0).start()
    yield server
    await server.close()


async def until(check, timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.01)):
        if check():
            return True
        await asyncio.sleep(0.01)
    return check()


async def test_remembered_submits_and_unread_receipts_are_capped(smsc):
    s = SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                    window=20, enquire_interval=None, track_submits=50, queue_size=30)
    s.events.subscribe(lambda e: e.to_dict())  # a journal-like subscriber
    got = []
    s.receipts.subscribe(got.append)  # a callback, nobody iterating
    await s.open()
    ids: list[str] = []
    try:
        for _ in range(4):
            resps = await s.submit_many([Pdu("submit_sm", fields=FIELDS) for _ in range(100)])
            ids += [r.fields["message_id"] for r in resps]
        assert await until(lambda: len(got) == 400)
        assert len(s._submits) == 50  # the newest 50 submits, not all 400
        assert len(s.receipts) == 30  # the newest 30 unread receipts
        assert not s._pending and not s._raw_pending and not s._resend
        # the newest submits still correlate (with their events rebuilt from the bytes) …
        submit, response, sent = s.correlate(ids[-1])
        assert submit.pdu.command == "submit_sm" and submit.pdu.fields["short_message"] == b"bounded"
        assert response.pdu.fields["message_id"] == ids[-1] and response.latency >= 0
        assert submit.time == sent
        # … the oldest were forgotten; their receipts came while they were remembered
        assert s.correlate(ids[0]) is None
        first = next(r for r in got if r.message_id == ids[0])
        assert first.submit is not None and first.submit_response.pdu.fields["message_id"] == ids[0]
        assert all(r.latency is not None for r in got)
    finally:
        await s.close()


async def test_receipt_ids_spelled_otherwise_still_correlate(smsc):
    s = SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                    enquire_interval=None)
    await s.open()
    try:
        (mid,) = await s.send_sms("InfoSMS", "41793026727", "spelling")
        assert s.correlate(mid.upper()) is not None
        if all(c in "0123456789abcdef" for c in mid) and len(mid) <= 32:
            assert s.correlate("00" + mid) is not None
            assert s.correlate(str(int(mid, 16))) is not None
        assert s.correlate("no-such-id") is None
    finally:
        await s.close()


def test_journal_summary_does_not_decode_the_event():
    raw = Pdu("submit_sm", 42, fields=FIELDS).encode()
    event = PduEvent.make(1.0, "out", "s", ("127.0.0.1", 1), ("127.0.0.1", 2), raw,
                          DECODE_LAZILY)
    d = event.to_dict()
    assert event.__dict__["_pdu"] is DECODE_LAZILY  # nothing decoded and cached in the event
    assert (d["command"], d["command_status"], d["sequence_number"]) == ("submit_sm", 0, 42)
    assert PduEvent.from_dict(d).pdu.fields == decode_pdu(raw).fields
    unknown = PduEvent.make(1.0, "in", "s", ("", 0), ("", 0),
                            bytes.fromhex("00000010 00000099 00000000 00000007"), DECODE_LAZILY)
    assert unknown.to_dict()["command"] == decode_pdu(unknown.raw).command == "unknown (0x00000099)"


async def test_event_stream_keeps_the_newest_and_wakes_its_readers():
    from console.smpp.events import EventStream, WaitTimeout

    stream: EventStream[int] = EventStream(maxsize=3)
    seen: list[int] = []
    stream.subscribe(seen.append)
    for i in range(5):
        stream.put(i)
    assert seen == [0, 1, 2, 3, 4] and len(stream) == 3  # callbacks get all, the queue the newest
    assert [await stream.get(), await stream.get(), await stream.get()] == [2, 3, 4]
    with pytest.raises(WaitTimeout):
        await stream.get(timeout=0.01)
    # a reader woken for an item that gives up before taking it passes it on
    quitter, b = asyncio.create_task(stream.get()), asyncio.create_task(stream.get())
    await asyncio.sleep(0)
    stream.put(10)  # wakes the first reader …
    quitter.cancel()  # … which is cancelled before it runs
    assert await asyncio.wait_for(b, 1) == 10
    assert quitter.cancelled()
    # two readers waiting: each gets one item
    a, b = asyncio.create_task(stream.get()), asyncio.create_task(stream.get())
    await asyncio.sleep(0)
    stream.put(11)
    stream.put(12)
    assert sorted(await asyncio.gather(a, b)) == [11, 12]
    # end: what is queued is still read, then iteration stops (also for a waiting reader)
    waiting = asyncio.create_task(stream.get())
    await asyncio.sleep(0)
    stream.end()
    with pytest.raises(StopAsyncIteration):
        await waiting
    stream.reopen()
    stream.put(20)
    stream.end()
    assert [x async for x in stream] == [20]


async def test_submit_many_gives_one_outcome_per_request_in_order(smsc):
    s = SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                    window=5, enquire_interval=None)
    await s.open()
    try:
        smsc.faults.fail_submits(2, 0x58)  # the first two refused (throttled) …
        smsc.faults.drop_after(12)  # … and the link cut when the SMSC got its 12th PDU
        pdus = [Pdu("submit_sm", fields={**FIELDS, "short_message": b"n%d" % i})
                for i in range(40)]
        results = await s.submit_many(pdus, timeout=5)
    finally:
        await s.close()
    assert len(results) == 40 and None not in results
    assert [r.command_status for r in results[:2]] == [0x58, 0x58]
    answered = [r for r in results if not isinstance(r, Exception)]
    failed = [r for r in results if isinstance(r, Exception)]
    assert answered == results[:len(answered)]  # in order: the answered ones come first
    assert 2 < len(answered) <= 11 and all(r.command_status == 0 for r in answered[2:])
    assert failed and all(isinstance(r, SessionError) for r in failed)
    stored = {m.text for m in smsc.platform.store}
    assert stored == {f"n{i}" for i in range(2, len(answered))}
