"""A minimal asyncio SMSC for the session tests (until console.simulator.smsc exists).

It frames and parses PDUs with ``struct`` only (independent of our codec) and exposes knobs
the tests need: hold responses until N submits are in flight, drop responses, cut the
connection after N answered submits, inject raw bytes, send receipts.
"""

from __future__ import annotations

import asyncio
import ssl
import struct
import time
from dataclasses import dataclass, field
from typing import Any

BIND = {0x00000001: "bind_receiver", 0x00000002: "bind_transmitter",
        0x00000009: "bind_transceiver"}
SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x04, 0x05, 0x06, 0x15
GENERIC_NACK = 0x80000000
ESME_RINVPASWD, ESME_RINVCMDID = 0x0E, 0x03


def header(command_id: int, status: int, seq: int, body: bytes = b"") -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


def cstr(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\x00", pos)
    return data[pos:end].decode("latin-1"), end + 1


def parse_submit(body: bytes) -> dict[str, Any]:
    """submit_sm body -> dict of its SMPP 3.4 fields plus ``tlvs`` {tag: bytes}."""
    d: dict[str, Any] = {}
    d["service_type"], p = cstr(body, 0)
    d["source_addr_ton"], d["source_addr_npi"] = body[p], body[p + 1]
    d["source_addr"], p = cstr(body, p + 2)
    d["dest_addr_ton"], d["dest_addr_npi"] = body[p], body[p + 1]
    d["destination_addr"], p = cstr(body, p + 2)
    d["esm_class"], d["protocol_id"], d["priority_flag"] = body[p], body[p + 1], body[p + 2]
    d["schedule_delivery_time"], p = cstr(body, p + 3)
    d["validity_period"], p = cstr(body, p)
    (d["registered_delivery"], d["replace_if_present_flag"], d["data_coding"],
     d["sm_default_msg_id"], sm_length) = body[p:p + 5]
    p += 5
    d["short_message"] = body[p:p + sm_length]
    p += sm_length
    tlvs: dict[int, bytes] = {}
    while p + 4 <= len(body):
        tag, length = struct.unpack_from(">HH", body, p)
        tlvs[tag] = body[p + 4:p + 4 + length]
        p += 4 + length
    d["tlvs"] = tlvs
    return d


def receipt_body(message_id: str, text: str, stat: str = "DELIVRD", err: str = "000") -> bytes:
    """A deliver_sm body carrying an Infobip-format delivery receipt."""
    now = time.strftime("%y%m%d%H%M")
    sm = (f"id:{message_id} sub:001 dlvrd:001 submit date:{now} done date:{now} "
          f"stat:{stat} err:{err} text:{text[:20]}").encode("latin-1")
    body = (b"\x00" + b"\x01\x01" + b"41793026727\x00" + b"\x05\x00" + b"InfoSMS\x00"
            + bytes([0x04, 0, 0]) + b"\x00\x00" + bytes([0, 0, 0, 0, len(sm)]) + sm)
    mid = message_id.encode() + b"\x00"
    body += struct.pack(">HH", 0x001E, len(mid)) + mid
    body += struct.pack(">HHB", 0x0427, 1, 2)  # message_state DELIVERED
    return body


@dataclass
class StubConnection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    bound: str | None = None
    system_id: str = ""
    held: list[bytes] = field(default_factory=list)


class StubSmsc:
    """``await StubSmsc(...).start()``; ``.port``; ``await .stop()``."""

    def __init__(self, *, password: str = "secret", ssl_context: ssl.SSLContext | None = None,
                 hold_until: int = 0, answer_submits: bool = True, drop_after: int | None = None,
                 answer_enquire: bool = True, receipts: bool = False,
                 reject: dict[str, int] | None = None) -> None:
        self.password = password
        self.ssl_context = ssl_context
        self.hold_until = hold_until  # hold submit_sm_resp until this many submits wait
        self.answer_submits = answer_submits
        self.drop_after = drop_after  # after this many answered submits, close on the next
        self.answer_enquire = answer_enquire
        self.receipts = receipts
        self.reject = reject or {}  # destination_addr -> command_status of the refusal
        self.port = 0
        self.connections: list[StubConnection] = []
        self.binds: list[tuple[str, str, str, str]] = []  # command, system_id, password, type
        self.submits: list[dict[str, Any]] = []
        self.received: list[tuple[int, int, int, bytes]] = []  # id, status, seq, body
        self.max_held = 0
        self._answered = 0
        self._next_id = 0x4E20
        self._server: asyncio.base_events.Server | None = None
        self._changed = asyncio.Event()

    async def start(self) -> StubSmsc:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0,
                                                  ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for conn in self.connections:
            conn.writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` is true (re-checked whenever a PDU arrives)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("condition not met")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    def commands(self, command_id: int) -> list[tuple[int, int, int, bytes]]:
        return [r for r in self.received if r[0] == command_id]

    async def send_raw(self, data: bytes, conn: StubConnection | None = None) -> None:
        conn = conn or self.connections[-1]
        conn.writer.write(data)
        await conn.writer.drain()

    async def send_receipt(self, message_id: str, text: str = "", seq: int = 0x100) -> None:
        await self.send_raw(header(DELIVER_SM, 0, seq, receipt_body(message_id, text)))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = StubConnection(reader, writer)
        self.connections.append(conn)
        try:
            while True:
                head = await reader.readexactly(16)
                length, command_id, status, seq = struct.unpack(">IIII", head)
                body = await reader.readexactly(length - 16) if length > 16 else b""
                self.received.append((command_id, status, seq, body))
                self._changed.set()
                if not await self._handle(conn, command_id, seq, body):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _handle(self, conn: StubConnection, command_id: int, seq: int,
                      body: bytes) -> bool:
        w = conn.writer
        if command_id in BIND:
            system_id, p = cstr(body, 0)
            password, p = cstr(body, p)
            system_type, p = cstr(body, p)
            self.binds.append((BIND[command_id], system_id, password, system_type))
            if password != self.password:
                w.write(header(command_id | 0x80000000, ESME_RINVPASWD, seq))
            else:
                conn.bound, conn.system_id = BIND[command_id], system_id
                w.write(header(command_id | 0x80000000, 0, seq, b"STUB\x00"))
        elif command_id == SUBMIT_SM:
            submit = parse_submit(body)
            submit["sequence_number"] = seq
            self.submits.append(submit)
            if self.drop_after is not None and self._answered >= self.drop_after:
                self.drop_after = None  # once: the reconnected session is answered normally
                w.transport.abort()
                return False
            if not self.answer_submits:
                return True
            if submit["destination_addr"] in self.reject:
                w.write(header(0x80000004, self.reject[submit["destination_addr"]], seq))
                await w.drain()
                return True
            self._next_id += 1
            message_id = f"{self._next_id:x}"
            submit["message_id"] = message_id
            resp = header(0x80000004, 0, seq, message_id.encode() + b"\x00")
            self._answered += 1
            if self.hold_until:
                conn.held.append(resp)
                self.max_held = max(self.max_held, len(conn.held))
                if len(conn.held) >= self.hold_until:
                    w.write(b"".join(conn.held))
                    conn.held.clear()
            else:
                w.write(resp)
            if self.receipts and submit["registered_delivery"] & 1:
                w.write(header(DELIVER_SM, 0, 0x7000 + seq,
                               receipt_body(message_id, submit["short_message"].decode("latin-1"))))
        elif command_id == ENQUIRE_LINK:
            if self.answer_enquire:
                w.write(header(0x80000015, 0, seq))
        elif command_id == UNBIND:
            w.write(header(0x80000006, 0, seq))
            await w.drain()
            return False
        elif command_id & 0x80000000:
            pass  # responses from the ESME (deliver_sm_resp, enquire_link_resp, generic_nack)
        else:
            w.write(header(GENERIC_NACK, ESME_RINVCMDID, seq))
        await w.drain()
        return True
