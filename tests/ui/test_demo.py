"""Demo mode runs to the end and fills every tab; the CLI saves one PNG per tab."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage

from ui.demo import run_demo, save_screenshots, smpp_events


def test_demo_fills_every_tab(window, run_async, tmp_path):
    steps = run_async(run_demo(window), timeout=60)
    assert steps[-1].endswith("delivery reports in the DLR viewer")
    # the count said last is the count the DLR tab shows: the story's every report is in
    # (each message's final one included), so none arrives after it
    dlr = window.tab("DLRs")
    assert steps[-1] == f"{dlr.model.rowCount()} delivery reports in the DLR viewer"
    assert dlr.count_label.text() == f"{dlr.model.rowCount()} reports"
    finals = [r for h in window.tab("Webhooks").listener.hits for r in h.reports
              if not r.intermediate]
    assert len({r.message_id for r in finals}) == 2
    assert any("webhook hits received" in s for s in steps)
    assert any(s.startswith("long UCS2 message submitted in") for s in steps)
    assert window.tab("HTTP").history.rowCount() >= 2
    assert window.tab("Webhooks").hits.rowCount() >= 3
    smpp_commands = {ev.command for ev in smpp_events(window.tab("SMPP"))}
    assert {"bind_transceiver", "submit_sm", "deliver_sm"} <= smpp_commands
    assert window.tab("DLRs").model.rowCount() >= 3
    paths = run_async(save_screenshots(window, tmp_path))
    assert [p.name for p in paths] == ["tab-http.png", "tab-smpp.png", "tab-dlrs.png",
                                       "tab-webhooks.png", "panel-reference.png",
                                       "panel-simulator.png", "main-window.png"]
    assert all(not QImage(str(p)).isNull() for p in paths)


def test_demo_command_saves_screenshots(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-m", "console", "demo", "--screenshots",
                          str(tmp_path / "shots")], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "demo finished" in out.stdout, out.stdout + out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    assert "propagateSizeHints" not in out.stdout + out.stderr  # offscreen noise is dropped
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == [
        "main-window.png", "panel-reference.png", "panel-simulator.png", "tab-dlrs.png",
        "tab-http.png", "tab-smpp.png", "tab-webhooks.png"]
