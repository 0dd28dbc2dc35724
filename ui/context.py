"""What every tab shares: the asyncio task runner, the simulator, the journal, the profiles,
and the window's message area (errors and notes end up in the status bar, never only on the
console).

Tabs receive one :class:`AppContext`; they start their I/O with :meth:`AppContext.spawn`
(an asyncio task on the qasync loop, so the UI thread never blocks) and report problems with
:meth:`AppContext.report_error`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Signal

from ui.profiles import ProfilesModel, SecretStore

if TYPE_CHECKING:  # asyncio is imported when the first task starts, not with the window
    import asyncio

log = logging.getLogger(__name__)

# Ports the embedded simulator tries first when the app runs (tests ask for port 0).
PREFERRED_HTTP_PORT = 18080
PREFERRED_SMPP_PORT = 2775


def alive(obj: QObject) -> bool:
    """False once the C++ side of a widget is gone (a task may finish after its tab closed)."""
    try:
        from shiboken6 import isValid

        return bool(isValid(obj))
    except ImportError:  # pragma: no cover - shiboken6 ships with PySide6
        return True


def app_settings() -> QSettings:
    """The app's QSettings, stored as an INI file in the data folder (tests isolate it)."""
    from console.paths import data_dir

    return QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)


def spawn_task(coro: Awaitable[Any], what: str, report: Callable[[str], None],
               on_done: Callable[[Any], None] | None = None,
               tasks: set[asyncio.Task[Any]] | None = None) -> asyncio.Task[Any]:
    """Run ``coro`` as an asyncio task; ``report("what: reason")`` if it (or ``on_done``,
    called with its result) fails. The task stays in ``tasks`` while it runs."""
    import asyncio

    task = asyncio.ensure_future(coro)
    if tasks is not None:
        tasks.add(task)

    def done(t: asyncio.Task[Any]) -> None:
        if tasks is not None:
            tasks.discard(t)
        if t.cancelled():
            return
        exc = t.exception()
        if exc is not None:
            text = str(exc) or type(exc).__name__
            log.debug("task %s failed:\n%s", what, "".join(traceback.format_exception(exc)))
            report(f"{what}: {text}" if what else text)
            return
        if on_done is not None:
            try:
                on_done(t.result())
            except Exception as cb_exc:  # a UI callback failing must be visible too
                report(f"{what}: {cb_exc}" if what else str(cb_exc))

    task.add_done_callback(done)
    return task


class AppContext(QObject):
    """Shared state of one window: simulator, journal, profiles, tasks and messages."""

    error = Signal(str)  # a failure the user must see
    info = Signal(str)  # a short note for the status bar
    simulator_changed = Signal()  # started, stopped or its ports changed

    def __init__(self, *, settings: QSettings | None = None, journal: Any = None,
                 secrets: SecretStore | None = None, preferred_ports: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else app_settings()
        self.secrets = secrets if secrets is not None else SecretStore()
        self.profiles = ProfilesModel(self.settings, self.secrets, parent=self)
        self.simulator: Any = None
        self.listener: Any = None  # the webhook listener (set by the Webhooks tab)
        self.simulator_error: str | None = None
        self.preferred_ports = preferred_ports
        self._journal = journal
        self._journal_error: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self.errors: list[str] = []  # every error reported, newest last (tests read it)

    # ------------------------------------------------------------------ messages

    def report_error(self, message: str) -> None:
        """Show ``message`` in the window's status bar (and record it)."""
        self.record_error(message)
        self.error.emit(message)

    def record_error(self, message: str) -> None:
        """Keep ``message`` in :attr:`errors` and the log without showing it in the window
        (a tab that shows it in its own status line)."""
        self.errors.append(message)
        log.warning("%s", message)

    def note(self, message: str) -> None:
        self.info.emit(message)

    # ------------------------------------------------------------------ tasks

    def spawn(self, coro: Awaitable[Any], what: str = "",
              on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[str], None] | None = None) -> asyncio.Task[Any]:
        """Run ``coro`` as a task on the qasync loop; its exception is shown in the window
        (or handed to ``on_error``, e.g. a tab that also shows it in its own status line)."""
        return spawn_task(coro, what, on_error or self.report_error, on_done, self._tasks)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def add_closer(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Register an async cleanup (listener stop, client close) run by :meth:`aclose`."""
        self._closers.append(closer)

    # ------------------------------------------------------------------ journal

    @property
    def journal(self) -> Any:
        """The persistent journal (``journal.sqlite`` in the data folder), opened on first use;
        None if it cannot be opened (the reason is reported once)."""
        if self._journal is None and self._journal_error is None:
            try:
                from console.journal import Journal
                from console.paths import data_dir

                self._journal = Journal(data_dir() / "journal.sqlite")
            except Exception as exc:  # the app must open even without a journal
                self._journal_error = str(exc)
                self.report_error(f"journal unavailable: {exc}")
        return self._journal

    # ------------------------------------------------------------------ simulator

    async def start_simulator(self, *, http_port: int | None = None,
                              smpp_port: int | None = None) -> Any:
        """Start the embedded simulator (HTTP API and SMSC) on this loop."""
        if self.simulator is not None:
            return self.simulator
        from console.simulator import Simulator

        ports: list[tuple[int, int]] = []
        if http_port is not None or smpp_port is not None:
            ports.append((http_port or 0, smpp_port or 0))
        elif self.preferred_ports:
            ports.append((PREFERRED_HTTP_PORT, PREFERRED_SMPP_PORT))
        ports.append((0, 0))
        last: Exception | None = None
        for hp, sp in ports:
            sim = Simulator(http_port=hp, smpp_port=sp)
            try:
                await sim.start()
            except Exception as exc:  # a taken port: try the next choice
                last = exc
                continue
            self.simulator, self.simulator_error = sim, None
            self.profiles.set_embedded(sim)
            self.simulator_changed.emit()
            self.note(f"simulator running: HTTP {sim.http_url}, SMPP port {sim.smpp_port}")
            return sim
        self.simulator_error = str(last)
        self.simulator_changed.emit()
        raise RuntimeError(f"cannot start the simulator: {last}")

    async def stop_simulator(self) -> None:
        sim, self.simulator = self.simulator, None
        if sim is not None:
            await sim.stop()
            self.simulator_changed.emit()

    # ------------------------------------------------------------------ shutdown

    async def aclose(self) -> None:
        """Stop listeners, clients and the simulator; cancel running tasks; close the journal."""
        import asyncio

        for closer in reversed(self._closers):
            try:
                await closer()
            except Exception:
                log.exception("cleanup failed")
        self._closers.clear()
        current = asyncio.current_task()
        pending = [t for t in self._tasks if t is not current]
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self.stop_simulator()
        except Exception:
            log.exception("simulator stop failed")
        if self._journal is not None:
            journal, self._journal = self._journal, None
            try:
                journal.close()
            except Exception:
                log.exception("journal close failed")
        self.profiles.save()
