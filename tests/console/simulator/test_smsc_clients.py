"""Independent clients against the SMSC: smpplib (synchronous, in a thread), our own windowed
SmppSession, TLS, and the HTTP API's /sms/1/logs showing a message sent over SMPP."""

from __future__ import annotations

import asyncio
import importlib
import re
import threading

import pytest
import smpplib.client
import smpplib.consts
import smpplib.gsm
from test_smsc_support import ACCOUNT, PASSWORD, make_platform, start_smsc

pytestmark = pytest.mark.timeout(60)

RECEIPT = re.compile(r"^id:(\S+) sub:001 dlvrd:001 submit date:\d{10} done date:\d{10} "
                     r"stat:DELIVRD err:000$")


class SyncEsme:
    """smpplib in its own thread: bind TRX, send texts, collect responses and receipts."""

    def __init__(self, port: int, ssl_context=None) -> None:
        self.client = smpplib.client.Client("127.0.0.1", port, timeout=5,
                                            ssl_context=ssl_context,
                                            allow_unknown_opt_params=True)
        self.responses: list = []
        self.receipts: list = []
        self.client.set_message_sent_handler(lambda pdu: self.responses.append(pdu))
        self.client.set_message_received_handler(lambda pdu: self.receipts.append(pdu))

    def bind(self, system_type: str = "") -> None:
        self.client.connect()
        self.client.bind_transceiver(system_id=ACCOUNT, password=PASSWORD,
                                     system_type=system_type)

    def send_text(self, text: str, dest: str = "41793026727") -> int:
        parts, coding, esm = smpplib.gsm.make_parts(text)
        for part in parts:
            self.client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_ALNUM, source_addr="InfoSMS",
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL, destination_addr=dest,
                short_message=part, data_coding=coding, esm_class=esm, registered_delivery=True)
        return len(parts)

    def pump_until(self, responses: int, receipts: int) -> None:
        while len(self.responses) < responses or len(self.receipts) < receipts:
            self.client.read_once()

    def close(self) -> None:
        try:
            self.client.unbind()
        finally:
            self.client.disconnect()


def _run_smpplib(port: int, texts: list[str], ssl_context=None) -> SyncEsme:
    esme = SyncEsme(port, ssl_context)
    esme.bind()
    parts = sum(esme.send_text(t) for t in texts)
    esme.pump_until(parts, parts)  # Infobip: a receipt per submitted part
    esme.close()
    return esme


async def test_smpplib_gsm7_ucs2_and_long_with_receipts():
    smsc = await start_smsc()
    texts = ["Hello from smpplib @ €", "Привет, мир 😀", "Long " * 60]
    esme = await asyncio.to_thread(_run_smpplib, smsc.port, texts)
    ids = [r.message_id.decode() for r in esme.responses]
    assert all(r.status == 0 for r in esme.responses)
    assert len(set(ids)) == 4  # every submit_sm has its own id, the long text's 2 parts too
    found = [smsc.platform.store.get(i) for i in ids]
    msgs = list({id(m): m for m in found}.values())  # the 2 parts are one platform message
    assert found[2] is found[3]
    assert [m.text for m in msgs] == texts
    assert [m.encoding for m in msgs] == ["GSM7", "UCS2", "GSM7"]
    assert [m.sms_count for m in msgs] == [1, 1, 2]
    assert msgs[2].message_id == ids[2] and msgs[2].part_ids == ids[2:]
    receipts = {RECEIPT.match(r.short_message.decode()).group(1) for r in esme.receipts}
    assert receipts == set(ids)  # one receipt per part, under that part's id
    assert {r.receipted_message_id.decode() for r in esme.receipts} == receipts
    assert all(int(r.esm_class) == 0x04 for r in esme.receipts)
    await smsc.stop()


async def test_smpplib_over_tls(tmp_path):
    from console.simulator.tls import client_context

    smsc = await start_smsc(make_platform(), tls_port=0, cert_dir=tmp_path)
    ctx = client_context(tmp_path)
    ctx.check_hostname = False  # smpplib wraps without server_hostname; the chain is still verified
    esme = await asyncio.to_thread(_run_smpplib, smsc.tls_port, ["over TLS"], ctx)
    assert esme.responses[0].status == 0
    assert len(esme.receipts) == 1
    await smsc.stop()


async def test_smpplib_wrong_password():
    smsc = await start_smsc()

    def bind_wrong() -> int:
        c = smpplib.client.Client("127.0.0.1", smsc.port, timeout=5, allow_unknown_opt_params=True)
        c.connect()
        try:
            c.bind_transceiver(system_id=ACCOUNT, password="nope")
        except smpplib.exceptions.PDUError as exc:
            return int(exc.args[1])
        finally:
            c.disconnect()
        return 0

    assert await asyncio.to_thread(bind_wrong) == 0x0E
    await smsc.stop()


def _our_session():
    try:
        importlib.import_module("console.smpp.receipt")
        from console.smpp import Pdu, decode_pdu  # noqa: F401
        from console.smpp.session import SmppSession
    except ImportError as exc:
        pytest.skip(f"the SMPP codec/session is not available yet: {exc}")
    return SmppSession


async def test_our_windowed_session_with_receipts():
    SmppSession = _our_session()
    from console.smpp import Pdu

    smsc = await start_smsc()
    session = SmppSession("127.0.0.1", smsc.port, system_id=ACCOUNT, password=PASSWORD,
                          window=50)
    await session.connect()
    await session.bind()
    pdus = [Pdu("submit_sm", fields={"source_addr": "InfoSMS", "source_addr_ton": 5,
                                     "destination_addr": "41793026727", "dest_addr_ton": 1,
                                     "dest_addr_npi": 1, "registered_delivery": 1,
                                     "short_message": f"msg {i}".encode()})
            for i in range(200)]
    resps = await asyncio.gather(*(session.submit(p) for p in pdus))
    assert all(r.command_status == 0 for r in resps)
    ids = {str(r.fields["message_id"]) for r in resps}
    assert len(ids) == 200
    got: set[str] = set()

    async def collect() -> None:
        async for r in session.receipts:
            got.add(r.message_id)
            if len(got) == len(ids):
                return

    await asyncio.wait_for(collect(), 20)
    assert got == ids
    await session.close()
    await smsc.stop()


async def test_our_session_hlr_vendor_tlvs_decoded():
    SmppSession = _our_session()
    from console.smpp import Pdu, decode_pdu

    smsc = await start_smsc()
    raw: list[bytes] = []
    smsc.subscribe(lambda e: raw.append(e.raw) if e.direction == "out" and e.command == "deliver_sm" else None)
    session = SmppSession("127.0.0.1", smsc.port, system_id=ACCOUNT, password=PASSWORD,
                          system_type="HLR")
    await session.connect()
    await session.bind()
    resp = await session.submit(Pdu("submit_sm", fields={"destination_addr": "385911234567"}))
    assert resp.command_status == 0
    for _ in range(200):
        if raw:
            break
        await asyncio.sleep(0.01)
    pdu = decode_pdu(raw[0])
    by_tag = {t.tag: t for t in pdu.tlvs}
    assert {0x1403, 0x1409, 0x1412, 0x1416, 0x1418, 0x1425} <= set(by_tag)
    assert by_tag[0x1416].value == b"21910\x00"
    assert "unknown" not in (by_tag[0x1403].name or "").lower()
    await session.close()
    await smsc.stop()


async def test_message_over_smpp_visible_in_http_logs():
    httpx = pytest.importorskip("httpx")
    from console.simulator import Simulator

    sim = Simulator(http_port=0, smpp_port=0, time_scale=600)
    await sim.start()
    assert sim.smsc is not None and sim.smpp_port
    done = threading.Event()

    def send() -> SyncEsme:
        esme = SyncEsme(sim.smpp_port)
        esme.client.connect()
        acct = next(iter(sim.platform.accounts))
        esme.client.bind_transceiver(system_id=acct.username, password=acct.smpp_password)
        esme.send_text("Seen in the logs")
        esme.pump_until(1, 0)
        esme.close()
        done.set()
        return esme

    esme = await asyncio.to_thread(send)
    mid = esme.responses[0].message_id.decode()
    acct = next(iter(sim.platform.accounts))
    async with httpx.AsyncClient(base_url=sim.http_url, auth=(acct.username, acct.password)) as c:
        r = await c.get("/sms/1/logs", params={"messageId": mid},
                        headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["messageId"] for x in results] == [mid]
    assert results[0]["text"] == "Seen in the logs"
    assert results[0]["to"] == "41793026727"
    await sim.stop()
