"""Monospaced text panes for bodies, headers, raw requests and timings."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPlainTextEdit


def mono_font() -> QFont:
    f = QFont("monospace")
    f.setStyleHint(QFont.StyleHint.Monospace)
    return f


def text_view(*, read_only: bool = True, placeholder: str = "") -> QPlainTextEdit:
    """A monospaced plain-text pane (read-only unless told otherwise)."""
    view = QPlainTextEdit()
    view.setReadOnly(read_only)
    view.setFont(mono_font())
    if placeholder:
        view.setPlaceholderText(placeholder)
    return view
