"""What the SMPP tab says: a refused bind explained from the reference tables with a hint,
each message shown once (the tab's line while it is on screen, the window's bar otherwise),
and Enter in the raw hex box decodes."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.errors import BindError
from console.reference import lookup
from ui.smpp.bind_errors import explain_bind_error
from ui.smpp.connection_panel import BindSettings


def bind_and_wait(tab, qtbot):
    task = tab.bind()
    qtbot.waitUntil(task.done, timeout=10_000)
    qtbot.waitUntil(lambda: tab.status_label.text().startswith("⚠ SMPP bind"), timeout=3000)


def test_refused_password_is_explained_once(window, sim_ctx, qtbot):
    tab = window.show_tab("SMPP")
    tab.connection.load_simulator(sim_ctx.simulator)
    tab.connection.password_edit.setText("open ses")  # the HTTP password, cut to 8
    window.message_label.setText("")
    bind_and_wait(tab, qtbot)
    text = tab.status_label.text()
    assert "ESME_RINVPASWD (0x0000000E)" in text
    assert lookup("smpp_command_status", 0x0E).description in text  # "Invalid Password"
    assert "not the HTTP one" in text and "at most 8 characters" in text
    assert "'opensesa'" in text  # the simulator's demo account, named by the simulator
    assert sim_ctx.errors[-1] in text  # recorded for scripts and the log …
    assert "RINVPASWD" not in window.message_label.text()  # … but shown in one place only


def test_a_hidden_tab_reports_to_the_window(window, sim_ctx, qtbot):
    tab = window.tab("SMPP")  # built, but the HTTP tab is the one on screen
    assert not tab.isVisible()
    tab.connection.load_simulator(sim_ctx.simulator)
    tab.connection.password_edit.setText("wrong")
    bind_and_wait(tab, qtbot)
    qtbot.waitUntil(lambda: "RINVPASWD" in window.message_label.text(), timeout=3000)


def test_notes_of_a_visible_tab_stay_in_the_tab(window, sim_ctx, qtbot):
    tab = window.show_tab("SMPP")
    window.message_label.setText("")
    tab.show_info("unbound")
    assert tab.status_label.text() == "unbound"
    assert window.message_label.text() == ""


def test_bind_hints_without_a_simulator():
    st = BindSettings("smpp.example.com", 2775, False, True, "acme", "x", "", "trx", 10)
    refused = BindError("bind_transceiver refused: bind_transceiver_resp ESME_RINVSYSID "
                        "(0x0000000F)", 0x0F)
    text = explain_bind_error(refused, st, None)
    assert text.startswith("bind_transceiver refused: ESME_RINVSYSID (0x0000000F) "
                           + lookup("smpp_command_status", 0x0F).description)
    assert "system_id" in text.split(" — ")[1]
    wrong = BindError("bind_transmitter refused: bind_transmitter_resp ESME_RINVPASWD "
                      "(0x0000000E)", 0x0E)
    assert "'" not in explain_bind_error(wrong, st, None)  # no simulator: no password named
    assert explain_bind_error(BindError("connection lost"), st, None) == "connection lost"


def test_enter_in_the_raw_hex_box_decodes(window, qtbot):
    tab = window.show_tab("SMPP")
    tab.form.raw_edit.setText("00000010 00000015 00000000 00000007")
    tab.form.raw_edit.setFocus()
    qtbot.keyClick(tab.form.raw_edit, Qt.Key.Key_Return)
    assert tab.current is not None and tab.current.command == "enquire_link"
    assert tab.tree.find("sequence_number").isValid()
    # Ctrl+Shift+Enter sends instead (refused here: not bound), it does not decode
    tab.current = None
    tab.form.raw_edit.setText("00000010 00000015 00000000 00000008")
    qtbot.keyClick(tab.form.raw_edit, Qt.Key.Key_Return,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert tab.current is None
    assert tab.status_label.text() == "⚠ SMPP: bind first"
