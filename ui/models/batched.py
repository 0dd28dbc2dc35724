"""The batching every live table shares: producers queue records, a QTimer hands them over.

:meth:`BatchedTableModel.enqueue` only appends to a list, so it can be called per event at
thousands of events a second; every ``interval_ms`` the timer calls :meth:`flush`, which hands
the whole queue to the subclass's :meth:`~BatchedTableModel._insert_batch` — one
``beginInsertRows``/``endInsertRows`` per batch, so a burst costs one view update.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

_Index = QModelIndex | QPersistentModelIndex


class BatchedTableModel(QAbstractTableModel):
    """A table model fed through a queue that a timer flushes in batches.

    ``interval_ms=None`` runs no timer: the owner calls :meth:`flush` itself (models whose
    rows are replaced all at once). Subclasses set :attr:`titles` (the column headers) and
    implement ``rowCount``, ``data`` and :meth:`_insert_batch`.
    """

    flushed = Signal(int)  # rows made visible by the last flush
    titles: Sequence[str] = ()

    def __init__(self, *, interval_ms: int | None = 50, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: list[Any] = []
        self._timer = QTimer(self)
        if interval_ms is not None:
            self._timer.setInterval(interval_ms)
            self._timer.timeout.connect(self.flush)
            self._timer.start()

    def enqueue(self, record: Any) -> None:
        """Queue one record; it shows at the next flush (cheap: call it per event)."""
        self._pending.append(record)

    def extend(self, records: Iterable[Any]) -> None:
        self._pending.extend(records)

    @property
    def pending(self) -> int:
        """Records queued and not shown yet."""
        return len(self._pending)

    def flush(self) -> int:
        """Move the queued records into the model now; returns the rows made visible."""
        if not self._pending:
            return 0
        batch, self._pending = self._pending, []
        shown = self._insert_batch(batch)
        self.flushed.emit(shown)
        return shown

    def _drop_pending(self) -> None:
        self._pending.clear()

    def _insert_batch(self, batch: list[Any]) -> int:
        """Add ``batch`` (oldest first) to the rows with one insert; return the rows shown."""
        raise NotImplementedError

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.titles)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.titles[section]
        return None
