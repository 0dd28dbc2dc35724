"""The embedded simulator: one platform behind its HTTP door (and the SMPP door).

``async with Simulator() as sim: ...`` or ``await sim.start()`` / ``await sim.stop()``;
from synchronous code (Jupyter, the GUI) ``sim.run_in_thread()`` / ``sim.stop_thread()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from console.errors import SimulatorError
from console.platform import Account, Platform, SimClock
from console.simulator.http_api import MAX_BODY, make_app
from console.simulator.http_faults import HttpFaults
from console.simulator.mo import HttpOutbound


class Simulator:
    """The platform, its HTTP API on ``http_port`` and optionally the SMSC on ``smpp_port``."""

    def __init__(self, http_port: int | None = 0, smpp_port: int | None = None,
                 smpp_tls_port: int | None = None, time_scale: float = 60.0,
                 accounts: Iterable[Account] | None = None, host: str = "127.0.0.1",
                 notify_default_url: str | None = None, *, max_body: int = MAX_BODY,
                 smsc_options: dict[str, Any] | None = None) -> None:
        self.host = host
        self.http_port_requested = http_port
        self.smpp_port_requested = smpp_port
        self.smpp_tls_port_requested = smpp_tls_port
        self.platform = Platform(clock=SimClock(scale=time_scale),
                                 accounts=list(accounts) if accounts is not None else None)
        if notify_default_url:
            for acct in self.platform.accounts:
                acct.notify_url = acct.notify_url or notify_default_url
        self.outbound = HttpOutbound()
        self.outbound.attach(self.platform)
        self.max_body = max_body
        #: fault injection on the HTTP door: ``http_faults.set(latency_ms=…, error_rate=…,
        #: error_status=…, drop_rate=…, seed=…)`` / ``http_faults.clear()``
        self.http_faults = HttpFaults()
        self.smsc_options = dict(smsc_options or {})
        self.smsc: Any = None
        self._runner: web.AppRunner | None = None
        self._site_port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None

    # -- addresses -------------------------------------------------------------------------------
    @property
    def http_port(self) -> int | None:
        return self._site_port

    @property
    def http_url(self) -> str:
        if self._site_port is None:
            raise SimulatorError("the simulator's HTTP API is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._site_port}"

    @property
    def smpp_port(self) -> int | None:
        return getattr(self.smsc, "port", None)

    @property
    def smpp_tls_port(self) -> int | None:
        return getattr(self.smsc, "tls_port", None)

    @property
    def clock(self) -> SimClock:
        return self.platform.clock

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> Simulator:
        """Bind the ports and serve; returns self."""
        self.platform.clock.bind(asyncio.get_running_loop())
        if self.http_port_requested is not None:
            app = make_app(self.platform, max_body=self.max_body, faults=self.http_faults)
            self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.http_port_requested)
            try:
                await site.start()
            except OSError as exc:
                await self._runner.cleanup()
                self._runner = None
                raise SimulatorError(f"cannot listen on {self.host}:{self.http_port_requested}: {exc}") from exc
            addresses = self._runner.addresses  # the bound socket: the real port when 0 was asked
            self._site_port = addresses[0][1] if addresses else None
        if self.smpp_port_requested is not None or self.smpp_tls_port_requested is not None:
            try:
                from console.simulator.smsc import SmscServer
            except ImportError as exc:
                await self.stop()
                raise SimulatorError(f"the SMPP door is not available: {exc}") from exc
            self.smsc = SmscServer(self.platform, self.host, self.smpp_port_requested or 0,
                                   self.smpp_tls_port_requested, **self.smsc_options)
            await self.smsc.start()
        return self

    async def stop(self) -> None:
        """Close the doors and outbound connections (stored messages stay in memory)."""
        if self.smsc is not None:
            with contextlib.suppress(Exception):
                await self.smsc.stop()
            self.smsc = None
        self.platform.pipeline.cancel()
        await self.outbound.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._site_port = None

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def credentials(self) -> list[dict[str, Any]]:
        """Accounts with their passwords (the simulator's own, shown to the user)."""
        return [a.to_dict(secrets=True) for a in self.platform.accounts]

    # -- synchronous use (Jupyter, GUI) ------------------------------------------------------
    def run_in_thread(self, timeout: float = 10.0) -> Simulator:
        """Start in a background thread with its own event loop; returns once serving."""
        if self._thread is not None:
            raise SimulatorError("the simulator is already running in a thread")
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def serve() -> None:
                self._stopped = asyncio.Event()
                try:
                    await self.start()
                except BaseException as exc:
                    failure.append(exc)
                    ready.set()
                    return
                ready.set()
                await self._stopped.wait()
                await self.stop()

            try:
                loop.run_until_complete(serve())
            finally:
                loop.close()

        self._thread = threading.Thread(target=main, name="infobip-simulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise SimulatorError("the simulator did not start in time")
        if failure:
            self._thread.join()
            self._thread = None
            raise SimulatorError(str(failure[0])) from failure[0]
        return self

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on the simulator's loop thread and return its result
        (use it for ``platform.inject_mo`` and ``clock.advance`` from another thread)."""
        if self._loop is None:
            return fn(*args, **kwargs)

        async def run() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop a simulator started with :meth:`run_in_thread`."""
        if self._thread is None or self._loop is None or self._stopped is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout)
        self._thread = None
        self._loop = None
