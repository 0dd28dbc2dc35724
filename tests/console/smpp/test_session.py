"""SmppSession over real sockets against a minimal SMSC (tests/console/smpp/smsc_stub.py)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import ssl
import struct
import sys
from pathlib import Path

import pytest

from console.errors import BindError, SessionError
from console.smpp import Pdu
from console.smpp.events import PduEvent
from console.smpp.session import (
    ALLOWED_REQUESTS,
    ConnectError,
    ConnectionLost,
    NotBoundError,
    ResponseTimeout,
    SmppSession,
    State,
    transition,
)

sys.path.insert(0, str(Path(__file__).parent))
from smsc_stub import GENERIC_NACK, StubSmsc, header  # noqa: E402


def submit(dest: str = "41793026727", text: bytes = b"Hello") -> Pdu:
    return Pdu("submit_sm", fields={"source_addr": "InfoSMS", "destination_addr": dest,
                                    "short_message": text, "registered_delivery": 1})


async def start(**kw) -> StubSmsc:
    return await StubSmsc(**kw).start()


def session(stub: StubSmsc, **kw) -> SmppSession:
    kw.setdefault("system_id", "Aladdin")
    kw.setdefault("password", "secret")
    return SmppSession("127.0.0.1", stub.port, **kw)


def test_transition_table():
    assert transition(State.CLOSED, "connected") is State.OPEN
    assert transition(State.OPEN, "bound_trx") is State.BOUND_TRX
    assert transition(State.BOUND_TX, "unbind") is State.UNBOUND
    assert transition(State.BOUND_RX, "closed") is State.CLOSED
    with pytest.raises(NotBoundError):
        transition(State.CLOSED, "bound_tx")
    with pytest.raises(NotBoundError):
        transition(State.UNBOUND, "bound_tx")
    assert "submit_sm" not in ALLOWED_REQUESTS[State.BOUND_RX]
    assert "submit_sm" in ALLOWED_REQUESTS[State.BOUND_TX]


@pytest.mark.parametrize(("bind", "command", "state"), [
    ("tx", "bind_transmitter", State.BOUND_TX),
    ("rx", "bind_receiver", State.BOUND_RX),
    ("trx", "bind_transceiver", State.BOUND_TRX),
])
async def test_bind_each_type(bind, command, state):
    stub = await start()
    s = session(stub, bind=bind, system_type="HLR")
    await s.open()
    try:
        assert s.state is state and s.bound
        assert stub.binds == [(command, "Aladdin", "secret", "HLR")]
        assert s.bound_system_id == "STUB"
        if bind == "rx":  # a receiver may not submit
            with pytest.raises(NotBoundError):
                await s.submit(submit())
    finally:
        await s.close()
        await stub.stop()
    assert s.state is State.CLOSED
    assert stub.commands(0x06), "close() unbinds first"
    with pytest.raises(NotBoundError):
        await s.submit(submit())


async def test_wrong_password_is_a_bind_error():
    stub = await start()
    s = session(stub, password="wrong")
    with pytest.raises(BindError) as info:
        await s.open()
    assert info.value.status == 0x0E
    assert "ESME_RINVPASWD" in str(info.value)
    assert s.state is State.CLOSED
    await stub.stop()


async def test_window_of_50_in_flight():
    stub = await start(hold_until=50)  # answers only once 50 submits wait
    s = await session(stub, window=50).open()
    try:
        resps = await asyncio.gather(*(s.submit(submit(text=b"m%d" % i)) for i in range(100)))
    finally:
        await s.close()
        await stub.stop()
    assert stub.max_held == 50
    assert all(r.command == "submit_sm_resp" and r.command_status == 0 for r in resps)
    # each response matched its request by sequence number
    by_seq = {sub["sequence_number"]: sub["message_id"] for sub in stub.submits}
    assert [r.fields["message_id"] for r in resps] == [by_seq[r.sequence_number] for r in resps]
    assert len(set(by_seq.values())) == 100


async def test_window_limits_requests_in_flight():
    stub = await start(hold_until=10)
    s = await session(stub, window=10).open()
    in_flight, peak = set(), []

    def track(e: PduEvent) -> None:
        if e.pdu is not None and e.pdu.command.startswith("submit_sm"):
            (in_flight.add if e.direction == "out" else in_flight.discard)(e.pdu.sequence_number)
            peak.append(len(in_flight))

    s.events.subscribe(track)
    await asyncio.gather(*(s.submit(submit()) for _ in range(30)))
    await s.close()
    await stub.stop()
    assert max(peak) == 10
    assert stub.max_held == 10


async def test_response_timeout_then_session_still_usable():
    stub = await start(answer_submits=False)
    s = await session(stub).open()
    try:
        with pytest.raises(ResponseTimeout):
            await s.submit(submit(), timeout=0.2)
        assert s.in_flight == 0
        assert (await s.enquire_link()).command == "enquire_link_resp"
    finally:
        await s.close()
        await stub.stop()


async def test_enquire_link_sent_and_answered():
    stub = await start()
    s = await session(stub, enquire_interval=0.05).open()
    try:
        await stub.wait_for(lambda: len(stub.commands(0x15)) >= 2)
        await stub.send_raw(header(0x15, 0, 77))  # the SMSC asks too
        await stub.wait_for(lambda: any(r[2] == 77 for r in stub.commands(0x80000015)))
    finally:
        await s.close()
        await stub.stop()


async def test_unanswered_enquire_link_drops_the_connection():
    stub = await start(answer_enquire=False)
    s = await session(stub, enquire_interval=0.05, timeout=0.2).open()
    lost = asyncio.Event()
    s.events.subscribe(lambda e: lost.set() if (e.error or "").startswith("connection") else 0)
    await asyncio.wait_for(lost.wait(), 5)
    assert s.state is State.CLOSED
    await s.close()
    await stub.stop()


async def test_garbage_gets_generic_nack():
    stub = await start()
    s = await session(stub).open()
    errors: list[PduEvent] = []
    s.events.subscribe(lambda e: errors.append(e) if e.error else None)
    try:
        await stub.send_raw(header(0x00000099, 0, 4242, b"junk"))  # unknown command id
        await stub.wait_for(lambda: stub.commands(GENERIC_NACK))
        nack = stub.commands(GENERIC_NACK)[0]
        assert nack[1:3] == (0x03, 4242)  # ESME_RINVCMDID, same sequence number
        await stub.send_raw(struct.pack(">IIII", 0xFFFFFFF0, 4, 0, 4343))  # insane length
        await stub.wait_for(lambda: len(stub.commands(GENERIC_NACK)) == 2)
        assert stub.commands(GENERIC_NACK)[1][1] == 0x02  # ESME_RINVCMDLEN
        await stub.wait_for(lambda: s.state is State.CLOSED)
        assert any(e.raw and e.pdu is None for e in errors)
    finally:
        await s.close()
        await stub.stop()


async def test_deliver_sm_answered_and_receipt_correlated():
    stub = await start(receipts=True)
    s = await session(stub).open()
    events: list[PduEvent] = []
    s.events.subscribe(events.append)
    try:
        ids = await s.send_sms("InfoSMS", "41793026727", "Hello")
        r = await s.receipts.get(timeout=5)
        await stub.wait_for(lambda: stub.commands(0x80000005))
        # the same message id spelled in decimal (the submit_sm_resp gave it in hex)
        await stub.send_receipt(str(int(ids[0], 16)), "Hello")
        again = await s.receipts.get(timeout=5)
        # an MO message (esm_class 0) is answered too and goes to .messages, not .receipts
        mo = header(0x05, 0, 0x555, b"\x00\x01\x01" + b"41793026727\x00\x00\x00InfoSMS\x00"
                    + bytes(3) + b"\x00\x00" + bytes(4) + b"\x02Hi")
        await stub.send_raw(mo)
        inbound = await s.messages.get(timeout=5)
        await stub.wait_for(lambda: any(c[2] == 0x555 for c in stub.commands(0x80000005)))
    finally:
        await s.close()
        await stub.stop()
    assert r.message_id == ids[0]
    assert r.receipt.stat == "DELIVRD"
    assert r.submit is not None and r.submit.pdu.command == "submit_sm"
    assert r.submit_response.pdu.fields["message_id"] == ids[0]
    assert r.latency is not None and r.latency >= 0
    assert r.event.pdu.command == "deliver_sm"
    assert again.submit == r.submit and again.message_id == str(int(ids[0], 16))
    assert inbound.pdu.fields["short_message"] == b"Hi"
    resp = stub.commands(0x80000005)[0]
    assert resp[2] == r.event.pdu.sequence_number
    # every PDU went through the event stream, responses with their latency
    commands = [(e.direction, e.pdu.command) for e in events if e.pdu is not None]
    assert ("out", "submit_sm") in commands and ("in", "submit_sm_resp") in commands
    assert ("in", "deliver_sm") in commands and ("out", "deliver_sm_resp") in commands
    assert all(e.latency is not None for e in events
               if e.pdu is not None and e.direction == "in" and e.pdu.command.endswith("_resp"))


@pytest.mark.parametrize("resend", [False, True])
async def test_reconnect_never_resends_acknowledged_submits(resend):
    stub = await start(drop_after=3)  # the 4th submit is received, then the link drops
    s = await session(stub, reconnect=True, backoff=0.02, resend_unacked=resend).open()
    try:
        for i in range(3):
            await s.submit(submit(text=b"acked %d" % i))
        if resend:
            resp = await s.submit(submit(text=b"unacked"))
            assert resp.command_status == 0
        else:
            with pytest.raises(ConnectionLost):
                await s.submit(submit(text=b"unacked"))
        after = await s.submit(submit(text=b"after"))  # waits for the rebind
        assert after.command_status == 0
    finally:
        await s.close()
        await stub.stop()
    texts = [sub["short_message"] for sub in stub.submits]
    assert [texts.count(b"acked %d" % i) for i in range(3)] == [1, 1, 1]
    assert texts.count(b"unacked") == (2 if resend else 1)
    assert s.reconnects == 1
    assert [b[0] for b in stub.binds] == ["bind_transceiver", "bind_transceiver"]


async def test_peer_unbind_is_answered():
    stub = await start()
    s = await session(stub).open()
    await stub.send_raw(header(0x06, 0, 99))
    await stub.wait_for(lambda: stub.commands(0x80000006))
    assert stub.commands(0x80000006)[0][2] == 99
    await stub.wait_for(lambda: s.state is State.CLOSED)  # we hang up after answering
    with pytest.raises(NotBoundError):
        await s.submit(submit())
    await s.close()
    await stub.stop()


async def test_connect_refused_is_a_session_error():
    stub = await start()
    port = stub.port
    await stub.stop()
    s = SmppSession("127.0.0.1", port, system_id="a", password="b")
    with pytest.raises(ConnectError) as info:
        await s.open()
    assert isinstance(info.value, SessionError)


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: with ``cryptography``, else the openssl CLI."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        import shutil
        import subprocess

        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor the openssl CLI is available")
        cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                        "-subj", "/CN=test smsc", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key_path), "-out", str(cert_path)],
                       check=True, capture_output=True, timeout=60)
        return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test smsc")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_tls_with_a_self_signed_certificate(tmp_path):
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    stub = await start(ssl_context=server_ctx)
    try:
        s = await session(stub, tls=True, verify=False).open()  # verification off
        assert (await s.submit(submit())).command_status == 0
        await s.close()
        with pytest.raises(ConnectError):  # verification on, unknown issuer
            await session(stub, tls=True).open()
        s = await session(stub, tls=True, cafile=str(cert)).open()  # trusting that cert
        assert s.bound
        await s.close()
    finally:
        await stub.stop()
    assert len(stub.submits) == 1


async def test_events_round_trip_through_dicts_with_password_masked():
    stub = await start()
    s = session(stub)
    events: list[PduEvent] = []
    unsubscribe = s.events.subscribe(events.append)
    await s.open()
    await s.submit(submit())
    unsubscribe()
    await s.close()
    await stub.stop()
    assert [e.command for e in events] == ["bind_transceiver", "bind_transceiver_resp",
                                           "submit_sm", "submit_sm_resp"]
    bind = events[0]
    assert bind.direction == "out" and bind.local == s.local and bind.remote[1] == stub.port
    assert b"secret" in bind.raw
    d = bind.to_dict()
    assert "secret" not in json.dumps(d) and "736563726574" not in d["raw"]  # hex of "secret"
    back = PduEvent.from_dict(json.loads(json.dumps(d)))
    assert back.pdu.fields["password"] == "******"
    assert back.pdu.fields["system_id"] == "Aladdin"
    assert (back.time, back.local, back.remote) == (bind.time, bind.local, bind.remote)
    resp = PduEvent.from_dict(json.loads(json.dumps(events[3].to_dict())))
    assert resp.raw == events[3].raw and resp.latency == events[3].latency > 0
    assert resp.pdu.fields["message_id"] == stub.submits[0]["message_id"]
    assert bind.to_dict(redact=False)["raw"] == bind.raw.hex()


async def test_against_the_simulator_smsc_when_present():
    """The same session against the real simulator SMSC (skips until that module exists)."""
    smsc = pytest.importorskip("console.simulator.smsc", reason="simulator SMSC not built yet")
    from console.platform import Account, Platform, SimClock

    platform = Platform(clock=SimClock(scale=3600.0),
                        accounts=[Account("Aladdin", "open sesame", smpp_password="opensesa")])
    server = smsc.SmscServer(platform, host="127.0.0.1", port=0, tls_port=0)
    await server.start()
    try:
        for bind in ("tx", "rx"):
            s = SmppSession("127.0.0.1", server.port, system_id="Aladdin", password="opensesa",
                            bind=bind)
            await s.open()
            assert s.state is {"tx": State.BOUND_TX, "rx": State.BOUND_RX}[bind]
            await s.close()
        s = SmppSession("127.0.0.1", server.tls_port, system_id="Aladdin", password="opensesa",
                        tls=True, verify=False)
        await s.open()
        assert s.bound
        no_receipt = Pdu("submit_sm", fields={"source_addr": "InfoSMS", "short_message": b"x",
                                              "destination_addr": "41793026727"})
        results = await s.submit_many([no_receipt] * 30)
        assert all(r.command_status == 0 for r in results)
        await s.close()
        s = SmppSession("127.0.0.1", server.port, system_id="Aladdin", password="wrong")
        with pytest.raises(BindError):
            await s.open()
        s = SmppSession("127.0.0.1", server.port, system_id="Aladdin", password="opensesa")
        await s.open()
        ids = await s.send_sms("InfoSMS", "41793026727", "Hello " * 40, concat="udh")
        assert len(ids) == 2 and all(ids)
        receipt = await s.receipts.get(timeout=30)
        assert receipt.message_id in ids and receipt.submit is not None
        assert receipt.submit.pdu.fields["destination_addr"] == "41793026727"
        await s.close()
    finally:
        await server.stop()


async def test_session_can_be_opened_again_after_close():
    stub = await start(receipts=True)
    s = session(stub)
    await s.open()
    await s.close()
    with pytest.raises(StopAsyncIteration):
        await s.receipts.get(timeout=1)
    await s.open()  # the same object, a new connection: streams work again
    ids = await s.send_sms("InfoSMS", "41793026727", "again")
    r = await s.receipts.get(timeout=5)
    await s.close()
    await stub.stop()
    assert r.message_id == ids[0]
    assert [b[0] for b in stub.binds] == ["bind_transceiver"] * 2


async def test_submit_many_keeps_order_and_reports_failures_in_place():
    stub = await start(reject={"41000000000": 0x0B})
    s = await session(stub, window=3).open()
    dests = ["41793026727", "41000000000", "41793026728"] * 4
    results = await s.submit_many([submit(dest=d) for d in dests])
    await s.close()
    assert [r.command_status for r in results] == [0, 0x0B, 0] * 4
    ids = [r.fields["message_id"] for r in results if r.command_status == 0]
    assert ids == [sub["message_id"] for sub in stub.submits if "message_id" in sub]
    results = await s.submit_many([submit()])  # closed: the error is in the list
    assert isinstance(results[0], NotBoundError)
    await stub.stop()


async def test_a_failing_subscriber_does_not_stop_the_session(caplog):
    stub = await start()
    s = session(stub)
    seen: list[str] = []

    def broken(e: PduEvent) -> None:
        raise RuntimeError("subscriber bug")

    s.events.subscribe(broken)
    s.events.subscribe(lambda e: seen.append(e.command))
    await s.open()
    resp = await s.submit(submit())
    await s.close()
    await stub.stop()
    assert resp.command_status == 0
    assert "submit_sm_resp" in seen
    assert "subscriber bug" in caplog.text


# -- the session's deliver_sm hot path (console/smpp/fastpath.py) agrees with the codec


def _receipt_pdu(seq: int = 9, tlv_id: bytes | None = b"0A1B\x00", esm: int = 0x04) -> Pdu:
    from console.smpp import Tlv

    tlvs = [Tlv(0x0427, b"\x02")] + ([Tlv(0x001E, tlv_id)] if tlv_id is not None else [])
    return Pdu("deliver_sm", sequence_number=seq, fields={
        "source_addr": "41793026727", "destination_addr": "InfoSMS", "esm_class": esm,
        "short_message": b"id:0A1B sub:001 dlvrd:001 submit date:2601011200 "
                         b"done date:2601011201 stat:DELIVRD err:000"}, tlvs=tlvs)


def test_deliver_sm_resp_template_is_the_codecs():
    from console.smpp.fastpath import deliver_sm_resp

    for seq in (1, 77, 0x7FFFFFFF):
        assert deliver_sm_resp(seq) == _receipt_pdu(seq).response(0).encode()


def test_read_deliver_sm_agrees_with_the_codec():
    from console.smpp import decode_pdu
    from console.smpp.fastpath import read_deliver_sm
    from console.smpp.receipt import receipt_from_pdu

    raw = _receipt_pdu().encode()
    assert read_deliver_sm(raw) == (0x04, receipt_from_pdu(decode_pdu(raw)).message_id)
    assert read_deliver_sm(_receipt_pdu(tlv_id=None).encode()) == (0x04, None)
    assert read_deliver_sm(_receipt_pdu(esm=0).encode())[0] == 0
    assert read_deliver_sm(raw[:-3]) is None  # TLV cut short
    assert read_deliver_sm(raw[:30]) is None
    assert read_deliver_sm(submit().encode()) is None  # not a deliver_sm


def test_lazy_receipt_event_parses_on_first_read():
    from console.smpp.fastpath import LazyReceiptEvent
    from console.smpp.receipt import receipt_from_pdu

    raw = _receipt_pdu().encode()
    from console.smpp.events import DECODE_LAZILY

    ev = PduEvent.make(0.0, "in", "s", ("a", 1), ("b", 2), raw, DECODE_LAZILY)
    lazy = LazyReceiptEvent.lazily("0A1B", ev, None, None, None)
    assert "receipt" not in lazy.__dict__
    assert lazy.receipt == receipt_from_pdu(ev.pdu) and lazy.receipt.stat == "DELIVRD"
    assert lazy.message_id == lazy.receipt.message_id == "0A1B"


@pytest.mark.parametrize("message_id", ["0A1B2C", "", "ümlaut-id"])
def test_read_submit_sm_resp_is_the_codecs_decode(message_id):
    from console.smpp import decode_pdu
    from console.smpp.fastpath import read_submit_sm_resp

    raw = Pdu("submit_sm_resp", 77, {"message_id": message_id}).encode()
    fast, codec = read_submit_sm_resp(raw), decode_pdu(raw)
    assert (fast.command, fast.command_id, fast.command_status, fast.sequence_number) == (
        codec.command, codec.command_id, codec.command_status, codec.sequence_number)
    assert fast.fields == codec.fields and fast.tlvs == codec.tlvs == []
    assert fast.warnings == codec.warnings and fast.raw == raw
    assert [(s.name, s.offset, s.length) for s in fast.spans] == [
        (s.name, s.offset, s.length) for s in codec.spans]
    # anything else is left to the codec: an error status, a TLV after the id, no NUL
    assert read_submit_sm_resp(Pdu("submit_sm_resp", 1, command_status=0x0B).encode()) is None
    assert read_submit_sm_resp(raw[:-1]) is None
    assert read_submit_sm_resp(raw + b"\x04\x24\x00\x00") is None


SUBMIT_CASES = [
    {"source_addr": "InfoSMS", "destination_addr": "41793026727", "short_message": b"Hello"},
    {},
    {"service_type": "CMT", "source_addr_ton": 5, "source_addr_npi": 0, "source_addr": b"Inf",
     "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "385911234567",
     "esm_class": 0x40, "protocol_id": 1, "priority_flag": 3,
     "schedule_delivery_time": "070605040302100R", "validity_period": "260101120000000+",
     "registered_delivery": 0x11, "replace_if_present_flag": 1, "data_coding": 8,
     "sm_default_msg_id": 2, "sm_length": 99, "short_message": bytes(range(255))},
    {"source_addr": "Infé", "short_message": b""},
]


@pytest.mark.parametrize("fields", SUBMIT_CASES)
def test_fast_submit_sm_encoding_is_the_codecs(fields):
    from console.smpp.fastpath import encode_submit_sm

    pdu = Pdu("submit_sm", sequence_number=5, fields=fields)
    assert encode_submit_sm(pdu, 1234) == Pdu("submit_sm", 1234, fields).encode()
    assert pdu.sequence_number == 5  # the caller's PDU is untouched


@pytest.mark.parametrize("pdu", [
    Pdu("submit_sm", fields={"short_message": "text, not bytes"}),
    Pdu("submit_sm", fields={"source_addr": "Ω"}),  # the codec raises the right error
    Pdu("submit_sm", fields={"esm_class": 256}),
    Pdu("submit_sm", fields={"esm_class": True}),
    Pdu("submit_sm", fields={"validity_period": datetime.timedelta(hours=1)}),
    Pdu("submit_sm", fields={"unknown_field": 1}),
    Pdu("data_sm"),
])
def test_fast_submit_sm_encoding_steps_aside(pdu):
    from console.smpp import Tlv
    from console.smpp.fastpath import encode_submit_sm

    assert encode_submit_sm(pdu, 1) is None
    with_tlv = Pdu("submit_sm", fields={"short_message": b""}, tlvs=[Tlv(0x0424, b"x")])
    assert encode_submit_sm(with_tlv, 1) is None
