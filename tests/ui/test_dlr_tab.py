"""The DLR tab: reports from the journal, live arrival, filters, detail, CSV."""

from __future__ import annotations

import csv
import json

import pytest

from ui.dlr_tab import DlrTab
from ui.webhooks_tab import WebhooksTab


def result(mid, to, group, gid, sid, sname):
    return {"messageId": mid, "to": to, "sentAt": "2015-02-12T09:51:43.123+0100",
            "doneAt": "2015-02-12T09:51:43.127+0100", "smsCount": 1,
            "status": {"groupId": gid, "groupName": group, "id": sid, "name": sname,
                       "description": sname},
            "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
                      "description": "No Error", "permanent": False}}


@pytest.fixture
def tabs(qtbot, ctx):
    hooks = WebhooksTab(ctx)
    dlr = DlrTab(ctx)
    qtbot.addWidget(hooks)
    qtbot.addWidget(dlr)
    qtbot.waitUntil(lambda: hooks.listener.running, timeout=5000)
    return hooks, dlr


def push(run_async, url, results):
    from console.http import HttpClient, HttpRequest

    async def go():
        async with HttpClient(url) as c:
            return await c.send(HttpRequest("POST", url, [], [("Content-Type", "application/json")],
                                            json.dumps({"results": results})))

    return run_async(go())


def test_webhook_reports_arrive_in_the_viewer(tabs, qtbot, run_async, tmp_path):
    hooks, dlr = tabs
    assert dlr.model.rowCount() == 0
    push(run_async, hooks.url_edit.text(), [
        result("M-1", "41793026727", "DELIVERED", 3, 5, "DELIVERED_TO_HANDSET"),
        result("M-2", "41793026731", "UNDELIVERABLE", 2, 9, "UNDELIVERABLE_NOT_DELIVERED")])
    qtbot.waitUntil(lambda: dlr.model.rowCount() == 2, timeout=5000)
    ids = {dlr.model.data(dlr.model.index(r, 1)) for r in range(2)}
    assert ids == {"M-1", "M-2"}
    row = [dlr.model.data(dlr.model.index(r, 1)) for r in range(2)].index("M-1")
    assert dlr.model.data(dlr.model.index(row, 5)) == "DELIVERED/DELIVERED_TO_HANDSET"
    assert dlr.model.data(dlr.model.index(row, 3)) == "webhook"
    assert "Message delivered to handset" in dlr.model.data(dlr.model.index(row, 5),
                                                           role=3)  # ToolTipRole
    assert dlr.count_label.text() == "2 reports"
    # quick filter on the status group, then a destination number in the filter box
    dlr.group_box.setCurrentIndex(dlr.group_box.findData("UNDELIVERABLE"))
    assert dlr.model.rowCount() == 1 and dlr.model.data(dlr.model.index(0, 1)) == "M-2"
    dlr.group_box.setCurrentIndex(0)
    dlr.filter_edit.setText("41793026727")
    qtbot.waitUntil(lambda: dlr.model.rowCount() == 1, timeout=3000)
    assert dlr.model.data(dlr.model.index(0, 1)) == "M-1"
    dlr.view.selectRow(0)
    assert '"message_id": "M-1"' in dlr.detail.toPlainText()
    n = dlr.export_csv(tmp_path / "r.csv")
    rows = list(csv.reader((tmp_path / "r.csv").open()))
    assert n == 1 and rows[0][:3] == ["seq", "time", "message_id"] and rows[1][2] == "M-1"


def test_lazy_pages(qtbot, ctx):
    from console.reports import DeliveryReport

    journal = ctx.journal
    for i in range(1200):
        journal.append(DeliveryReport(message_id=f"L-{i}", source="smpp", to="41793026727",
                                      status_group="DELIVERED", status_id=5,
                                      status_name="DELIVERED_TO_HANDSET", received_at=1000.0 + i))
    journal.flush()
    dlr = DlrTab(ctx)
    qtbot.addWidget(dlr)
    assert dlr.model.rowCount() == 500  # the first page only
    assert dlr.model.data(dlr.model.index(0, 1)) == "L-1199"  # newest first
    assert dlr.model.canFetchMore()
    dlr.model.fetchMore()
    dlr.model.fetchMore()
    assert dlr.model.rowCount() == 1200 and not dlr.model.canFetchMore()
    assert dlr.model.data(dlr.model.index(1199, 1)) == "L-0"


def test_timeline_counts_statuses(qtbot, ctx):
    from console.reports import DeliveryReport
    from ui.dlr_timeline import buckets

    start, step, counts = buckets([(100.0, "DELIVERED"), (101.0, "DELIVERED"),
                                   (130.0, "UNDELIVERABLE")])
    assert step == 2 and start == 100.0 and len(counts) == 16
    assert counts[0]["DELIVERED"] == 2 and counts[15]["UNDELIVERABLE"] == 1
    for i, group in enumerate(["DELIVERED"] * 3 + ["EXPIRED"]):
        ctx.journal.append(DeliveryReport(message_id=f"T-{i}", source="webhook",
                                          status_group=group, received_at=5000.0 + i))
    ctx.journal.flush()
    dlr = DlrTab(ctx)
    qtbot.addWidget(dlr)
    qtbot.waitUntil(lambda: dlr.timeline.totals == {"DELIVERED": 3, "EXPIRED": 1}, timeout=3000)
