"""A hex dump view: 16 bytes a line with offsets and ASCII; highlights a byte range and tells
which byte was clicked (the SMPP inspector links it to the decode tree)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

WIDTH = 16
_PREFIX = 6  # "0000  "
HIGHLIGHT = QColor(60, 130, 220, 120)  # translucent: readable on light and dark themes


def hex_column(i: int) -> int:
    """Column of the first hex digit of byte ``i`` (0..15) of a line."""
    return _PREFIX + i * 3 + (1 if i >= 8 else 0)


def dump(data: bytes) -> str:
    """The text of the view: ``offset  hex bytes  |ascii|`` lines."""
    lines = []
    for off in range(0, len(data), WIDTH):
        chunk = data[off:off + WIDTH]
        hexes = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hexes += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:04x}  {hexes:<{hex_column(WIDTH) - _PREFIX}} |{text}|")
    return "\n".join(lines)


class HexView(QPlainTextEdit):
    """Read-only hex dump with :meth:`highlight` and a :attr:`byte_clicked` signal."""

    byte_clicked = Signal(int)  # offset of the clicked byte

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self.data = b""
        self.selected: tuple[int, int] | None = None

    def set_data(self, data: bytes) -> None:
        self.data = bytes(data)
        self.selected = None
        self.setPlainText(dump(self.data))

    def offset_at(self, block: int, column: int) -> int | None:
        """The byte offset under (line, column), or None outside the bytes."""
        for i in range(WIDTH):
            start = hex_column(i)
            if start <= column < start + 2:
                off = block * WIDTH + i
                return off if off < len(self.data) else None
        ascii_start = hex_column(WIDTH) + 2
        if ascii_start <= column < ascii_start + WIDTH:
            off = block * WIDTH + column - ascii_start
            return off if off < len(self.data) else None
        return None

    def highlight(self, offset: int, length: int) -> None:
        """Mark ``length`` bytes from ``offset`` (hex and ASCII columns) and scroll to them."""
        self.selected = (offset, length)
        selections = []
        fmt = QTextCharFormat()
        fmt.setBackground(HIGHLIGHT)
        end = min(offset + max(length, 0), len(self.data))
        doc = self.document()
        first_cursor = None
        for off in range(offset, end):
            line, i = divmod(off, WIDTH)
            block = doc.findBlockByNumber(line)
            if not block.isValid():
                break
            for col, width in ((hex_column(i), 2), (hex_column(WIDTH) + 2 + i, 1)):
                cur = QTextCursor(block)
                cur.setPosition(block.position() + col)
                cur.setPosition(block.position() + col + width, QTextCursor.MoveMode.KeepAnchor)
                sel = QTextEdit.ExtraSelection()
                sel.format = fmt
                sel.cursor = cur
                selections.append(sel)
                first_cursor = first_cursor or QTextCursor(cur)
        self.setExtraSelections(selections)
        if first_cursor is not None:
            self.setTextCursor(first_cursor)
            self.ensureCursorVisible()

    def highlighted_bytes(self) -> bytes:
        if self.selected is None:
            return b""
        off, length = self.selected
        return self.data[off:off + length]

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            cur = self.cursorForPosition(event.position().toPoint())
            self.click_at(cur.blockNumber(), cur.positionInBlock())

    def click_at(self, block: int, column: int) -> int | None:
        off = self.offset_at(block, column)
        if off is not None:
            self.byte_clicked.emit(off)
        return off
