"""The simulator panel: scenarios, live message store, MO injection, time scale, faults."""

from __future__ import annotations

import pytest

from ui.simulator_panel import SimulatorPanel


@pytest.fixture
def panel(qtbot, sim_ctx):
    w = SimulatorPanel(sim_ctx)
    qtbot.addWidget(w)
    return w


def test_scenarios_and_accounts_shown(panel, sim_ctx):
    names = [panel.scenarios.record(r).name for r in range(panel.scenarios.rowCount())]
    assert "delivered" in names and "absent_then_delivered" in names
    row = names.index("absent_then_delivered")
    assert panel.scenarios.data(panel.scenarios.index(row, 1)) == "0001"
    assert "err 27" in panel.scenarios.data(panel.scenarios.index(row, 2))
    assert sim_ctx.simulator.http_url in panel.state_label.text()
    assert "Aladdin / ***" in panel.state_label.text()       # masked by default
    assert "open sesame" not in panel.state_label.text()
    panel.show_passwords.setChecked(True)
    assert "Aladdin / open sesame" in panel.state_label.text()


def test_submitted_message_appears_and_updates(panel, qtbot, sim_ctx, run_async):
    from console.http import HttpClient

    sim = sim_ctx.simulator
    panel.scale_spin.setValue(6000.0)  # the 5 simulated seconds to delivery pass at once
    assert sim.clock.scale == 6000.0

    async def send():
        async with HttpClient(sim.http_url, "Aladdin", "open sesame") as c:
            return await c.send_sms("41793026727", "hi")

    ex = run_async(send())
    mid = ex.message_ids()[0]
    qtbot.waitUntil(lambda: panel.messages.rowCount() == 1, timeout=3000)
    col = panel.messages.titles.index
    assert panel.messages.data(panel.messages.index(0, col("message id"))) == mid
    qtbot.waitUntil(lambda: panel.messages.data(panel.messages.index(0, col("status")))
                    == "DELIVERED_TO_HANDSET", timeout=10000)


def test_time_scale_changed_elsewhere_is_shown(panel, qtbot, sim_ctx):
    sim_ctx.simulator.clock.scale = 1234.0
    qtbot.waitUntil(lambda: panel.scale_spin.value() == 1234.0, timeout=2000)


def test_inject_mo(panel, sim_ctx):
    panel.mo_text.setText("STOP please")
    mo = panel.inject_mo()
    assert mo is not None and mo.text == "STOP please"
    assert mo.to == panel.mo_to.text()
    panel.mo_to.setText("")
    panel.mo_from.setText("")
    assert panel.inject_mo() is None  # bad input is reported, not raised
    assert sim_ctx.errors[-1].startswith("inject MO: enter the sender")


def test_faults_applied_and_cleared(panel, sim_ctx):
    faults = sim_ctx.simulator.smsc.faults
    panel.delay_spin.setValue(250)
    panel.fail_count.setValue(2)
    panel.fail_status.setCurrentIndex(panel.fail_status.findData(0x58))
    panel.stop_receipts.setChecked(True)
    panel.apply_faults()
    assert faults.response_delay_ms == 250 and faults.submit_failures_left == 2
    assert faults.submit_status == 0x58 and faults.receipts_stopped
    panel.clear_faults()
    assert faults.to_dict()["response_delay_ms"] == 0 and not faults.receipts_stopped


def test_stop_and_start_from_the_panel(panel, qtbot, sim_ctx):
    panel.start_button.click()
    qtbot.waitUntil(lambda: sim_ctx.simulator is None and panel.start_button.isEnabled(),
                    timeout=5000)
    assert panel.start_button.text() == "Start"
    assert panel.state_label.text() == "Simulator off"


def test_http_faults_from_the_panel(panel, sim_ctx, run_async):
    from console.http import HttpClient

    sim = sim_ctx.simulator

    async def send():
        async with HttpClient(sim.http_url, "Aladdin", "open sesame") as c:
            return await c.send_sms("41793026727", "hi")

    panel.http_error_rate.setValue(100)
    panel.http_error_status.setCurrentIndex(panel.http_error_status.findData(500))
    panel.http_latency.setValue(20)
    panel.apply_http_faults()
    config = sim.http_faults.config
    assert (config.error_rate, config.error_status, config.latency_ms) == (1.0, 500, 20)
    assert run_async(send()).status == 500  # Infobip's error body, nothing stored
    assert len(list(sim.platform.store)) == 0
    panel.http_drop_rate.setValue(60)
    panel.apply_http_faults()  # 100 % + 60 % > 1: refused, shown in the window
    assert sim_ctx.errors[-1].startswith("HTTP faults:")
    assert sim.http_faults.config.drop_rate == 0.0
    panel.clear_http_faults()
    assert not sim.http_faults.active and panel.http_error_rate.value() == 0
    assert run_async(send()).status == 200
