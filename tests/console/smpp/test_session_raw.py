"""SmppSession.send_raw against the simulator's real SMSC: exact bytes out, the answer with
the same sequence number back, every byte in the event stream, clear refusals."""

from __future__ import annotations

import asyncio
import struct

import pytest
import smpplib.smpp

from console.errors import ConsoleError
from console.platform import Account, Platform, SimClock
from console.simulator.smsc import SmscServer
from console.smpp import Pdu
from console.smpp.session import (
    ConnectionLost,
    NotBoundError,
    RawPduError,
    ResponseTimeout,
    SmppSession,
)

pytestmark = pytest.mark.timeout(30)

ESME_RINVCMDID, ESME_RINVBNDSTS = 0x03, 0x04


@pytest.fixture
async def smsc():
    platform = Platform(clock=SimClock(scale=600.0), accounts=[
        Account("Aladdin", "open sesame", smpp_password="opensesa", balance=1e6)])
    server = await SmscServer(platform, port=0).start()
    yield server
    await server.close()


@pytest.fixture
async def smpp(smsc):
    s = SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                    enquire_interval=None, timeout=5.0)
    events = []
    s.events.subscribe(events.append)
    s.seen = events  # type: ignore[attr-defined]
    await s.open()
    yield s
    await s.close()


def header(command_id: int, seq: int, body: bytes = b"", status: int = 0) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


def out_events(s, raw: bytes):
    return [e for e in s.seen if e.direction == "out" and e.raw == raw]


def in_event(s, command: str, seq: int):
    found = [e for e in s.seen if e.direction == "in" and e.pdu is not None
             and e.pdu.command == command and e.pdu.sequence_number == seq]
    return found[0] if len(found) == 1 else None


async def test_raw_enquire_link_answered_with_its_own_sequence_number(smpp):
    raw = header(0x15, 7777)
    resp = await smpp.send_raw(raw)
    assert (resp.command, resp.command_status, resp.sequence_number) == \
        ("enquire_link_resp", 0, 7777)
    (sent,) = out_events(smpp, raw)  # the journal and the inspector see the exact bytes
    assert sent.pdu.command == "enquire_link" and sent.error is None
    answer = in_event(smpp, "enquire_link_resp", 7777)
    assert answer is not None and answer.error is None and answer.latency is not None
    assert not smpp._raw_pending


async def test_raw_submit_sm_encoded_by_smpplib(smpp, smsc):
    class Seq:  # smpplib numbers its PDUs through a client object
        sequence_generator = None

        def next_sequence(self) -> int:
            return 4242

    raw = smpplib.smpp.make_pdu(
        "submit_sm", client=Seq(), source_addr_ton=5, source_addr="InfoSMS", dest_addr_ton=1,
        dest_addr_npi=1, destination_addr="41793026727", short_message=b"raw from smpplib",
        registered_delivery=1).generate()
    resp = await smpp.send_raw(raw)
    assert (resp.command, resp.command_status, resp.sequence_number) == ("submit_sm_resp", 0, 4242)
    msg = smsc.platform.store.get(resp.fields["message_id"])
    assert msg is not None and msg.text == "raw from smpplib" and msg.to == "41793026727"
    (sent,) = out_events(smpp, raw)
    assert sent.pdu.fields["short_message"] == b"raw from smpplib"
    # its receipt still reaches the session (not correlated: the session did not submit it)
    receipt = await smpp.receipts.get(timeout=10)
    assert receipt.message_id == resp.fields["message_id"] and receipt.submit is None


async def test_unknown_command_id_gets_a_generic_nack(smpp):
    raw = header(0x00000099, 4343, b"junk")
    resp = await smpp.send_raw(raw)
    assert (resp.command, resp.command_status, resp.sequence_number) == \
        ("generic_nack", ESME_RINVCMDID, 4343)
    assert out_events(smpp, raw)
    assert smpp.bound  # the session carries on
    assert (await smpp.enquire_link()).command_status == 0


async def test_state_table_does_not_apply_to_raw_bytes(smsc):
    s = SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                    enquire_interval=None, timeout=5.0)
    await s.connect()  # connected, not bound: the SMSC says so itself
    try:
        body = Pdu("submit_sm", 9, fields={"source_addr": "InfoSMS",
                                           "destination_addr": "41793026727"}).encode()
        resp = await s.send_raw(body)
        assert (resp.command, resp.command_status, resp.sequence_number) == \
            ("submit_sm_resp", ESME_RINVBNDSTS, 9)
    finally:
        await s.close()


async def test_responses_are_written_without_waiting(smpp):
    raw = header(0x80000015, 31)  # an enquire_link_resp nobody asked for
    assert await smpp.send_raw(raw) is None
    assert out_events(smpp, raw)
    resp = await smpp.send_raw(header(0x15, 32), wait_response=False)
    assert resp is None
    for _ in range(200):  # the answer still arrives, as an event
        if in_event(smpp, "enquire_link_resp", 32) is not None:
            break
        await asyncio.sleep(0.01)
    assert in_event(smpp, "enquire_link_resp", 32) is not None


@pytest.mark.parametrize(("data", "message"), [
    (b"\x00\x00\x00\x10\x00\x00\x00\x15", "a PDU has a 16-octet header; got 8 octets"),
    (header(0x15, 1) + b"x", "command_length says 16 octets but 17 were given"),
    (struct.pack(">IIII", 32, 0x15, 0, 1), "command_length says 32 octets but 16 were given"),
])
async def test_malformed_raw_bytes_are_refused_before_sending(smpp, data, message):
    before = len(smpp.seen)
    with pytest.raises(RawPduError) as info:
        await smpp.send_raw(data)
    assert str(info.value) == message
    assert isinstance(info.value, ConsoleError)
    assert len(smpp.seen) == before  # nothing went out


async def test_not_connected_is_refused(smsc):
    s = SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa")
    with pytest.raises(NotBoundError, match="not connected"):
        await s.send_raw(header(0x15, 1))


async def test_sequence_numbers_of_raw_and_session_requests_never_clash(smpp, smsc):
    smsc.faults.delay_responses(300)
    nxt = smpp._seq + 1  # the session's next sequence number
    own = asyncio.create_task(smpp.enquire_link())
    await asyncio.sleep(0.05)
    with pytest.raises(RawPduError, match=f"sequence_number {nxt} belongs to a request"):
        await smpp.send_raw(header(0x15, nxt))
    raw = asyncio.create_task(smpp.send_raw(header(0x15, nxt + 1)))
    await asyncio.sleep(0.05)
    mine = asyncio.create_task(smpp.enquire_link())  # skips nxt + 1, taken by the raw one
    await asyncio.sleep(0.05)
    assert set(smpp._pending) == {nxt, nxt + 2} and set(smpp._raw_pending) == {nxt + 1}
    results = await asyncio.gather(own, raw, mine)
    assert [r.sequence_number for r in results] == [nxt, nxt + 1, nxt + 2]
    assert all(r.command == "enquire_link_resp" for r in results)


async def test_timeout_and_connection_loss(smpp, smsc):
    smsc.faults.delay_responses(1000)
    with pytest.raises(ResponseTimeout, match="sequence_number 500"):
        await smpp.send_raw(header(0x15, 500), timeout=0.1)
    assert not smpp._raw_pending
    waiting = asyncio.create_task(smpp.send_raw(header(0x15, 501)))
    await asyncio.sleep(0.05)
    await smsc.stop()
    with pytest.raises(ConnectionLost):
        await waiting
    assert not smpp._raw_pending
