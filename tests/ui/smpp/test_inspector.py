"""The SMPP inspector tab: decode tree ↔ hex view, PDU list filters, multipart grouping, pcap,
and a bind/submit against the embedded simulator's SMSC."""

from __future__ import annotations

import struct

import pytest
from PySide6.QtCore import Qt

from console.smpp import Pdu, Tlv, decode_pdu
from console.smpp.events import DECODE_LAZILY, PduEvent
from ui.smpp import SmppTab
from ui.smpp.decode_tree import SPAN_ROLE

ESME, SMSC = ("127.0.0.1", 40000), ("127.0.0.1", 2775)


def submit_with_tlvs() -> bytes:
    # imsi (0x1403) is an Infobip vendor TLV; 0x7777 is unknown and must be shown raw
    return Pdu("submit_sm", sequence_number=3,
               fields={"source_addr": "InfoSMS", "destination_addr": "41793026727",
                       "short_message": b"Hello"},
               tlvs=[Tlv(0x1403, b"abc"), Tlv(0x7777, b"\x01\x02")]).encode()


def event(raw: bytes, direction: str = "out", t: float = 1_700_000_000.0,
          session: str = "s1") -> PduEvent:
    return PduEvent(t, direction, session, ESME, SMSC, raw,  # type: ignore[arg-type]
                    pdu=DECODE_LAZILY)


@pytest.fixture
def tab(qtbot):
    w = SmppTab()
    qtbot.addWidget(w)
    w.resize(1300, 800)
    w.show()
    return w


def test_tree_row_highlights_its_bytes_and_a_click_selects_the_field(tab, qtbot):
    raw = submit_with_tlvs()
    tab.show_bytes(raw)
    assert tab.hex.data == raw
    pdu = decode_pdu(raw)
    tlv_span = next(s for s in pdu.spans if s.name == "imsi")
    idx = tab.tree.find("imsi")
    assert idx.isValid() and idx.data(SPAN_ROLE) == (tlv_span.offset, tlv_span.length)
    tab.tree.setCurrentIndex(idx)
    assert tab.hex.selected == (tlv_span.offset, tlv_span.length) == (56, 7)
    assert tab.hex.highlighted_bytes() == b"\x14\x03\x00\x03abc"
    # meaning of the vendor TLV as tooltip
    assert "IMSI" in idx.data(Qt.ItemDataRole.ToolTipRole)

    # a real mouse click on the byte at offset 30 (inside destination_addr, 29..40)
    rect = tab.hex.byte_rect(30)
    qtbot.mouseClick(tab.hex.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    cur = tab.tree.currentIndex()
    assert cur.siblingAtColumn(0).data() == "destination_addr"
    # every field explains itself, not only coded values
    assert "Destination (MSISDN)" in cur.data(Qt.ItemDataRole.ToolTipRole)
    seq = tab.tree.find("sequence_number")
    assert "echoed in its response" in seq.data(Qt.ItemDataRole.ToolTipRole)
    assert tab.hex.highlighted_bytes() == b"41793026727\x00"
    # the ASCII column works too: byte 20 is inside source_addr (19..26)
    qtbot.mouseClick(tab.hex.viewport(), Qt.MouseButton.LeftButton,
                     pos=tab.hex.ascii_rect(20).center())
    assert tab.tree.currentIndex().siblingAtColumn(0).data() == "source_addr"
    assert tab.hex.highlighted_bytes() == b"InfoSMS\x00"
    # a click past the last byte selects nothing new
    assert tab.hex.byte_at(tab.hex.byte_rect(len(raw) + 3).center()) is None
    # a byte inside a TLV selects the deepest field: the TLV's value
    tab.select_byte(61)
    cur = tab.tree.currentIndex()
    assert cur.data() == "value" and cur.parent().data() == "imsi"
    assert tab.hex.selected == (60, 3)


def test_unknown_tlv_shown_raw_and_warnings_marked(tab):
    raw = submit_with_tlvs()
    tab.show_bytes(raw)
    unknown = tab.tree.find("unknown (0x7777)")
    assert unknown.isValid()
    assert unknown.siblingAtColumn(1).data() == "01 02"
    assert tab.tree.warning_rows == []
    # a TLV whose length runs past the body: flagged, not fatal
    body = raw[16:] + struct.pack(">HH", 0x0424, 50) + b"xy"
    bad = struct.pack(">IIII", 16 + len(body), 4, 0, 9) + body
    tab.show_bytes(bad)
    assert decode_pdu(bad).warnings
    assert tab.tree.warning_rows, "the warning is not marked in the tree"
    first = tab.tree.warning_rows[0]
    assert first.foreground().color().name() == "#c0392b" and not first.icon().isNull()


def test_undecodable_bytes_are_explained(tab):
    tab.show_bytes(b"\x00\x00\x00\x05")
    assert tab.hex.data == b"\x00\x00\x00\x05"
    assert tab.tree.find("undecodable").isValid()


def test_list_batches_filters_and_hides_enquire_link(tab, qtbot):
    bind = Pdu("bind_transceiver", 1, fields={"system_id": "Aladdin", "password": "x"})
    raws = [bind.encode(), bind.response(0, system_id="SMSC").encode(),
            Pdu("enquire_link", 2).encode(), Pdu("enquire_link_resp", 2).encode(),
            submit_with_tlvs(), Pdu("submit_sm_resp", 3, fields={"message_id": "M-9"},
                                    command_status=0x0B).encode()]
    for i, raw in enumerate(raws):
        tab.model.enqueue(event(raw, "out" if i % 2 == 0 else "in", t=1e9 + i))
    assert tab.model.rowCount() == 0  # queued, not yet flushed
    with qtbot.waitSignal(tab.model.rowsInserted, timeout=2000):
        pass
    assert tab.commands() == ["bind_transceiver", "bind_transceiver_resp", "submit_sm",
                              "submit_sm_resp"]
    assert tab.count_label.text() == "4 of 6 PDUs"
    resp_row = tab.model.index(3, 3)
    assert tab.model.data(resp_row) == "ESME_RINVDSTADR"
    assert "0x0000000B" in tab.model.data(resp_row, Qt.ItemDataRole.ToolTipRole)
    tab.hide_enquire.setChecked(False)
    assert tab.model.rowCount() == 6
    tab.filter_edit.setText("invdstadr")
    tab.apply_filter()
    assert tab.commands() == ["submit_sm_resp"]
    tab.filter_edit.setText("M-9")
    tab.apply_filter()
    assert tab.commands() == ["submit_sm_resp"]
    tab.filter_edit.setText("")
    tab.apply_filter()
    tab.select_row(4)
    assert tab.current.command == "submit_sm" and tab.hex.data == raws[4]


def test_multipart_parts_are_grouped_with_reassembled_text(tab, qtbot):
    from console.smpp.sms import build_submits

    text = "Ünïcödé " * 20  # UCS2, three parts with a UDH
    pdus = build_submits("InfoSMS", "41793026727", text, ref=0x42)
    assert len(pdus) == 3
    for i, p in enumerate(pdus):
        p.sequence_number = i + 1
        tab.model.enqueue(event(p.encode(), t=1e9 + i))
        tab.model.enqueue(event(Pdu("submit_sm_resp", i + 1,
                                    fields={"message_id": f"M{i}"}).encode(), "in", t=1e9 + i))
    tab.model.enqueue(event(pdus[0].encode(), session="other"))  # another session: not grouped
    tab.model.flush()
    tab.select_row(2)  # the second part
    group = tab.tree.find("multipart")
    assert group.isValid()
    assert group.siblingAtColumn(1).data() == "part 2 of 3 (udh8, reference 66)"
    whole = tab.tree.find("reassembled text")
    assert whole.siblingAtColumn(1).data() == text
    assert not tab.tree.find("parts missing").isValid()
    # only parts 1 and 2 captured: the group says which part is missing
    tab.clear()
    for p in pdus[:2]:
        tab.model.enqueue(event(p.encode()))
    tab.model.flush()
    tab.select_row(0)
    assert tab.tree.find("parts missing").siblingAtColumn(1).data() == "3"
    assert tab.tree.find("reassembled text").siblingAtColumn(1).data().endswith(
        "[part 3 missing]")


def test_bad_raw_hex_and_bad_tlv_are_reported(tab):
    tab.form.raw_edit.setText("00 00 0")
    assert tab.send_raw() is None
    assert tab.status_label.text().startswith("⚠ raw PDU")
    tab.form.raw_edit.setText("00000010 00000015 00000000 00000001")
    assert tab.send_raw() is None  # not bound
    assert "bind first" in tab.status_label.text()
    tab.decode_raw()
    assert tab.current.command == "enquire_link"
    tab.form.add_tlv_row("no_such_tlv", "1")
    with pytest.raises(ValueError, match="unknown TLV"):
        tab.form.values()
    tab.form.tlv_table.removeRow(0)
    tab.form.add_tlv_row("sar_msg_ref_num", "abc")
    with pytest.raises(ValueError, match="not an integer"):
        tab.form.values()
    tab.form.tlv_table.removeRow(0)
    tab.form.validity_edit.setText("tomorrow")
    with pytest.raises(ValueError, match="validity_period"):
        tab.form.values()
    tab.form.validity_edit.setText("000001000000000R")
    tab.form.dest_edit.setText("")
    with pytest.raises(ValueError, match="destination"):
        tab.form.values()
    tab.form.dest_edit.setText("41793026727")
    assert tab.form.values()["validity_period"] == "000001000000000R"
    assert tab.submit() is None and "bind first" in tab.status_label.text()
    tab.form.add_tlv_row("imsi", "219101234567890")
    tab.form.add_tlv_row("0x7777", "0x0102")
    tlvs = tab.form.values()["tlvs"]
    assert [(t.tag, t.value) for t in tlvs][1] == (0x7777, b"\x01\x02")
    assert tlvs[0].tag == 0x1403


def test_encoding_preview_follows_the_text(tab, qtbot):
    tab.form.text_edit.setPlainText("a" * 161)
    tab.form.update_preview()
    assert "GSM7" in tab.form.preview_label.text() and "2 parts" in tab.form.preview_label.text()
    tab.form.text_edit.setPlainText("Hello ű")
    tab.form.update_preview()
    assert "UCS2" in tab.form.preview_label.text() and "ű" in tab.form.preview_label.text()


def test_open_a_pcap_written_by_the_core(tab, qtbot, tmp_path, aio_loop):
    from console.smpp.pcap import write_events

    bind = Pdu("bind_transceiver", 1, fields={"system_id": "Aladdin", "password": "opensesa"})
    events = [event(bind.encode(), t=1e9), event(bind.response(0, system_id="SMSC").encode(),
                                                 "in", t=1e9 + 0.01),
              event(submit_with_tlvs(), t=1e9 + 0.02),
              event(Pdu("submit_sm_resp", 3, fields={"message_id": "X1"}).encode(), "in",
                    t=1e9 + 0.03)]
    path = tmp_path / "capture.pcap"
    write_events(path, events)
    task = tab.open_pcap(path)
    expected = ["bind_transceiver", "bind_transceiver_resp", "submit_sm", "submit_sm_resp"]
    qtbot.waitUntil(lambda: tab.commands() == expected, timeout=5000)
    assert task.exception() is None
    tab.select_row(2)
    tab.tree.setCurrentIndex(tab.tree.find("imsi"))
    assert tab.hex.highlighted_bytes() == b"\x14\x03\x00\x03abc"
    # a file that is not a capture: the error is shown in the tab
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a pcap at all")
    task = tab.open_pcap(bad)
    qtbot.waitUntil(lambda: tab.status_label.text().startswith("⚠ open bad.pcap"), timeout=5000)


@pytest.fixture
def sim_tab(qtbot, sim_ctx):
    if not getattr(sim_ctx.simulator, "smpp_port", None):
        pytest.skip("the embedded simulator has no SMSC")
    w = SmppTab(sim_ctx)  # the shell passes its context positionally
    qtbot.addWidget(w)
    w.show()
    return w


def test_bind_submit_and_see_the_pdus(sim_tab, qtbot, sim_ctx, tmp_path):
    tab = sim_tab
    assert tab.ctx is sim_ctx
    assert tab.connection.port_spin.value() == sim_ctx.simulator.smpp_port
    task = tab.bind()
    qtbot.waitUntil(lambda: task.done(), timeout=10000)
    assert task.exception() is None and tab.session.bound
    assert tab.connection.state_label.text().startswith("bound TRX")
    tab.form.text_edit.setPlainText("Hello inspector")
    tab.form.add_tlv_row("0x7777", "0x0102")
    task = tab.submit()
    assert task is not None
    qtbot.waitUntil(lambda: "submit_sm_resp" in tab.commands(), timeout=10000)
    got = tab.commands()
    assert got[:2] == ["bind_transceiver", "bind_transceiver_resp"]
    row = got.index("submit_sm")
    tab.select_row(row)
    assert tab.current.direction == "out"
    tab.tree.setCurrentIndex(tab.tree.find("destination_addr"))
    assert tab.hex.highlighted_bytes() == b"41793026727\x00"
    unknown = tab.tree.find("unknown (0x7777)")
    tab.tree.setCurrentIndex(unknown)
    assert tab.hex.highlighted_bytes() == b"\x77\x77\x00\x02\x01\x02"
    resp = tab.model.event_at(got.index("submit_sm_resp"))
    assert resp.pdu.command_status == 0 and resp.latency is not None
    # the bind's password is masked in the tree and the hex view unless asked for
    tab.select_row(0)
    password = tab.connection.password_edit.text()
    assert tab.tree.find("password").siblingAtColumn(1).data() == repr("*" * len(password))
    assert password.encode() not in tab.hex.data and password.encode() in tab.current.raw
    tab.show_secrets.setChecked(True)
    assert tab.tree.find("password").siblingAtColumn(1).data() == repr(password)
    assert password.encode() in tab.hex.data
    tab.show_secrets.setChecked(False)
    # the session saved as pcap and opened in a second tab shows the same PDUs
    qtbot.waitUntil(lambda: not tab.model.pending, timeout=2000)
    save = tab.save_pcap(tmp_path / "session.pcap")
    qtbot.waitUntil(save.done, timeout=5000)
    other = SmppTab()
    qtbot.addWidget(other)
    task = other.open_pcap(tmp_path / "session.pcap")
    qtbot.waitUntil(task.done, timeout=5000)
    assert other.commands()[:len(got)] == got
    unbind = tab.unbind()
    qtbot.waitUntil(unbind.done, timeout=5000)
    assert tab.session is None and tab.connection.bind_button.isEnabled()


def test_wrong_password_is_shown_in_the_tab(sim_tab, qtbot):
    tab = sim_tab
    tab.connection.password_edit.setText("wrong")
    task = tab.bind()
    qtbot.waitUntil(task.done, timeout=10000)
    # the task's done-callbacks (which set the label) run one loop turn after done() is true
    qtbot.waitUntil(lambda: tab.status_label.text().startswith("⚠ SMPP bind"), timeout=3000)
    assert tab.session is None
    qtbot.waitUntil(lambda: "bind_transceiver_resp" in tab.commands(), timeout=3000)
    resp = tab.model.event_at(tab.commands().index("bind_transceiver_resp"))
    assert resp.pdu.command_status != 0


def test_state_is_saved_and_restored(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    class Ctx:  # the shell's context provides at least ``settings``
        settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)

    first = SmppTab(context=Ctx())
    qtbot.addWidget(first)
    first.hide_enquire.setChecked(False)
    first.connection.bind_combo.setCurrentIndex(first.connection.bind_combo.findData("rx"))
    first.connection.window_spin.setValue(50)
    first.save_state(Ctx.settings)
    again = SmppTab(context=Ctx())
    qtbot.addWidget(again)
    assert not again.hide_enquire.isChecked() and not again.model.hide_enquire
    assert again.connection.settings().bind == "rx" and again.connection.settings().window == 50
