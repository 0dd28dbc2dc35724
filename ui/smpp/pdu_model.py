"""The PDU list: a table model of :class:`console.smpp.events.PduEvent` fed in timer batches.

Producers call :meth:`PduListModel.enqueue` per event (a list append, nothing else); a QTimer
moves the queue into the model every ``interval_ms`` with one ``beginInsertRows`` per batch
(the batching of :class:`ui.models.batched.BatchedTableModel`).
Filtering (hide enquire_link, a text filter) is done by the model on its own arrays — the view
never runs Python per row except for the rows it paints. enquire_link is recognised from the
command id in the raw header, so hiding it never decodes a PDU.
"""

from __future__ import annotations

import bisect
import struct
import time
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ui.models.batched import BatchedTableModel

_Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Time", "Dir", "Command", "Status", "Seq", "Latency", "Summary")
COL_TIME, COL_DIR, COL_COMMAND, COL_STATUS, COL_SEQ, COL_LATENCY, COL_SUMMARY = range(7)
_ENQUIRE_LINK = 0x00000015
_RESPONSE_BIT = 0x80000000
_ERROR = QColor("#c0392b")
_WARN = QColor("#b9770e")


def raw_command_id(raw: bytes) -> int | None:
    """command_id from a PDU header without decoding the body."""
    if len(raw) < 8:
        return None
    return struct.unpack_from(">I", raw, 4)[0]


def is_enquire_link(raw: bytes) -> bool:
    cid = raw_command_id(raw)
    return cid is not None and (cid & ~_RESPONSE_BIT) == _ENQUIRE_LINK


def event_text(ev: Any) -> str:
    """Everything the filter box matches against (lower case)."""
    pdu = ev.pdu
    if pdu is None:
        return f"{ev.direction} undecodable {ev.error or ''}".lower()
    try:
        summary = pdu.summary
    except Exception:  # a summary must never break filtering
        summary = pdu.command
    return f"{ev.direction} {pdu.command} {pdu.status_name} #{pdu.sequence_number} {summary}".lower()


class PduListModel(BatchedTableModel):
    """Rows of PDU events; ``hide_enquire`` and ``text_filter`` select the rows shown."""

    titles = COLUMNS

    def __init__(self, *, interval_ms: int = 50, max_events: int = 1_000_000,
                 parent: QObject | None = None) -> None:
        super().__init__(interval_ms=interval_ms, parent=parent)
        self.max_events = max_events
        self._all: list[Any] = []  # every event kept, oldest first
        self._base = 0  # global number of _all[0] (events dropped from the front so far)
        self._view: list[int] = []  # global numbers of the visible events, ascending
        self._hide_enquire = True
        self._text = ""

    # ------------------------------------------------------------------ feeding

    def _insert_batch(self, batch: list[Any]) -> int:
        first = self._base + len(self._all)
        self._all.extend(batch)
        shown = [first + i for i, ev in enumerate(batch) if self._accepts(ev)]
        if shown:
            start = len(self._view)
            self.beginInsertRows(QModelIndex(), start, start + len(shown) - 1)
            self._view.extend(shown)
            self.endInsertRows()
        self._trim()
        return len(shown)

    def _trim(self) -> None:
        extra = len(self._all) - self.max_events
        if extra <= 0:
            return
        extra = max(extra, self.max_events // 10)  # drop in chunks: one row removal per chunk
        new_base = self._base + extra
        cut = bisect.bisect_left(self._view, new_base)
        if cut:
            self.beginRemoveRows(QModelIndex(), 0, cut - 1)
            del self._view[:cut]
            self.endRemoveRows()
        del self._all[:extra]
        self._base = new_base

    def clear(self) -> None:
        self.beginResetModel()
        self._all.clear()
        self._view.clear()
        self._drop_pending()
        self._base = 0
        self.endResetModel()

    # ------------------------------------------------------------------ filtering

    def _accepts(self, ev: Any) -> bool:
        if self._hide_enquire and is_enquire_link(ev.raw):
            return False
        return not self._text or self._text in event_text(ev)

    @property
    def hide_enquire(self) -> bool:
        return self._hide_enquire

    def set_hide_enquire(self, hide: bool) -> None:
        if hide != self._hide_enquire:
            self._hide_enquire = hide
            self._refilter()

    @property
    def text_filter(self) -> str:
        return self._text

    def set_text_filter(self, text: str) -> None:
        text = text.strip().lower()
        if text != self._text:
            self._text = text
            self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        base = self._base
        self._view = [base + i for i, ev in enumerate(self._all) if self._accepts(ev)]
        self.endResetModel()

    # ------------------------------------------------------------------ access

    def event_at(self, row: int) -> Any:
        """The event shown in ``row``."""
        return self._all[self._view[row] - self._base]

    def events(self) -> list[Any]:
        """Every event kept (shown or filtered out), oldest first."""
        return list(self._all)

    @property
    def total(self) -> int:
        return len(self._all)

    def row_of(self, ev: Any) -> int | None:
        """The visible row of ``ev`` (identity), or None."""
        for row in range(len(self._view) - 1, -1, -1):
            if self._all[self._view[row] - self._base] is ev:
                return row
        return None

    def nearby(self, row: int, radius: int = 2000) -> list[tuple[int, Any]]:
        """(visible row, event) pairs around ``row`` — for grouping multipart messages."""
        lo, hi = max(0, row - radius), min(len(self._view), row + radius + 1)
        return [(r, self._all[self._view[r] - self._base]) for r in range(lo, hi)]

    # ------------------------------------------------------------------ model

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._view)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        ev = self._all[self._view[index.row()] - self._base]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(ev, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(ev, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            pdu = ev.pdu
            if pdu is None or (pdu.is_response and pdu.command_status):
                return QBrush(_ERROR)
            if pdu.warnings:
                return QBrush(_WARN)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_SEQ, COL_LATENCY):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(ev: Any, col: int) -> str:
        if col == COL_TIME:
            t = ev.time
            return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"
        if col == COL_DIR:
            return "→ out" if ev.direction == "out" else "← in"
        pdu = ev.pdu
        if pdu is None:
            return {COL_COMMAND: "(undecodable)", COL_SUMMARY: ev.error or ""}.get(col, "")
        if col == COL_COMMAND:
            return pdu.command
        if col == COL_STATUS:
            return pdu.status_name if pdu.is_response or pdu.command_status else ""
        if col == COL_SEQ:
            return str(pdu.sequence_number)
        if col == COL_LATENCY:
            return f"{ev.latency * 1000:.1f} ms" if ev.latency is not None else ""
        if col == COL_SUMMARY:
            try:
                return pdu.summary
            except Exception as exc:  # never let one odd PDU break painting
                return f"({exc})"
        return ""

    @staticmethod
    def _tooltip(ev: Any, col: int) -> str | None:
        pdu = ev.pdu
        if pdu is None:
            return ev.error
        if col == COL_STATUS:
            from console.reference import lookup

            e = lookup("smpp_command_status", pdu.command_status)
            return f"0x{pdu.command_status:08X} {e.name}: {e.description}"
        if col == COL_COMMAND:
            from console.reference import lookup

            e = lookup("smpp_command_id", pdu.command_id)
            return f"0x{pdu.command_id:08X} {e.description}"
        if col == COL_SUMMARY and pdu.warnings:
            return "\n".join(f"⚠ {w}" for w in pdu.warnings)
        if col == COL_DIR:
            return f"{ev.sender[0]}:{ev.sender[1]} → {ev.receiver[0]}:{ev.receiver[1]}"
        return None
