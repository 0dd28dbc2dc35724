"""A progress line for long work (bulk sends, big captures): text, a bar and Cancel.

The work only writes :attr:`ProgressStrip.done` (an int; cheap enough to do per message); a
timer paints it a few times a second, so thousands of updates a second cost the UI nothing.
With no total the bar is a busy indicator. Hidden while idle.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

REFRESH_MS = 100


class ProgressStrip(QWidget):
    """``start(text, total)``, then set :attr:`done`; ``finish()`` hides it. Cancel emits
    :attr:`cancelled` (the owner stops its work)."""

    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.done = 0
        self.total: int | None = None
        self.text = ""
        self._started = 0.0
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMinimumWidth(120)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop (Esc); what is done so far is kept")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar, 2)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancel)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self.hide()

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self, text: str, total: int | None = None) -> None:
        """Show ``text`` and a bar to ``total`` (None: a busy indicator)."""
        self.text, self.total, self.done = text, total, 0
        self._started = time.monotonic()
        self.bar.setRange(0, total if total else 0)
        self.cancel_button.setEnabled(True)
        self.refresh()
        self.show()
        self._timer.start()

    def refresh(self) -> None:
        elapsed = time.monotonic() - self._started
        if self.total:
            self.bar.setValue(min(self.done, self.total))
            rate = f", {self.done / elapsed:,.0f}/s" if elapsed > 0.5 and self.done else ""
            self.label.setText(f"{self.text} {self.done:,} of {self.total:,}{rate}")
        else:
            self.label.setText(f"{self.text} ({elapsed:.0f} s)" if elapsed >= 1 else self.text)

    def cancel(self) -> None:
        if self.active:
            self.cancel_button.setEnabled(False)
            self.cancelled.emit()

    def finish(self) -> None:
        self._timer.stop()
        self.hide()
