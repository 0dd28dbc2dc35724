"""The window: four tabs, docks, status bar with the simulator's addresses, saved state, and
its contents built after the first paint."""

from __future__ import annotations

from ui.lazy_page import LazyPage, PlaceholderTab
from ui.main_window import MainWindow


def test_window_has_four_tabs_and_panels(window):
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["HTTP", "SMPP", "DLRs", "Webhooks"]
    composer, reference = window.composer, window.reference
    assert window.composer_dock.widget().content() is composer
    assert composer.parent() is window.composer_dock.widget()
    assert window.reference_dock.widget().content() is reference
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


def test_window_appears_first_and_builds_its_pages_after_the_first_paint(qtbot, ctx):
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    pages = [*win.pages.values(), *win.panels.values()]
    assert all(isinstance(p, LazyPage) for p in pages)
    assert not any(p.is_built for p in pages)  # the constructor makes only the frame
    order: list[str] = []
    win.when_shown(lambda: order.append(
        "job after " + ",".join(t for t, p in win.pages.items() if p.is_built)))
    with qtbot.waitSignal(win.ready, timeout=10_000):
        win.show()
    assert all(p.is_built for p in pages)
    # the current tab comes first, then the queued job, then the other tabs
    assert order == ["job after HTTP"]
    assert not any(isinstance(p.content(), PlaceholderTab) for p in pages), ctx.errors
    assert ctx.errors == []
    # a job queued once the window is ready runs at the next turn of the loop
    with qtbot.waitSignal(win.ready, timeout=5000):
        win.when_shown(lambda: order.append("late"))
    assert order[-1] == "late"


def test_a_tab_is_built_when_asked_for_or_selected(qtbot, ctx):
    win = MainWindow(ctx)  # never shown: nothing is built by the startup queue
    qtbot.addWidget(win)
    smpp = win.tab("SMPP")
    assert type(smpp).__name__ == "SmppTab" and win.pages["SMPP"].is_built
    assert not win.pages["DLRs"].is_built
    win._started = True  # as after the first paint
    win.tabs.setCurrentIndex(2)
    assert win.pages["DLRs"].is_built
    assert win.show_tab("Webhooks") is win.tab("Webhooks")
    assert win.tabs.currentIndex() == 3


def test_a_page_that_fails_to_build_says_why(qtbot, ctx):
    def broken():
        raise ValueError("no display for charts")

    page = LazyPage("Timeline", broken, on_error=ctx.report_error)
    qtbot.addWidget(page)
    widget = page.content()
    assert isinstance(widget, PlaceholderTab)
    assert widget.reason == "ValueError: no display for charts"
    assert ctx.errors == ["Timeline failed to open: no display for charts"]
    assert page.content() is widget  # built once


def test_edit_on_the_embedded_profile_offers_an_editable_copy(window, sim_ctx):
    sim = sim_ctx.simulator
    assert sim_ctx.profiles.current.kind == "embedded"
    dialog = window.edit_profile()
    assert "read-only" in dialog.note_label.text() and dialog.note_label.isVisible()
    assert dialog.name.text() == "Embedded simulator (copy)"
    assert dialog.http_url.text() == sim.http_url
    assert dialog.http_user.text() == "Aladdin" and dialog.http_password.text() == "open sesame"
    assert dialog.smpp_port.value() == sim.smpp_port
    assert dialog.system_id.text() == "Aladdin" and dialog.smpp_password.text() == "opensesa"
    dialog.accept()
    copy = sim_ctx.profiles.current
    assert (copy.name, copy.kind, copy.http_base_url) == ("Embedded simulator (copy)", "custom",
                                                          sim.http_url)
    assert sim_ctx.profiles.profiles[0].kind == "embedded"  # the original is untouched
    sim_ctx.profiles.set_current(0)
    again = window.edit_profile()
    assert again.name.text() == "Embedded simulator (copy 2)"
    again.reject()
    # a custom profile is edited in place, without the note
    sim_ctx.profiles.set_current(sim_ctx.profiles.find("Embedded simulator (copy)"))
    plain = window.edit_profile()
    assert plain.name.text() == "Embedded simulator (copy)" and not plain.note_label.text()
    plain.reject()
