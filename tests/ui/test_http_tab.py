"""The HTTP tab against the embedded simulator: presets, send, response explained, history."""

from __future__ import annotations

import json

import pytest

from ui.http_tab import HttpTab


@pytest.fixture
def tab(qtbot, sim_ctx):
    w = HttpTab(sim_ctx)
    qtbot.addWidget(w)
    w.show()
    return w


def send_and_wait(tab, qtbot):
    before = tab.last_exchange
    task = tab.send()
    assert task is not None
    qtbot.waitUntil(lambda: task.done() and tab.last_exchange is not before, timeout=10000)
    return tab.last_exchange


def test_send_single_sms_preset_shows_response(tab, qtbot):
    tab.load_preset("sms-single")
    assert tab.method_box.currentText() == "POST"
    assert tab.url_edit.text() == "/sms/1/text/single"
    qtbot.waitUntil(lambda: tab.body_status.text() == "✓ valid JSON", timeout=2000)
    ex = send_and_wait(tab, qtbot)
    assert ex.response.status == 200
    assert tab.status_label.text().startswith("HTTP/1.1 200 OK")
    body = json.loads(tab.response_body.toPlainText())
    msg = body["messages"][0]
    assert msg["to"] == "41793026727" and msg["messageId"]
    status = msg["status"]
    # the status object explained from the reference tables, inline
    from console.reference import lookup

    ref = lookup("http_status", status["id"])
    assert ref.known and ref.name == status["name"]
    assert (f"messages[0].status: {ref.name} ({ref['groupName']}) — {ref.description}"
            in tab.explain_label.text())
    # history shows it (timer flush)
    qtbot.waitUntil(lambda: tab.history.rowCount() == 1, timeout=2000)
    assert tab.history.data(tab.history.index(0, 3)) == "200 OK"


def test_wrong_password_is_explained(tab, qtbot, sim_ctx):
    from ui.profiles import CUSTOM, ConnectionProfile

    sim = sim_ctx.simulator
    row = sim_ctx.profiles.upsert(ConnectionProfile("bad creds", CUSTOM, http_base_url=sim.http_url,
                                                    http_username="Aladdin", http_password="nope"))
    sim_ctx.profiles.set_current(row)
    tab.load_preset("sms-single")
    ex = send_and_wait(tab, qtbot)
    assert ex.response.status == 401
    assert "401" in tab.status_label.text()
    assert "UNAUTHORIZED" in tab.status_label.text() or "Invalid login" in tab.status_label.text()
    assert tab.status_label.text().endswith("check the profile's username/password "
                                            "(toolbar: Edit…)")


def test_invalid_json_body_is_flagged_live(tab, qtbot):
    tab.body_edit.setPlainText('{"from": "InfoSMS", "to": }')
    assert tab.validate_body() is not None
    assert tab.body_status.text().startswith("✗")
    tab.body_edit.setPlainText('{"from": "InfoSMS"}')
    assert tab.validate_body() is None


def test_xml_preset_and_response(tab, qtbot):
    tab.format_box.setCurrentText("xml")
    tab.load_preset("sms-single")
    assert tab.body_edit.toPlainText().lstrip().startswith("<")
    ex = send_and_wait(tab, qtbot)
    assert ex.response.status == 200
    assert "<messages>" in tab.response_body.toPlainText()


def test_connection_refused_is_shown_not_raised(tab, qtbot, sim_ctx):
    from ui.profiles import CUSTOM, ConnectionProfile

    row = sim_ctx.profiles.upsert(ConnectionProfile("dead", CUSTOM,
                                                    http_base_url="http://127.0.0.1:9"))
    sim_ctx.profiles.set_current(row)
    tab.load_preset("reports")
    ex = send_and_wait(tab, qtbot)
    assert ex.response is None and ex.error
    assert tab.status_label.text().startswith("✗")


def test_history_search_curl_and_har(tab, qtbot, tmp_path):
    tab.load_preset("sms-single")
    send_and_wait(tab, qtbot)
    tab.load_preset("logs")
    send_and_wait(tab, qtbot)
    qtbot.waitUntil(lambda: tab.history.rowCount() == 2, timeout=2000)
    assert tab.history.data(tab.history.index(0, 2)).endswith("/sms/1/logs")  # newest first
    tab.filter_edit.setText("text/single")
    qtbot.waitUntil(lambda: tab.history.rowCount() == 1, timeout=3000)
    assert tab.history.data(tab.history.index(0, 2)).endswith("/sms/1/text/single")
    tab.history_view.selectRow(0)
    text = tab.copy_curl()
    assert text.startswith("curl") and "/sms/1/text/single" in text
    assert "open sesame" not in text  # credentials masked
    out = tab.export_har(tmp_path / "h.har")
    har = json.loads(out.read_text())
    assert len(har["log"]["entries"]) == 1
    assert har["log"]["entries"][0]["response"]["status"] == 200


def test_history_persists_in_the_journal(qtbot, sim_ctx):
    first = HttpTab(sim_ctx)
    qtbot.addWidget(first)
    first.load_preset("sms-single")
    send_and_wait(first, qtbot)
    second = HttpTab(sim_ctx)  # a new tab (next start) reads the journal
    qtbot.addWidget(second)
    assert second.history.rowCount() == 1
    assert second.history.record(0).request.url.endswith("/sms/1/text/single")
