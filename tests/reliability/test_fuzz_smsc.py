"""Fuzzing the simulator's SMSC over real sockets on 127.0.0.1, with a well-behaved session
bound beside the fuzzer that keeps submitting throughout.

Every mutated frame must get one of: its response (same sequence number) or a generic_nack,
or the connection closed cleanly (the SMSC says why, and nothing is logged as a crash).
A frame that cannot be cut out of the stream (command_length below 16 or above the limit)
gets generic_nack ESME_RINVCMDLEN, then the close. A frame whose command_length disagrees with
its bytes desynchronises the stream: the client then ends its side and the SMSC must answer
only with well-formed PDUs and close — never hang. Responses (command_id bit 31) get no answer.

``make test`` sends 2,000 frames; ``make fuzz`` (INFOBIP_FUZZ_FULL=1) 100,000.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import struct

import pytest
from reliability_support import BIND, FULL, SM, eventually, frames, fuzz_count

from console.platform import Account, Platform, SimClock
from console.simulator.smsc import SmscServer
from console.smpp import MAX_PDU_LENGTH, Pdu, decode_pdu
from console.smpp.session import SmppSession

# `make fuzz` runs without pytest-timeout (-p no:timeout): no timeout mark there
pytestmark = [] if FULL else [pytest.mark.timeout(90)]

GENERIC_NACK, ENQUIRE_LINK_RESP, DELIVER_SM = 0x80000000, 0x80000015, 0x00000005
ESME_RINVCMDLEN, ESME_RSYSERR = 0x02, 0x08
READ_TIMEOUT = 5.0
SEED = 4242
# what the SMSC says when it closes a connection: each is a deliberate, clean close
CLEAN_CLOSES = ("closed by the ESME", "unframeable bytes", "unbound", "SMSC stopped",
                "silent for")


class FuzzConnection:
    """A raw client: write bytes, read whole PDUs (acknowledging deliver_sm), detect EOF."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.closed = False

    @classmethod
    async def open(cls, port: int) -> FuzzConnection:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        return cls(r, w)

    async def write(self, data: bytes) -> None:
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError, RuntimeError):  # closed, or our side already ended
            self.closed = True

    async def read(self, ack: bool = True) -> Pdu | None:
        """The next PDU from the SMSC, None at EOF; a silent SMSC fails the test (a hang)."""
        try:
            head = await asyncio.wait_for(self.reader.readexactly(4), READ_TIMEOUT)
            (length,) = struct.unpack(">I", head)
            assert 16 <= length <= MAX_PDU_LENGTH, f"the SMSC sent command_length {length}"
            body = await asyncio.wait_for(self.reader.readexactly(length - 4), READ_TIMEOUT)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.closed = True
            return None
        except TimeoutError:
            raise AssertionError("the SMSC neither answered nor closed within "
                                 f"{READ_TIMEOUT} s (hang)") from None
        pdu = decode_pdu(head + body)  # what the SMSC sends must always decode
        if ack and pdu.command_id == DELIVER_SM:  # a receipt for a fuzzed submit: answer it
            await self.write(pdu.response(0).encode())
        return pdu

    async def until_eof(self) -> list[Pdu]:
        # no acknowledgements now: writing to a socket the SMSC closed makes the kernel reset
        # the connection and drop what we had not read yet (the generic_nack)
        out = []
        while (pdu := await self.read(ack=False)) is not None:
            out.append(pdu)
        return out

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


def classify(data: bytes) -> str:
    """"whole" (header agrees), "insane" (length the framer refuses) or "desync"."""
    if len(data) < 4:
        return "desync"
    (length,) = struct.unpack_from(">I", data)
    if length < 16 or length > MAX_PDU_LENGTH:
        return "insane"
    return "whole" if length == len(data) else "desync"


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1


async def fuzz(port: int, items: list[tuple[str, bytes]], rng: random.Random, tally: Tally) -> None:
    conn: FuzzConnection | None = None
    marker = 0x7A000000
    for i, (how, data) in enumerate(items):
        where = f"frame {i} ({how}) {data[:64].hex()}"
        if conn is None or conn.closed:
            if conn is not None:
                await conn.close()
            conn = await FuzzConnection.open(port)
            if rng.random() < 0.6:  # fuzz the bound states too (submits reach the platform)
                await conn.write(Pdu("bind_transceiver", 1, BIND).encode())
                resp = await conn.read()
                assert resp is not None and resp.command == "bind_transceiver_resp", where
        kind = classify(data)
        if kind == "insane":
            await conn.write(data)
            got = await conn.until_eof()
            nacks = [p for p in got if p.command_id == GENERIC_NACK]
            assert nacks and nacks[-1].command_status == ESME_RINVCMDLEN, (where, got)
            tally.add("insane: nack + close")
        elif kind == "desync":
            await conn.write(data)
            with contextlib.suppress(OSError):
                conn.writer.write_eof()
            got = await conn.until_eof()  # must end: the SMSC closes on our EOF
            assert all(p.is_response for p in got if p.command_id != DELIVER_SM), (where, got)
            assert not any(p.command_id == GENERIC_NACK and p.command_status == ESME_RSYSERR
                           for p in got), (where, "SMSC crashed on a PDU", got)
            tally.add("desync: closed")
        else:
            marker += 1
            probe = Pdu("enquire_link", marker).encode()
            await conn.write(data + probe)
            cid, _, seq = struct.unpack_from(">III", data, 4)
            got: list[Pdu] = []
            while True:
                pdu = await conn.read()
                if pdu is None:
                    break
                if pdu.sequence_number == marker and pdu.command_id in (ENQUIRE_LINK_RESP,
                                                                         GENERIC_NACK):
                    break
                got.append(pdu)
            answers = [p for p in got if p.command_id != DELIVER_SM]
            assert not any(p.command_id == GENERIC_NACK and p.command_status == ESME_RSYSERR
                           for p in answers), (where, "SMSC crashed on a PDU", answers)
            if cid & 0x80000000:
                assert not answers, (where, "a response was answered", answers)
                tally.add("response: ignored")
            elif conn.closed and not answers:
                tally.add("request: closed")
            else:
                assert len(answers) == 1, (where, answers)
                (ans,) = answers
                assert ans.sequence_number == seq, (where, ans)
                assert ans.command_id in (cid | 0x80000000, GENERIC_NACK), (where, ans)
                tally.add("request: nack" if ans.command_id == GENERIC_NACK else "request: answered")
    if conn is not None:
        await conn.close()


async def well_behaved(session: SmppSession, stop: asyncio.Event, results: list[int]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        resp = await session.submit(Pdu("submit_sm", fields={
            **SM, "short_message": f"good {n}".encode(), "registered_delivery": 0}), timeout=10)
        results.append(resp.command_status)
        await asyncio.sleep(0.002)


@pytest.mark.fuzz
async def test_smsc_fuzzed_beside_a_good_session(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    platform = Platform(clock=SimClock(scale=600.0), accounts=[
        Account("Aladdin", "open sesame", smpp_password="opensesa", balance=1e12),
        Account("Fuzzer", "fuzzpw", smpp_password="fuzzpw", balance=1e12)])
    smsc = await SmscServer(platform, port=0, max_sessions_per_account=10_000).start()
    closes: list[str] = []
    smsc.events.subscribe(lambda e: closes.append(e.error) if e.error and
                          e.error.startswith("connection closed") else None)
    good = SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                       enquire_interval=None, window=4)
    await good.open()
    stop = asyncio.Event()
    results: list[int] = []
    writer = asyncio.create_task(well_behaved(good, stop, results))
    tally = Tally()
    try:
        count = fuzz_count(2_000)
        await fuzz(smsc.port, frames(SEED, count), random.Random(SEED), tally)
        before = len(results)
        assert await eventually(lambda: len(results) > before + 3)  # still submitting after
    finally:
        stop.set()
        await asyncio.wait_for(writer, 15)
        await good.close()
    print("SMSC fuzz outcomes:", tally.counts, "good submits:", len(results))
    assert sum(tally.counts.values()) == count
    # the mix reached every branch: answered, nacked, refused lengths and desynchronised streams
    for key in ("request: answered", "request: nack", "insane: nack + close", "desync: closed"):
        assert tally.counts.get(key, 0) > 0, (key, tally.counts)
    assert results and set(results) == {0}, f"the good session's submits failed: {set(results)}"
    assert good.reconnects == 0
    # every fuzz connection is gone again (no leaked sessions) and each close had a reason
    assert await eventually(lambda: len(smsc.sessions) == 0)
    assert closes and all(any(ok in c for ok in CLEAN_CLOSES) for c in closes), \
        sorted(set(closes))[:10]
    # (our loggers only: another test's leftover task may be collected meanwhile)
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR
               and r.name.startswith("console.")]
    assert not crashes, [r.getMessage() for r in crashes[:5]]
    # the server still serves a newcomer
    async with SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                           enquire_interval=None) as late:
        ids = await late.send_sms("InfoSMS", "41793026727", "after the fuzz")
        assert len(ids) == 1 and platform.store.get(ids[0]) is not None
    await smsc.stop()


async def test_garbage_stream_does_not_touch_other_sessions() -> None:
    """Pure noise on one connection, a submit on another at the same time."""
    platform = Platform(clock=SimClock(scale=600.0), accounts=[
        Account("Aladdin", "open sesame", smpp_password="opensesa")])
    smsc = await SmscServer(platform, port=0).start()
    rng = random.Random(SEED)
    async with SmppSession("127.0.0.1", smsc.port, system_id="Aladdin", password="opensesa",
                           enquire_interval=None) as good:
        for _ in range(50):
            noise = await FuzzConnection.open(smsc.port)
            await noise.write(bytes(rng.randrange(256) for _ in range(rng.randint(1, 400))))
            with contextlib.suppress(OSError):
                noise.writer.write_eof()
            await noise.until_eof()
            await noise.close()
            ids = await good.send_sms("InfoSMS", "41793026727", "still here")
            assert platform.store.get(ids[0]) is not None
    await smsc.stop()
