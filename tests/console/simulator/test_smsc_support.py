"""Helpers (no tests) for the SMSC tests: a platform + SMSC fixture factory and a raw SMPP client
that speaks PDUs over a real socket (our codec for encoding/decoding, asyncio streams)."""

from __future__ import annotations

import asyncio
import ssl
import struct
from typing import Any

from console.platform import Account, Platform, SimClock
from console.simulator.smsc import SmscServer
from console.simulator.smsc_wire import Pdu, Tlv, decode_pdu, tlv_map

ACCOUNT, PASSWORD = "Aladdin", "opensesa"
TIMEOUT = 5.0


def make_platform(scale: float = 600.0, balance: float = 100.0) -> Platform:
    accounts = [Account("Aladdin", "open sesame", smpp_password=PASSWORD, balance=balance,
                        mo_numbers=["41793026700"]),
                Account("Bob", "builder1", smpp_password="builder1", balance=balance)]
    return Platform(clock=SimClock(scale=scale), accounts=accounts)


async def start_smsc(platform: Platform | None = None, **kw: Any) -> SmscServer:
    return await SmscServer(platform or make_platform(), **kw).start()


class RawClient:
    """A bare ESME: send PDUs, read PDUs; answers nothing unless asked."""

    def __init__(self) -> None:
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.seq = 0
        self.received: list[Any] = []
        self._seen: set[int] = set()

    async def open(self, port: int, tls: ssl.SSLContext | None = None) -> RawClient:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
        return self

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    async def send_raw(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def send(self, command: str, fields: dict[str, Any] | None = None,
                   tlvs: list[Any] | None = None, seq: int | None = None) -> int:
        seq = seq if seq is not None else self.next_seq()
        pdu = Pdu(command, sequence_number=seq, fields=fields or {}, tlvs=tlvs or [],
                  command_status=0)
        await self.send_raw(pdu.encode())
        return seq

    async def read(self, timeout: float = TIMEOUT) -> Any:
        assert self.reader is not None
        head = await asyncio.wait_for(self.reader.readexactly(4), timeout)
        (length,) = struct.unpack(">I", head)
        body = await asyncio.wait_for(self.reader.readexactly(length - 4), timeout)
        pdu = decode_pdu(head + body)
        self.received.append(pdu)
        return pdu

    async def call(self, command: str, fields: dict[str, Any] | None = None,
                   tlvs: list[Any] | None = None) -> Any:
        """Send a request and return its response (deliver_sm meanwhile are kept)."""
        seq = await self.send(command, fields, tlvs)
        while True:
            pdu = await self.read()
            if pdu.sequence_number == seq and pdu.command in (command + "_resp", "generic_nack"):
                return pdu

    async def bind(self, command: str = "bind_transceiver", system_id: str = ACCOUNT,
                   password: str = PASSWORD, system_type: str = "", version: int = 0x34) -> Any:
        return await self.call(command, {"system_id": system_id, "password": password,
                                         "system_type": system_type, "interface_version": version,
                                         "addr_ton": 0, "addr_npi": 0, "address_range": ""})

    async def submit(self, dest: str = "41793026727", text: bytes = b"Hello", *,
                     source: str = "InfoSMS", data_coding: int = 0, esm_class: int = 0,
                     registered_delivery: int = 1, tlvs: list[Any] | None = None,
                     **extra: Any) -> Any:
        fields = {"service_type": "", "source_addr_ton": 5, "source_addr_npi": 0,
                  "source_addr": source, "dest_addr_ton": 1, "dest_addr_npi": 1,
                  "destination_addr": dest, "esm_class": esm_class, "protocol_id": 0,
                  "priority_flag": 0, "schedule_delivery_time": "", "validity_period": "",
                  "registered_delivery": registered_delivery, "replace_if_present_flag": 0,
                  "data_coding": data_coding, "sm_default_msg_id": 0, "short_message": text}
        fields.update(extra)
        return await self.call("submit_sm", fields, tlvs)

    async def deliveries(self, count: int, *, ack: bool = True, timeout: float = TIMEOUT) -> list[Any]:
        """Read until ``count`` deliver_sm arrived (answering each when ``ack``)."""
        got = [p for p in self.received if p.command == "deliver_sm" and id(p) not in self._seen]
        for p in got:
            self._seen.add(id(p))
            if ack:
                await self.send_raw(p.response(0).encode())
        while len(got) < count:
            pdu = await self.read(timeout)
            if pdu.command == "deliver_sm":
                self._seen.add(id(pdu))
                got.append(pdu)
                if ack:
                    await self.send_raw(pdu.response(0).encode())
        return got

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, ssl.SSLError):
                pass


def tlvs_of(pdu: Any) -> dict[int, bytes]:
    return tlv_map(pdu)


__all__ = ["ACCOUNT", "PASSWORD", "RawClient", "Tlv", "make_platform", "start_smsc", "tlvs_of"]
