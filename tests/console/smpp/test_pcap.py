"""pcap out and in: written captures read back equal, tcpdump-style captures reassembled."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess

import dpkt
import pytest
import smpplib.client
import smpplib.smpp

from console.smpp.events import PduEvent
from console.smpp.pcap import PcapError, PcapWriter, read_pcap, write_events

ESME = ("127.0.0.1", 40123)
SMSC = ("127.0.0.1", 2775)


def make(command: str, seq: int, **fields: object) -> bytes:
    """PDU bytes built by smpplib (an independent encoder)."""
    pdu = smpplib.smpp.make_pdu(command, client=smpplib.client.SimpleSequenceGenerator(), **fields)
    pdu.sequence = seq
    return pdu.generate()


def resp(command_id: int, seq: int, body: bytes = b"", status: int = 0) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


def conversation(t0: float = 1_700_000_000.0) -> list[PduEvent]:
    long_payload = ("Hello Infobip " * 300).encode()  # 4200 bytes: three TCP segments
    pdus = [
        ("out", make("bind_transceiver", 1, system_id="Aladdin", password="opensesa",
                     system_type="HLR")),
        ("in", resp(0x80000009, 1, b"SMSC\x00")),
        ("out", make("submit_sm", 2, source_addr="InfoSMS", destination_addr="41793026727",
                     short_message=b"Hello", registered_delivery=1, source_addr_ton=5)),
        ("in", resp(0x80000004, 2, b"40072910491427628\x00")),
        ("out", make("submit_sm", 3, source_addr="InfoSMS", destination_addr="41793026728",
                     short_message=None, message_payload=long_payload)),
        ("in", resp(0x80000004, 3, b"40072910491427629\x00")),
        ("out", make("enquire_link", 4)),
        ("in", resp(0x80000015, 4)),
        ("in", make("deliver_sm", 7, source_addr="41793026727", destination_addr="InfoSMS",
                    esm_class=4, short_message=b"id:40072910491427628 sub:001 dlvrd:001 "
                    b"submit date:1007291049 done date:1007291049 stat:DELIVRD err:000")),
        ("out", resp(0x80000005, 7, b"\x00")),
    ]
    return [PduEvent(t0 + i * 0.010203, d, "s1", ESME, SMSC, raw)  # type: ignore[arg-type]
            for i, (d, raw) in enumerate(pdus)]


def test_written_pcap_reads_back_equal(tmp_path):
    events = conversation()
    path = tmp_path / "trace.pcap"
    packets = write_events(path, events, redact=False)
    back = read_pcap(path)
    # 3 handshake + 9 single-segment PDUs + 3 segments of the long one + 3 closing
    assert packets == 3 + 9 + 3 + 3
    assert [e.raw for e in back] == [e.raw for e in events]
    assert [e.direction for e in back] == [e.direction for e in events]
    assert [round(e.time, 6) for e in back] == [round(e.time, 6) for e in events]
    assert all(e.local == ESME and e.remote == SMSC and e.error is None for e in back)
    assert [e.pdu.command for e in back] == [
        "bind_transceiver", "bind_transceiver_resp", "submit_sm", "submit_sm_resp",
        "submit_sm", "submit_sm_resp", "enquire_link", "enquire_link_resp", "deliver_sm",
        "deliver_sm_resp"]
    assert back[0].pdu.fields["system_type"] == "HLR"
    assert back[3].pdu.fields["message_id"] == "40072910491427628"
    # responses carry the request -> response latency from the capture's timestamps
    assert back[1].latency == pytest.approx(0.010203, abs=2e-6)
    assert back[0].latency is None


def _frames(path):
    with open(path, "rb") as f:
        return list(dpkt.pcap.Reader(f))


def _rewrite(src, dst, frames, linktype=dpkt.pcap.DLT_EN10MB):
    with open(dst, "wb") as f:
        w = dpkt.pcap.Writer(f, snaplen=65535, linktype=linktype)
        for ts, buf in frames:
            w.writepkt(buf, ts=ts)


def test_out_of_order_and_retransmitted_segments_are_put_in_order(tmp_path):
    src = tmp_path / "a.pcap"
    write_events(src, conversation(), redact=False)
    frames = _frames(src)
    # frames 7..9 are the three segments of the long submit_sm: deliver them 9, 7, 8, 7
    shuffled = frames[:7] + [frames[9], frames[7], frames[8], frames[7]] + frames[10:]
    dst = tmp_path / "b.pcap"
    _rewrite(src, dst, shuffled)
    back = read_pcap(dst)
    assert [e.raw for e in back] == [e.raw for e in conversation()]
    assert all(e.error is None for e in back)


def test_missing_segment_is_reported_and_the_stream_resynchronises(tmp_path):
    src = tmp_path / "a.pcap"
    write_events(src, conversation(), redact=False)
    frames = _frames(src)
    dst = tmp_path / "b.pcap"
    _rewrite(src, dst, frames[:8] + frames[9:])  # drop the middle segment of the long PDU
    back = read_pcap(dst)
    errors = [e.error for e in back if e.error]
    assert any("TCP gap: 1460 bytes missing" in e for e in errors)
    assert any("incomplete PDU" in e for e in errors)
    decoded = [e.pdu.command for e in back if e.pdu is not None]
    # the long submit_sm is lost; what follows it on the same stream is found again
    assert decoded.count("submit_sm") == 1
    assert "enquire_link" in decoded and "deliver_sm_resp" in decoded
    assert "submit_sm_resp" in decoded  # the other direction is untouched


def test_capture_started_mid_stream(tmp_path):
    src = tmp_path / "a.pcap"
    write_events(src, conversation(), redact=False)
    frames = _frames(src)
    # no handshake; the capture begins with the second segment of the long submit_sm
    dst = tmp_path / "b.pcap"
    _rewrite(src, dst, frames[8:])
    back = read_pcap(dst)
    skipped = [e for e in back if e.error and "not at a PDU boundary" in e.error]
    assert skipped and skipped[0].direction == "out"
    commands = [e.pdu.command for e in back if e.pdu is not None]
    assert commands[:2] == ["submit_sm_resp", "enquire_link"]


def test_pcapng_and_linux_cooked_capture(tmp_path):
    src = tmp_path / "a.pcap"
    write_events(src, conversation(), redact=False)
    frames = _frames(src)
    ng = tmp_path / "b.pcapng"
    with open(ng, "wb") as f:
        w = dpkt.pcapng.Writer(f, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
        for ts, buf in frames:
            w.writepkt(buf, ts=ts)
    assert [e.raw for e in read_pcap(ng)] == [e.raw for e in conversation()]

    # `tcpdump -i any` writes Linux cooked (SLL) frames instead of Ethernet
    sll = tmp_path / "c.pcap"
    cooked = []
    for ts, buf in frames:
        ip = bytes(dpkt.ethernet.Ethernet(buf).data)
        cooked.append((ts, struct.pack(">HHH8sH", 0, 772, 6, b"\x00" * 8, 0x0800) + ip))
    _rewrite(src, sll, cooked, linktype=dpkt.pcap.DLT_LINUX_SLL)
    back = read_pcap(sll)
    assert [e.raw for e in back] == [e.raw for e in conversation()]


def test_non_smpp_tcp_and_port_filter(tmp_path):
    path = tmp_path / "mixed.pcap"
    http = [PduEvent(1.0, "out", "h", ("127.0.0.1", 50000), ("127.0.0.1", 80),
                     b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            PduEvent(1.1, "in", "h", ("127.0.0.1", 50000), ("127.0.0.1", 80),
                     b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    write_events(path, http + conversation(2.0), redact=False)
    assert len(read_pcap(path)) == len(conversation())
    assert read_pcap(path, ports=[9999]) == []
    assert len(read_pcap(path, ports=[2775])) == len(conversation())


def test_garbage_file_raises_pcap_error(tmp_path):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"this is not a capture at all")
    with pytest.raises(PcapError):
        read_pcap(bad)


def test_writer_subscribes_ipv6_and_custom_mss(tmp_path):
    path = tmp_path / "v6.pcap"
    a, b = ("::1", 41000), ("::1", 2776)
    with PcapWriter(path, mss=100, redact=False) as writer:
        for e in conversation():
            writer(PduEvent(e.time, e.direction, "v6", a, b, e.raw))
    frames = _frames(path)
    payloads = [dpkt.ethernet.Ethernet(buf).data.data.data for _, buf in frames]
    assert max(len(p) for p in payloads) == 100
    back = read_pcap(path)
    assert [e.raw for e in back] == [e.raw for e in conversation()]
    assert back[0].local == a and back[0].remote == b


TSHARK = shutil.which("tshark")


def _with_tlvs(raw: bytes, tlvs: bytes) -> bytes:
    body = raw[16:] + tlvs
    return struct.pack(">I", 16 + len(body)) + raw[4:16] + body


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed: apt-get install tshark")
def test_tshark_dissects_our_pcap_with_the_same_values(tmp_path):
    port = 40999  # not 2775: tshark needs "Decode As" for it, as a user's capture would
    extra = _with_tlvs(  # a Number Context style deliver_sm: standard and Infobip vendor TLVs
        make("deliver_sm", 11, source_addr="38591000000", destination_addr="0000000000",
             esm_class=4, short_message=b"id:40072910491427628 stat:DELIVRD err:000"),
        struct.pack(">HH", 0x001E, 18) + b"40072910491427628\x00"
        + struct.pack(">HHB", 0x0427, 1, 2)
        + struct.pack(">HH", 0x1403, 15) + b"219101100935850"
        + struct.pack(">HH", 0x1412, 7) + b"VipNet\x00")
    events = [PduEvent(e.time, e.direction, "s", ESME, ("127.0.0.1", port), e.raw)
              for e in conversation()]
    events.append(PduEvent(events[-1].time + 1, "in", "s", ESME, ("127.0.0.1", port), extra))
    path = tmp_path / "x.pcap"
    write_events(path, events, redact=False)
    out = subprocess.run(
        [TSHARK, "-r", str(path), "-d", f"tcp.port=={port},smpp", "-T", "json", "--no-duplicate-keys", "-V",
         "-Y", "smpp"], capture_output=True, text=True, check=True, timeout=60).stdout
    theirs = []
    for packet in json.loads(out):
        layer = packet["_source"]["layers"]["smpp"]
        theirs.extend(layer if isinstance(layer, list) else [layer])
    ours = [e.pdu for e in read_pcap(path, ports=[port])]
    assert len(theirs) == len(ours) == len(events)
    checked = 0
    for t, p in zip(theirs, ours, strict=True):
        assert int(t["smpp.command_id"], 16) == p.command_id
        assert int(t["smpp.sequence_number"]) == p.sequence_number
        assert int(t["smpp.command_length"]) == len(p.raw)
        if "smpp.command_status" in t:
            assert int(t["smpp.command_status"], 16) == p.command_status
        for name in ("system_id", "password", "system_type", "source_addr",
                     "destination_addr", "message_id"):
            if f"smpp.{name}" in t:
                assert t[f"smpp.{name}"] == p.fields[name], name
                checked += 1
        for name in ("source_addr_ton", "dest_addr_ton", "data_coding", "protocol_id",
                     "priority_flag", "addr_ton"):
            if f"smpp.{name}" in t:
                assert int(t[f"smpp.{name}"], 16) == p.fields[name], name
                checked += 1
        if "smpp.esm.submit.msg_type" in t:
            esm = p.fields["esm_class"]
            assert int(t["smpp.esm.submit.msg_type"], 16) == (esm >> 2) & 0x0F
            assert int(t["smpp.esm.submit.msg_mode"], 16) == esm & 0x03
        if "smpp.regdel.receipt" in t:
            assert int(t["smpp.regdel.receipt"], 16) == p.fields["registered_delivery"] & 0x03
        if "smpp.sm_length" in t:
            assert int(t["smpp.sm_length"]) == len(p.fields["short_message"])
            if int(t["smpp.sm_length"]):
                assert bytes.fromhex(t["smpp.message"].replace(":", "")) == \
                    p.fields["short_message"]
        opt = t.get("smpp.opt_params", {}).get("smpp.opt_param", [])
        opt = opt if isinstance(opt, list) else [opt]
        assert [(int(o["smpp.opt_param_tag"], 16), int(o["smpp.opt_param_len"])) for o in opt] \
            == [(tlv.tag, tlv.length) for tlv in p.tlvs]
        checked += len(opt)
    assert checked > 30
    assert [tlv.tag for tlv in ours[-1].tlvs] == [0x001E, 0x0427, 0x1403, 0x1412]


DUMPCAP = shutil.which("dumpcap")


@pytest.mark.skipif(DUMPCAP is None, reason="dumpcap not installed: apt-get install tshark")
async def test_live_capture_of_a_session_reads_back_as_its_events(tmp_path):
    """A real kernel capture (dumpcap on loopback, pcapng) of a session gives its PDUs back."""
    import asyncio
    import signal
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from smsc_stub import StubSmsc

    from console.smpp import Pdu
    from console.smpp.session import SmppSession

    stub = await StubSmsc().start()
    path = tmp_path / "live.pcapng"
    proc = await asyncio.create_subprocess_exec(
        DUMPCAP, "-q", "-i", "lo", "-f", f"tcp port {stub.port}", "-w", "-",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    captured = bytearray()

    async def drain() -> None:
        while chunk := await proc.stdout.read(65536):
            captured.extend(chunk)

    reader = asyncio.create_task(drain())
    try:
        # probe connections until the capture shows packets: dumpcap is then really running
        for _ in range(100):
            before = len(captured)
            _, w = await asyncio.open_connection("127.0.0.1", stub.port)
            w.close()
            await asyncio.sleep(0.1)
            if before and len(captured) > before:
                break
        else:
            pytest.skip("dumpcap captured nothing on the loopback interface")
        events: list[PduEvent] = []
        s = SmppSession("127.0.0.1", stub.port, system_id="Aladdin", password="secret")
        s.events.subscribe(events.append)
        await s.open()
        for i in range(3):
            await s.submit(Pdu("submit_sm", fields={"destination_addr": "41793026727",
                                                    "short_message": b"live %d" % i}))
        await s.close()
        await stub.stop()
        await asyncio.sleep(0.3)  # let the last packets reach the capture
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
        await reader
    path.write_bytes(captured)
    sent = [e for e in events if e.raw]
    back = read_pcap(path, ports=[stub.port])
    assert [(e.direction, e.raw) for e in back] == [(e.direction, e.raw) for e in sent]
    assert back[0].local == s.local and back[0].remote == ("127.0.0.1", stub.port)
    assert all(e.error is None for e in back)


def test_insane_length_mid_stream_is_reported_and_skipped(tmp_path):
    good = conversation()
    junk = struct.pack(">IIII", 0x7FFFFFF0, 4, 0, 9) + b"\xff" * 20
    # the junk arrives glued to a good PDU in one segment, then the stream goes on
    events = good[:2] + [PduEvent(good[2].time, "out", "s", ESME, SMSC, good[2].raw + junk)] \
        + good[3:]
    path = tmp_path / "junk.pcap"
    write_events(path, events, redact=False)
    back = read_pcap(path)
    assert [e.raw for e in back if e.error is None] == [e.raw for e in good]
    bad = [e for e in back if e.error]
    assert len(bad) == 1 and bad[0].raw == junk and "resynchronised" in bad[0].error


def test_a_reused_port_is_a_new_connection(tmp_path):
    """Two connections on the same 4-tuple (a reconnect reusing the port) stay apart."""
    first = conversation(1000.0)
    second = conversation(2000.0)
    a, b = tmp_path / "a.pcap", tmp_path / "b.pcap"
    write_events(a, first, redact=False)
    write_events(b, second, redact=False)
    joined = tmp_path / "joined.pcap"
    frames_b = [(ts, buf) for ts, buf in _frames(b)]
    _rewrite(a, joined, _frames(a) + frames_b)
    back = read_pcap(joined)
    assert [e.raw for e in back] == [e.raw for e in first + second]
    assert all(e.error is None for e in back)
    assert {e.session_id for e in back} == {"joined.pcap#1", "joined.pcap#2"}
    assert back[len(first) + 1].latency == pytest.approx(0.010203, abs=2e-6)


async def test_session_traffic_with_a_reconnect_written_live_and_read_back(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from smsc_stub import StubSmsc

    from console.errors import SessionError
    from console.smpp import Pdu
    from console.smpp.session import SmppSession

    stub = await StubSmsc(drop_after=1).start()
    path = tmp_path / "live.pcap"
    events: list[PduEvent] = []
    s = SmppSession("127.0.0.1", stub.port, system_id="Aladdin", password="secret",
                    reconnect=True, backoff=0.02)
    s.events.subscribe(events.append)
    with PcapWriter(path, redact=False) as pcap:
        pcap.attach(s)
        await s.open()
        for text in (b"one", b"two", b"three"):
            try:
                await s.submit(Pdu("submit_sm", fields={"destination_addr": "41793026727",
                                                        "short_message": text}))
            except SessionError:
                pass  # "two" is lost with the first connection
        await s.close()
    await stub.stop()
    back = read_pcap(path)
    sent = [e for e in events if e.raw]
    assert [(e.direction, e.raw) for e in back] == [(e.direction, e.raw) for e in sent]
    assert len({e.session_id for e in back}) == 2  # two TCP connections
    assert len({e.local for e in back}) == 2


def test_read_pcap_reports_progress_and_can_be_stopped(tmp_path):
    from console.smpp import Pdu
    from console.smpp.events import PduEvent
    from console.smpp.pcap import PROGRESS_EVERY, read_pcap, write_events

    a, b = ("127.0.0.1", 40000), ("127.0.0.1", 2775)
    events = [PduEvent(1e9 + i / 1000, "out", "s", a, b, Pdu("enquire_link", i + 1).encode())
              for i in range(PROGRESS_EVERY * 3)]
    path = tmp_path / "p.pcap"
    write_events(path, events, redact=False)
    seen: list[int] = []
    assert len(read_pcap(path, progress=seen.append)) == len(events)
    assert seen == sorted(seen) and len(seen) >= 3 and seen[-1] == path.stat().st_size

    class Stop(Exception):
        pass

    def stop_at_second_call(done: int) -> None:
        if done > 0:
            raise Stop

    with pytest.raises(Stop):
        read_pcap(path, progress=stop_at_second_call)


def _one_segment_capture(path, payload: bytes) -> None:
    """A handshake, then one server segment carrying ``payload`` (several PDUs)."""
    import socket

    def pkt(sport, dport, seq, flags, data=b""):
        tcp = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq, ack=1, flags=flags, data=data,
                           off=5, win=65535)
        ip = dpkt.ip.IP(src=socket.inet_aton("127.0.0.1"), dst=socket.inet_aton("127.0.0.1"),
                        p=6, data=tcp)
        ip.len = len(bytes(ip))
        return bytes(dpkt.ethernet.Ethernet(src=b"\0" * 6, dst=b"\0" * 6, type=0x0800, data=ip))

    with open(path, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=dpkt.pcap.DLT_EN10MB)
        w.writepkt(pkt(40000, 2775, 100, dpkt.tcp.TH_SYN), ts=1.0)
        w.writepkt(pkt(2775, 40000, 500, dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK), ts=1.001)
        w.writepkt(pkt(2775, 40000, 501, dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH, payload), ts=1.1)


def test_pdus_of_one_segment_keep_their_wire_order(tmp_path):
    """The receipt-before-response race must show as it happened on the wire."""
    from console.smpp import Pdu

    resp = Pdu("submit_sm_resp", 2, fields={"message_id": "abc"}).encode()
    receipt = Pdu("deliver_sm", 1, fields={"source_addr": "41793026727", "esm_class": 4,
                                           "destination_addr": "InfoSMS",
                                           "short_message": b"id:abc stat:DELIVRD"}).encode()
    for first, second in ((resp, receipt), (receipt, resp)):
        path = tmp_path / "order.pcap"
        _one_segment_capture(path, first + second)
        events = read_pcap(path)
        assert [e.raw for e in events] == [first, second]


def test_saved_captures_mask_the_bind_password_unless_asked(tmp_path):
    from console.smpp import Pdu

    bind = Pdu("bind_transceiver", 1, fields={"system_id": "Aladdin",
                                              "password": "opensesa"}).encode()
    events = [PduEvent(1e9, "out", "s", ("127.0.0.1", 40000), ("127.0.0.1", 2775), bind)]
    masked, clear = tmp_path / "masked.pcap", tmp_path / "clear.pcap"
    write_events(masked, events)
    write_events(clear, events, redact=False)
    assert b"opensesa" not in masked.read_bytes()
    (got,) = read_pcap(masked)
    assert got.pdu.fields["password"] == "********" and len(got.raw) == len(bind)
    assert read_pcap(clear)[0].raw == bind
