""""Send raw" in the SMPP tab: the hex goes on the wire byte for byte (the session's own
sequence numbers are not applied) and shows in the PDU list as sent; bad hex and a wrong
command_length are refused with the reason in the window."""

from __future__ import annotations

import pytest

from console.smpp import Pdu, Tlv
from ui.smpp import SmppTab


@pytest.fixture
def bound_tab(qtbot, sim_ctx):
    if not getattr(sim_ctx.simulator, "smpp_port", None):
        pytest.skip("the embedded simulator has no SMSC")
    tab = SmppTab(sim_ctx)
    qtbot.addWidget(tab)
    tab.show()
    tab.hide_enquire.setChecked(False)
    task = tab.bind()
    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.exception() is None and tab.session.bound
    return tab


def _sent(tab, raw: bytes):
    return [tab.model.event_at(r) for r in range(tab.model.rowCount())
            if tab.model.event_at(r).direction == "out" and tab.model.event_at(r).raw == raw]


def _answer(tab, command: str, seq: int):
    for r in range(tab.model.rowCount()):
        ev = tab.model.event_at(r)
        if ev.direction == "in" and ev.pdu is not None and ev.pdu.command == command \
                and ev.pdu.sequence_number == seq:
            return ev
    return None


def test_raw_enquire_link_goes_out_byte_for_byte(bound_tab, qtbot):
    tab = bound_tab
    raw = bytes.fromhex("00000010 00000015 00000000 00001e61")  # sequence 7777
    tab.form.raw_edit.setText("0x00000010 00000015 00000000 00001E61")
    task = tab.send_raw()
    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.exception() is None
    assert task.result().command == "enquire_link_resp"
    assert task.result().sequence_number == 7777  # our sequence number, not the session's
    qtbot.waitUntil(lambda: _answer(tab, "enquire_link_resp", 7777) is not None, timeout=5000)
    (sent,) = _sent(tab, raw)
    assert sent.pdu.command == "enquire_link"
    assert tab.status_label.text() == "answer: enquire_link_resp ESME_ROK (#7777)"


def test_raw_submit_sm_goes_out_byte_for_byte(bound_tab, qtbot):
    tab = bound_tab
    raw = Pdu("submit_sm", 4242, fields={
        "source_addr": "InfoSMS", "destination_addr": "41793026727",
        "short_message": b"raw from the inspector", "registered_delivery": 0},
        tlvs=[Tlv(0x1403, b"219101234567890")]).encode()
    tab.form.raw_edit.setText(raw.hex(" "))
    task = tab.send_raw()
    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.exception() is None
    resp = task.result()
    assert (resp.command, resp.command_status, resp.sequence_number) == ("submit_sm_resp", 0, 4242)
    qtbot.waitUntil(lambda: _answer(tab, "submit_sm_resp", 4242) is not None, timeout=5000)
    (sent,) = _sent(tab, raw)
    assert sent.raw == raw and len(sent.raw) == int.from_bytes(raw[:4], "big")
    assert [t.tag for t in sent.pdu.tlvs] == [0x1403]


def test_bad_hex_and_wrong_length_are_refused_in_the_window(bound_tab, qtbot, sim_ctx):
    tab = bound_tab
    qtbot.waitUntil(lambda: not tab.model.pending, timeout=2000)
    before = tab.model.total
    tab.form.raw_edit.setText("00000010 0000001z 00000000 00000001")
    assert tab.send_raw() is None
    assert tab.status_label.text() == "⚠ raw PDU: not hex: use pairs of 0-9a-f digits"
    # 16 bytes that claim to be 32
    tab.form.raw_edit.setText("00000020 00000015 00000000 00000001")
    assert tab.send_raw() is None
    message = "raw PDU: command_length says 32 octets but the hex has 16"
    assert tab.status_label.text() == f"⚠ {message}"
    assert sim_ctx.errors[-1] == message  # recorded (the window shows it if the tab is hidden)
    tab.model.flush()
    assert tab.model.total == before  # nothing was sent
