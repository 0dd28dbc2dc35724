"""A hex view that paints offset / hex / ASCII columns and highlights a byte range.

Clicking a byte emits :attr:`HexView.byte_clicked` with its offset (the inspector then
selects the field that owns it); :meth:`HexView.set_selection` highlights a field's bytes.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFontDatabase, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

BYTES_PER_LINE = 16
_OFFSET_CHARS = 6  # "0000  "
_HEX_START = _OFFSET_CHARS
_ASCII_START = _HEX_START + BYTES_PER_LINE * 3 + 2
_MARGIN = 4


def hex_char_column(col: int) -> int:
    """Character column of the hex digits of byte ``col`` (0–15) in a line."""
    return _HEX_START + col * 3 + (1 if col >= 8 else 0)


class HexView(QAbstractScrollArea):
    """Offset, hex and ASCII of a PDU's bytes, with one highlighted range."""

    byte_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setObjectName("hexView")
        self._data = b""
        self._sel: tuple[int, int] = (0, 0)
        self.setMouseTracking(False)
        self.setToolTip("Click a byte to select the field it belongs to")

    # ------------------------------------------------------------------ data

    @property
    def data(self) -> bytes:
        return self._data

    def set_data(self, data: bytes) -> None:
        """Show ``data`` (clears the highlight)."""
        self._data = bytes(data)
        self._sel = (0, 0)
        self._update_scroll()
        self.viewport().update()

    @property
    def selected(self) -> tuple[int, int]:
        """(offset, length) of the highlighted range; length 0 when nothing is."""
        return self._sel

    def set_selection(self, offset: int, length: int) -> None:
        """Highlight ``length`` bytes from ``offset`` and scroll them into view."""
        offset = max(0, min(offset, len(self._data)))
        length = max(0, min(length, len(self._data) - offset))
        self._sel = (offset, length)
        if length:
            line = offset // BYTES_PER_LINE
            bar = self.verticalScrollBar()
            rows = max(1, self.viewport().height() // self._line_height())
            if line < bar.value() or line >= bar.value() + rows:
                bar.setValue(max(0, line - 1))
        self.viewport().update()

    def highlighted_bytes(self) -> bytes:
        off, n = self._sel
        return self._data[off:off + n]

    # ------------------------------------------------------------------ geometry

    def _char_width(self) -> int:
        return max(1, self.fontMetrics().horizontalAdvance("0"))

    def _line_height(self) -> int:
        return self.fontMetrics().height() + 2

    def _lines(self) -> int:
        return (len(self._data) + BYTES_PER_LINE - 1) // BYTES_PER_LINE

    def _update_scroll(self) -> None:
        rows = max(1, self.viewport().height() // self._line_height())
        self.verticalScrollBar().setRange(0, max(0, self._lines() - rows))
        self.verticalScrollBar().setPageStep(rows)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._update_scroll()

    def sizeHint(self) -> QSize:
        cw = self._char_width()
        return QSize((_ASCII_START + BYTES_PER_LINE + 2) * cw + 2 * _MARGIN + 20,
                     8 * self._line_height())

    def byte_rect(self, offset: int) -> QRect:
        """Viewport rectangle of byte ``offset``'s hex digits (for clicks and tests)."""
        line, col = divmod(offset, BYTES_PER_LINE)
        cw, lh = self._char_width(), self._line_height()
        y = (line - self.verticalScrollBar().value()) * lh + _MARGIN
        return QRect(_MARGIN + hex_char_column(col) * cw, y, 2 * cw, lh)

    def ascii_rect(self, offset: int) -> QRect:
        """Viewport rectangle of byte ``offset``'s ASCII character."""
        line, col = divmod(offset, BYTES_PER_LINE)
        cw, lh = self._char_width(), self._line_height()
        y = (line - self.verticalScrollBar().value()) * lh + _MARGIN
        return QRect(_MARGIN + (_ASCII_START + col) * cw, y, cw, lh)

    def byte_at(self, pos: QPoint) -> int | None:
        """Offset of the byte under ``pos`` (hex or ASCII column), or None."""
        cw, lh = self._char_width(), self._line_height()
        line = (pos.y() - _MARGIN) // lh + self.verticalScrollBar().value()
        if pos.y() < _MARGIN or line < 0:
            return None
        char = (pos.x() - _MARGIN) // cw
        col: int | None = None
        if _ASCII_START <= char < _ASCII_START + BYTES_PER_LINE:
            col = char - _ASCII_START
        else:
            for c in range(BYTES_PER_LINE):
                start = hex_char_column(c)
                if start <= char < start + 2:
                    col = c
                    break
        if col is None:
            return None
        offset = line * BYTES_PER_LINE + col
        return offset if offset < len(self._data) else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        offset = self.byte_at(event.position().toPoint())
        if offset is not None and event.button() == Qt.MouseButton.LeftButton:
            self.byte_clicked.emit(offset)
        super().mousePressEvent(event)

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self.viewport())
        pal = self.palette()
        p.fillRect(self.viewport().rect(), pal.color(QPalette.ColorRole.Base))
        cw, lh = self._char_width(), self._line_height()
        ascent = self.fontMetrics().ascent()
        first = self.verticalScrollBar().value()
        rows = self.viewport().height() // lh + 1
        text = pal.color(QPalette.ColorRole.Text)
        dim = pal.color(QPalette.ColorRole.PlaceholderText)
        hl_bg = pal.color(QPalette.ColorRole.Highlight)
        hl_fg = pal.color(QPalette.ColorRole.HighlightedText)
        s_off, s_len = self._sel
        data = self._data
        for line in range(first, min(self._lines(), first + rows)):
            y = (line - first) * lh + _MARGIN
            base = line * BYTES_PER_LINE
            p.setPen(dim)
            p.drawText(_MARGIN, y + ascent, f"{base:04x}")
            for col in range(min(BYTES_PER_LINE, len(data) - base)):
                off = base + col
                b = data[off]
                hx = _MARGIN + hex_char_column(col) * cw
                ax = _MARGIN + (_ASCII_START + col) * cw
                chosen = s_off <= off < s_off + s_len
                if chosen:
                    # join the highlight across the gap to the next selected byte on this line
                    more = off + 1 < s_off + s_len and col + 1 < BYTES_PER_LINE
                    width = (hex_char_column(col + 1) - hex_char_column(col)) * cw if more else 2 * cw
                    p.fillRect(hx, y, width, lh, hl_bg)
                    p.fillRect(ax, y, cw, lh, hl_bg)
                p.setPen(hl_fg if chosen else text)
                p.drawText(hx, y + ascent, f"{b:02x}")
                p.setPen(hl_fg if chosen else (text if 32 <= b < 127 else dim))
                p.drawText(ax, y + ascent, chr(b) if 32 <= b < 127 else "·")
        p.end()
