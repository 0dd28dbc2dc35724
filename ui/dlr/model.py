"""The DLR table: a lazy, filtered window over the journal's reports table.

The model never holds the whole journal: it reads the newest page (``LIMIT``), older pages as
the view scrolls (``canFetchMore``/``fetchMore``, keyset paging on ``seq`` — as fast at row
900,000 as at row 0), and new reports in one batch per timer tick (one ``beginInsertRows``).
Every filter is a SQL ``WHERE`` in :meth:`console.journal.Journal.report_rows`.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

_Index = QModelIndex | QPersistentModelIndex

# positions in a journal reports row (console.journal.journal.REPORT_COLUMNS)
(SEQ, TIME, MESSAGE_ID, BULK_ID, TO, FROM, SOURCE, FINAL, STATUS_GROUP, STATUS_ID, STATUS_NAME,
 ERROR_ID, ERROR_NAME, PERMANENT, DONE_AT, LATENCY) = range(16)

COLUMNS = ("Received", "Message ID", "To", "Source", "Status", "Error", "Kind", "Done at",
           "Latency")
STATUS_COLORS = {"DELIVERED": "#1e8449", "PENDING": "#2471a3", "UNDELIVERABLE": "#c0392b",
                 "EXPIRED": "#7f8c8d", "REJECTED": "#8e44ad"}
FILTER_KEYS = {"to": "to", "id": "message_id", "message": "message_id", "bulk": "bulk_id",
               "source": "source", "status": "status_group", "group": "status_group",
               "error": "error_name"}


def parse_filter(text: str, journal: Any = None) -> dict[str, Any]:
    """Filter-box text → ``report_rows`` filters.

    ``to:4179…``, ``id:MID``, ``bulk:ID``, ``source:smpp``, ``status:DELIVERED``,
    ``error:EC_ABSENT_SUBSCRIBER``, ``final`` / ``intermediate``; other words are looked up in
    the journal's text index: each must start a word of the report's ids, numbers, source,
    status, error or callback data (``MID-0011`` finds ``MID-00110``, ``absent`` finds
    ``EC_ABSENT_SUBSCRIBER``). A bare word that is an exact message id or destination is
    matched on its indexed column instead.
    """
    out: dict[str, Any] = {}
    free: list[str] = []
    for token in text.split():
        key, sep, value = token.partition(":")
        if sep and key.lower() in FILTER_KEYS and value:
            col = FILTER_KEYS[key.lower()]
            out[col] = value.upper() if col in ("status_group", "error_name") else value
        elif token.lower() in ("final", "intermediate"):
            out["final"] = token.lower() == "final"
        else:
            free.append(token)
    if len(free) == 1 and journal is not None:
        word = free[0]
        for col, arg in (("message_id", word), ("to", word.lstrip("+"))):
            try:
                if journal.count_reports(**{col: arg}, **out):
                    out[col] = arg
                    return out
            except Exception:
                break
    if free:
        out["text"] = " ".join(free)
    return out


class DlrModel(QAbstractTableModel):
    """Journal reports, newest first, paged lazily; :meth:`set_filters` re-queries in SQL."""

    error = Signal(str)  # a query failed (closed or broken journal)
    rows_added = Signal(int)  # live reports inserted at the top

    def __init__(self, journal: Any, *, page: int = 500, poll_ms: int = 100,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.journal = journal
        self.page = page
        self.filters: dict[str, Any] = {}
        self._rows: list[tuple[Any, ...]] = []
        self._more = False
        self._top = 0  # highest seq already considered for live inserts
        self._seen_saved = 0
        self.last_query_ms = 0.0
        self.busy = False  # a search runs in a worker thread: no paging or live inserts
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.poll)
        if journal is not None:
            self.set_journal(journal)

    def set_journal(self, journal: Any) -> None:
        """Read from ``journal`` (reloads the first page with the current filters)."""
        self.journal = journal
        self.set_filters(**self.filters)
        if journal is not None:
            self._timer.start()
        else:
            self._timer.stop()

    # ------------------------------------------------------------------ loading

    def set_filters(self, **filters: Any) -> None:
        """Replace the filters (``report_rows`` keywords) and reload the first page."""
        filters = {k: v for k, v in filters.items() if v not in (None, "")}
        started = time.perf_counter()
        try:
            saved, rows = self.load_page(filters)
        except Exception as exc:
            self.error.emit(f"DLR query failed: {exc}")
            saved, rows = 0, []
        self.set_rows(filters, saved, rows)
        self.last_query_ms = (time.perf_counter() - started) * 1000

    def load_page(self, filters: dict[str, Any]) -> tuple[int, list[tuple[Any, ...]]]:
        """(saved seq before the query, newest page) — safe to call from a worker thread."""
        if self.journal is None:
            return 0, []
        saved = self.journal.saved_seq
        return saved, list(self.journal.report_rows(limit=self.page, descending=True,
                                                    **filters))

    def set_rows(self, filters: dict[str, Any], saved: int, rows: list[tuple[Any, ...]]) -> None:
        """Show ``rows`` (a first page from :meth:`load_page`) for ``filters``."""
        self.beginResetModel()
        self.filters = {k: v for k, v in filters.items() if v not in (None, "")}
        self._rows = list(rows)
        self._more = len(rows) == self.page
        # a report committed after ``saved`` may already be in rows: never insert it twice
        self._top = max(saved, rows[0][SEQ] if rows else 0)
        self._seen_saved = saved
        self.busy = False
        self.endResetModel()

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self.busy

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more or not self._rows or self.busy:
            return
        try:
            rows = self.journal.report_rows(limit=self.page, descending=True,
                                            before_seq=self._rows[-1][SEQ], **self.filters)
        except Exception as exc:
            self._more = False
            self.error.emit(f"DLR query failed: {exc}")
            return
        self._more = len(rows) == self.page
        if rows:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def poll(self, limit: int = 5000) -> int:
        """Insert reports committed since the last look (one insert per call); returns how many."""
        j = self.journal
        if j is None or self.busy:
            return 0
        saved = j.saved_seq
        if saved <= self._seen_saved:
            return 0
        try:
            rows = j.report_rows(limit=limit, after_seq=self._top, **self.filters)
        except Exception as exc:
            self._timer.stop()
            self.error.emit(f"DLR viewer stopped updating: {exc}")
            return 0
        if len(rows) < limit:
            self._seen_saved = saved
            self._top = max(saved, rows[-1][SEQ] if rows else 0)
        else:
            self._top = rows[-1][SEQ]  # more are waiting: the next tick reads them
        if rows:
            self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
            self._rows[:0] = reversed(rows)
            self.endInsertRows()
            self.rows_added.emit(len(rows))
        return len(rows)

    def stop(self) -> None:
        self._timer.stop()

    # ------------------------------------------------------------------ access

    def row(self, row: int) -> tuple[Any, ...]:
        return self._rows[row]

    def count(self) -> int:
        """Every report matching the filters (a SQL count; may take a while with ``text``)."""
        return self.journal.count_reports(**self.filters) if self.journal is not None else 0

    # ------------------------------------------------------------------ model

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
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(r, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(r, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            color = STATUS_COLORS.get(r[STATUS_GROUP] or "")
            return QBrush(QColor(color)) if color else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 8:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _short_done_at(text: str) -> str:
    """``2026-11-25T09:19:24.123+0000`` → ``11-25 09:19:24 +0000`` (the full value is the
    tooltip); other spellings unchanged."""
    if len(text) >= 19 and text[4] == "-" and text[10] == "T":
        zone = text[19:].lstrip(".0123456789")
        return f"{text[5:10]} {text[11:19]}" + (f" {zone}" if zone else "")
    return text


def _display(r: tuple[Any, ...], col: int) -> str:
    if col == 0:
        t = r[TIME] or 0.0
        return time.strftime("%m-%d %H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"
    if col == 1:
        return r[MESSAGE_ID] or ""
    if col == 2:
        return r[TO] or ""
    if col == 3:
        return r[SOURCE] or ""
    if col == 4:
        return "/".join(x for x in (r[STATUS_GROUP], r[STATUS_NAME]) if x)
    if col == 5:
        return (r[ERROR_NAME] or str(r[ERROR_ID])) if r[ERROR_ID] else ""
    if col == 6:
        return "final" if r[FINAL] else "intermediate"
    if col == 7:
        return _short_done_at(r[DONE_AT] or "")
    if col == 8:
        lat = r[LATENCY]
        return "" if lat is None else f"{lat:.2f} s" if lat >= 1 else f"{lat * 1000:.0f} ms"
    return ""


def _tooltip(r: tuple[Any, ...], col: int) -> str | None:
    from console.reference import lookup

    if col == 4 and r[STATUS_ID] is not None:
        e = lookup("http_status", int(r[STATUS_ID]))
        return f"status {r[STATUS_ID]} {e.name}: {e.description}" + (
            f" — {e.extra.get('action')}" if e.extra.get("action") else "")
    if col == 5 and r[ERROR_ID] is not None:
        e = lookup("gsm_error", int(r[ERROR_ID]))
        perm = {1: " (permanent)", 0: " (temporary)"}.get(r[PERMANENT], "")
        return f"error {r[ERROR_ID]} {e.name}{perm}: {e.description}"
    if col == 0 and r[TIME]:
        return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(r[TIME])) + " (received)"
    if col == 7 and r[DONE_AT]:
        return f"{r[DONE_AT]} (doneAt, platform time)"
    if col == 8 and r[LATENCY] is not None:
        return "submit → report latency"
    if col == 1 and r[BULK_ID]:
        return f"bulk {r[BULK_ID]}"
    return None
