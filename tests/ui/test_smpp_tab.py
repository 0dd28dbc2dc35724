"""The SMPP inspector against the embedded SMSC: bind, submit, PDUs, tree ↔ hex, pcap."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ui.smpp_tab import SmppTab


@pytest.fixture
def tab(qtbot, sim_ctx):
    w = SmppTab(sim_ctx)
    qtbot.addWidget(w)
    w.show()
    return w


def commands(tab):
    return [tab.events.record(r).command for r in range(tab.events.rowCount())]


def bind(tab, qtbot):
    task = tab.bind()
    assert task is not None
    qtbot.waitUntil(lambda: task.done() and tab.unbind_button.isEnabled(), timeout=10000)
    assert tab.session is not None and tab.session.bound


def test_bind_submit_and_inspect(tab, qtbot, sim_ctx):
    assert tab.port_spin.value() == sim_ctx.simulator.smpp_port  # from the embedded profile
    bind(tab, qtbot)
    assert tab.state_label.text().startswith("bound")
    tab.text_edit.setPlainText("Hello inspector")
    task = tab.submit()
    qtbot.waitUntil(lambda: "submit_sm_resp" in commands(tab), timeout=10000)
    assert task is not None
    got = commands(tab)
    assert got[:2] == ["bind_transceiver", "bind_transceiver_resp"]
    row = got.index("submit_sm")
    # select the submit_sm in the list: tree and hex fill in
    tab.pdu_view.selectRow(tab.proxy.mapFromSource(tab.events.index(row, 0)).row())
    ev = tab.current
    assert ev.command == "submit_sm" and tab.hex.data == ev.raw
    items = tab.tree.findItems("destination_addr",
                               Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive, 0)
    assert items and items[0].text(1) == "'41793026727'"
    # tree row → its bytes highlighted
    tab.tree.setCurrentItem(items[0])
    off, length = tab.hex.selected
    assert tab.hex.highlighted_bytes() == b"41793026727\x00"
    assert length == 12
    # click on a byte → its field selected
    item = tab.select_byte(4)
    assert item.text(0) == "command_id" and "submit_sm" in item.text(2)
    line, col = divmod(off, 16)
    from ui.hexview import hex_column

    assert tab.hex.click_at(line, hex_column(col)) == off
    assert tab.tree.currentItem().text(0) == "destination_addr"


def test_filter_and_enquire_link_hidden(tab, qtbot, run_async):
    bind(tab, qtbot)
    run_async(tab.session.enquire_link())
    qtbot.waitUntil(lambda: "enquire_link_resp" in commands(tab), timeout=5000)
    shown = [tab.proxy.data(tab.proxy.index(r, 2)) for r in range(tab.proxy.rowCount())]
    assert "enquire_link" not in shown and "bind_transceiver" in shown
    tab.hide_enquire.setChecked(False)
    assert tab.proxy.rowCount() == tab.events.rowCount()
    tab.filter_edit.setText("enquire_link_resp")
    assert tab.proxy.rowCount() == 1


def test_wrong_password_bind_fails_visibly(tab, qtbot, sim_ctx):
    tab.password_edit.setText("wrong")
    task = tab.bind()
    qtbot.waitUntil(lambda: task.done() and tab.bind_button.isEnabled(), timeout=10000)
    assert tab.session is None
    assert sim_ctx.errors and sim_ctx.errors[-1].startswith("SMPP bind")
    qtbot.waitUntil(lambda: "bind_transceiver_resp" in commands(tab), timeout=3000)
    resp = tab.events.record(commands(tab).index("bind_transceiver_resp"))
    assert resp.pdu.command_status != 0


def test_long_message_parts_are_grouped(tab, qtbot):
    bind(tab, qtbot)
    tab.text_edit.setPlainText("ж" * 100)  # UCS2, 2 parts of 67
    assert "2 parts" in tab.preview_label.text()
    tab.submit()
    qtbot.waitUntil(lambda: commands(tab).count("submit_sm_resp") == 2, timeout=10000)
    parts = [tab.events.data(tab.events.index(r, 5)) for r in range(tab.events.rowCount())
             if tab.events.record(r).command == "submit_sm"]
    assert [p.split()[0] for p in parts] == ["1/2", "2/2"]
    assert parts[0].split()[1] == parts[1].split()[1]  # same reference


def test_submit_with_ton_npi_validity_and_tlvs(tab, qtbot, sim_ctx):
    bind(tab, qtbot)
    tab.ton_npi["dest_ton"].setValue(1)
    tab.ton_npi["dest_npi"].setValue(1)
    tab.validity_edit.setText("000001000000000R")
    tab.tlv_table.set_pairs([("user_message_reference", "7"), ("0x1501", "01 02")])
    tab.submit()
    qtbot.waitUntil(lambda: "submit_sm_resp" in commands(tab), timeout=10000)
    sub = next(tab.events.record(r) for r in range(tab.events.rowCount())
               if tab.events.record(r).command == "submit_sm")
    f = sub.pdu.fields
    assert (f["dest_addr_ton"], f["dest_addr_npi"]) == (1, 1)
    assert f["validity_period"] == "000001000000000R"
    tlvs = {t.tag: t.value for t in sub.pdu.tlvs}
    assert tlvs[0x0204] == b"\x00\x07" and tlvs[0x1501] == b"\x01\x02"
    tab.tlv_table.set_pairs([("no_such_tlv", "1")])
    assert tab.submit() is None and sim_ctx.errors[-1].startswith("TLV: unknown TLV name")


def test_pcap_roundtrip(tab, qtbot, tmp_path):
    bind(tab, qtbot)
    tab.submit()
    qtbot.waitUntil(lambda: "submit_sm_resp" in commands(tab), timeout=10000)
    n = tab.save_pcap(tmp_path / "s.pcap")
    assert n >= 4
    other = SmppTab(tab.ctx)
    qtbot.addWidget(other)
    count = other.open_pcap(tmp_path / "s.pcap")
    assert count == tab.events.rowCount()
    assert [other.events.record(r).command for r in range(count)] == commands(tab)


def test_raw_pdu_bad_hex_is_reported(tab, qtbot, sim_ctx):
    bind(tab, qtbot)
    tab.raw_edit.setText("00 00 00")
    assert tab.send_raw() is None
    assert sim_ctx.errors[-1].startswith("raw PDU")
    tab.raw_edit.setText("00000010 00000015 00000000 00000001")  # enquire_link
    task = tab.send_raw()
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.result().command == "enquire_link_resp"
