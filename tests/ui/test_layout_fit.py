"""The window as a first-time user gets it (no saved layout) is usable on the common laptop
and desktop sizes: every control of the SMPP form is on screen without scrolling, the panels
open beside the tabs only when there is room, and the narrow panels keep their key columns
in view."""

from __future__ import annotations

import contextlib

import pytest
from PySide6.QtWidgets import QWidget

from ui.elided_label import ElidedLabel
from ui.main_window import DOCK_SHARE, DOCK_WIDTH, DOCKS_FROM, MainWindow, first_run_dock_width


def fully_visible(widget: QWidget) -> bool:
    """Shown, and not clipped by a scroll area or a splitter."""
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


def open_window(qtbot, ctx, size):
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.resize(*size)
    with qtbot.waitSignal(win.ready, timeout=10_000):
        win.show()
    return win


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_first_run_smpp_form_is_whole_at_common_sizes(qtbot, ctx, size):
    win = open_window(qtbot, ctx, size)
    assert (win.width(), win.height()) == size  # the window's minimum fits the size
    docked = size[0] >= DOCKS_FROM
    assert win.composer_dock.isVisible() is docked
    if docked:  # a column beside the tabs, not half the window
        assert DOCK_WIDTH[0] - 10 <= win.composer_dock.width() <= DOCK_WIDTH[1] + 10
    smpp = win.show_tab("SMPP")
    c, f = smpp.connection, smpp.form
    controls = {
        "port": c.port_spin, "TLS": c.tls_check, "password": c.password_edit,
        "bind": c.bind_button, "state": c.state_label, "window": c.window_spin,
        "from NPI": f.source_npi, "to NPI": f.dest_npi, "to TON": f.dest_ton,
        "receipt": f.receipt_combo, "Submit": f.submit_button, "repeat": f.repeat_spin,
        "raw hex": f.raw_edit, "Decode": f.decode_button, "Send raw": f.raw_button,
    }

    def hidden() -> list[str]:
        return [name for name, w in controls.items() if not fully_visible(w)]

    with contextlib.suppress(qtbot.TimeoutError):  # the tab lays itself out after showing
        qtbot.waitUntil(lambda: not hidden(), timeout=3000)
    assert hidden() == []
    assert smpp.form_scroll.horizontalScrollBar().maximum() == 0  # no sideways scrolling


def test_the_window_fits_a_1280_screen_with_a_panel_open(qtbot, ctx):
    win = open_window(qtbot, ctx, (1280, 800))
    win.simulator_dock.show()
    qtbot.waitUntil(lambda: win.simulator_dock.isVisible(), timeout=2000)
    for title in win.pages:
        win.tab(title)
    assert win.minimumSizeHint().width() <= 1280
    assert win.width() == 1280
    assert win.simulator_dock.width() <= 0.35 * 1280  # the first panel opened is a column


def test_dock_width_rule():
    assert first_run_dock_width(1280) is None
    assert first_run_dock_width(DOCKS_FROM) == int(DOCKS_FROM * DOCK_SHARE)
    assert DOCK_WIDTH[0] < first_run_dock_width(1600) < DOCK_WIDTH[1]
    assert first_run_dock_width(4000) == DOCK_WIDTH[1]


def test_a_saved_layout_is_not_replaced_by_the_first_run_one(qtbot, ctx):
    first = open_window(qtbot, ctx, (1600, 1000))
    first.composer_dock.hide()
    first.close()  # saves the layout
    second = open_window(qtbot, ctx, (1600, 1000))
    assert not second.composer_dock.isVisible()


def test_elided_label_keeps_its_whole_text(qtbot):
    label = ElidedLabel("bound TRX as Aladdin to 127.0.0.1:2775")
    qtbot.addWidget(label)
    label.resize(80, 20)
    label.show()
    assert label.text() == label.toolTip() == "bound TRX as Aladdin to 127.0.0.1:2775"
    assert label.elided_text().endswith("…") and len(label.elided_text()) < len(label.text())
    assert label.minimumSizeHint().width() < 60  # a long state cannot widen the form


def test_simulator_panel_shows_status_and_error_in_a_narrow_dock(qtbot, sim_ctx, run_async):
    from console.http import HttpClient
    from ui.simulator_panel import SimulatorPanel

    panel = SimulatorPanel(sim_ctx)
    qtbot.addWidget(panel)
    panel.resize(DOCK_WIDTH[1], 700)
    panel.show()
    sim = sim_ctx.simulator

    async def send():
        async with HttpClient(sim.http_url, "Aladdin", "open sesame") as c:
            return await c.send_sms("41793020001", "absent first")

    run_async(send())
    qtbot.waitUntil(lambda: panel.messages.rowCount() == 1, timeout=3000)
    view, col = panel.message_view, panel.messages.titles.index("error")
    qtbot.waitUntil(lambda: view.columnWidth(col) > 0, timeout=2000)
    right = view.columnViewportPosition(col) + view.columnWidth(col)
    assert view.columnViewportPosition(col) >= 0 and right <= view.viewport().width()
