"""The simulator's SMPP 3.4 door: an asyncio SMSC on the platform core.

>>> smsc = SmscServer(platform, port=2775, tls_port=3550)
>>> await smsc.start()
>>> smsc.events.subscribe(print)          # every PDU in and out, as PduEvent
>>> smsc.faults.fail_submits(2, 0x58)     # reproduce a customer's problem
>>> await smsc.stop()

A message submitted here is a platform message like any other (``/sms/1/logs`` shows it); its
receipts come back as deliver_sm to the account's RX/TRX sessions. See docs/smsc.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.errors import SimulatorError
from console.platform import Platform
from console.simulator.smsc_faults import SmscFaults
from console.simulator.smsc_messages import MessageService
from console.simulator.smsc_receipts import ReceiptRouter
from console.simulator.smsc_session import BOUND, SmscSession, State
from console.smpp.events import EventHub, PduEvent

log = logging.getLogger(__name__)

DEFAULT_PORT = 2775  # IANA "smpp"; the spec's production port is 8888
DEFAULT_TLS_PORT = 3550  # IANA "ssmpp"; the spec's production TLS port is 8887
DEFAULT_SYSTEM_ID = "InfobipSim"


class SmscServer:
    """An SMPP 3.4 SMSC serving ``platform`` on a plain port and optionally a TLS port.

    ``port=0`` / ``tls_port=0`` pick free ports (read ``.port`` / ``.tls_port`` after
    ``start()``); ``tls_port=None`` serves no TLS. The certificate is made on first start in
    ``cert_dir`` (default: the data folder's ``tls/``).
    """

    def __init__(self, platform: Platform, host: str = "127.0.0.1", port: int | None = 0,
                 tls_port: int | None = None, *, cert_dir: Path | str | None = None,
                 max_sessions_per_account: int = 4, throttle_per_second: float | None = None,
                 keepalive: float = 30.0, receipt_retry: float = 10.0,
                 system_id: str = DEFAULT_SYSTEM_ID) -> None:
        self.platform = platform
        self.host = host
        self.requested_port = port
        self.requested_tls_port = tls_port
        self.cert_dir = cert_dir
        self.max_sessions_per_account = max_sessions_per_account
        self.throttle_per_second = throttle_per_second
        self.keepalive = keepalive
        self.system_id = system_id
        self.faults = SmscFaults()
        self.events = EventHub()
        self.router = ReceiptRouter(self, retry_after=receipt_retry)
        self.messages = MessageService(self)
        self._sessions: dict[str, SmscSession] = {}
        self._servers: list[asyncio.base_events.Server] = []
        self._unsubscribe: list[Callable[[], Any]] = []
        self.port: int | None = None
        self.tls_port: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> SmscServer:
        """Listen on the ports; returns self."""
        loop = asyncio.get_running_loop()
        self.platform.clock.bind(loop)
        try:
            if self.requested_port is not None:
                srv = await loop.create_server(lambda: SmscSession(self), self.host,
                                               self.requested_port)
                self._servers.append(srv)
                self.port = srv.sockets[0].getsockname()[1]
            if self.requested_tls_port is not None:
                from console.simulator.tls import server_context

                ctx = server_context(self.cert_dir)
                srv = await loop.create_server(lambda: SmscSession(self, tls=True), self.host,
                                               self.requested_tls_port, ssl=ctx)
                self._servers.append(srv)
                self.tls_port = srv.sockets[0].getsockname()[1]
        except OSError as exc:
            await self.stop()
            raise SimulatorError(f"SMSC cannot listen on {self.host}: {exc}") from exc
        self._subscribe()
        log.info("SMSC listening on %s port %s, TLS %s", self.host, self.port, self.tls_port)
        return self

    async def stop(self) -> None:
        """Stop listening and close every session.

        The platform keeps producing status changes while the door is down: their receipts
        (and MO messages) stay queued here and go out when a receiver binds after
        :meth:`start`. :meth:`close` stops for good and drops them.
        """
        for srv in self._servers:
            srv.close()
        for session in list(self._sessions.values()):
            session.unbind()
        for srv in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(srv.wait_closed(), 2.0)
        self._servers = []
        self.router.close()
        self.port = self.tls_port = None

    async def close(self) -> None:
        """Stop, and stop queueing receipts: what waits for a receiver is dropped."""
        await self.stop()
        for unsub in self._unsubscribe:
            unsub()
        self._unsubscribe = []
        if _latest(self.platform) is self:
            del _LATEST[self.platform]
        self.router.queues.clear()

    def _subscribe(self) -> None:
        if self._unsubscribe:
            return  # restarted: the router never stopped listening
        # A stopped SMSC on the same platform (e.g. the simulator's door before a restart)
        # hands over what it queued and stops listening: one router per platform queues.
        old = _latest(self.platform)
        if old is not None and old is not self and not old._servers:
            for unsub in old._unsubscribe:
                unsub()
            old._unsubscribe = []
            self.router.adopt(old.router)
        _LATEST[self.platform] = weakref.ref(self)
        self._unsubscribe = [
            self.platform.subscribe_reports(self.router.on_report),
            self.platform.subscribe_mo(self.router.on_mo),
            self.faults.subscribe(lambda _f: self.router.pump()),
        ]

    async def __aenter__(self) -> SmscServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- sessions -----------------------------------------------------------------------------
    @property
    def sessions(self) -> list[SmscSession]:
        """Connected sessions, oldest first."""
        return list(self._sessions.values())

    def session(self, session_id: str) -> SmscSession | None:
        return self._sessions.get(session_id)

    def bound_count(self, account: str) -> int:
        """Sessions bound for ``account`` now."""
        return sum(1 for s in self._sessions.values()
                   if s.state in BOUND and s.account is not None and s.account.username == account)

    def subscribe(self, callback: Callable[[PduEvent], Any]) -> Callable[[], None]:
        """``callback(PduEvent)`` for every PDU in or out of any session."""
        return self.events.subscribe(callback)

    def _register(self, session: SmscSession) -> None:
        self._sessions[session.id] = session

    def _unregister(self, session: SmscSession) -> None:
        self._sessions.pop(session.id, None)
        self.router.detach(session)

    def info(self) -> dict[str, Any]:
        """Ports, sessions, queues and faults (JSON-safe, for the GUI)."""
        return {"host": self.host, "port": self.port, "tls_port": self.tls_port,
                "sessions": [s.info() for s in self._sessions.values()],
                "queued": self.router.queued, "unacknowledged": self.router.unacknowledged,
                "faults": self.faults.to_dict()}


# the SMSC that last started on each platform (the one queueing its receipts); weak both
# ways, so neither keeps the other alive
_LATEST: weakref.WeakKeyDictionary[Platform, weakref.ref[SmscServer]] = \
    weakref.WeakKeyDictionary()


def _latest(platform: Platform) -> SmscServer | None:
    ref = _LATEST.get(platform)
    return ref() if ref is not None else None

__all__ = ["DEFAULT_PORT", "DEFAULT_TLS_PORT", "SmscServer", "SmscSession", "State"]
