"""The DLR viewer over a real journal: paging, SQL filters, live arrival, detail, timeline, CSV."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtCore import Qt

from console.journal import Journal
from console.reports import DeliveryReport
from ui.dlr import DlrTab
from ui.dlr.model import parse_filter

GROUPS = [("DELIVERED", 3, 5, "DELIVERED_TO_HANDSET"),
          ("UNDELIVERABLE", 2, 9, "UNDELIVERABLE_NOT_DELIVERED"),
          ("PENDING", 1, 7, "PENDING_ENROUTE")]
SOURCES = ["smpp", "webhook", "http-pull"]


def report(i: int, *, t0: float = 1_700_000_000.0, **kw) -> DeliveryReport:
    group, gid, sid, name = GROUPS[i % 3]
    fields = dict(message_id=f"MID-{i:05d}", source=SOURCES[i % 3], to=f"4179302{i:04d}",
                  status_group=group, status_group_id=gid, status_id=sid, status_name=name,
                  intermediate=group == "PENDING", received_at=t0 + i,
                  error_id=1 if group == "UNDELIVERABLE" else 0,
                  error_name="EC_UNKNOWN_SUBSCRIBER" if group == "UNDELIVERABLE" else "NO_ERROR",
                  raw=json.dumps({"results": [{"messageId": f"MID-{i:05d}"}]}))
    fields.update(kw)
    return DeliveryReport(**fields)


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "case.sqlite")
    j.append_many(report(i) for i in range(1200))
    j.flush()
    yield j
    j.close()


@pytest.fixture
def tab(qtbot, journal):
    w = DlrTab(journal=journal)
    qtbot.addWidget(w)
    w.resize(1200, 700)
    w.show()
    return w


def ids(tab) -> list[str]:
    return [tab.model.data(tab.model.index(r, 1)) for r in range(tab.model.rowCount())]


def test_first_page_then_fetch_more(tab):
    m = tab.model
    assert m.rowCount() == 500 and m.canFetchMore()
    assert ids(tab)[0] == "MID-01199"  # newest first
    assert tab.count_label.text() == "1200 reports"
    m.fetchMore()
    assert m.rowCount() == 1000
    m.fetchMore()
    assert m.rowCount() == 1200 and not m.canFetchMore()
    assert ids(tab)[-1] == "MID-00000"
    assert len(set(ids(tab))) == 1200


def test_quick_filters_and_filter_box_run_in_sql(tab, qtbot):
    tab.group_box.setCurrentIndex(tab.group_box.findData("UNDELIVERABLE"))
    assert tab.model.filters == {"status_group": "UNDELIVERABLE"}
    assert tab.model.rowCount() == 400 and not tab.model.canFetchMore()
    assert {tab.model.data(tab.model.index(r, 3)) for r in range(400)} == {"webhook"}
    assert tab.model.data(tab.model.index(0, 5)) == "EC_UNKNOWN_SUBSCRIBER"
    status = tab.model.index(0, 4)
    assert tab.model.data(status) == "UNDELIVERABLE/UNDELIVERABLE_NOT_DELIVERED"
    assert "status 9" in tab.model.data(status, Qt.ItemDataRole.ToolTipRole)
    tab.group_box.setCurrentIndex(0)
    tab.kind_box.setCurrentIndex(tab.kind_box.findText("intermediate"))
    assert tab.model.rowCount() == 400
    assert {tab.model.data(tab.model.index(r, 6)) for r in range(400)} == {"intermediate"}
    tab.kind_box.setCurrentIndex(0)
    tab.source_box.setCurrentIndex(tab.source_box.findData("smpp"))
    assert tab.model.rowCount() == 400 and tab.count_label.text() == "400 reports"
    tab.source_box.setCurrentIndex(0)
    # a bare message id is matched exactly on the indexed column
    tab.filter_edit.setText("MID-00042")
    tab.apply_filters()
    assert tab.model.filters == {"message_id": "MID-00042"} and ids(tab) == ["MID-00042"]
    # a destination number
    tab.filter_edit.setText("+41793020043")
    tab.apply_filters()
    assert tab.model.filters == {"to": "41793020043"} and ids(tab) == ["MID-00043"]
    # free text falls back to a substring search
    tab.filter_edit.setText("MID-0011")
    tab.apply_filters()
    assert "text" in tab.model.filters and len(ids(tab)) == 10
    tab.filter_edit.setText("nothing-like-this")
    tab.apply_filters()
    assert tab.model.rowCount() == 0 and tab.count_label.text() == "0 reports"


def test_parse_filter_keys():
    assert parse_filter("to:4179 status:delivered final") == {
        "to": "4179", "status_group": "DELIVERED", "final": True}
    assert parse_filter("error:ec_absent_subscriber intermediate") == {
        "error_name": "EC_ABSENT_SUBSCRIBER", "final": False}
    assert parse_filter("absent subscriber") == {"text": "absent subscriber"}
    assert parse_filter("") == {}


def test_detail_shows_fields_and_raw_payload(tab):
    tab.view.selectRow(0)
    text = tab.detail.toPlainText()
    assert "MID-01199" in text
    assert '"results"' in text and "Raw payload:" in text
    assert "Status 7" in text  # explained from the reference table
    fields = text.split("Fields:")[1].split("Raw payload:")[0]
    assert "from_" not in fields and "parent_seq" not in fields  # readable names only
    assert not any(line.strip().startswith("{") for line in fields.splitlines())


def test_done_at_is_short_with_the_full_value_as_tooltip():
    from ui.dlr.model import _short_done_at

    assert _short_done_at("2026-11-25T09:19:24.123+0000") == "11-25 09:19:24 +0000"
    assert _short_done_at("2026-11-25T09:19:24") == "11-25 09:19:24"
    assert _short_done_at("1007291049") == "1007291049"  # an SMPP receipt's own spelling


def test_live_reports_appear_in_one_batch(tab, qtbot, journal):
    inserted = []
    tab.model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    journal.append_many(report(i) for i in range(1200, 1230))
    journal.flush()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 530, timeout=5000)
    assert ids(tab)[0] == "MID-01229"
    assert inserted == [(0, 29)]  # one insert for the whole batch
    # with a filter, only matching live reports come in
    tab.source_box.setCurrentIndex(tab.source_box.findData("smpp"))
    before = tab.model.rowCount()
    journal.append_many(report(i) for i in range(1230, 1236))  # two of them are smpp
    journal.flush()
    qtbot.waitUntil(lambda: tab.model.rowCount() == before + 2, timeout=5000)
    assert {tab.model.data(tab.model.index(r, 3)) for r in range(2)} == {"smpp"}


def test_timeline_counts_every_report(tab, qtbot):
    tab.bottom.setCurrentWidget(tab.timeline)
    qtbot.waitUntil(lambda: tab.timeline.total() == 1200, timeout=5000)
    assert len(tab.timeline.buckets) <= 60
    tab.group_box.setCurrentIndex(tab.group_box.findData("DELIVERED"))
    qtbot.waitUntil(lambda: tab.timeline.total() == 400, timeout=5000)


def test_export_csv_of_the_filtered_reports(tab, tmp_path):
    tab.group_box.setCurrentIndex(tab.group_box.findData("DELIVERED"))
    n = tab.export_csv(tmp_path / "dlr.csv")
    rows = list(csv.reader((tmp_path / "dlr.csv").open(encoding="utf-8")))
    assert n == 400 and len(rows) == 401
    assert rows[0][:3] == ["seq", "time", "message_id"]
    assert {r[rows[0].index("status_group")] for r in rows[1:]} == {"DELIVERED"}
    tab.export_csv(tmp_path / "missing-dir" / "x.csv")
    assert tab.status_label.text().startswith("⚠ CSV export failed")


def test_without_a_journal_the_tab_says_so(qtbot):
    w = DlrTab()
    qtbot.addWidget(w)
    assert w.model.rowCount() == 0
    assert "no journal" in w.status_label.text()


def test_a_report_from_the_embedded_platform_arrives(qtbot, sim_ctx, run_async):
    """An SMPP receipt from the simulator, journaled by the SMPP tab, shows in the DLR tab."""
    from ui.smpp import SmppTab

    if not getattr(sim_ctx.simulator, "smpp_port", None):
        pytest.skip("the embedded simulator has no SMSC")
    dlr = DlrTab(sim_ctx)
    smpp = SmppTab(sim_ctx)
    qtbot.addWidget(dlr)
    qtbot.addWidget(smpp)
    qtbot.waitUntil(lambda: dlr.journal is not None, timeout=3000)  # attached after start-up
    assert dlr.journal is sim_ctx.journal
    task = smpp.bind()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.exception() is None
    smpp.form.dest_edit.setText("41793026727")
    smpp.submit()
    qtbot.waitUntil(lambda: dlr.model.rowCount() >= 1, timeout=20000)
    assert dlr.model.data(dlr.model.index(0, 3)) == "smpp"
    assert dlr.model.data(dlr.model.index(0, 2)) == "41793026727"


def test_text_search_runs_off_the_ui_thread(tab, qtbot, aio_loop, journal):
    tab.filter_edit.setText("MID-0011")
    tab.apply_filters()
    assert tab.model.busy and tab.count_label.text() == "searching…"
    assert not tab.model.canFetchMore()
    qtbot.waitUntil(lambda: not tab.model.busy, timeout=5000)
    assert tab.model.filters == {"text": "MID-0011"} and len(ids(tab)) == 10
    qtbot.waitUntil(lambda: tab.count_label.text() == "10 reports", timeout=5000)
    # a newer filter wins over a search still running
    tab.filter_edit.setText("MID-0012")
    tab.apply_filters()
    tab.filter_edit.setText("")
    tab.apply_filters()
    qtbot.wait(200)
    assert tab.model.filters == {} and tab.model.rowCount() == 500


def test_background_work_runs_as_tasks_of_the_context_and_failures_reach_the_window(
        ctx, qtbot, journal):
    tab = DlrTab(ctx, journal=journal)
    qtbot.addWidget(tab)
    tab.filter_edit.setText("MID-0012")
    tab.apply_filters()
    assert ctx.busy  # the search is one of the window's tasks
    qtbot.waitUntil(lambda: not tab.model.busy and not ctx.busy, timeout=5000)
    assert len(ids(tab)) == 10 and ctx.errors == []
    journal.close()  # the journal goes away under the tab: the next search fails
    tab.filter_edit.setText("MID-0013")
    tab.apply_filters()
    qtbot.waitUntil(lambda: tab.count_label.text() == "search failed", timeout=5000)
    assert tab.status_label.text().startswith("⚠ DLR search")
    assert any(e.startswith("DLR search") and "closed" in e for e in ctx.errors)


_TIMELINE_CHILD = r"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from console.journal import Journal
from ui.dlr import DlrTab
journal = Journal(sys.argv[1])
tab = DlrTab(journal=journal)
tab.show()
app.processEvents()
before = "PySide6.QtCharts" in sys.modules
tab.bottom.setCurrentWidget(tab.timeline)
app.processEvents()
print(before, "PySide6.QtCharts" in sys.modules, tab.timeline.total())
journal.close()
"""


def test_qtcharts_is_loaded_when_the_timeline_is_first_shown(journal):
    import os
    import subprocess
    import sys
    from pathlib import Path

    journal.flush()
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", _TIMELINE_CHILD, str(journal.path)], cwd=root,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.split() == ["False", "True", "1200"], out.stderr[-2000:]
