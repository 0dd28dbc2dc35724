"""SMPP traffic to and from packet captures.

:class:`PcapWriter` turns :class:`~console.smpp.events.PduEvent` records into a classic
``.pcap`` (Ethernet/IPv4 or IPv6/TCP with the real ports, a synthesized three-way handshake,
consistent sequence and acknowledgement numbers, segments no larger than the MSS) that
Wireshark and tshark dissect as SMPP. tshark decodes SMPP on port 2775 by default; for other
ports use ``-d tcp.port==PORT,smpp`` (Wireshark: Decode As…).

:func:`read_pcap` reads ``.pcap`` and ``.pcapng`` captures (tcpdump, Wireshark), reassembles
each TCP stream by sequence number (retransmissions and overlaps dropped, out-of-order segments
put in order, missing bytes reported as error events) and cuts the SMPP PDUs with the codec's
framer. Events are seen from the TCP client (the ESME): ``local`` is the client, "out" means
client to server. TLS traffic in a capture is encrypted and is not decoded.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import dpkt

from console.errors import DecodeError
from console.smpp.events import Address, PduEvent, decode_or_error, redact_password

MSS = 1460
_HEADER = struct.Struct(">IIII")
_MAX_PDU = 1 << 20  # longest PDU accepted when resynchronising a stream
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


class PcapError(DecodeError):
    """A capture file cannot be read (not pcap/pcapng, unsupported link type)."""


# ----------------------------------------------------------------------------- writing


def _ip_bytes(host: str) -> tuple[int, bytes]:
    """(4 or 6, packed address); a name that is not an IP gets a stable 10.x address."""
    try:
        addr = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        h = zlib.crc32(host.encode())
        return 4, bytes([10, (h >> 16) & 0xFF, (h >> 8) & 0xFF, (h & 0xFF) or 1])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.version, addr.packed


def _mac(endpoint: Address) -> bytes:
    # locally administered unicast address derived from the endpoint (stable across runs)
    h = zlib.crc32(f"{endpoint[0]}:{endpoint[1]}".encode())
    return b"\x02\x00" + h.to_bytes(4, "big")


@dataclass
class _Stream:
    client: Address
    server: Address
    next_seq: dict[Address, int] = field(default_factory=dict)
    open: bool = True


class PcapWriter:
    """Write PDU events as a TCP capture; usable as an event subscriber (``session.events``).

    The password of bind PDUs is masked (same length, ``*``) unless ``redact=False``: a capture
    is usually attached to a ticket.

    >>> with PcapWriter("trace.pcap") as pcap:
    ...     session.events.subscribe(pcap.write)
    """

    def __init__(self, path: str | Path | IO[bytes], *, mss: int = MSS,
                 redact: bool = True) -> None:
        if isinstance(path, str | Path):
            self._file: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed by close()
            self._owns_file = True
        else:
            self._file = path
            self._owns_file = False
        self._writer = dpkt.pcap.Writer(self._file, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
        self.mss = mss
        self.redact = redact
        self._streams: dict[tuple[Address, Address], _Stream] = {}
        self._ip_id = 0
        self._opened = 0
        self._last_time = 0.0
        self.packets = 0

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __call__(self, event: PduEvent) -> None:
        self.write(event)

    def attach(self, session: Any) -> PcapWriter:
        """Subscribe to ``session.events`` so every PDU of that session is written."""
        session.events.subscribe(self.write)
        return self

    def write(self, event: PduEvent) -> None:
        """Write the bytes of one event (events without bytes, e.g. gap reports, are skipped).

        A session's "connection closed" event ends that TCP stream with FIN packets.
        """
        if self._file.closed:
            return
        if not event.raw:
            if (event.error or "").startswith("connection closed"):
                self.end_stream(event.local, event.remote, event.time)
            return
        sender, receiver = event.sender, event.receiver
        stream = self._stream(sender, receiver, event.time)
        ack = stream.next_seq[receiver]
        data = redact_password(event.raw) if self.redact else event.raw
        for start in range(0, len(data), self.mss):
            chunk = data[start:start + self.mss]
            last = start + self.mss >= len(data)
            flags = dpkt.tcp.TH_ACK | (dpkt.tcp.TH_PUSH if last else 0)
            self._packet(event.time, sender, receiver, stream.next_seq[sender], ack, flags, chunk)
            stream.next_seq[sender] = (stream.next_seq[sender] + len(chunk)) & 0xFFFFFFFF

    def end_stream(self, a: Address, b: Address, time: float | None = None) -> None:
        """Close the TCP connection between ``a`` and ``b`` with FIN/ACK exchanges."""
        stream = self._streams.pop(self._key(a, b), None)
        if stream is None or not stream.open:
            return
        t = self._last_time if time is None else time
        c, s = stream.client, stream.server
        fin_ack = dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK
        self._packet(t, c, s, stream.next_seq[c], stream.next_seq[s], fin_ack, b"")
        stream.next_seq[c] += 1
        self._packet(t, s, c, stream.next_seq[s], stream.next_seq[c], fin_ack, b"")
        stream.next_seq[s] += 1
        self._packet(t, c, s, stream.next_seq[c], stream.next_seq[s], dpkt.tcp.TH_ACK, b"")

    def close(self) -> None:
        """Finish every open stream with FIN packets and close the file."""
        if self._file.closed:
            return
        for stream in list(self._streams.values()):
            self.end_stream(stream.client, stream.server)
        self._file.flush()
        if self._owns_file:
            self._file.close()

    # -- internals

    @staticmethod
    def _key(a: Address, b: Address) -> tuple[Address, Address]:
        return (a, b) if (a[0], a[1]) <= (b[0], b[1]) else (b, a)

    def _stream(self, sender: Address, receiver: Address, t: float) -> _Stream:
        key = self._key(sender, receiver)
        stream = self._streams.get(key)
        if stream is not None:
            return stream
        # whoever speaks first opened the connection: the ESME binds, an SMSC sends outbind
        stream = _Stream(client=sender, server=receiver)
        self._opened += 1  # stable per file, different for a reconnect on the same ports
        isn_c = zlib.crc32(repr((sender, receiver, "c", self._opened)).encode())
        isn_s = zlib.crc32(repr((sender, receiver, "s", self._opened)).encode())
        mss_opt = b"\x02\x04" + self.mss.to_bytes(2, "big")
        self._packet(t - 3e-6, sender, receiver, isn_c, 0, dpkt.tcp.TH_SYN, b"", mss_opt)
        self._packet(t - 2e-6, receiver, sender, isn_s, isn_c + 1,
                     dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK, b"", mss_opt)
        isn_c, isn_s = (isn_c + 1) & 0xFFFFFFFF, (isn_s + 1) & 0xFFFFFFFF
        self._packet(t - 1e-6, sender, receiver, isn_c, isn_s, dpkt.tcp.TH_ACK, b"")
        stream.next_seq = {sender: isn_c, receiver: isn_s}
        self._streams[key] = stream
        return stream

    def _packet(self, t: float, src: Address, dst: Address, seq: int, ack: int, flags: int,
                payload: bytes, opts: bytes = b"") -> None:
        tcp = dpkt.tcp.TCP(sport=src[1], dport=dst[1], seq=seq & 0xFFFFFFFF,
                           ack=ack & 0xFFFFFFFF, flags=flags, win=65535, opts=opts, data=payload)
        tcp.off = (20 + len(opts)) // 4
        version, src_ip = _ip_bytes(src[0])
        _, dst_ip = _ip_bytes(dst[0])
        if version == 6 and len(dst_ip) == 16:
            ip: dpkt.Packet = dpkt.ip6.IP6(src=src_ip, dst=dst_ip, nxt=dpkt.ip.IP_PROTO_TCP,
                                           hlim=64, data=tcp, plen=len(tcp))
            eth_type = dpkt.ethernet.ETH_TYPE_IP6
        else:
            if len(src_ip) != 4 or len(dst_ip) != 4:  # mixed families: fall back to IPv4
                src_ip, dst_ip = _ip_bytes(f"name:{src[0]}")[1], _ip_bytes(f"name:{dst[0]}")[1]
            self._ip_id = (self._ip_id + 1) & 0xFFFF
            ip = dpkt.ip.IP(src=src_ip, dst=dst_ip, p=dpkt.ip.IP_PROTO_TCP, ttl=64,
                            id=self._ip_id, df=1, data=tcp)
            eth_type = dpkt.ethernet.ETH_TYPE_IP
        eth = dpkt.ethernet.Ethernet(src=_mac(src), dst=_mac(dst), type=eth_type, data=ip)
        self._writer.writepkt(bytes(eth), ts=t)
        self._last_time = max(self._last_time, t)
        self.packets += 1


def write_events(path: str | Path, events: Iterable[PduEvent], *, redact: bool = True) -> int:
    """Write ``events`` to a new ``.pcap`` at ``path``; returns the number of packets.

    Bind passwords are masked unless ``redact=False``."""
    with PcapWriter(path, redact=redact) as writer:
        for event in events:
            writer.write(event)
        writer.close()
        return writer.packets


# ----------------------------------------------------------------------------- reading


@dataclass
class _Segment:
    time: float
    seq: int
    data: bytes


@dataclass
class _Flow:
    src: Address
    dst: Address
    segments: list[_Segment] = field(default_factory=list)
    isn: int | None = None  # from the SYN, when the capture has it
    first_time: float = 0.0
    gen: int = 0  # connection number on this 4-tuple
    syn: str | None = None  # "syn" (this side opened the connection) or "syn-ack"


def _open_reader(f: IO[bytes]) -> Any:
    magic = f.read(4)
    f.seek(0)
    try:
        if magic == _PCAPNG_MAGIC:
            return dpkt.pcapng.Reader(f)
        return dpkt.pcap.Reader(f)
    except (ValueError, dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError) as exc:
        raise PcapError(f"not a pcap or pcapng file: {exc}") from exc


def _ip_of(buf: bytes, linktype: int) -> Any:
    """The IP packet inside one captured frame, or None."""
    try:
        if linktype == dpkt.pcap.DLT_EN10MB:
            pkt = dpkt.ethernet.Ethernet(buf).data
        elif linktype == dpkt.pcap.DLT_LINUX_SLL:
            pkt = dpkt.sll.SLL(buf).data
        elif linktype == 276:  # LINUX_SLL2
            pkt = dpkt.sll2.SLL2(buf).data
        elif linktype in (dpkt.pcap.DLT_NULL, dpkt.pcap.DLT_LOOP):
            pkt = dpkt.loopback.Loopback(buf).data
        elif linktype in (101, 12, 14, 228, 229):  # raw IP
            pkt = dpkt.ip6.IP6(buf) if buf[:1] and buf[0] >> 4 == 6 else dpkt.ip.IP(buf)
        else:
            raise PcapError(f"unsupported link type {linktype}")
    except (dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError, IndexError, struct.error):
        return None
    return pkt if isinstance(pkt, dpkt.ip.IP | dpkt.ip6.IP6) else None


def _ntop(pkt: Any) -> tuple[str, str]:
    family = socket.AF_INET6 if isinstance(pkt, dpkt.ip6.IP6) else socket.AF_INET
    return socket.inet_ntop(family, pkt.src), socket.inet_ntop(family, pkt.dst)


FlowKey = tuple[Address, Address, int]  # source, destination, connection number


PROGRESS_EVERY = 2000  # packets between two progress calls


def _collect_flows(path: str | Path,
                   progress: Callable[[int], object] | None = None) -> dict[FlowKey, _Flow]:
    flows: dict[FlowKey, _Flow] = {}
    # a new SYN on a 4-tuple that already carried data is a new connection (port reuse)
    generation: dict[tuple[Address, Address], int] = {}
    with open(path, "rb") as f:
        reader = _open_reader(f)
        linktype = reader.datalink()
        try:
            for n, (ts, buf) in enumerate(reader):
                if progress is not None and n % PROGRESS_EVERY == 0:
                    progress(f.tell())
                ip = _ip_of(buf, linktype)
                if ip is None or not isinstance(ip.data, dpkt.tcp.TCP):
                    continue
                if isinstance(ip, dpkt.ip.IP) and ip.offset:
                    continue  # a non-first IP fragment: not reassembled
                tcp = ip.data
                src_ip, dst_ip = _ntop(ip)
                src, dst = (src_ip, tcp.sport), (dst_ip, tcp.dport)
                pair = (src, dst) if src <= dst else (dst, src)
                gen = generation.setdefault(pair, 0)
                if tcp.flags & dpkt.tcp.TH_SYN and not tcp.flags & dpkt.tcp.TH_ACK and any(
                        (a, b, gen) in flows and flows[(a, b, gen)].segments
                        for a, b in ((src, dst), (dst, src))):
                    gen = generation[pair] = gen + 1
                key = (src, dst, gen)
                flow = flows.get(key)
                if flow is None:
                    flow = flows[key] = _Flow(src, dst, first_time=float(ts), gen=gen)
                if tcp.flags & dpkt.tcp.TH_SYN:
                    flow.isn = tcp.seq
                    flow.syn = "syn-ack" if tcp.flags & dpkt.tcp.TH_ACK else "syn"
                if tcp.data:
                    flow.segments.append(_Segment(float(ts), tcp.seq, bytes(tcp.data)))
        except (dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError, struct.error):
            pass  # a truncated last record (capture stopped mid-write): keep what was read
    return flows


@dataclass
class _Run:
    """Contiguous stream bytes with the capture time at which each chunk was complete."""

    offset: int
    data: bytearray = field(default_factory=bytearray)
    ends: list[tuple[int, float]] = field(default_factory=list)  # (end offset in data, time)

    def time_at(self, end: int) -> float:
        for chunk_end, t in self.ends:
            if chunk_end >= end:
                return t
        return self.ends[-1][1]


def _reassemble(flow: _Flow) -> tuple[list[_Run], list[tuple[float, str]]]:
    """Put the flow's segments in sequence order; returns the contiguous runs and the gaps."""
    if not flow.segments:
        return [], []
    if flow.isn is not None:
        base = (flow.isn + 1) & 0xFFFFFFFF
    else:
        first = flow.segments[0].seq
        # the lowest sequence number in the capture, allowing for 32-bit wrap-around
        back = max(((first - s.seq) & 0xFFFFFFFF) for s in flow.segments
                   if ((first - s.seq) & 0xFFFFFFFF) < 1 << 30) if flow.segments else 0
        base = (first - back) & 0xFFFFFFFF
    ordered = sorted(
        ((((s.seq - base) & 0xFFFFFFFF), i, s) for i, s in enumerate(flow.segments)),
        key=lambda x: (x[0], x[1]),
    )
    runs: list[_Run] = []
    gaps: list[tuple[float, str]] = []
    pos = 0
    run = _Run(0)
    latest = 0.0
    for rel, _, seg in ordered:
        if rel >= 1 << 31:
            continue  # before the stream start (e.g. a keep-alive probe)
        end = rel + len(seg.data)
        if end <= pos:
            continue  # retransmission of bytes we already have
        if rel > pos:
            gaps.append((seg.time, f"TCP gap: {rel - pos} bytes missing from "
                         f"{flow.src[0]}:{flow.src[1]} at stream offset {pos}"))
            if run.data:
                runs.append(run)
            run = _Run(rel)
            pos = rel
        latest = max(latest, seg.time)
        run.data += seg.data[pos - rel:]
        pos = end
        run.ends.append((len(run.data), latest))
    if run.data:
        runs.append(run)
    return runs, gaps


def _plausible(data: bytes | bytearray, i: int, command_name: Any) -> bool:
    if len(data) - i < 16:
        return False
    length, command_id, _, _ = _HEADER.unpack_from(data, i)
    if length < 16 or length > _MAX_PDU or command_name(command_id).startswith("unknown"):
        return False
    nxt = i + length
    if len(data) - nxt >= 8:  # the next header must be believable too
        n_len, n_id = struct.unpack_from(">II", data, nxt)
        return 16 <= n_len <= _MAX_PDU and not command_name(n_id).startswith("unknown")
    return True


def _resync(data: bytes | bytearray, start: int, command_name: Any) -> int:
    for i in range(start, len(data) - 15):
        if _plausible(data, i, command_name):
            return i
    return len(data)


def _cut(run: _Run, at_start: bool, src: Address,
         last: bool = True) -> list[tuple[float, bytes | None, str | None]]:
    """Cut one run into PDUs: (time, raw, error) with raw None for pure error reports."""
    from console.errors import FramingError
    from console.smpp import Framer, command_name

    out: list[tuple[float, bytes | None, str | None]] = []
    data = run.data
    pos = 0
    if not _plausible(data, 0, command_name):
        pos = _resync(data, 0, command_name)
        if at_start and pos >= len(data):
            return []  # nothing SMPP-like in this stream
        out.append((run.time_at(max(pos, 1)), bytes(data[:pos]),
                    f"{pos} bytes from {src[0]}:{src[1]} are not at a PDU boundary "
                    f"(stream offset {run.offset}); skipped to the next PDU header"))
    while pos < len(data):
        framer = Framer()
        try:
            for pdu_bytes in framer.feed(bytes(data[pos:])):
                pos += len(pdu_bytes)
                out.append((run.time_at(pos), pdu_bytes, None))
            framer.feed(b"")  # raises a framing error found after the PDUs it handed out
        except FramingError as exc:
            # the framer may have cut good PDUs before the bad header in this same call
            limit = int(getattr(framer, "max_length", _MAX_PDU) or _MAX_PDU)
            while len(data) - pos >= 16:
                length = struct.unpack_from(">I", data, pos)[0]
                if not 16 <= length <= limit or pos + length > len(data):
                    break
                out.append((run.time_at(pos + length), bytes(data[pos:pos + length]), None))
                pos += length
            nxt = _resync(data, pos + 1, command_name)
            out.append((run.time_at(nxt), bytes(data[pos:nxt]), f"{exc}; resynchronised"))
            pos = nxt
            continue
        if pos < len(data):
            where = "the capture ends" if last else "bytes are missing from the capture"
            out.append((run.time_at(len(data)), bytes(data[pos:]),
                        f"incomplete PDU: {where} after {len(data) - pos} of its bytes"))
        break
    return out


def read_pcap(path: str | Path, *, ports: Iterable[int] | None = None,
              progress: Callable[[int], object] | None = None) -> list[PduEvent]:
    """Every SMPP PDU of a ``.pcap``/``.pcapng`` capture as events, in capture-time order.

    ``ports`` limits reading to TCP connections using one of those ports; otherwise every TCP
    connection whose bytes look like SMPP is read. Gaps and undecodable bytes become events
    with ``error`` set (``pdu`` None). ``progress`` (if given) is called now and then with the
    number of file bytes read so far, and once with the file size at the end; an exception it
    raises stops the reading (that is how a caller cancels).
    """
    wanted = set(ports) if ports is not None else None
    flows = _collect_flows(path, progress)
    conversations: dict[tuple[Address, Address, int], list[_Flow]] = {}
    for (src, dst, gen), flow in flows.items():
        if wanted is not None and src[1] not in wanted and dst[1] not in wanted:
            continue
        key = (src, dst, gen) if (src, dst) <= (dst, src) else (dst, src, gen)
        conversations.setdefault(key, []).append(flow)
    events: list[PduEvent] = []
    name = Path(path).name
    index = 0
    for conv in sorted(conversations.values(), key=lambda c: c[0].first_time):
        client, server = _client_server(conv)
        raw_events: list[tuple[float, str, bytes | None, str | None]] = []
        for flow in conv:
            direction = "out" if flow.src == client else "in"
            runs, gaps = _reassemble(flow)
            for t, reason in gaps:
                raw_events.append((t, direction, None, reason))
            for i, run in enumerate(runs):
                at_start = i == 0 and run.offset == 0 and flow.isn is not None
                for t, raw, err in _cut(run, at_start, flow.src, i == len(runs) - 1):
                    raw_events.append((t, direction, raw, err))
        if not any(raw is not None and err is None for _, _, raw, err in raw_events):
            continue  # not an SMPP conversation
        index += 1
        events.extend(_to_events(raw_events, f"{name}#{index}", client, server))
    events.sort(key=lambda e: e.time)
    if progress is not None:
        progress(Path(path).stat().st_size)
    return events


def _is_response(raw: bytes | None) -> bool:
    return bool(raw and len(raw) >= 8 and raw[4] & 0x80)


def _merge_directions(raw_events: list[tuple[float, str, bytes | None, str | None]]
                      ) -> list[tuple[float, str, bytes | None, str | None]]:
    """One time line from both directions. Each direction keeps its stream order (PDUs that
    came in one TCP segment share a capture time but not an order); across directions, at
    equal times a request goes before a response, so latencies pair up."""
    sides: dict[str, list[tuple[float, str, bytes | None, str | None]]] = {}
    for ev in raw_events:
        sides.setdefault(ev[1], []).append(ev)
    for side in sides.values():
        side.sort(key=lambda e: e[0])  # stable: equal times keep stream order
    a, b = (sides.get("out", []), sides.get("in", []))
    merged: list[tuple[float, str, bytes | None, str | None]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        ka, kb = (a[i][0], _is_response(a[i][2])), (b[j][0], _is_response(b[j][2]))
        if ka <= kb:
            merged.append(a[i])
            i += 1
        else:
            merged.append(b[j])
            j += 1
    merged.extend(a[i:])
    merged.extend(b[j:])
    return merged


def _client_server(conv: list[_Flow]) -> tuple[Address, Address]:
    """(client, server): who sent the SYN; without a handshake, who spoke first."""
    for flow in conv:
        if flow.syn is not None:
            return (flow.src, flow.dst) if flow.syn == "syn" else (flow.dst, flow.src)
    first = min(conv, key=lambda f: f.segments[0].time if f.segments else float("inf"))
    return first.src, first.dst


def _to_events(raw_events: list[tuple[float, str, bytes | None, str | None]], session_id: str,
               client: Address, server: Address) -> list[PduEvent]:
    raw_events = _merge_directions(raw_events)
    requests: dict[tuple[str, int], float] = {}
    out: list[PduEvent] = []
    for t, direction, raw, err in raw_events:
        pdu, latency = None, None
        if raw is not None and err is None:
            pdu, err = decode_or_error(bytes(raw))
        if pdu is not None:
            if pdu.is_response:
                sent = requests.pop(("in" if direction == "out" else "out",
                                     pdu.sequence_number), None)
                latency = None if sent is None else max(0.0, t - sent)
            else:
                requests[(direction, pdu.sequence_number)] = t
        out.append(PduEvent(time=t, direction=direction,  # type: ignore[arg-type]
                            session_id=session_id, local=client, remote=server,
                            raw=bytes(raw or b""), pdu=pdu, error=err, latency=latency))
    return out
