"""Start the desktop app: a QApplication on a qasync event loop, the main window, and the
embedded simulator started in-process on that same loop once the window has been painted.

Only Qt and the window's frame are imported before the window shows; the tabs, the HTTP and
SMPP clients and the simulator load afterwards (see :mod:`ui.main_window`).
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication

from ui.context import AppContext
from ui.main_window import APP_TITLE, MainWindow
from ui.theme import follow_system_color_scheme

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
    if not app.property("infobipConsoleThemed"):  # once, even if asked again
        app.setProperty("infobipConsoleThemed", True)
        follow_system_color_scheme(app)
    return app


def run_app(start_simulator: bool = True) -> int:
    """Open the window (and the simulator unless told not to); returns the exit code."""
    app = make_application()
    ctx = AppContext(preferred_ports=True)
    window = MainWindow(ctx)
    window.show()
    app.processEvents()  # paint the frame now; the event loop's imports come after

    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # the loop must outlive the window so cleanup (listener, simulator) can still run
    app.setQuitOnLastWindowClosed(False)

    if start_simulator:  # after the first paint: the window shows before its imports
        window.when_shown(lambda: ctx.spawn(ctx.start_simulator(), "embedded simulator"))

    async def main() -> int:
        closed = asyncio.Event()
        app.lastWindowClosed.connect(closed.set)
        await closed.wait()
        await ctx.aclose()
        return 0

    try:
        with loop:
            return int(loop.run_until_complete(main()))
    except KeyboardInterrupt:
        return 130
