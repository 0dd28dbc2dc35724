"""SMSC binds, the session state table, keepalive and bad input (raw PDUs over real sockets)."""

from __future__ import annotations

import asyncio
import struct

import pytest
from test_smsc_support import RawClient, make_platform, start_smsc

from console.simulator.smsc_session import ALLOWED, State, transition

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def smsc():
    server = await start_smsc()
    yield server
    await server.stop()


async def test_state_table_moves():
    assert transition(State.OPEN, "bind_transceiver") is State.BOUND_TRX
    assert transition(State.BOUND_RX, "unbind") is State.UNBOUND
    with pytest.raises(KeyError):
        transition(State.OPEN, "unbind")
    assert "submit_sm" not in ALLOWED[State.BOUND_RX]
    assert "submit_sm" in ALLOWED[State.BOUND_TX]


@pytest.mark.parametrize("command,state", [("bind_transmitter", "bound_tx"),
                                           ("bind_receiver", "bound_rx"),
                                           ("bind_transceiver", "bound_trx")])
async def test_bind_each_kind(smsc, command, state):
    c = await RawClient().open(smsc.port)
    resp = await c.bind(command)
    assert resp.command == command + "_resp"
    assert resp.command_status == 0
    assert resp.fields["system_id"] == "InfobipSim"
    await asyncio.sleep(0)
    assert [s.state.value for s in smsc.sessions] == [state]
    await c.close()


@pytest.mark.parametrize("system_id,password,status", [
    ("Aladdin", "wrongpw", 0x0E),  # ESME_RINVPASWD
    ("Nobody", "opensesa", 0x0F),  # ESME_RINVSYSID
    ("Aladdin", "open sesame", 0x0E),  # the HTTP password is not the SMPP one
])
async def test_bind_refused(smsc, system_id, password, status):
    c = await RawClient().open(smsc.port)
    resp = await c.bind(system_id=system_id, password=password)
    assert resp.command_status == status
    assert smsc.bound_count("Aladdin") == 0
    # still open: a second, right bind works on the same connection
    assert (await c.bind()).command_status == 0
    await c.close()


async def test_smpp33_refused(smsc):
    c = await RawClient().open(smsc.port)
    resp = await c.bind(version=0x33)
    assert resp.command_status == 0x0D  # ESME_RBINDFAIL: the spec supports 3.4 only
    await c.close()


async def test_max_sessions_per_account():
    smsc = await start_smsc(max_sessions_per_account=2)
    clients = [await RawClient().open(smsc.port) for _ in range(3)]
    statuses = [(await c.bind()).command_status for c in clients]
    assert statuses == [0, 0, 0x0D]
    # another account is not affected
    other = await RawClient().open(smsc.port)
    assert (await other.bind(system_id="Bob", password="builder1")).command_status == 0
    for c in [*clients, other]:
        await c.close()
    await smsc.stop()


async def test_route_code_recorded(smsc):
    c = await RawClient().open(smsc.port)
    assert (await c.bind(system_type="r:gold")).command_status == 0
    assert smsc.sessions[0].route_code == "gold"
    assert smsc.sessions[0].system_type == "r:gold"
    resp = await c.submit()
    msg = smsc.platform.store.get(resp.fields["message_id"])
    assert msg.extra["smpp"]["route_code"] == "gold"
    await c.close()


async def test_submit_before_bind_is_invalid_bind_status(smsc):
    c = await RawClient().open(smsc.port)
    resp = await c.submit()
    assert resp.command == "submit_sm_resp"
    assert resp.command_status == 0x04  # ESME_RINVBNDSTS
    assert len(smsc.platform.store) == 0
    await c.close()


async def test_receiver_cannot_submit_and_double_bind(smsc):
    c = await RawClient().open(smsc.port)
    await c.bind("bind_receiver")
    assert (await c.submit()).command_status == 0x04
    assert (await c.bind()).command_status == 0x05  # ESME_RALYBND
    await c.close()


async def test_enquire_link_and_unbind(smsc):
    c = await RawClient().open(smsc.port)
    assert (await c.call("enquire_link")).command_status == 0  # allowed before bind too
    await c.bind()
    assert (await c.call("enquire_link")).command == "enquire_link_resp"
    resp = await c.call("unbind")
    assert resp.command == "unbind_resp" and resp.command_status == 0
    assert c.reader is not None
    assert await asyncio.wait_for(c.reader.read(), 5) == b""  # the SMSC hangs up after
    await c.close()


async def test_unknown_command_gets_generic_nack(smsc):
    c = await RawClient().open(smsc.port)
    await c.bind()
    await c.send_raw(struct.pack(">IIII", 16, 0x00000077, 0, 42))
    nack = await c.read()
    assert nack.command == "generic_nack"
    assert nack.command_status == 0x03  # ESME_RINVCMDID
    assert nack.sequence_number == 42
    assert (await c.call("enquire_link")).command_status == 0  # the session lives on
    await c.close()


async def test_garbage_closes_only_that_session(smsc):
    good = await RawClient().open(smsc.port)
    await good.bind()
    bad = await RawClient().open(smsc.port)
    await bad.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    nack = await bad.read()
    assert nack.command == "generic_nack"
    assert nack.command_status == 0x02  # ESME_RINVCMDLEN
    assert bad.reader is not None
    assert await asyncio.wait_for(bad.reader.read(), 5) == b""
    # a truncated body inside a sane length is nacked without closing
    bad2 = await RawClient().open(smsc.port)
    await bad2.send_raw(struct.pack(">IIII", 20, 0x00000009, 0, 7) + b"abcd")
    nack2 = await bad2.read()
    assert (nack2.command, nack2.command_status, nack2.sequence_number) == ("generic_nack", 0x02, 7)
    assert (await bad2.call("enquire_link")).command_status == 0
    # the first session is unaffected
    assert (await good.submit()).command_status == 0
    for c in (good, bad2):
        await c.close()


async def test_silent_session_closed():
    smsc = await start_smsc(keepalive=0.05)
    c = await RawClient().open(smsc.port)
    await c.bind()
    assert c.reader is not None
    assert await asyncio.wait_for(c.reader.read(), 5) == b""
    await asyncio.sleep(0.01)
    assert smsc.sessions == []
    await c.close()
    await smsc.stop()


async def test_pdu_events_for_every_pdu(smsc):
    events = []
    smsc.subscribe(events.append)
    c = await RawClient().open(smsc.port)
    await c.bind()
    await c.submit()
    await c.close()
    commands = [(e.direction, e.command) for e in events]
    assert commands[:4] == [("in", "bind_transceiver"), ("out", "bind_transceiver_resp"),
                            ("in", "submit_sm"), ("out", "submit_sm_resp")]
    assert all(e.session_id == events[0].session_id for e in events)
    assert events[0].remote[1] != smsc.port and events[0].local[1] == smsc.port
    # the bind password is masked in the stored record
    assert b"opensesa".hex() not in events[0].to_dict()["raw"]
    for _ in range(100):
        if events[-1].error:
            break
        await asyncio.sleep(0.01)
    assert events[-1].pdu is None and events[-1].error.startswith("connection closed")


async def test_stop_unbinds_bound_sessions():
    smsc = await start_smsc()
    c = await RawClient().open(smsc.port)
    await c.bind()
    await smsc.stop()
    pdu = await c.read()
    assert pdu.command == "unbind"
    assert c.reader is not None
    assert await asyncio.wait_for(c.reader.read(), 5) == b""
    await c.close()


async def test_fault_drop_after_pdus():
    smsc = await start_smsc()
    smsc.faults.drop_after(2)
    closed = []
    smsc.subscribe(lambda e: closed.append(e.error) if e.error else None)
    c = await RawClient().open(smsc.port)
    await c.bind()
    await c.send("enquire_link")
    assert (await c.read()).command == "enquire_link_resp"
    assert c.reader is not None
    assert await asyncio.wait_for(c.reader.read(), 5) == b""
    await asyncio.sleep(0.01)
    assert closed == ["connection closed: fault injection: dropped after 2 PDUs"]
    await c.close()
    await smsc.stop()


async def test_fault_delay_responses():
    smsc = await start_smsc()
    smsc.faults.delay_responses(150)
    c = await RawClient().open(smsc.port)
    await c.bind()
    await c.send("enquire_link")
    with pytest.raises(TimeoutError):
        await c.read(timeout=0.02)  # not yet: held by the fault
    assert (await c.read()).command == "enquire_link_resp"
    await c.close()
    await smsc.stop()


async def test_tls_port_serves_with_generated_certificate(tmp_path):
    import ssl

    from console.simulator.tls import CERT_FILE, client_context

    smsc = await start_smsc(make_platform(), tls_port=0, cert_dir=tmp_path)
    assert (tmp_path / CERT_FILE).is_file()
    assert smsc.tls_port and smsc.tls_port != smsc.port
    c = await RawClient().open(smsc.tls_port, tls=client_context(tmp_path))
    assert (await c.bind()).command_status == 0
    assert smsc.sessions[0].tls is True
    await c.close()
    # an unverified plain client speaking TCP to the TLS port gets nowhere
    with pytest.raises((ssl.SSLError, ConnectionError, asyncio.IncompleteReadError, TimeoutError)):
        c2 = await RawClient().open(smsc.tls_port)
        await c2.bind()
    await smsc.stop()


async def test_random_frames_never_kill_the_server(smsc):
    import random

    from console.simulator.smsc_wire import decode_pdu

    rng = random.Random(6)  # no unbind among them: that would end the session on purpose
    watcher = await RawClient().open(smsc.port)
    await watcher.bind()
    c = await RawClient().open(smsc.port)
    await c.bind()
    ids = [0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x08, 0x09, 0x0B, 0x15, 0x21, 0x102,
           0x103, 0x80000005, 0x80000000, rng.getrandbits(32)]
    frames = []
    for seq in range(1000, 1300):
        body = rng.randbytes(rng.randrange(0, 80))
        frames.append(struct.pack(">IIII", 16 + len(body), rng.choice(ids), 0, seq) + body)
    await c.send_raw(b"".join(frames))
    assert (await c.call("enquire_link")).command_status in (0, 0x04)  # bound or not, it answers
    assert (await watcher.call("enquire_link")).command_status == 0
    assert (await watcher.submit()).command_status == 0
    # everything the SMSC sent back decodes
    assert all(decode_pdu(p.raw) for p in c.received)
    for x in (watcher, c):
        await x.close()
