"""Reference search: names, hex ids, stat words and numbers find rows of every table."""

from __future__ import annotations

import pytest

from ui.reference_panel import ReferencePanel


@pytest.fixture
def panel(qtbot):
    w = ReferencePanel()
    qtbot.addWidget(w)
    return w


def rows(panel):
    m = panel.model
    return [tuple(m.data(m.index(r, c)) for c in range(m.columnCount()))
            for r in range(m.rowCount())]


def test_absent_subscriber(panel):
    panel.set_query("EC_ABSENT_SUBSCRIBER")
    got = rows(panel)
    assert got[0][0] in ("HTTP GSM error", "SMPP receipt err:")
    assert got[0][1] == "27" and got[0][3] == "EC_ABSENT_SUBSCRIBER"
    assert "permanent: no" in got[0][5]
    assert {r[0] for r in got} >= {"HTTP GSM error", "SMPP receipt err:"}


def test_hex_status(panel):
    panel.set_query("0x0b")
    got = rows(panel)
    assert got[0][:4] == ("SMPP command_status", "11", "0x000B", "ESME_RINVDSTADR")
    assert panel.count_label.text().endswith("matches")


def test_delivrd(panel):
    panel.set_query("DELIVRD")
    got = rows(panel)
    assert got[0][0] == "DLR stat:" and got[0][3] == "DELIVRD"
    assert "delivered" in got[0][4].lower()


def test_typing_searches_after_a_pause(panel, qtbot):
    qtbot.keyClicks(panel.search_box, "ESME_RTHROTTLED")
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=2000)
    assert rows(panel)[0][3] == "ESME_RTHROTTLED"


def test_table_filter_and_no_match(panel):
    panel.set_query("5")
    everything = panel.model.rowCount()
    panel.table_box.setCurrentIndex(panel.table_box.findData("http_status"))
    got = rows(panel)
    assert 0 < len(got) < everything
    assert all(r[0] == "HTTP status" for r in got)
    assert got[0][3] == "DELIVERED_TO_HANDSET"
    panel.table_box.setCurrentIndex(0)
    panel.set_query("no such code zzzz")
    assert panel.model.rowCount() == 0 and panel.count_label.text() == "0 matches"


def test_selected_entry_is_shown_whole_under_the_table(panel, qtbot):
    """In a narrow dock the columns get cut: the entry's text, table and details are shown
    in full below the table, and the name and meaning come first."""
    panel.set_query("EC_ABSENT_SUBSCRIBER")
    first = panel.model.entry(0)
    text = panel.detail_label.text()
    assert first.name in text and first.description in text
    assert "permanent: no" in text and "groupName" in text
    panel.view.selectRow(1)
    assert panel.model.entry(1).name in panel.detail_label.text()
    header = panel.view.horizontalHeader()
    titles = [panel.model.titles[header.logicalIndex(v)] for v in range(header.count())]
    assert titles[:4] == ["name", "id", "hex", "meaning"]
    panel.set_query("")
    assert panel.detail_label.text() == ""
