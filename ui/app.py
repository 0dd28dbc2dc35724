"""Start the desktop app: a QApplication on a qasync event loop, the main window, and the
embedded simulator started in-process on that same loop."""

from __future__ import annotations

import asyncio
import logging
import sys

from PySide6.QtWidgets import QApplication

from ui.context import AppContext
from ui.main_window import APP_TITLE, MainWindow

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (created once); its palette follows the system's light/dark scheme."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("infobip-console")
    app.setApplicationDisplayName(APP_TITLE)
    app.setOrganizationName("infobip-console")
    return app


def run_app(start_simulator: bool = True) -> int:
    """Open the window (and the simulator unless told not to); returns the exit code."""
    import qasync

    app = make_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    ctx = AppContext(preferred_ports=True)
    window = MainWindow(ctx)
    window.show()
    # the loop must outlive the window so cleanup (listener, simulator) can still run
    app.setQuitOnLastWindowClosed(False)

    async def main() -> int:
        closed = asyncio.Event()
        app.lastWindowClosed.connect(closed.set)
        if start_simulator:
            ctx.spawn(ctx.start_simulator(), "embedded simulator")
        await closed.wait()
        await ctx.aclose()
        return 0

    try:
        with loop:
            return int(loop.run_until_complete(main()))
    except KeyboardInterrupt:
        return 130
