"""GUI test setup: a qasync loop on pytest-qt's QApplication, and helpers to await in tests.

The loop is created with ``already_running=True``: Qt events (hence asyncio callbacks) are
processed whenever a test waits with ``qtbot.waitUntil`` / ``run_async``. After each test its
leftover tasks are cancelled and the loop stops being the running loop, so nothing leaks
into the asyncio tests of ``tests/console``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")


_LOOP: list[asyncio.AbstractEventLoop] = []


@pytest.fixture(scope="session", autouse=True)
def _close_shared_loop() -> Iterator[None]:
    """At the end of the session close the shared loop: its executor's QThreads must stop
    before Qt is torn down (a running QThread at exit aborts the process)."""
    yield
    if _LOOP:
        loop = _LOOP.pop()
        loop.stop()  # with already_running=True the loop still counts as running
        with contextlib.suppress(Exception):
            loop.close()


@pytest.fixture
def aio_loop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    # One qasync loop for the whole session: a second QEventLoop on the same QApplication
    # stalls on thread-safe wake-ups (executor results), so the loop is made once and only
    # marked as the running loop while a GUI test runs.
    if not _LOOP:
        _LOOP.append(qasync.QEventLoop(qapp, already_running=True))
    loop = _LOOP[0]
    asyncio.events._set_running_loop(loop)
    asyncio.set_event_loop(loop)
    before = set(asyncio.all_tasks(loop))
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done() and t not in before]
        for t in pending:
            t.cancel()
        if pending:
            from pytestqt.qtbot import QtBot

            with contextlib.suppress(Exception):
                QtBot(qapp).waitUntil(lambda: all(t.done() for t in pending), timeout=5000)
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)


@pytest.fixture
def run_async(qtbot, aio_loop) -> Callable[..., Any]:
    """``run_async(coro, timeout=10)``: run ``coro`` on the qasync loop, wait for its result."""

    def run(coro: Awaitable[Any], timeout: float = 10.0) -> Any:
        task = asyncio.ensure_future(coro)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return run


@pytest.fixture
def ctx(qtbot, aio_loop, run_async):
    """An AppContext with settings in the test's data folder and no keyring."""
    from ui.context import AppContext
    from ui.profiles import SecretStore

    context = AppContext(secrets=SecretStore(use_keyring=False))
    yield context
    run_async(context.aclose(), timeout=15)


@pytest.fixture
def sim_ctx(ctx, run_async):
    """An AppContext with the embedded simulator running on ephemeral ports."""
    run_async(ctx.start_simulator(http_port=0, smpp_port=0))
    return ctx


@pytest.fixture
def window(qtbot, ctx):
    from ui.main_window import MainWindow

    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    return win
