"""The decode tree: every header field, body field, TLV (and their parts) of one PDU.

Each row carries the byte span of its field (``SPAN_ROLE``), its meaning from the reference
tables (the field's own meaning from ``smpp_field`` and its value's) as a tooltip, and is marked with a warning icon and colour when the decoder flagged it.
Unknown TLVs come from the codec as raw tag/length/value rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTreeView, QWidget

from console.reference import field_meaning

SPAN_ROLE = Qt.ItemDataRole.UserRole + 1  # (offset, length) or None
WARNING_COLOR = QColor("#c0392b")
HEADERS = ("Field", "Value", "Meaning")


@dataclass
class MultipartInfo:
    """What the inspector knows about the multipart message a PDU belongs to."""

    ref: int
    total: int
    seq: int
    kind: str
    present: dict[int, int] = field(default_factory=dict)  # part number -> PDU list row
    text: str = ""

    @property
    def missing(self) -> list[int]:
        return [i for i in range(1, self.total + 1) if i not in self.present]


def _tooltip(name: str, display: str, meaning: str, offset: int, length: int,
             warning: str | None) -> str:
    tip = f"<b>{name}</b> = {_esc(display)}<br>bytes {offset}–{offset + length - 1} ({length})"
    about = field_meaning(name)
    if about:
        tip += f"<br><i>{_esc(about)}</i>"
    if meaning:
        tip += f"<br>{_esc(meaning)}"
    if warning:
        tip += f"<br><span style='color:#c0392b'>⚠ {_esc(warning)}</span>"
    return tip


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DecodeTree(QTreeView):
    """A tree of :class:`console.smpp.FieldSpan` rows; emits :attr:`span_selected`."""

    span_selected = Signal(int, int)  # offset, length of the current row's field

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("decodeTree")
        self.tree_model = QStandardItemModel(0, len(HEADERS), self)
        self.tree_model.setHorizontalHeaderLabels(list(HEADERS))
        self.setModel(self.tree_model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._warn_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.selectionModel().currentChanged.connect(self._current_changed)
        self.warning_rows: list[QStandardItem] = []

    # ------------------------------------------------------------------ building

    def clear_pdu(self) -> None:
        self.tree_model.removeRows(0, self.tree_model.rowCount())
        self.warning_rows = []

    def show_pdu(self, pdu: Any, *, error: str | None = None,
                 multipart: MultipartInfo | None = None) -> None:
        """Fill the tree from ``pdu`` (a :class:`console.smpp.Pdu`, or None with ``error``)."""
        self.clear_pdu()
        root = self.tree_model.invisibleRootItem()
        if pdu is None:
            self._add_note(root, "undecodable", error or "the bytes are not a PDU", warn=True)
            return
        for w in pdu.warnings:
            self._add_note(root, "warning", w, warn=True)
        for span in pdu.spans:
            self._add_span(root, span)
        self._add_message(root, pdu, multipart)
        self.expandToDepth(0)
        self.resizeColumnToContents(0)
        self.setColumnWidth(0, max(self.columnWidth(0), 160))
        self.resizeColumnToContents(1)
        self.setColumnWidth(1, min(max(self.columnWidth(1), 120), 320))

    def _row(self, name: str, display: str, meaning: str, span: tuple[int, int] | None,
             tooltip: str, warn: bool) -> list[QStandardItem]:
        items = [QStandardItem(name), QStandardItem(display), QStandardItem(meaning)]
        for it in items:
            it.setEditable(False)
            it.setData(span, SPAN_ROLE)
            it.setToolTip(tooltip)
            if warn:
                it.setForeground(QBrush(WARNING_COLOR))
        if warn:
            items[0].setIcon(self._warn_icon)
            self.warning_rows.append(items[0])
        return items

    def _add_span(self, parent: QStandardItem, span: Any) -> None:
        warning = getattr(span, "warning", None)
        meaning = span.meaning or ""
        tip = _tooltip(span.name, span.display, meaning, span.offset, span.length, warning)
        shown_meaning = f"⚠ {warning}" + (f" — {meaning}" if meaning else "") if warning else meaning
        row = self._row(span.name, span.display, shown_meaning, (span.offset, span.length), tip,
                        bool(warning))
        parent.appendRow(row)
        for child in span.children:
            self._add_span(row[0], child)

    def _add_note(self, parent: QStandardItem, name: str, text: str, *, warn: bool = False,
                  span: tuple[int, int] | None = None) -> QStandardItem:
        row = self._row(name, text, "", span, _esc(text), warn)
        parent.appendRow(row)
        return row[0]

    def _add_message(self, root: QStandardItem, pdu: Any, mp: MultipartInfo | None) -> None:
        if pdu.command not in ("submit_sm", "deliver_sm", "data_sm", "submit_multi",
                               "replace_sm"):
            return
        try:
            msg = pdu.message
        except Exception as exc:  # a broken message still shows its raw fields above
            self._add_note(root, "message", f"cannot decode: {exc}", warn=True)
            return
        head = self._add_note(root, "message", msg.text)
        head.setToolTip(f"{msg.encoding} (data_coding 0x{msg.data_coding:02X}), "
                        f"{len(msg.payload)} octets from {msg.source or 'no field'}")
        self._add_note(head, "encoding", f"{msg.encoding} (data_coding 0x{msg.data_coding:02X})")
        for w in msg.warnings:
            self._add_note(head, "warning", w, warn=True)
        if mp is not None:
            group = self._add_note(
                head, "multipart",
                f"part {mp.seq} of {mp.total} ({mp.kind}, reference {mp.ref})")
            parts = ", ".join(f"{n}: row {r + 1}" for n, r in sorted(mp.present.items()))
            self._add_note(group, "parts present", parts or "—")
            if mp.missing:
                self._add_note(group, "parts missing", ", ".join(map(str, mp.missing)),
                               warn=True)
            self._add_note(group, "reassembled text", mp.text)
            self.setExpanded(self.tree_model.indexFromItem(head), True)
            self.setExpanded(self.tree_model.indexFromItem(group), True)

    # ------------------------------------------------------------------ lookup

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        span = current.siblingAtColumn(0).data(SPAN_ROLE) if current.isValid() else None
        if span:
            self.span_selected.emit(int(span[0]), int(span[1]))
        else:
            self.span_selected.emit(0, 0)

    def find(self, name: str, parent: QModelIndex | None = None) -> QModelIndex:
        """The first row (depth first) whose field name is ``name``; invalid if none."""
        m = self.tree_model
        parent = parent if parent is not None else QModelIndex()
        for r in range(m.rowCount(parent)):
            idx = m.index(r, 0, parent)
            if idx.data() == name:
                return idx
            hit = self.find(name, idx)
            if hit.isValid():
                return hit
        return QModelIndex()

    def index_at_offset(self, offset: int) -> QModelIndex:
        """The deepest row whose byte span contains ``offset``; invalid if none."""
        m = self.tree_model
        best = QModelIndex()
        parent = QModelIndex()
        while True:
            found = QModelIndex()
            for r in range(m.rowCount(parent)):
                idx = m.index(r, 0, parent)
                span = idx.data(SPAN_ROLE)
                if span and span[0] <= offset < span[0] + span[1]:
                    found = idx
                    break
            if not found.isValid():
                return best
            best, parent = found, found

    def select_offset(self, offset: int) -> QModelIndex:
        """Make the field owning byte ``offset`` the current row (its span gets highlighted)."""
        idx = self.index_at_offset(offset)
        if idx.isValid():
            p = idx.parent()
            while p.isValid():
                self.expand(p)
                p = p.parent()
            self.setCurrentIndex(idx)
            self.scrollTo(idx)
        return idx
