"""A tab's own status line: the latest note, or an error in red.

A tab's messages are shown in one place: here while the tab is on screen. The window's
status bar is for global messages; it gets a tab's message only when the tab is hidden
(the user is looking at another tab), so a failure in the background is still seen.
Errors always land in ``ctx.errors`` and the log.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

log = logging.getLogger(__name__)
ERROR_STYLE = "color: #c0392b; font-weight: bold"


class StatusLine(QLabel):
    """Shows notes and errors under a tab; ``ctx`` is anything with ``report_error`` /
    ``record_error`` / ``note`` (an :class:`ui.context.AppContext`), or None for a tab used
    on its own."""

    def __init__(self, ctx: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_error(self, message: str) -> None:
        """``⚠ message`` here (and in the window's status bar if the tab is hidden)."""
        self.setStyleSheet(ERROR_STYLE)
        self.setText(f"⚠ {message}")
        self.setToolTip(message)
        name = "record_error" if self.isVisible() else "report_error"
        report = getattr(self.ctx, name, None) or getattr(self.ctx, "report_error", None)
        if callable(report):
            report(message)
        else:
            log.warning("%s", message)

    def show_info(self, message: str) -> None:
        """``message`` here (and in the window's status bar if the tab is hidden)."""
        self.setStyleSheet("")
        self.setText(message)
        self.setToolTip(message)
        note = getattr(self.ctx, "note", None)
        if callable(note) and not self.isVisible():
            note(message)
