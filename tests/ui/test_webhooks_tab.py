"""The Webhooks tab: listener start, hits with reports, reply rules, replay."""

from __future__ import annotations

import json

import pytest

from ui.webhooks_tab import WebhooksTab

DLR = {"results": [{
    "bulkId": "BULK-1", "messageId": "MSG-1", "to": "41793026727",
    "sentAt": "2015-02-12T09:51:43.123+0100", "doneAt": "2015-02-12T09:51:43.127+0100",
    "smsCount": 1, "price": {"pricePerMessage": 0.01, "currency": "EUR"},
    "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET",
               "description": "Message delivered to handset"},
    "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
              "description": "No Error", "permanent": False},
    "callbackData": "DLR callback data"}]}


@pytest.fixture
def tab(qtbot, ctx):
    w = WebhooksTab(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.listener.running, timeout=5000)
    return w


def post(run_async, url, body, content_type="application/json"):
    from console.http import HttpClient, HttpRequest

    async def go():
        async with HttpClient(url) as c:
            return await c.send(HttpRequest("POST", url, [], [("Content-Type", content_type)], body))

    return run_async(go())


def test_listener_starts_with_url(tab):
    assert tab.url_edit.text() == f"{tab.listener.url}/dlr"
    assert tab.start_button.text() == "Stop"
    assert tab.copy_url().endswith("/dlr")


def test_dlr_hit_arrives_with_its_report(tab, qtbot, run_async):
    ex = post(run_async, tab.url_edit.text(), json.dumps(DLR))
    assert ex.response.status == 200
    qtbot.waitUntil(lambda: tab.hits.rowCount() == 1, timeout=3000)
    assert tab.hits.data(tab.hits.index(0, 4)) == "/dlr"
    assert tab.hits.data(tab.hits.index(0, 5)) == "dlr"
    # the summary says what came, not again the method, path and reply of other columns
    assert tab.hits.data(tab.hits.index(0, 7)) == "DELIVERED_TO_HANDSET for 41793026727 (MSG-1)"
    tab.hits_view.selectRow(0)
    assert '"messageId": "MSG-1"' in tab.body_view.toPlainText()
    assert tab.reports.rowCount() == 1
    assert tab.reports.data(tab.reports.index(0, 2)) == "DELIVERED/DELIVERED_TO_HANDSET"
    assert tab.detail_tabs.tabText(2) == "Reports (1)"


def test_reply_rule_and_bad_body(tab, qtbot, run_async):
    tab.rule_path.setCurrentIndex(tab.rule_path.findData("/dlr"))
    tab.rule_status.setValue(503)
    tab.rule_sequence.setText("500")
    tab.apply_rule()
    assert "/dlr → 503 (first [500])" in tab.rules_label.text()
    first = post(run_async, tab.url_edit.text(), "{not json")
    second = post(run_async, tab.url_edit.text(), json.dumps(DLR))
    assert (first.response.status, second.response.status) == (500, 503)
    qtbot.waitUntil(lambda: tab.hits.rowCount() == 2, timeout=3000)
    tab.hits_view.selectRow(0)
    assert tab.body_view.toPlainText().startswith("# could not parse")
    tab.rule_sequence.setText("abc")
    assert tab.apply_rule() is None and "reply sequence" in tab.ctx.errors[-1]


def test_replay_sends_the_hit_again(tab, qtbot, run_async):
    post(run_async, tab.url_edit.text(), json.dumps(DLR))
    qtbot.waitUntil(lambda: tab.hits.rowCount() == 1, timeout=3000)
    tab.hits_view.selectRow(0)
    task = tab.replay()
    qtbot.waitUntil(lambda: task.done() and tab.replay_label.text() != "", timeout=5000)
    qtbot.waitUntil(lambda: tab.hits.rowCount() == 2, timeout=3000)
    assert tab.replay_label.text().startswith("Replayed hit")
    assert tab.hits.record(1).body == tab.hits.record(0).body


def test_stop_and_filter(tab, qtbot, run_async):
    post(run_async, tab.listener.url + "/mo?sender=385911234567&receiver=41793026700&text=HELLO",
         "")
    post(run_async, tab.url_edit.text(), json.dumps(DLR))
    qtbot.waitUntil(lambda: tab.hits.rowCount() == 2, timeout=3000)
    tab.filter_edit.setText("/mo")
    assert tab.proxy.rowCount() == 1
    tab.start_button.click()
    qtbot.waitUntil(lambda: not tab.listener.running, timeout=3000)
    qtbot.waitUntil(lambda: tab.start_button.text() == "Start", timeout=3000)
    assert tab.url_edit.text() == ""


def test_simulator_pushes_reports_to_the_listener(qtbot, sim_ctx):
    from ui.http_tab import HttpTab

    hooks = WebhooksTab(sim_ctx)
    http = HttpTab(sim_ctx)
    qtbot.addWidget(hooks)
    qtbot.addWidget(http)
    qtbot.waitUntil(lambda: hooks.listener.running, timeout=5000)
    http.load_preset("sms-advanced-notify")  # notifyUrl = the running listener
    assert hooks.listener.url in http.body_edit.toPlainText()
    task = http.send()
    qtbot.waitUntil(lambda: task.done() and http.last_exchange is not None, timeout=10000)
    assert http.last_exchange.response.status == 200
    qtbot.waitUntil(lambda: hooks.hits.rowCount() >= 1, timeout=20000)
    hit = hooks.hits.record(0)
    assert hit.path == "/dlr" and hit.reports
    assert hit.reports[0].callback_data == "There's no place like home."


def test_stop_then_start_keeps_the_url(tab, qtbot):
    """Reports in flight and the platform's retries go to the notifyUrl already handed out:
    a restart on "any port" listens on the same port again."""
    url = tab.url_edit.text()
    assert tab.port_spin.value() == 0  # "any port"
    tab.start_button.click()
    qtbot.waitUntil(lambda: tab.start_button.text() == "Start", timeout=3000)
    tab.start_button.click()
    qtbot.waitUntil(lambda: tab.start_button.text() == "Stop", timeout=3000)
    assert tab.url_edit.text() == url


def test_restart_moves_on_when_the_old_port_is_taken(tab, qtbot):
    import socket

    old = tab.listener.port
    task = tab.stop()
    qtbot.waitUntil(task.done, timeout=3000)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", old))
        squatter.listen()
        task = tab.start()
        qtbot.waitUntil(task.done, timeout=3000)
        assert tab.listener.running and tab.listener.port != old
        assert tab.url_edit.text() == f"http://127.0.0.1:{tab.listener.port}/dlr"


def test_empty_hit_table_has_readable_headers(tab):
    header = tab.hits_view.horizontalHeader()
    metrics = tab.hits_view.fontMetrics()
    assert tab.hits.rowCount() == 0
    for col, title in enumerate(tab.hits.titles[:-1]):
        assert header.sectionSize(col) >= metrics.horizontalAdvance(title), title


def test_intermediate_report_pushed_to_the_dlr_url_is_called_so(tab, qtbot, run_async):
    body = json.loads(json.dumps(DLR))
    r = body["results"][0]
    r["status"] = {"groupId": 1, "groupName": "PENDING", "id": 7,
                   "name": "PENDING_ENROUTE", "description": "Message sent to next instance"}
    r["error"] = {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 27,
                  "name": "EC_ABSENT_SUBSCRIBER", "description": "Absent Subscriber",
                  "permanent": False}
    post(run_async, tab.url_edit.text(), json.dumps(body))
    qtbot.waitUntil(lambda: tab.hits.rowCount() == 1, timeout=3000)
    assert tab.hits.record(0).kind == "dlr"  # posted to the /dlr notifyUrl …
    assert tab.hits.record(0).reports[0].intermediate  # … but PENDING: an intermediate report
    assert tab.hits.data(tab.hits.index(0, 5)) == "intermediate"
    summary = tab.hits.data(tab.hits.index(0, 7))
    assert summary == "PENDING_ENROUTE, EC_ABSENT_SUBSCRIBER for 41793026727 (MSG-1)"
