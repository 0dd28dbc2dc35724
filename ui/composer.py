"""The composer: type or paste a text and see how it goes on the air.

Chosen encoding and data_coding, the characters that force UCS2 (highlighted in the text),
the ones that cost two septets (GSM escape table), septet/octet counts, the number of parts,
and each part with its UDH in hex. Everything comes from :func:`console.encoding.split_text`;
this widget only shows it, and updates as you type.
"""

from __future__ import annotations

import random
import unicodedata
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.models import Column, LiveTableModel

# (label, encoding argument of split_text)
ENCODINGS = [("Auto (smallest)", None), ("GSM 7-bit", "gsm7"), ("Latin-1 (data_coding 3)", "latin1"),
             ("UCS2", "ucs2")]
LANGUAGES = [("No national shift", None), ("Turkish", "TR"), ("Spanish", "ES"),
             ("Portuguese", "PT")]
CONCATS = [("UDH, 8-bit reference", "udh8"), ("UDH, 16-bit reference", "udh16"),
           ("SAR TLVs", "sar"), ("message_payload (SMSC splits)", "payload")]
FORCING_COLOR = QColor(230, 60, 60, 110)  # translucent: readable on light and dark themes
ESCAPED_COLOR = QColor(240, 190, 40, 110)


def _char_name(c: str) -> str:
    try:
        return unicodedata.name(c)
    except ValueError:
        return f"U+{ord(c):04X}"


def _octets_tip(p: Any) -> str:
    return f"short_message ({len(p.short_message)} octets): {p.short_message.hex(' ').upper()}"


def _udh_tip(p: Any) -> str:
    if not p.udh:
        return _octets_tip(p)
    return ("UDH: UDHL, then information elements — 00 = concatenation with an 8-bit reference "
            "(ref, total, seq), 08 = 16-bit reference, 24/25 = national language single/locking "
            "shift")


COL_TEXT = 5  # the parts table's text column


class PartsModel(LiveTableModel):
    """One row per SMS part: sequence, characters, length, UDH hex, SAR values, text."""

    def __init__(self, parent: Any = None) -> None:
        self._unit = ""
        columns = (
            Column("#", lambda p: f"{p.seq}/{p.total}", _octets_tip),
            Column("chars", lambda p: len(p.text), _octets_tip),
            Column("length", lambda p: f"{p.units} {self._unit}", _octets_tip),
            Column("UDH (hex)", lambda p: p.udh.hex(" ").upper() or "—", _udh_tip),
            Column("SAR (ref/total/seq)", lambda p: "/".join(map(str, p.sar)) if p.sar else "—",
                   _octets_tip),
            Column("text", lambda p: p.text.replace("\n", "⏎"), _octets_tip),
        )
        super().__init__(columns, interval_ms=None, parent=parent)

    def set_parts(self, parts: list[Any], unit: str) -> None:
        self._unit = unit
        self.set_records(parts)

    def part(self, row: int) -> Any:
        return self.record(row)


class ComposerPanel(QWidget):
    """Text in, encoding/parts preview out (updates as you type)."""

    result_changed = Signal(object)  # SplitResult or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: Any = None
        self.error: str | None = None
        self._ref = random.randint(1, 255)  # stable while composing, so the UDH hex does not jump

        self.encoding_box = QComboBox()
        for label, value in ENCODINGS:
            self.encoding_box.addItem(label, value)
        self.encoding_box.setToolTip("Auto picks the encoding that needs the fewest SMS")
        self.language_box = QComboBox()
        for label, value in LANGUAGES:
            self.language_box.addItem(label, value)
        self.language_box.setToolTip("GSM 7-bit national language shift tables (3GPP TS 23.038)")
        self.concat_box = QComboBox()
        for label, value in CONCATS:
            self.concat_box.addItem(label, value)
        self.concat_box.setToolTip("How a long text is concatenated")
        for box in (self.encoding_box, self.language_box, self.concat_box):
            # the panel is a narrow dock: the boxes shrink (their lists show whole names)
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(7)
            box.view().setMinimumWidth(box.view().sizeHintForColumn(0) + 24)

        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Type or paste a message text…")
        self.editor.setTabChangesFocus(True)

        self.encoding_label = QLabel()
        self.counts_label = QLabel()
        self.parts_label = QLabel()
        self.forcing_label = QLabel()
        self.forcing_label.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #d03030")
        for lab in (self.encoding_label, self.counts_label, self.parts_label, self.forcing_label):
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setWordWrap(True)

        self.parts_model = PartsModel(self)
        self.parts_view = QTableView()
        self.parts_view.setModel(self.parts_model)
        self.parts_view.verticalHeader().hide()
        self.parts_view.setWordWrap(False)
        self.parts_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        header = self.parts_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        # each part's text right after its length (a narrow dock shows it), then UDH and SAR
        header.moveSection(header.visualIndex(COL_TEXT), 3)
        header.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(COL_TEXT, self.fontMetrics().horizontalAdvance("x" * 22))

        options = QHBoxLayout()
        options.addWidget(self.encoding_box, 1)
        options.addWidget(self.language_box, 1)
        options.addWidget(self.concat_box, 1)
        summary = QFormLayout()
        summary.addRow("Encoding:", self.encoding_label)
        summary.addRow("Length:", self.counts_label)
        summary.addRow("Parts:", self.parts_label)
        summary.addRow("Forces UCS2:", self.forcing_label)
        layout = QVBoxLayout(self)
        layout.addLayout(options)
        layout.addWidget(self.editor, 2)
        layout.addLayout(summary)
        layout.addWidget(self.message_label)
        layout.addWidget(self.parts_view, 3)

        self.editor.textChanged.connect(self.update_preview)
        for box in (self.encoding_box, self.language_box, self.concat_box):
            box.currentIndexChanged.connect(self.update_preview)
        self.update_preview()

    # ------------------------------------------------------------------ API

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        self.editor.setPlainText(text)

    def set_encoding(self, value: str | None) -> None:
        self.encoding_box.setCurrentIndex(max(0, self.encoding_box.findData(value)))

    def set_concat(self, value: str) -> None:
        self.concat_box.setCurrentIndex(max(0, self.concat_box.findData(value)))

    # ------------------------------------------------------------------ preview

    def update_preview(self) -> None:
        from console.encoding import split_text

        text = self.text()
        try:
            result = split_text(text, self.encoding_box.currentData(),
                                concat=self.concat_box.currentData(),
                                language=self.language_box.currentData(), ref=self._ref)
        except Exception as exc:  # EncodingError lists the characters that do not fit
            self.result, self.error = None, str(exc)
            self.message_label.setText(self.error)
            self.parts_model.set_parts([], "")
            self._highlight([], [])
            self.result_changed.emit(None)
            return
        self.result, self.error = result, None
        self.message_label.setText("")
        enc = result.encoding
        self.encoding_label.setText(f"{enc.label} · data_coding 0x{result.data_coding:02X}")
        counts = [f"{result.chars} chars"]
        if result.septets is not None:
            counts.append(f"{result.septets} septets")
        elif enc.kind == "UCS2":
            counts.append(f"{result.units} UCS2 units")
        counts.append(f"{result.octets} octets")
        self.counts_label.setText(" · ".join(counts))
        n = result.sms_count
        per = result.single_capacity if n == 1 else result.per_part
        parts = f"{n} part{'s' if n != 1 else ''} ({per} {enc.unit} per part, " \
                f"{result.remaining} left)"
        if result.concat == "payload" and n > 1:
            parts += " — sent as one message_payload"
        self.parts_label.setText(parts)
        forcing = result.ucs2_forcing
        if forcing:
            shown = ", ".join(f"{c!r} ({_char_name(c)}) at {i}" for i, c in forcing[:8])
            more = f" and {len(forcing) - 8} more" if len(forcing) > 8 else ""
            self.forcing_label.setText(shown + more)
        else:
            self.forcing_label.setText("—")
        escaped = result.escaped()
        self._highlight(result.utf16_spans(forcing), result.utf16_spans(escaped))
        self.parts_model.set_parts(result.parts, enc.unit)
        self.result_changed.emit(result)

    def _highlight(self, forcing: list[tuple[int, int]], escaped: list[tuple[int, int]]) -> None:
        """Mark characters in the editor without touching its document (extra selections)."""
        selections = []
        for spans, color, tip in ((forcing, FORCING_COLOR, "forces UCS2"),
                                  (escaped, ESCAPED_COLOR, "2 septets (escape table)")):
            for start, length in spans:
                sel = QTextEdit.ExtraSelection()
                fmt = QTextCharFormat()
                fmt.setBackground(color)
                fmt.setToolTip(tip)
                sel.format = fmt
                cursor = QTextCursor(self.editor.document())
                cursor.setPosition(start)
                cursor.setPosition(start + length, QTextCursor.MoveMode.KeepAnchor)
                sel.cursor = cursor
                selections.append(sel)
        self.editor.setExtraSelections(selections)

    def highlighted(self) -> list[str]:
        """The highlighted characters (for tests and accessibility)."""
        return [s.cursor.selectedText() for s in self.editor.extraSelections()]
