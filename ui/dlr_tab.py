"""The DLR tab: delivery reports from every source (HTTP pull, webhooks, SMPP receipts) in one
table over the journal's reports index.

The model never holds the whole journal: it shows the newest page, loads older pages as you
scroll (keyset paging on the sequence number, fast at any depth) and polls the journal for
newly committed reports every 250 ms, inserting each batch with one ``beginInsertRows``.
Quick filters map onto :meth:`console.journal.Journal.report_rows` filters (indexed columns).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext

_Index = QModelIndex | QPersistentModelIndex
# journal REPORT_COLUMNS: seq, time, message_id, bulk_id, to_addr, from_addr, source, final,
# status_group, status_id, status_name, error_id, error_name, permanent, done_at, latency
SEQ, TIME, MID, BULK, TO, FROM, SOURCE, FINAL, GROUP, SID, SNAME, EID, ENAME, PERM, DONE, LAT = range(16)
COLUMNS = ("received", "message id", "to", "source", "kind", "status", "error", "done at",
           "submit → report")
GROUP_COLORS = {"DELIVERED": "#2e9d5b", "UNDELIVERABLE": "#d03030", "REJECTED": "#d03030",
                "EXPIRED": "#c26d1a", "PENDING": "#3b82c4"}
STATUS_GROUPS = ("PENDING", "UNDELIVERABLE", "DELIVERED", "EXPIRED", "REJECTED")


def _time(t: float | None) -> str:
    if not t:
        return ""
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"


class ReportsModel(QAbstractTableModel):
    """Rows of the journal's reports table, newest first, loaded lazily and in batches."""

    def __init__(self, journal: Any, page: int = 500, parent: Any = None) -> None:
        super().__init__(parent)
        self.journal = journal
        self.page = page
        self.filters: dict[str, Any] = {}
        self._rows: list[tuple[Any, ...]] = []
        self._top = 0  # highest seq shown (newer rows are polled in above it)
        self._more = journal is not None

    def set_filters(self, **filters: Any) -> None:
        """Replace the filters (None values are dropped) and reload the first page."""
        self.filters = {k: v for k, v in filters.items() if v not in (None, "")}
        self.beginResetModel()
        self._rows = []
        self._more = self.journal is not None
        self._top = self.journal.saved_seq if self.journal is not None else 0
        self.endResetModel()
        if self.canFetchMore():
            self.fetchMore()

    def total(self) -> int:
        return self.journal.count_reports(**self.filters) if self.journal is not None else 0

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more or self.journal is None:
            return
        before = self._rows[-1][SEQ] if self._rows else self._top + 1
        rows = self.journal.report_rows(limit=self.page, descending=True, before_seq=before,
                                        **self.filters)
        if len(rows) < self.page:
            self._more = False
        if rows:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def poll(self) -> int:
        """Insert reports committed since the last poll (one insert per batch)."""
        if self.journal is None or self.journal.saved_seq <= self._top:
            return 0
        top = self.journal.saved_seq
        rows = self.journal.report_rows(limit=100_000, descending=True, after_seq=self._top,
                                        before_seq=top + 1, **self.filters)
        self._top = top
        if rows:
            self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
            self._rows[:0] = rows
            self.endInsertRows()
        return len(rows)

    def row(self, r: int) -> tuple[Any, ...]:
        return self._rows[r]

    def points(self) -> list[tuple[float, str]]:
        """(time, status group) of the loaded rows, for the timeline."""
        return [(r[TIME], r[GROUP]) for r in self._rows]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, c)
        if role == Qt.ItemDataRole.ForegroundRole and c == 5:
            color = GROUP_COLORS.get(r[GROUP] or "")
            return QBrush(QColor(color)) if color else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, c)
        return None

    @staticmethod
    def _text(r: tuple[Any, ...], c: int) -> str:
        if c == 0:
            return _time(r[TIME])
        if c == 1:
            return r[MID] or ""
        if c == 2:
            return r[TO] or ""
        if c == 3:
            return r[SOURCE] or ""
        if c == 4:
            return "final" if r[FINAL] else "intermediate"
        if c == 5:
            return f"{r[GROUP] or ''}/{r[SNAME] or ''}"
        if c == 6:
            if not r[ENAME]:
                return ""
            return r[ENAME] + (" (permanent)" if r[PERM] else "")
        if c == 7:
            return r[DONE] or ""
        return "" if r[LAT] is None else f"{r[LAT]:.3f} s"

    @staticmethod
    def _tooltip(r: tuple[Any, ...], c: int) -> str | None:
        try:
            from console.reference import lookup

            if c == 5 and r[SID] is not None:
                e = lookup("http_status", int(r[SID]))
                return f"{e.name} ({e.get('groupName', '')}): {e.description}" + (
                    f"\naction: {e['action']}" if e.get("action") else "")
            if c == 6 and r[EID] is not None:
                e = lookup("gsm_error", int(r[EID]))
                return f"{e.name}: {e.description}" + (
                    "\npermanent" if e.get("permanent") else "\nnot permanent (may be retried)")
        except Exception:
            return None
        return None


class DlrTab(QWidget):
    """Unified delivery reports with quick filters, detail and CSV export."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.journal = ctx.journal
        self.source_box = QComboBox()
        self.source_box.addItem("All sources", None)
        for s in ("http-pull", "webhook", "smpp"):
            self.source_box.addItem(s, s)
        self.group_box = QComboBox()
        self.group_box.addItem("All statuses", None)
        for g in STATUS_GROUPS:
            self.group_box.addItem(g, g)
        self.final_box = QComboBox()
        self.final_box.addItem("Final and intermediate", None)
        self.final_box.addItem("Final only", True)
        self.final_box.addItem("Intermediate only", False)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("message id, or a destination number")
        self.filter_edit.setClearButtonEnabled(True)
        self.export_button = QPushButton("Export CSV…")
        self.count_label = QLabel()
        bar = QHBoxLayout()
        for w in (self.source_box, self.group_box, self.final_box):
            bar.addWidget(w)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.export_button)
        bar.addWidget(self.count_label)

        self.model = ReportsModel(self.journal, parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((100, 290, 110, 80, 90, 260, 200, 190)):
            self.view.setColumnWidth(col, width)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.detail.setFont(mono)
        self.detail.setPlaceholderText("Select a report to see the record and its raw payload")
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.detail)
        self.timeline: Any = None
        try:
            from ui.dlr_timeline import DlrTimeline

            self.timeline = DlrTimeline()
            bottom.addWidget(self.timeline)
            bottom.setSizes([450, 550])
        except ImportError:  # QtCharts is an optional part of PySide6 (Addons)
            pass
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(bottom)
        split.setSizes([480, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        if self.journal is None:
            self.count_label.setText("no journal: reports cannot be shown")

        for box in (self.source_box, self.group_box, self.final_box):
            box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self.apply_filters)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.export_button.clicked.connect(self._ask_csv)
        self.view.selectionModel().currentRowChanged.connect(
            lambda cur, _p: self.show_report(cur.row()) if cur.isValid() else None)
        self._chart_timer = QTimer(self)
        self._chart_timer.setSingleShot(True)
        self._chart_timer.setInterval(1000)
        self._chart_timer.timeout.connect(self.redraw_timeline)
        self._poll = QTimer(self)
        self._poll.setInterval(250)
        self._poll.timeout.connect(self.poll)
        self._poll.start()
        self.apply_filters()

    def apply_filters(self) -> None:
        text = self.filter_edit.text().strip()
        number = text.lstrip("+").isdigit()
        try:
            self.model.set_filters(source=self.source_box.currentData(),
                                   status_group=self.group_box.currentData(),
                                   final=self.final_box.currentData(),
                                   to=text.lstrip("+") if number else None,
                                   message_id=text if text and not number else None)
        except Exception as exc:
            self.ctx.report_error(f"DLR filter: {exc}")
        self._update_count()

    def poll(self) -> None:
        try:
            if self.model.poll():
                self._update_count()
        except Exception as exc:  # a closed or broken journal: say so once, stop polling
            self._poll.stop()
            self.ctx.report_error(f"DLR viewer: {exc}")

    def _update_count(self) -> None:
        if self.journal is not None:
            self.count_label.setText(f"{self.model.total()} reports")
        if self.timeline is not None and not self._chart_timer.isActive():
            self._chart_timer.start()  # at most one redraw a second under a burst

    def redraw_timeline(self) -> None:
        """Redraw the chart over the loaded rows (the newest pages)."""
        if self.timeline is not None:
            self.timeline.set_points(self.model.points())

    def show_report(self, row: int) -> None:
        r = self.model.row(row)
        entry = self.journal.get(r[SEQ]) if self.journal is not None else None
        data = entry.data if entry is not None else {}
        text = json.dumps(data, indent=2, ensure_ascii=False)
        raw = data.get("raw") if isinstance(data, dict) else None
        if raw:
            text = f"# raw payload\n{raw}\n\n# record\n{text}"
        self.detail.setPlainText(text)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export reports", "reports.csv",
                                              "CSV files (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str | Path) -> int:
        """Write the reports matching the filters (all pages, not only loaded ones) as CSV."""
        from console.journal import export_csv

        try:
            n = export_csv(self.journal, path, reports=True, **self.model.filters)
        except Exception as exc:
            self.ctx.report_error(f"CSV export failed: {exc}")
            return 0
        self.ctx.note(f"{n} reports written to {path}")
        return n
