"""Small layout builders the tabs share, and saving/restoring their splitters and headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QHBoxLayout, QLayout, QVBoxLayout, QWidget

Item = QWidget | QLayout | tuple[QWidget, int] | None


def vstack(*items: Item) -> QWidget:
    """A widget holding ``items`` top to bottom, without margins: a widget, a layout,
    ``(widget, stretch)``, or None for a stretch that takes the free space."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for item in items:
        if item is None:
            layout.addStretch(1)
        elif isinstance(item, tuple):
            layout.addWidget(item[0], item[1])
        elif isinstance(item, QLayout):
            layout.addLayout(item)
        else:
            layout.addWidget(item)
    return box


def form_row(spacing: int = 6) -> QHBoxLayout:
    """A row of widgets for a form whose vertical spacing is tighter than its horizontal
    one (a nested layout inherits no spacing from such a form, so it sets its own)."""
    row = QHBoxLayout()
    row.setSpacing(spacing)
    return row


def save_layout(settings: Any, parts: Mapping[str, Any]) -> None:
    """Store ``saveState()`` of each splitter or header under its settings key."""
    for key, part in parts.items():
        settings.setValue(key, part.saveState())


def restore_layout(settings: Any, parts: Mapping[str, Any]) -> None:
    """Give each splitter or header the state stored under its key (if any)."""
    for key, part in parts.items():
        state = settings.value(key)
        if isinstance(state, QByteArray | bytes) and state:
            part.restoreState(QByteArray(state))
