"""A tab's own status line: the latest note, or an error in red that the window shows too."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

log = logging.getLogger(__name__)
ERROR_STYLE = "color: #c0392b; font-weight: bold"


class StatusLine(QLabel):
    """Shows notes and errors under a tab; both also go to the window through ``ctx``
    (anything with ``report_error``/``note``, or None for a tab used on its own)."""

    def __init__(self, ctx: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_error(self, message: str) -> None:
        """``⚠ message`` here and in the window's status bar."""
        self.setStyleSheet(ERROR_STYLE)
        self.setText(f"⚠ {message}")
        report = getattr(self.ctx, "report_error", None)
        if callable(report):
            report(message)
        else:
            log.warning("%s", message)

    def show_info(self, message: str) -> None:
        self.setStyleSheet("")
        self.setText(message)
        note = getattr(self.ctx, "note", None)
        if callable(note):
            note(message)
