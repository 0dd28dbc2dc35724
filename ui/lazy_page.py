"""A page of the window (a tab or a dock) whose widget is built the first time it is needed.

The main window shows its frame, tab bar and docks with these pages first and builds their
contents after the first paint, one per event-loop turn, so the window appears at once
instead of after every tab's imports and widgets.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

log = logging.getLogger(__name__)


class PlaceholderTab(QWidget):
    """Shown instead of a tab or panel that could not be built; says why."""

    def __init__(self, title: str, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason = reason
        label = QLabel(f"<h3>{title}</h3><p>This tab is not available yet.</p>"
                       f"<pre>{reason}</pre>")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        QVBoxLayout(self).addWidget(label)


class LazyPage(QWidget):
    """Holds the widget ``factory()`` returns, made on the first :meth:`content` call.

    A factory that raises is replaced by a :class:`PlaceholderTab` saying why (and
    ``on_error`` is told), so a broken page never keeps the window from working.
    """

    def __init__(self, title: str, factory: Callable[[], QWidget],
                 on_error: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self._factory: Callable[[], QWidget] | None = factory
        self._on_error = on_error
        self._content: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._loading = QLabel(f"Loading {title}…")
        self._loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._loading.setEnabled(False)  # drawn in the palette's disabled (muted) text colour
        self._layout.addWidget(self._loading)

    @property
    def is_built(self) -> bool:
        return self._content is not None

    def content(self) -> QWidget:
        """The page's widget, built now if it was not yet."""
        if self._content is None:
            factory, self._factory = self._factory, None
            assert factory is not None
            try:
                widget = factory()
            except Exception as exc:  # a broken page must not keep the window from opening
                log.error("building %s failed:\n%s", self.title, traceback.format_exc())
                if self._on_error is not None:
                    self._on_error(f"{self.title} failed to open: {exc}")
                widget = PlaceholderTab(self.title, f"{type(exc).__name__}: {exc}")
            self._loading.hide()
            self._loading.deleteLater()
            self._layout.addWidget(widget)
            widget.show()  # a child added to a shown page would only appear a loop turn later
            self._content = widget
        return self._content
