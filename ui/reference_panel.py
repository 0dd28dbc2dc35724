"""Reference search: an id (decimal or 0x hex), a name or words → matching rows of every table.

Type ``EC_ABSENT_SUBSCRIBER``, ``0x0b``, ``DELIVRD`` or ``27``: the rows come from
:func:`console.reference.search` (every table of the spec: HTTP statuses and errors, SMPP
command ids and statuses, receipt errors, DLR stat words, TLVs, data_coding, TON/NPI …).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models import Column, LiveTableModel

TABLE_TITLES = {
    "http_status_group": "HTTP status group", "http_status": "HTTP status",
    "http_error_group": "HTTP error group", "gsm_error": "HTTP GSM error",
    "smpp_command_id": "SMPP command_id", "smpp_command_status": "SMPP command_status",
    "smpp_gsm_error": "SMPP receipt err:", "dlr_stat": "DLR stat:", "message_state": "message_state",
    "tlv": "SMPP TLV", "data_coding": "data_coding", "ton": "TON", "npi": "NPI",
    "esm_class": "esm_class", "registered_delivery": "registered_delivery", "priority": "priority",
}
# extra fields worth a column of their own, in display order
_DETAIL_KEYS = ("permanent", "groupName", "action", "type", "vendor", "message_state",
                "max_length")


def details(entry: Any) -> str:
    """The interesting extra fields of an entry, as ``key: value`` pairs."""
    extra = getattr(entry, "extra", {}) or {}
    out = []
    for k in _DETAIL_KEYS:
        if k in extra and extra[k] not in (None, ""):
            v = extra[k]
            out.append(f"{k}: {'yes' if v is True else 'no' if v is False else v}")
    return "; ".join(out)


def entry_tooltip(e: Any) -> str:
    """Name, table and id, meaning (and the spec's Chinese text when it differs), details."""
    zh = e.get("description_zh") if hasattr(e, "get") else None
    lines = [f"{e.name} ({TABLE_TITLES.get(e.table, e.table)} {e.id})", e.description]
    if zh and zh != e.description:
        lines.append(zh)
    if details(e):
        lines.append(details(e))
    return "\n".join(lines)


REFERENCE_COLUMNS = (
    Column("table", lambda e: TABLE_TITLES.get(e.table, e.table), entry_tooltip),
    Column("id", lambda e: e.id, entry_tooltip),
    Column("hex", lambda e: e.hex if isinstance(e.id, int) else "", entry_tooltip),
    Column("name", lambda e: e.name, entry_tooltip),
    Column("meaning", lambda e: e.description, entry_tooltip),
    Column("details", details, entry_tooltip),
)


COL_NAME, COL_MEANING = 3, 4


class ReferenceModel(LiveTableModel):
    """Search results: table, id (decimal and hex), name, meaning, details."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(REFERENCE_COLUMNS, interval_ms=None, parent=parent)

    def set_entries(self, entries: list[Any]) -> None:
        self.set_records(entries)

    def entry(self, row: int) -> Any:
        return self.record(row)


class ReferencePanel(QWidget):
    """A search box over every reference table, results as they are typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("EC_ABSENT_SUBSCRIBER, 0x0b, DELIVRD, 27, throttled…")
        self.search_box.setClearButtonEnabled(True)
        self.table_box = QComboBox()
        self.table_box.addItem("All tables", None)
        self.count_label = QLabel()
        self.model = ReferenceModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # a narrow dock shows the first columns: name, id, hex, meaning; then table, details
        for visual, col in enumerate((COL_NAME, 1, 2, COL_MEANING)):
            header.moveSection(header.visualIndex(col), visual)
        # the selected entry in full (the table's columns may be cut in a narrow dock)
        self.detail_label = QLabel()
        self.detail_label.setObjectName("referenceDetail")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.table_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.table_box.setMinimumContentsLength(9)
        top = QHBoxLayout()
        top.addWidget(self.search_box, 3)
        top.addWidget(self.table_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.count_label)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.detail_label)
        try:
            from console.reference import TABLES

            for name in TABLES:
                self.table_box.addItem(TABLE_TITLES.get(name, name), name)
        except Exception as exc:  # the panel still opens and says why
            self.count_label.setText(f"reference tables unavailable: {exc}")
        # a short delay coalesces fast typing into one search
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.run_search)
        self.search_box.textChanged.connect(lambda _t: self._timer.start())
        self.table_box.currentIndexChanged.connect(lambda _i: self.run_search())
        self.view.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.show_entry(cur.row() if cur.isValid() else 0))

    def set_query(self, text: str) -> None:
        """Search for ``text`` now (also shows it in the box)."""
        self.search_box.setText(text)
        self._timer.stop()
        self.run_search()

    def run_search(self) -> None:
        query = self.search_box.text().strip()
        if not query:
            self.model.set_entries([])
            self.count_label.setText("")
            self.show_entry(0)
            return
        try:
            from console.reference import search

            table = self.table_box.currentData()
            entries = search(query, tables=[table] if table else None)
        except Exception as exc:
            self.model.set_entries([])
            self.count_label.setText(f"search failed: {exc}")
            self.show_entry(0)
            return
        self.model.set_entries(entries)
        self.count_label.setText(f"{len(entries)} match{'es' if len(entries) != 1 else ''}")
        if entries:
            self.view.resizeColumnsToContents()
            self.view.setColumnWidth(COL_MEANING, min(self.view.columnWidth(COL_MEANING), 260))
        self.show_entry(0)

    def show_entry(self, row: int) -> None:
        """Show entry ``row`` of the results in full under the table (empty if none)."""
        if not 0 <= row < self.model.rowCount():
            self.detail_label.setText("")
            return
        e = self.model.entry(row)
        text = entry_tooltip(e).split("\n")
        self.detail_label.setText("<b>" + html.escape(text[0]) + "</b><br>"
                                  + "<br>".join(html.escape(t) for t in text[1:]))
