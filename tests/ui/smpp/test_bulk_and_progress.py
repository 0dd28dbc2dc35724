"""Progress for long work in the SMPP tab: "repeat N times" submits against the embedded
simulator's SMSC (progress, Cancel, failures counted), and the busy line of a capture being
opened (Cancel keeps the list)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.smpp import Pdu
from console.smpp.events import DECODE_LAZILY, PduEvent
from ui.smpp import SmppTab

ESME, SMSC = ("127.0.0.1", 40000), ("127.0.0.1", 2775)


@pytest.fixture
def bound_tab(qtbot, sim_ctx):
    if not getattr(sim_ctx.simulator, "smpp_port", None):
        pytest.skip("the embedded simulator has no SMSC")
    tab = SmppTab(sim_ctx)
    qtbot.addWidget(tab)
    tab.resize(1300, 800)
    tab.show()
    task = tab.bind()
    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.exception() is None and tab.session.bound
    return tab


def test_repeat_sends_the_message_n_times_with_progress(bound_tab, qtbot):
    tab = bound_tab
    tab.form.text_edit.setPlainText("load test")
    tab.form.repeat_spin.setValue(40)
    task = tab.submit()
    strip = tab.form.progress
    assert strip.isVisible() and strip.total == 40
    assert not tab.form.submit_button.isEnabled()  # one bulk run at a time
    assert tab.submit() is None  # Ctrl+Enter meanwhile is refused, with the reason
    assert tab.status_label.text() == "⚠ submit: a repeated submit is running (Esc stops it)"
    qtbot.waitUntil(task.done, timeout=15_000)
    result = task.result()
    assert (result.sent, result.failed, result.parts, result.stopped) == (40, 0, 40, False)
    assert strip.done == 40
    qtbot.waitUntil(lambda: not strip.isVisible(), timeout=2000)
    assert tab.form.submit_button.isEnabled()
    assert "40 accepted (40 submit_sm), 0 failed" in tab.status_label.text()
    # every message and its answer reached the PDU list
    qtbot.waitUntil(lambda: tab.commands().count("submit_sm_resp") == 40, timeout=5000)
    assert tab.commands().count("submit_sm") == 40


def test_cancel_stops_a_bulk_run_and_keeps_what_was_sent(bound_tab, qtbot, sim_ctx):
    tab = bound_tab
    sim_ctx.simulator.smsc.faults.delay_responses(30)  # slow answers: the run takes a while
    tab.form.repeat_spin.setValue(100_000)
    task = tab.submit()
    qtbot.waitUntil(lambda: tab.form.progress.done >= 10, timeout=10_000)
    qtbot.mouseClick(tab.form.progress.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=10_000)
    result = task.result()
    assert result.stopped and 10 <= result.sent < 100_000 and result.failed == 0
    assert tab.status_label.text().startswith(f"stopped after {result.sent:,} of 100,000")
    assert tab.session.bound  # stopping a run does not unbind


def test_refused_messages_are_counted_and_the_first_error_shown(bound_tab, qtbot, sim_ctx):
    tab = bound_tab
    sim_ctx.simulator.smsc.faults.fail_submits(3, 0x58)  # ESME_RTHROTTLED
    tab.form.repeat_spin.setValue(10)
    task = tab.submit()
    qtbot.waitUntil(task.done, timeout=10_000)
    result = task.result()
    assert (result.sent, result.failed) == (7, 3)
    assert "ESME_RTHROTTLED" in (result.first_error or "")
    text = tab.status_label.text()
    assert text.startswith("⚠ sent 10 of 10") and "3 failed" in text
    assert "ESME_RTHROTTLED" in sim_ctx.errors[-1]  # recorded for the window and the log


def _capture(tmp_path, n: int = 200):
    from console.smpp.pcap import write_events

    events = []
    for i in range(n):
        raw = Pdu("submit_sm", i + 1, fields={"source_addr": "InfoSMS",
                                               "destination_addr": "41793026727",
                                               "short_message": f"m{i}".encode()}).encode()
        events.append(PduEvent(1e9 + i / 100, "out", "s", ESME, SMSC, raw,  # type: ignore[arg-type]
                               pdu=DECODE_LAZILY))
    path = tmp_path / "big.pcap"
    write_events(path, events)
    return path


@pytest.fixture
def tab(qtbot, aio_loop):
    w = SmppTab()
    qtbot.addWidget(w)
    w.resize(1300, 800)
    w.show()
    return w


def test_opening_a_capture_shows_its_progress_until_it_is_read(tab, qtbot, tmp_path):
    path = _capture(tmp_path, n=5000)
    kb = path.stat().st_size // 1024
    task = tab.open_pcap(path)
    assert tab.open_progress.isVisible()
    assert tab.open_progress.label.text().startswith("Reading big.pcap (kB):")
    assert tab.open_progress.bar.maximum() == kb  # a real bar over the file's size
    qtbot.waitUntil(lambda: tab.model.rowCount() == 5000, timeout=20_000)
    assert task.exception() is None
    assert tab.open_progress.done == kb  # the reader reported the whole file
    qtbot.waitUntil(lambda: not tab.open_progress.isVisible(), timeout=2000)
    assert tab.status_label.text() == "big.pcap: 5000 PDUs"


def test_cancelling_an_open_keeps_the_list(tab, qtbot, tmp_path):
    path = _capture(tmp_path)
    tab.show_bytes(Pdu("enquire_link", 7).encode())
    task = tab.open_pcap(path)
    tab.open_progress.cancel()  # the Cancel button (Esc does the same)
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.cancelled()
    qtbot.waitUntil(lambda: tab.status_label.text() == "opening big.pcap cancelled",
                    timeout=2000)
    assert not tab.open_progress.isVisible()
    assert tab.model.rowCount() == 0 and tab.current.command == "enquire_link"
