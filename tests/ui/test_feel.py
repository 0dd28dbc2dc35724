"""How the window feels: keyboard shortcuts, light/dark palette, layout restored on the next
start, tooltips that explain decoded fields."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from console.smpp import Pdu, Tlv
from ui.main_window import MainWindow
from ui.theme import apply_color_scheme, is_dark

CTRL = Qt.KeyboardModifier.ControlModifier


def test_ctrl_enter_sends_in_the_current_tab(window, sim_ctx, qtbot):
    http = window.show_tab("HTTP")
    http.load_preset("sms-single")
    http.body_edit.setFocus()
    qtbot.keyClick(http.body_edit, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: http.history.rowCount() == 1, timeout=10_000)
    assert http.history.record(0).response.status == 200
    # the SMPP tab's Ctrl+Enter is live only while it is the visible tab
    smpp = window.show_tab("SMPP")
    smpp.form.text_edit.setFocus()
    qtbot.keyClick(smpp.form.text_edit, Qt.Key.Key_Enter, CTRL)  # keypad Enter works too
    assert smpp.status_label.text() == "⚠ SMPP: bind first"
    assert http.history.rowCount() == 1  # the hidden HTTP tab did not send again
    bind = smpp.bind()
    qtbot.waitUntil(bind.done, timeout=10_000)
    qtbot.keyClick(smpp.form.dest_edit, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: "submit_sm_resp" in smpp.commands(), timeout=10_000)
    # Ctrl+Shift+Enter sends the raw hex (here refused: it is not hex)
    smpp.form.raw_edit.setText("00000010 0000001x")
    qtbot.keyClick(smpp.form.raw_edit, Qt.Key.Key_Return, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert smpp.status_label.text() == "⚠ raw PDU: not hex: use pairs of 0-9a-f digits"


def test_navigation_shortcuts(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_2, CTRL)
    assert window.tabs.currentIndex() == 1
    smpp = window.tab("SMPP")
    smpp.form.dest_edit.setFocus()  # Ctrl+F, Ctrl+O, Ctrl+S and Esc work inside the tab
    qtbot.keyClick(smpp.form.dest_edit, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is smpp.filter_edit
    qtbot.keyClick(window, Qt.Key.Key_4, CTRL)
    assert window.tabs.currentIndex() == 3
    hooks = window.tab("Webhooks")
    hooks.rule_sequence.setFocus()
    qtbot.keyClick(hooks.rule_sequence, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is hooks.filter_edit
    qtbot.keyClick(window, Qt.Key.Key_1, CTRL)
    http = window.tab("HTTP")
    http.url_edit.setFocus()
    qtbot.keyClick(http.url_edit, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is http.filter_edit
    qtbot.keyClick(window, Qt.Key.Key_K, CTRL)
    assert window.reference_dock.isVisible()
    assert QApplication.focusWidget() is window.reference.search_box


def test_esc_cancels_an_open(window, qtbot, tmp_path):
    smpp = window.show_tab("SMPP")
    path = tmp_path / "c.pcap"
    path.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(20))  # an empty capture
    task = smpp.open_pcap(path)
    smpp.filter_edit.setFocus()
    qtbot.keyClick(smpp.filter_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.cancelled()


def test_palette_follows_a_dark_system_scheme(qapp):
    before = QPalette(qapp.palette())
    style = qapp.style().name()
    try:
        assert not is_dark(qapp.palette())  # offscreen Qt starts light
        apply_color_scheme(qapp, Qt.ColorScheme.Dark)
        assert is_dark(qapp.palette())
        text = qapp.palette().color(QPalette.ColorRole.Text)
        assert text.lightness() > 200  # light text on the dark base
        apply_color_scheme(qapp, Qt.ColorScheme.Light)
        assert not is_dark(qapp.palette())
        apply_color_scheme(qapp, Qt.ColorScheme.Unknown)  # nothing to undo: stays light
        assert not is_dark(qapp.palette())
    finally:
        qapp.setStyle(style)
        qapp.setPalette(before)


def test_tab_layouts_are_restored_on_the_next_start(qtbot, ctx, tmp_path):
    ctx.settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    first = MainWindow(ctx)
    qtbot.addWidget(first)
    with qtbot.waitSignal(first.ready, timeout=10_000):  # every tab built and laid out
        first.show()
    http, hooks = first.tab("HTTP"), first.tab("Webhooks")
    # the defaults give the first pane 2/3, 5/11 and 38/70 of the space
    http.splitter.setSizes([200, 500])
    http.request_split.setSizes([300, 700])
    hooks.split.setSizes([150, 450])
    first.close()  # saves the window and every built tab
    second = MainWindow(ctx)
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.ready, timeout=10_000):
        second.show()
    http2, hooks2 = second.tab("HTTP"), second.tab("Webhooks")
    # the new window may lay out a few pixels differently: the proportions are what counts
    shares = [_share(w) for w in (http2.splitter, http2.request_split, hooks2.split)]
    for got, want in zip(shares, (2 / 7, 3 / 10, 1 / 4), strict=True):
        assert abs(got - want) < 0.02, shares


def _share(splitter) -> float:
    """The first pane's part of the splitter."""
    sizes = splitter.sizes()
    return sizes[0] / sum(sizes)


def test_decoded_fields_explain_themselves(window, qtbot):
    smpp = window.show_tab("SMPP")
    raw = Pdu("submit_sm", 9, fields={"source_addr": "InfoSMS", "destination_addr": "41793026727",
                                      "short_message": b"Hi", "registered_delivery": 1,
                                      "data_coding": 8},
              tlvs=[Tlv(0x1403, b"219101234567890")]).encode()
    smpp.show_bytes(raw)
    tips = {}
    for name in ("command_id", "registered_delivery", "data_coding", "imsi", "destination_addr"):
        idx = smpp.tree.find(name)
        assert idx.isValid(), name
        tips[name] = idx.data(Qt.ItemDataRole.ToolTipRole)
    assert "submit_sm" in tips["command_id"]
    assert "RECEIPT_ALWAYS" in tips["registered_delivery"]
    assert "UCS2" in tips["data_coding"]
    assert "IMSI" in tips["imsi"]
    assert "bytes 29–40 (12)" in tips["destination_addr"]  # where it is on the wire
    # the list explains statuses by name and meaning
    smpp.model.enqueue(smpp.current)
    resp = Pdu("submit_sm_resp", 9, command_status=0x45).encode()
    smpp.show_bytes(resp)
    smpp.model.enqueue(smpp.current)
    smpp.model.flush()
    tip = smpp.model.index(1, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("0x00000045 ESME_RSUBMITFAIL")
