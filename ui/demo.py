"""Demo mode: a scripted story against the embedded simulator that fills every tab.

HTTP single send → HTTP advanced with notifyUrl and intermediate reports → webhook hits →
SMPP bind (transceiver), a long UCS2 message → receipts → the DLR viewer shows them all.
``infobip-console demo --screenshots DIR`` runs it offscreen and saves one PNG per tab.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

LONG_UCS2 = ("Привет! Это длинное сообщение в UCS2 из демо-режима консоли Infobip: "
             "оно не помещается в одну SMS, поэтому уходит несколькими частями с UDH, "
             "а квитанции о доставке приходят по каждой части. 😀")
Step = Callable[[str], None]


class DemoError(RuntimeError):
    """A step of the demo did not produce what it should."""


async def _wait(cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise DemoError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def run_demo(window: Any, progress: Step | None = None) -> list[str]:
    """Run the story on ``window`` (a MainWindow); returns the steps done. Raises DemoError."""
    ctx = window.ctx
    done: list[str] = []

    def step(text: str) -> None:
        done.append(text)
        ctx.note(f"demo: {text}")
        if progress is not None:
            progress(text)

    async def wait_task(task: Any, what: str) -> Any:
        if task is None:
            raise DemoError(f"{what}: {ctx.errors[-1] if ctx.errors else 'not started'}")
        result = await task
        await asyncio.sleep(0.1)  # let the tab's done-callbacks paint
        return result

    if ctx.simulator is None:
        await ctx.start_simulator()
    sim = ctx.simulator
    sim.clock.scale = 1200.0  # minutes of simulated delivery pass in about a second
    ctx.profiles.set_current(0)
    step(f"simulator at {sim.http_url}, SMPP port {sim.smpp_port}")

    http, hooks = window.tab("HTTP"), window.tab("Webhooks")
    listener = getattr(hooks, "listener", None)
    if listener is None:
        raise DemoError("the Webhooks tab is not available")
    if not listener.running:
        await wait_task(hooks.start(), "webhook listener")
    window.show_tab("HTTP")
    http.load_preset("sms-single")
    ex = await wait_task(http.send(), "HTTP single send")
    if not ex.ok:
        raise DemoError(f"single send failed: {ex.error_message}")
    step("HTTP /sms/1/text/single sent")

    body = {"bulkId": f"DEMO-{int(time.time())}", "messages": [{
        "from": "InfoSMS", "destinations": [{"to": "41793026727"}, {"to": "41793020001"}],
        "text": "Demo: one delivered, one absent subscriber first (intermediate report).",
        "intermediateReport": True, "notifyUrl": f"{listener.url}/dlr",
        "notifyContentType": "application/json", "callbackData": "demo"}]}
    http.load_preset("sms-advanced")
    http.body_edit.setPlainText(json.dumps(body, indent=2))
    start = listener.count  # before sending: at this time scale reports come back at once
    first_hit = max((h.id for h in listener.hits), default=0)
    ex = await wait_task(http.send(), "HTTP advanced send")
    if not ex.ok:
        raise DemoError(f"advanced send failed: {ex.error_message}")
    step("HTTP /sms/1/text/advanced sent with notifyUrl and intermediateReport")
    pushed = set(ex.message_ids())

    def run_hits() -> list[Any]:
        return [h for h in list(listener.hits) if h.id > first_hit]

    # every message's final report (the absent subscriber's comes after its intermediate
    # ones), so no report of this story arrives after the counts below
    await _wait(lambda: pushed <= {r.message_id for h in run_hits() for r in h.reports
                                   if not r.intermediate},
                "the final webhook reports of both messages")
    step(f"{listener.count - start} webhook hits received")
    webhook_reports = sum(len(h.reports) for h in run_hits())
    _select_first(hooks.hits_view, hooks.proxy, hooks.hits, None)
    window.composer.set_text(LONG_UCS2)

    smpp = window.tab("SMPP")
    if hasattr(smpp, "bind"):
        if hasattr(smpp, "load_profile"):
            smpp.load_profile(ctx.profiles.current)
        await wait_task(smpp.bind(), "SMPP bind")
        if smpp.session is None or not smpp.session.bound:
            raise DemoError("SMPP bind failed")
        step("SMPP bound as transceiver")
        getattr(smpp, "form", smpp).text_edit.setPlainText(LONG_UCS2)
        ids = await wait_task(smpp.submit(), "SMPP submit")
        step(f"long UCS2 message submitted in {len(ids)} parts")

        def n_receipts() -> int:
            return sum(1 for ev in smpp_events(smpp) if ev.command == "deliver_sm")

        await _wait(lambda: n_receipts() >= len(ids), "SMPP delivery receipts")
        step(f"{n_receipts()} receipts (deliver_sm) received")
        await asyncio.sleep(0.2)  # the list shows batches on its timer
        shown = smpp.commands() if hasattr(smpp, "commands") else []
        if "submit_sm" in shown and hasattr(smpp, "select_row"):
            smpp.select_row(shown.index("submit_sm"))
            if hasattr(smpp, "select_field"):
                smpp.select_field("short_message")  # its bytes light up in the hex view
        receipts = n_receipts()
    else:
        receipts = 0
    dlr = window.tab("DLRs")
    if hasattr(dlr, "model"):
        expected = webhook_reports + receipts  # fewer with an old journal paged in
        await _wait(lambda: dlr.model.rowCount() >= min(expected, 100),
                    f"{expected} reports in the DLR viewer")
        await _settle(dlr.model.rowCount, "the DLR viewer")
        step(f"{dlr.model.rowCount()} delivery reports in the DLR viewer")
        dlr.view.selectRow(0)
    return done


async def _settle(value: Callable[[], Any], what: str, quiet: float = 0.5) -> None:
    """Wait until ``value()`` has not changed for ``quiet`` seconds."""
    deadline = time.monotonic() + 20.0
    last, since = value(), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise DemoError(f"{what} kept changing")
        await asyncio.sleep(0.05)
        now = value()
        if now != last:
            last, since = now, time.monotonic()


def smpp_events(tab: Any) -> list[Any]:
    """Every PDU event the SMPP tab holds (whichever SMPP tab module is in use)."""
    model = getattr(tab, "model", None)
    if model is not None and callable(getattr(model, "events", None)):
        return list(model.events())
    return list(tab.events.records)


def _select_first(view: Any, proxy: Any, model: Any, command: str | None) -> None:
    """Select the first row (whose record has ``command``, if given) for the screenshots."""
    for row in range(model.rowCount()):
        if command is None or getattr(model.record(row), "command", None) == command:
            index = proxy.mapFromSource(model.index(row, 0))
            if index.isValid():
                view.selectRow(index.row())
            return


async def save_screenshots(window: Any, directory: str | Path) -> list[Path]:
    """One PNG per tab (``tab-http.png``, ``tab-smpp.png``, ``tab-dlrs.png``,
    ``tab-webhooks.png``), then ``panel-reference.png``, ``panel-simulator.png`` and
    ``main-window.png`` (with the composer) — the names README shows."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    docks = [d for d in (window.composer_dock, window.reference_dock, window.simulator_dock) if d]
    for d in docks:  # each tab gets the whole window
        d.hide()
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        await asyncio.sleep(0.2)  # let the tab lay itself out and paint (events run meanwhile)
        path = out / f"tab-{window.tabs.tabText(i).lower()}.png"
        if not window.grab().save(str(path)):
            raise DemoError(f"cannot write {path}")
        paths.append(path)
    # the panels over the HTTP tab: reference search and the simulator, wide enough for
    # their tables; then the window as a first run shows it (the composer beside the tabs)
    window.tabs.setCurrentIndex(0)
    window.reference.set_query("EC_ABSENT_SUBSCRIBER")
    for name, dock in (("panel-reference", window.reference_dock),
                       ("panel-simulator", window.simulator_dock),
                       ("main-window", window.composer_dock)):
        if dock is None:
            continue
        if name == "main-window" and hasattr(window, "apply_first_run_layout"):
            window.apply_first_run_layout()
        else:
            for d in docks:
                d.show()
            window.resizeDocks(docks, [int(window.width() * 0.42)] * len(docks),
                               Qt.Orientation.Horizontal)
        dock.show()
        dock.raise_()
        await asyncio.sleep(0.2)
        path = out / f"{name}.png"
        if not window.grab().save(str(path)):
            raise DemoError(f"cannot write {path}")
        paths.append(path)
    return paths


def run_demo_app(screenshots: str | None = None) -> int:
    """``infobip-console demo``: open the window, run the story, optionally save screenshots
    and exit (non-zero if a step failed)."""
    import tempfile

    import qasync
    from PySide6.QtCore import QSettings

    from console.journal import Journal
    from ui.app import make_application
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.profiles import SecretStore

    app = make_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if screenshots:  # pictures of this run only: no saved layout, history or keyring
        ctx = AppContext(settings=QSettings(str(Path(tempfile.mkdtemp()) / "demo.ini"),
                                            QSettings.Format.IniFormat),
                         journal=Journal(Path(tempfile.mkdtemp()) / "demo.sqlite"),
                         secrets=SecretStore(use_keyring=False))
    else:
        ctx = AppContext()
    _quiet_offscreen_warnings()
    window = MainWindow(ctx)
    if screenshots:  # the size the README's pictures have (else the user's saved one)
        window.resize(1680, 940)
    window.show()
    app.setQuitOnLastWindowClosed(False)

    async def main() -> int:
        code = 0
        try:
            steps = await run_demo(window, progress=lambda s: print(f"✓ {s}", flush=True))
            print(f"demo finished: {len(steps)} steps")
            if screenshots:
                for p in await save_screenshots(window, screenshots):
                    print(f"saved {p}")
        except Exception as exc:
            print(f"demo failed: {exc}", flush=True)
            code = 1
        if screenshots or code:
            window.close()
        else:  # interactive: leave the window open until the user closes it
            closed = asyncio.Event()
            app.lastWindowClosed.connect(closed.set)
            await closed.wait()
        await ctx.aclose()
        return code

    with loop:
        return int(loop.run_until_complete(main()))


_HANDLER: list[Any] = []  # the installed Qt message handler (kept alive)
_NOISE = ("This plugin does not support propagateSizeHints()",)


def _quiet_offscreen_warnings() -> None:
    """Drop Qt's warnings that say nothing to a demo's user (the offscreen platform has no
    window manager to tell size hints to); every other message goes on as before."""
    from PySide6.QtCore import qInstallMessageHandler

    if _HANDLER:
        return

    def handler(mode: Any, context: Any, message: str) -> None:
        if message.strip() in _NOISE:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)
    _HANDLER.append(handler)


async def run_in_window(window: Any) -> None:
    """The menu action: run the story, errors shown in the window."""
    try:
        await run_demo(window)
        window.ctx.note("demo finished: every tab has data")
    except Exception as exc:
        window.ctx.report_error(f"demo: {exc}")

