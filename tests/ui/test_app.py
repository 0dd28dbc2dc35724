"""``run_app`` opens the window on the embedded simulator and exits cleanly when closed."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ui.app import make_application, run_app
app = make_application()
def close():
    w = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "MainWindow")
    if w.ctx.simulator is None and not w.ctx.simulator_error:
        QTimer.singleShot(200, close)  # still starting
        return
    print("STATUS", w.http_label.text(), "|", w.smpp_label.text(), flush=True)
    print("TABS", [w.tabs.tabText(i) for i in range(w.tabs.count())], flush=True)
    w.close()
QTimer.singleShot(500, close)
sys.exit(run_app(start_simulator=True))
"""


def test_run_app_starts_simulator_and_closes(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "INFOBIP_CONSOLE_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         env=env, timeout=60, cwd=os.getcwd())
    assert out.returncode == 0, out.stderr
    assert "STATUS Simulator HTTP http://127.0.0.1:" in out.stdout
    assert "| SMPP 127.0.0.1:" in out.stdout
    assert "TABS ['HTTP', 'SMPP', 'DLRs', 'Webhooks']" in out.stdout
    assert (tmp_path / "settings.ini").exists()  # window state saved on close
