"""Security: loopback-only listeners by default, credentials refused (SMPP and HTTP), no PDU
before bind, secrets redacted in the journal file, HAR/cURL exports, journal exports and logs,
TLS with a user-supplied certificate, and no password in QSettings."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import ipaddress
import logging
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from reliability_support import SM

from console.errors import BindError
from console.http.client import HttpClient
from console.http.exchange import HttpRequest
from console.journal import Journal, export_csv, export_json, export_pcap
from console.platform import Account, Platform, SimClock
from console.simulator import Simulator
from console.simulator.smsc import SmscServer
from console.smpp import Pdu, decode_pdu
from console.smpp.session import ConnectError, SmppSession
from console.webhooks import WebhookListener

pytestmark = pytest.mark.timeout(60)

USER, HTTP_PW, SMPP_PW = "Auditor", "Sup3r-S3cret-http", "Sm9pW0rd"  # SMPP: at most 8
BASIC = base64.b64encode(f"{USER}:{HTTP_PW}".encode()).decode()
REPO = Path(__file__).resolve().parents[2]


def secret_forms() -> list[bytes]:
    """Every spelling of the secrets that could leak: clear, Basic, and hex (raw PDUs)."""
    forms = [HTTP_PW, SMPP_PW, BASIC, HTTP_PW.encode().hex(), SMPP_PW.encode().hex(),
             BASIC.encode().hex()]
    return [f.encode() for f in forms]


def leaks(data: bytes) -> list[bytes]:
    low = data.lower()
    return [f for f in secret_forms() if f.lower() in low]


def accounts() -> list[Account]:
    return [Account(USER, HTTP_PW, smpp_password=SMPP_PW, balance=1e6)]


# ------------------------------------------------------------------------------ bind address

def _listening(port: int) -> list[str]:
    """Local addresses (from /proc/net/tcp{,6}) listening on ``port``."""
    found = []
    for name, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with contextlib.suppress(OSError), open(name) as f:
            for line in f.read().splitlines()[1:]:
                cols = line.split()
                addr, hexport = cols[1].split(":")
                if cols[3] != "0A" or int(hexport, 16) != port:
                    continue
                raw = bytes.fromhex(addr)
                if width == 8:
                    found.append(str(ipaddress.IPv4Address(raw[::-1])))
                else:
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    found.append(str(ipaddress.IPv6Address(words)))
    return found


async def test_library_listeners_bind_loopback_by_default():
    sim = Simulator(http_port=0, smpp_port=0, smpp_tls_port=0)
    await sim.start()
    listener = await WebhookListener().start()
    try:
        ports = [sim.http_port, sim.smpp_port, sim.smpp_tls_port, listener.port]
        assert all(ports)
        for port in ports:
            assert _listening(port) == ["127.0.0.1"], (port, _listening(port))
        assert sim.http_url.startswith("http://127.0.0.1:")
        assert listener.url.startswith("http://127.0.0.1:")
    finally:
        await listener.stop()
        await sim.stop()


def _outside_address() -> str | None:
    """This machine's address on a non-loopback interface, if it has one."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.255.255.255", 1))
        addr = s.getsockname()[0]
        return None if addr.startswith("127.") else addr
    return None


async def test_not_reachable_from_another_interface():
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    sim = await Simulator(http_port=0, smpp_port=0).start()
    try:
        for port in (sim.http_port, sim.smpp_port):
            with pytest.raises(OSError):
                _, w = await asyncio.wait_for(asyncio.open_connection(outside, port), 3)
                w.close()
    finally:
        await sim.stop()


async def test_lan_bind_only_when_asked():
    listener = await WebhookListener(host="0.0.0.0").start()
    try:
        assert _listening(listener.port) == ["0.0.0.0"]
    finally:
        await listener.stop()


@pytest.mark.parametrize("argv,pattern", [
    (["simulate", "--http-port", "0", "--smpp-port", "0"], rb"127\.0\.0\.1:(\d+)"),
    (["listen", "--port", "0"], rb"127\.0\.0\.1:(\d+)"),
])
def test_command_line_listeners_bind_loopback(argv, pattern, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "console", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO,
                            env={**os.environ, "INFOBIP_CONSOLE_HOME": str(tmp_path)})
    try:
        assert proc.stdout is not None
        ports: set[int] = set()
        for _ in range(20):
            line = proc.stdout.readline()
            if not line:
                break
            ports |= {int(p) for p in re.findall(pattern, line)}
            if (argv[0] == "simulate" and len(ports) >= 2) or (argv[0] == "listen" and ports):
                break
        assert ports, proc.stderr.read().decode() if proc.poll() is not None else "no ports printed"
        for port in ports:
            assert _listening(port) == ["127.0.0.1"], (port, _listening(port))
    finally:
        proc.terminate()
        proc.wait(10)


# ------------------------------------------------------------------------------ SMPP credentials

@pytest.fixture
async def smsc():
    platform = Platform(clock=SimClock(scale=600.0), accounts=accounts())
    server = await SmscServer(platform, port=0).start()
    yield server
    await server.stop()


@pytest.mark.parametrize("system_id,password,status", [
    (USER, "wrong", 0x0E),  # ESME_RINVPASWD
    (USER, "", 0x0E),
    (USER, HTTP_PW[:8], 0x0E),  # the HTTP password is not the SMPP one
    (USER.lower(), SMPP_PW, 0x0F),  # ESME_RINVSYSID: system_id is exact
    ("Nobody", SMPP_PW, 0x0F),
])
async def test_smsc_refuses_wrong_credentials(smsc, system_id, password, status):
    session = SmppSession("127.0.0.1", smsc.port, system_id=system_id, password=password,
                          enquire_interval=None)
    with pytest.raises(BindError) as info:
        await session.open()
    assert info.value.status == status
    assert smsc.bound_count(USER) == 0
    assert len(smsc.platform.store) == 0


async def raw_exchange(port: int, *pdus: Pdu) -> list[Pdu]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    out = []
    try:
        for pdu in pdus:
            writer.write(pdu.encode())
            await writer.drain()
            head = await asyncio.wait_for(reader.readexactly(16), 5)
            length = int.from_bytes(head[:4], "big")
            body = await asyncio.wait_for(reader.readexactly(length - 16), 5)
            out.append(decode_pdu(head + body))
    finally:
        writer.close()
    return out


async def test_smsc_refuses_pdus_before_bind(smsc):
    requests = [
        Pdu("submit_sm", 1, SM),
        Pdu("data_sm", 2, {"source_addr": "InfoSMS", "destination_addr": "41793026727"}),
        Pdu("query_sm", 3, {"message_id": "1", "source_addr": "InfoSMS"}),
        Pdu("cancel_sm", 4, {"message_id": "1", "source_addr": "InfoSMS",
                             "destination_addr": "41793026727"}),
        Pdu("replace_sm", 5, {"message_id": "1", "source_addr": "InfoSMS"}),
        Pdu("submit_multi", 6, {"source_addr": "InfoSMS", "dest_address": [
            {"dest_flag": 1, "dest_addr_ton": 1, "dest_addr_npi": 1,
             "destination_addr": "41793026727"}]}),
        Pdu("unbind", 7),
    ]
    answers = await raw_exchange(smsc.port, *requests)
    for req, resp in zip(requests, answers, strict=True):
        assert resp.command == req.command + "_resp" and resp.sequence_number == req.sequence_number
        assert resp.command_status == 0x04, (req.command, resp.status_name)  # ESME_RINVBNDSTS
    # after a refused bind it is just as closed
    bind = Pdu("bind_transceiver", 8, {"system_id": USER, "password": "wrong",
                                        "interface_version": 0x34})
    refused, submit = await raw_exchange(smsc.port, bind, Pdu("submit_sm", 9, SM))
    assert refused.command_status == 0x0E and submit.command_status == 0x04
    assert len(smsc.platform.store) == 0


async def test_password_guessing_does_not_open_the_door(smsc):
    for guess in ("a", "password", SMPP_PW[:-1], SMPP_PW + "x", SMPP_PW.upper()):
        with pytest.raises(BindError):
            await SmppSession("127.0.0.1", smsc.port, system_id=USER, password=guess,
                              enquire_interval=None).open()
    async with SmppSession("127.0.0.1", smsc.port, system_id=USER, password=SMPP_PW,
                           enquire_interval=None) as ok:
        assert ok.bound


# ------------------------------------------------------------------------------ HTTP credentials

ENDPOINTS = [("POST", "/sms/1/text/single", {"to": "41793026727", "text": "x"}),
             ("POST", "/sms/1/text/multi", {"messages": [{"to": "41793026727", "text": "x"}]}),
             ("POST", "/sms/1/text/advanced", {"messages": [{"destinations": [{"to": "41793026727"}],
                                                             "text": "x"}]}),
             ("GET", "/sms/1/reports", None), ("GET", "/sms/1/logs", None),
             ("GET", "/sms/1/inbox/reports", None), ("POST", "/number/1/query", {"to": ["41793026727"]})]


@pytest.mark.parametrize("auth", [None, (USER, "wrong"), ("nobody", HTTP_PW), (USER, SMPP_PW),
                                  (USER.lower(), HTTP_PW)])
async def test_http_api_401_on_wrong_or_missing_auth(auth):
    sim = await Simulator(http_port=0, accounts=accounts()).start()
    try:
        async with httpx.AsyncClient(base_url=sim.http_url, auth=auth) as c:
            for method, path, body in ENDPOINTS:
                r = await c.request(method, path, json=body)
                assert r.status_code == 401, (method, path, r.status_code)
                exc = r.json()["requestError"]["serviceException"]
                assert exc == {"messageId": "UNAUTHORIZED", "text": "Invalid login details"}
                r = await c.request(method, path, json=body, headers={"Accept": "application/xml"})
                assert r.status_code == 401 and "<messageId>UNAUTHORIZED</messageId>" in r.text
        assert len(sim.platform.store) == 0
        async with httpx.AsyncClient(base_url=sim.http_url, auth=(USER, HTTP_PW)) as c:
            assert (await c.get("/sms/1/logs")).status_code == 200
    finally:
        await sim.stop()


# ------------------------------------------------------------------------------ redaction

async def test_secrets_never_reach_journal_exports_or_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    journal = Journal(tmp_path / "case.sqlite")
    listener = await WebhookListener(journal=journal).start()
    sim = await Simulator(http_port=0, smpp_port=0, accounts=accounts(),
                          notify_default_url=listener.url + "/dlr", time_scale=600).start()
    try:
        # HTTP: every exchange (request headers carry Basic auth) into the journal
        async with HttpClient(sim.http_url, USER, HTTP_PW) as client:
            client.subscribe(journal.append)
            ex = await client.send_sms("41793026727", "hello over http")
            assert ex.status == 200
            await client.logs()
            own = await client.send(HttpRequest("GET", "/sms/1/logs",
                                                headers=[("Authorization", "Basic " + BASIC)]))
            assert own.status == 200
            curl = client.curl(ex)
            har = client.har()
            har_path = client.export_har(tmp_path / "history.har")
            revealed = client.curl(ex, reveal_secrets=True)
        # SMPP: every PDU event, bind included, into the journal
        session = SmppSession("127.0.0.1", sim.smpp_port, system_id=USER, password=SMPP_PW,
                              enquire_interval=None)
        session.events.subscribe(journal.append)
        await session.open()
        await session.send_sms("InfoSMS", "41793026727", "hello over smpp")
        await session.close()
        # a webhook hit that itself carries credentials (header and query)
        async with httpx.AsyncClient() as c:
            await c.post(listener.url + "/dlr", params={"password": HTTP_PW},
                         headers={"Authorization": "Basic " + BASIC}, json={"results": []})
        await listener.wait_for(2, timeout=10)  # the notifyUrl push arrived too
        journal.flush()
        # the exports read the stored (redacted) records
        export_csv(journal, tmp_path / "case.csv")
        export_json(journal, tmp_path / "case.json")
        export_pcap(journal, tmp_path / "case.pcap")
    finally:
        await sim.stop()
        await listener.stop()
    # the test can fail: the secrets were really on the wire and in memory
    assert leaks(revealed.encode())
    assert any(e.command == "bind_transceiver" for e in journal.records(kind="pdu", limit=10_000))
    assert journal.count(kind="http") >= 3 and journal.count(kind="webhook") >= 2
    journal.close()
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert {"case.sqlite", "case.csv", "case.json", "case.pcap", "history.har"} <= set(files)
    for name, data in files.items():
        assert not leaks(data), f"{name} holds a secret: {leaks(data)}"
    assert not leaks(curl.encode()) and "Basic ***" in curl
    assert not leaks(str(har).encode())
    assert not leaks(har_path.read_bytes())
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("console", "ui")]
    for record in ours:  # (the test's own raw httpx client logs its URL: not ours)
        text = record.getMessage() + (record.exc_text or "")
        assert not leaks(text.encode()), text


def test_journal_wal_never_holds_secrets(tmp_path):
    """Also before a checkpoint: the WAL file is part of the case on disk."""
    from console.smpp.events import PduEvent

    journal = Journal(tmp_path / "wal.sqlite")
    bind = Pdu("bind_transmitter", 1, {"system_id": USER, "password": SMPP_PW,
                                        "interface_version": 0x34})
    journal.append(PduEvent.make(0.0, "out", "s", ("127.0.0.1", 1), ("127.0.0.1", 2),
                                 bind.encode(), bind))
    journal.flush()
    for p in tmp_path.iterdir():
        assert not leaks(p.read_bytes()), p.name
    (entry,) = journal.query(kind="pdu")
    stored = entry.record()
    assert stored.pdu.fields["system_id"] == USER  # the rest is kept, the length too
    assert len(stored.raw) == len(bind.encode()) and stored.pdu.fields["password"] != SMPP_PW
    journal.close()


# ------------------------------------------------------------------------------ TLS

def make_certificate(folder: Path, common_name: str = "user-supplied test CA") -> tuple[Path, Path, bytes]:
    """A self-signed certificate for 127.0.0.1/localhost, as a user would bring; (cert, key, DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "smsc-cert.pem", folder / "smsc-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, cert.public_bytes(serialization.Encoding.DER)


async def test_tls_with_a_user_supplied_certificate(tmp_path):
    cert, _key, der = make_certificate(tmp_path / "mine")
    platform = Platform(clock=SimClock(scale=600.0), accounts=accounts())
    smsc = await SmscServer(platform, port=None, tls_port=0, cert_dir=tmp_path / "mine").start()
    try:
        assert smsc.port is None and smsc.tls_port  # TLS only
        # verified against the user's certificate: bind and submit work
        session = SmppSession("127.0.0.1", smsc.tls_port, system_id=USER, password=SMPP_PW,
                              tls=True, cafile=str(cert), verify=True, enquire_interval=None)
        await session.open()
        peer = session._conn.writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        assert peer == der  # the SMSC presents exactly the certificate the user supplied
        resp = await session.submit(Pdu("submit_sm", fields=SM))
        assert resp.command_status == 0 and platform.store.get(resp.fields["message_id"])
        await session.close()
        # the same certificate was not replaced by a generated one
        assert (tmp_path / "mine" / "smsc-cert.pem").read_bytes() == cert.read_bytes()
        # a client trusting another CA refuses the connection
        other, _, _ = make_certificate(tmp_path / "other", "someone else")
        with pytest.raises(ConnectError):
            await SmppSession("127.0.0.1", smsc.tls_port, system_id=USER, password=SMPP_PW,
                              tls=True, cafile=str(other), verify=True,
                              enquire_interval=None).open()
        # plain SMPP on the TLS port gets nowhere (no PDU answered in clear)
        reader, writer = await asyncio.open_connection("127.0.0.1", smsc.tls_port)
        writer.write(Pdu("enquire_link", 1).encode())
        with contextlib.suppress(ConnectionError):
            data = await asyncio.wait_for(reader.read(1024), 5)
            assert not data.startswith(b"\x00\x00\x00\x10\x80\x00\x00\x15")
        writer.close()
    finally:
        await smsc.stop()


# ------------------------------------------------------------------------------ QSettings

def test_no_secret_in_qsettings(qapp, tmp_path):
    profiles = pytest.importorskip("ui.profiles", reason="ui/profiles.py is not there yet")
    from PySide6.QtCore import QSettings

    from console.paths import data_dir

    ini = data_dir() / "settings.ini"
    settings = QSettings(str(ini), QSettings.Format.IniFormat)
    store = profiles.SecretStore(use_keyring=False)
    model = profiles.ProfilesModel(settings, store)
    model.upsert(profiles.ConnectionProfile(
        "Customer", profiles.CUSTOM, http_base_url="https://api.infobip.com", http_username=USER,
        http_password=HTTP_PW, smpp_host="smpp3.infobip.com", smpp_system_id=USER,
        smpp_password=SMPP_PW))

    class FakeSim:  # what set_embedded reads from a running simulator
        host, http_url, smpp_port = "127.0.0.1", "http://127.0.0.1:1", 2

        def credentials(self):
            return [{"username": USER, "password": HTTP_PW, "smpp_password": SMPP_PW}]

    model.set_embedded(FakeSim())
    model.set_current(model.find("Customer"))
    model.save()
    settings.sync()
    assert model.current.http_password == HTTP_PW  # the app still has it, in memory
    written = b"".join(p.read_bytes() for p in Path(data_dir()).rglob("*") if p.is_file())
    assert b"Customer" in written  # the profile itself was saved …
    assert not leaks(written), leaks(written)  # … without any of its secrets
