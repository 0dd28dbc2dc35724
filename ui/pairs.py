"""An editable table of name/value pairs (query parameters, headers, TLVs)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget


class PairsTable(QTableWidget):
    """Editable name/value rows (query parameters, headers); an empty last row adds one."""

    def __init__(self, names: tuple[str, str], parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(list(names))
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().hide()
        self.itemChanged.connect(self._keep_blank_row)
        self.set_pairs([])

    def set_pairs(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.blockSignals(True)
        self.setRowCount(0)
        for k, v in [*pairs, ("", "")]:
            row = self.rowCount()
            self.insertRow(row)
            self.setItem(row, 0, QTableWidgetItem(k))
            self.setItem(row, 1, QTableWidgetItem(v))
        self.blockSignals(False)

    def pairs(self) -> list[tuple[str, str]]:
        out = []
        for r in range(self.rowCount()):
            k = self.item(r, 0).text().strip() if self.item(r, 0) else ""
            v = self.item(r, 1).text() if self.item(r, 1) else ""
            if k:
                out.append((k, v))
        return out

    def _keep_blank_row(self, _item: QTableWidgetItem) -> None:
        last = self.rowCount() - 1
        if last < 0 or any(self.item(last, c) and self.item(last, c).text() for c in (0, 1)):
            self.blockSignals(True)
            self.insertRow(self.rowCount())
            self.setItem(self.rowCount() - 1, 0, QTableWidgetItem(""))
            self.setItem(self.rowCount() - 1, 1, QTableWidgetItem(""))
            self.blockSignals(False)
