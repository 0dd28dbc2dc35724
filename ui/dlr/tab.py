"""The DLR viewer tab: every delivery report in the journal (HTTP pull, webhook, SMPP), quick
filters, a filter box, the report's detail and raw payload, a timeline, CSV export.

Reads go through :class:`ui.dlr.model.DlrModel` (SQL paging, never the whole journal); the
count, the timeline and searches other than an exact id or number run in a worker thread, as
tasks of the window's :class:`ui.context.AppContext` (errors shown in the window). The
timeline's chart (QtCharts) is loaded when the timeline is first shown.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.context import alive, spawn_task
from ui.dlr.model import SEQ, DlrModel, parse_filter
from ui.dlr.timeline import TimelinePane, timeline_query

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)
SOURCES = ("http-pull", "webhook", "smpp")
GROUPS = ("DELIVERED", "PENDING", "UNDELIVERABLE", "EXPIRED", "REJECTED")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop, if any (without importing asyncio: no asyncio, no loop)."""
    aio = sys.modules.get("asyncio")
    if aio is None:
        return None
    try:
        return aio.get_running_loop()
    except RuntimeError:  # no qasync loop (a script or a test without one): work inline
        return None


class DlrTab(QWidget):
    """Delivery reports from the journal, newest first, filtered in SQL."""

    def __init__(self, parent: Any = None, *, context: Any = None, journal: Any = None) -> None:
        if parent is not None and not isinstance(parent, QWidget):
            parent, context = None, parent if context is None else context
        super().__init__(parent)
        self.setObjectName("dlrTab")
        self.ctx = context
        self.journal = journal
        self._count_task: asyncio.Task[Any] | None = None
        self._timeline_dirty = True
        self._generation = 0

        self.source_box = QComboBox()
        self.source_box.addItem("all sources", None)
        for s in SOURCES:
            self.source_box.addItem(s, s)
        self.kind_box = QComboBox()
        for label, value in (("final + intermediate", None), ("final", True),
                             ("intermediate", False)):
            self.kind_box.addItem(label, value)
        self.group_box = QComboBox()
        self.group_box.addItem("all statuses", None)
        for g in GROUPS:
            self.group_box.addItem(g, g)
        self.filter_edit = QLineEdit()
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setPlaceholderText("Filter: message id, number, to:… id:… bulk:… "
                                            "error:… status:…, or any text")
        self.filter_edit.setToolTip("A bare message id or number is matched exactly; other "
                                    "words find reports with a word starting so in their ids, "
                                    "numbers, source, status, error or callback data")
        export = QPushButton("Export CSV…")
        export.clicked.connect(self._ask_export)
        self.count_label = QLabel()
        self.count_label.setObjectName("dlrCount")
        bar = QHBoxLayout()
        bar.addWidget(self.source_box)
        bar.addWidget(self.kind_box)
        bar.addWidget(self.group_box)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(export)
        bar.addWidget(self.count_label)

        self.model = DlrModel(None, parent=self)
        self.view = QTableView()
        self.view.setObjectName("dlrList")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        for col, width in enumerate((150, 265, 105, 70, 300, 175, 95, 150, 70)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

        self.detail = QPlainTextEdit()
        self.detail.setObjectName("dlrDetail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select a report to see its fields and raw payload")
        self.timeline = TimelinePane()
        self.bottom = QTabWidget()
        self.bottom.addTab(self.detail, "Detail")
        self.bottom.addTab(self.timeline, "Timeline")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.status_label = QLabel()
        self.status_label.setObjectName("dlrStatus")
        self.status_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addWidget(self.status_label)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(self.apply_filters)
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        for box in (self.source_box, self.kind_box, self.group_box):
            box.currentIndexChanged.connect(self.apply_filters)
        self.view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.model.error.connect(self.show_error)
        self.model.rows_added.connect(self._rows_added)
        self.bottom.currentChanged.connect(lambda _i: self.refresh_timeline())
        self._timeline_timer = QTimer(self)
        self._timeline_timer.setInterval(2000)
        self._timeline_timer.timeout.connect(self._timeline_tick)
        self._timeline_timer.start()
        self.split = split
        find = QShortcut(QKeySequence.StandardKey.Find, self, self.filter_edit.setFocus)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.restore_state(getattr(context, "settings", None))

        if journal is None and context is not None and hasattr(context, "journal"):
            # opening (or creating) the journal file costs ~0.1 s: do it once the window is up
            self.count_label.setText("opening journal…")
            QTimer.singleShot(150, self._attach_context_journal)
        else:
            self.attach_journal(journal)

    def _attach_context_journal(self) -> None:
        try:
            journal = self.ctx.journal
        except Exception as exc:
            self.show_error(f"journal unavailable: {exc}")
            journal = None
        self.attach_journal(journal)

    def attach_journal(self, journal: Any) -> None:
        """Show the reports of ``journal`` (None: say that there is none)."""
        self.journal = journal
        self.model.set_journal(journal)
        if journal is None:
            self.status_label.setText("⚠ no journal: reports cannot be shown")
        self.update_count()
        self._timeline_dirty = True

    # ------------------------------------------------------------------ state

    def save_state(self, settings: Any) -> None:
        """Remember column widths, the splitter and the detail/timeline choice (QSettings)."""
        settings.setValue("dlr/header", self.view.horizontalHeader().saveState())
        settings.setValue("dlr/split", self.split.saveState())
        settings.setValue("dlr/bottom", self.bottom.currentIndex())

    def restore_state(self, settings: Any) -> None:
        if settings is None:
            return
        try:
            for key, restore in (("dlr/header", self.view.horizontalHeader().restoreState),
                                 ("dlr/split", self.split.restoreState)):
                state = settings.value(key)
                if isinstance(state, QByteArray | bytes) and state:
                    restore(QByteArray(state))
            if settings.value("dlr/bottom") is not None:
                self.bottom.setCurrentIndex(int(settings.value("dlr/bottom")))
        except (TypeError, ValueError) as exc:  # a stale settings file must not break the tab
            log.debug("ignoring saved DLR tab state: %s", exc)

    # ------------------------------------------------------------------ messages

    def show_error(self, message: str) -> None:
        """Show ``message`` in the tab's status line and report it to the window."""
        self.status_label.setStyleSheet("color: #c0392b; font-weight: bold")
        self.status_label.setText(f"⚠ {message}")
        if self.ctx is not None and hasattr(self.ctx, "report_error"):
            self.ctx.report_error(message)
        else:
            log.warning("%s", message)

    def show_info(self, message: str) -> None:
        self.status_label.setStyleSheet("")
        self.status_label.setText(message)
        if self.ctx is not None and hasattr(self.ctx, "note"):
            self.ctx.note(message)

    def _background(self, fn: Callable[[], Any], on_done: Callable[[Any], None], what: str,
                    on_error: Callable[[], None] | None = None) -> asyncio.Task[Any] | None:
        """Run ``fn`` in a worker thread as a task of the window's context when a loop runs
        (else right here); ``on_done(result)`` runs on the UI thread unless the tab is gone,
        a failure is shown (tab status line and window) and ``on_error()`` called."""

        def failed(message: str) -> None:
            if alive(self):
                self.show_error(message)
                if on_error is not None:
                    on_error()

        if _running_loop() is None:
            try:
                result = fn()
            except Exception as exc:
                failed(f"{what}: {exc}")
                return None
            on_done(result)
            return None
        import asyncio

        def done(result: Any) -> None:
            if alive(self):
                on_done(result)

        if self.ctx is not None and hasattr(self.ctx, "spawn"):
            return self.ctx.spawn(asyncio.to_thread(fn), what, on_done=done, on_error=failed)
        return spawn_task(asyncio.to_thread(fn), what, failed, done)

    # ------------------------------------------------------------------ filters

    def current_filters(self) -> dict[str, Any]:
        """The ``report_rows`` filters of the quick filters and the filter box."""
        filters = parse_filter(self.filter_edit.text(), self.journal)
        for key, box in (("source", self.source_box), ("final", self.kind_box),
                         ("status_group", self.group_box)):
            value = box.currentData()
            if value is not None:
                filters[key] = value
        return filters

    def apply_filters(self) -> None:
        """Re-query the first page with the current filters. Only an exact id/number lookup runs
        here; any other filter may scan many rows when few match (a text search scans every
        stored report), so it runs in a worker thread and the window stays responsive."""
        self._filter_timer.stop()
        filters = self.current_filters()
        self._generation += 1
        exact = set(filters) <= {"message_id", "to", "bulk_id"}
        if not exact and self.journal is not None and _running_loop() is not None:
            generation = self._generation
            self.model.busy = True
            self.count_label.setText("searching…")

            def show(result: tuple[int, list[Any]]) -> None:
                if generation == self._generation:
                    self.model.set_rows(filters, *result)
                    self._filtered()

            def failed() -> None:
                if generation == self._generation:
                    self.model.busy = False
                    self.count_label.setText("search failed")

            self._background(lambda: self.model.load_page(filters), show, "DLR search", failed)
            return
        self.model.set_filters(**filters)
        self._filtered()

    def _filtered(self) -> None:
        self._timeline_dirty = True
        self.update_count()
        self.refresh_timeline()

    def update_count(self) -> None:
        if self.journal is None:
            self.count_label.setText("no journal")
            return
        shown = self.model.rowCount()
        if not self.model.canFetchMore():
            self.count_label.setText(f"{shown} report{'s' if shown != 1 else ''}")
            return
        self.count_label.setText(f"{shown}+ reports (counting…)")
        filters = dict(self.model.filters)
        if self._count_task is not None and not self._count_task.done():
            self._count_task.cancel()

        def show(n: int) -> None:
            if filters == self.model.filters:
                self.count_label.setText(f"{n} report{'s' if n != 1 else ''}")

        self._count_task = self._background(
            lambda: self.journal.count_reports(**filters), show, "DLR count")

    def _rows_added(self, _n: int) -> None:
        self._timeline_dirty = True
        if not self.model.canFetchMore():
            n = self.model.rowCount()
            self.count_label.setText(f"{n} report{'s' if n != 1 else ''}")
        else:
            self.update_count()

    # ------------------------------------------------------------------ detail

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.show_report(current.row())

    def show_report(self, row: int) -> None:
        """Fill the detail pane with the stored report of ``row`` and its raw payload."""
        seq = self.model.row(row)[SEQ]
        try:
            entry = self.journal.get(seq)
        except Exception as exc:
            self.show_error(f"cannot read report {seq}: {exc}")
            return
        if entry is None:
            self.detail.setPlainText(f"report {seq} is not in the journal")
            return
        data = dict(entry.data)
        raw = data.pop("raw", "") or ""
        lines = [entry.summary, ""]
        lines += _explain(data)
        lines += ["", "Fields:", *_field_lines(data)]
        lines += ["", "Raw payload:", _pretty(raw)]
        self.detail.setPlainText("\n".join(lines))

    # ------------------------------------------------------------------ timeline

    def _timeline_tick(self) -> None:
        if self._timeline_dirty:
            self.refresh_timeline()

    def refresh_timeline(self) -> None:
        """Recount the chart (in a worker thread) when it is on screen."""
        if self.journal is None or self.bottom.currentWidget() is not self.timeline:
            return
        self._timeline_dirty = False
        filters = dict(self.model.filters)
        self._background(lambda: timeline_query(self.journal, filters),
                         lambda res: self.timeline.set_counts(*res), "DLR timeline")

    # ------------------------------------------------------------------ export

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export reports as CSV", "reports.csv",
                                              "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str | Path) -> int:
        """Write every report matching the current filters to ``path``; returns the row count."""
        from console.journal.export import export_csv

        try:
            n = export_csv(self.journal, path, reports=True, **self.model.filters)
        except Exception as exc:
            self.show_error(f"CSV export failed: {exc}")
            return 0
        self.show_info(f"{n} reports written to {path}")
        return n

    def closeEvent(self, event: Any) -> None:
        self.model.stop()
        self._timeline_timer.stop()
        super().closeEvent(event)


def _explain(d: dict[str, Any]) -> list[str]:
    from console.reference import lookup

    out = []
    if d.get("status_id") is not None:
        e = lookup("http_status", int(d["status_id"]))
        out.append(f"Status {d['status_id']} {e.name}: {e.description}")
    if d.get("error_id") is not None:
        e = lookup("gsm_error", int(d["error_id"]))
        out.append(f"Error {d['error_id']} {e.name}: {e.description}")
    if d.get("latency") is not None:
        out.append(f"Submit → report: {float(d['latency']):.3f} s")
    return out


def _pretty(raw: str) -> str:
    text = raw.strip()
    if text.startswith(("{", "[")):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return raw
    return raw or "(none)"


# what the detail pane calls the stored fields (the rest keep their own names)
_FIELD_LABELS = {"from_": "from", "parent_seq": "submit (journal record)",
                 "received_at": "received", "submitted_at": "submitted",
                 "latency": "submit → report latency"}


def _field_lines(data: dict[str, Any]) -> list[str]:
    """``name: value`` lines of a stored report: readable names, times as dates, empties left out."""
    rows: list[tuple[str, str]] = []
    for key in sorted(data):
        value = data[key]
        if value in (None, "", [], {}):
            continue
        label = _FIELD_LABELS.get(key, key)
        if key.endswith("_at") and isinstance(value, int | float) and value > 1e9:
            text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value)) + \
                f".{int(value * 1000) % 1000:03d}"
        elif key == "latency" and isinstance(value, int | float):
            text = f"{value:.3f} s"
        elif isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            text = str(value)
        rows.append((label, text))
    width = max((len(label) for label, _ in rows), default=0)
    return [f"  {label.ljust(width)}  {text}" for label, text in rows]
