"""A table model of records shown through :class:`Column` descriptions.

Live records are queued and flushed by a QTimer in batches (see :mod:`ui.models.batched`):
producers call :meth:`LiveTableModel.enqueue` as often as they like, and a burst of thousands
of records costs one view update. Older records can be loaded lazily
(``canFetchMore``/``fetchMore``) through a ``loader(offset, limit)`` callable, e.g. a journal
query. Tables whose rows are replaced as a whole (search results, a text's parts) use
:meth:`LiveTableModel.set_records` with ``interval_ms=None``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from ui.models.batched import BatchedTableModel

_Index = QModelIndex | QPersistentModelIndex
Loader = Callable[[int, int], Sequence[Any]]


@dataclass(frozen=True)
class Column:
    """One column: its title and how to show a record in it."""

    title: str
    text: Callable[[Any], Any]
    tooltip: Callable[[Any], str | None] | None = None
    align_right: bool = False


class LiveTableModel(BatchedTableModel):
    """Rows of records, newest first or last, fed by :meth:`enqueue` and flushed in batches."""

    def __init__(self, columns: Sequence[Column], *, newest_first: bool = False,
                 interval_ms: int | None = 50, max_rows: int | None = None,
                 loader: Loader | None = None, page: int = 200,
                 foreground: Callable[[Any], QBrush | None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(interval_ms=interval_ms, parent=parent)
        self.columns = list(columns)
        self.titles = tuple(c.title for c in self.columns)
        self.newest_first = newest_first
        self.max_rows = max_rows
        self.loader = loader
        self.page = page
        self.foreground = foreground
        self._rows: list[Any] = []
        self._more = loader is not None
        self._loaded = 0  # records obtained from the loader

    # ------------------------------------------------------------------ feeding

    def _insert_batch(self, batch: list[Any]) -> int:
        n = len(batch)
        if self.newest_first:
            self.beginInsertRows(QModelIndex(), 0, n - 1)
            self._rows[:0] = reversed(batch)
        else:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + n - 1)
            self._rows.extend(batch)
        self.endInsertRows()
        self._trim()
        return n

    def set_records(self, records: Sequence[Any]) -> None:
        """Replace every row with ``records`` (in display order) at once."""
        self.beginResetModel()
        self._rows = list(records)
        self._drop_pending()
        self._loaded = 0
        self._more = False
        self.endResetModel()

    def _trim(self) -> None:
        if self.max_rows is None or len(self._rows) <= self.max_rows:
            return
        extra = len(self._rows) - self.max_rows
        if self.newest_first:
            first = len(self._rows) - extra
            self.beginRemoveRows(QModelIndex(), first, len(self._rows) - 1)
            del self._rows[first:]
        else:
            self.beginRemoveRows(QModelIndex(), 0, extra - 1)
            del self._rows[:extra]
        self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._drop_pending()
        self._loaded = 0
        self._more = self.loader is not None
        self.endResetModel()

    def set_loader(self, loader: Loader | None) -> None:
        """Replace the lazy source (e.g. a new search) and reload from it."""
        self.loader = loader
        self.clear()

    # ------------------------------------------------------------------ lazy loading

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and self.loader is not None

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self.loader is None or not self._more:
            return
        older = list(self.loader(self._loaded, self.page))
        if len(older) < self.page:
            self._more = False
        if not older:
            return
        self._loaded += len(older)
        if self.newest_first:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(older) - 1)
            self._rows.extend(older)
        else:
            self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
            self._rows[:0] = reversed(older)
        self.endInsertRows()

    # ------------------------------------------------------------------ model

    def record(self, row: int) -> Any:
        return self._rows[row]

    @property
    def records(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        rec = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = col.text(rec)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return col.tooltip(rec)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and self.foreground is not None:
            return self.foreground(rec)
        return None
