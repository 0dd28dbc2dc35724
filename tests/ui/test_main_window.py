"""The window: four tabs, docks, status bar with the simulator's addresses, saved state."""

from __future__ import annotations

from ui.main_window import MainWindow


def test_window_has_four_tabs_and_panels(window):
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["HTTP", "SMPP", "DLRs", "Webhooks"]
    assert window.composer_dock.widget() is window.composer
    assert window.reference_dock.widget() is window.reference
    assert window.profile_switcher.currentText() == "Embedded simulator"


def test_status_bar_shows_simulator_addresses(window, ctx, run_async, qtbot):
    assert window.http_label.text() == "Simulator off"
    sim = run_async(ctx.start_simulator(http_port=0, smpp_port=0))
    assert window.http_label.text() == f"Simulator HTTP {sim.http_url}"
    assert window.smpp_label.text() == f"SMPP 127.0.0.1:{sim.smpp_port}"
    assert sim.smpp_port > 0
    # the embedded profile now points at the simulator
    p = ctx.profiles.current
    assert p.http_base_url == sim.http_url and p.smpp_port == sim.smpp_port
    assert p.http_username == "Aladdin" and p.http_password == "open sesame"


def test_errors_are_shown_in_the_window(window, ctx, run_async, qtbot):
    async def boom():
        raise ValueError("port 99999 is out of range")

    ctx.spawn(boom(), "start listener")
    qtbot.waitUntil(lambda: "out of range" in window.message_label.text(), timeout=3000)
    assert window.message_label.text() == "⚠ start listener: port 99999 is out of range"


def test_last_tab_and_geometry_restored(qtbot, ctx):
    first = MainWindow(ctx)
    qtbot.addWidget(first)
    first.show()
    first.resize(640, 480)
    size = (first.size().width(), first.size().height())
    first.tabs.setCurrentIndex(3)
    first.close()
    second = MainWindow(ctx)
    qtbot.addWidget(second)
    assert second.tabs.currentIndex() == 3
    assert second.size().height() == size[1]  # width is clamped to the offscreen screen


def test_composer_and_reference_work_in_the_window(window, qtbot):
    window.composer.set_text("x" * 161)
    assert window.composer.parts_label.text().startswith("2 parts")
    window.focus_reference()
    window.reference.set_query("DELIVRD")
    assert window.reference.model.rowCount() >= 1


def test_new_custom_profile_from_the_dialog(window, ctx):
    dialog = window.edit_profile(new=True)
    dialog.name.setText("Customer staging")
    dialog.http_url.setText("https://staging.example.com")
    dialog.http_password.setText("s3cret-value")
    dialog.smpp_host.setText("smpp.example.com")
    dialog.accept()
    assert ctx.profiles.current.name == "Customer staging"
    assert window.profile_switcher.currentText() == "Customer staging"
    assert ctx.profiles.current.http_password == "s3cret-value"
    from console.paths import data_dir

    assert "s3cret-value" not in (data_dir() / "settings.ini").read_text()
    assert "staging.example.com" in (data_dir() / "settings.ini").read_text()
