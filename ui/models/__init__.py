"""Qt models over console records (views only: no I/O, no protocol work)."""

from ui.models.batched import BatchedTableModel
from ui.models.live_table import Column, LiveTableModel

__all__ = ["BatchedTableModel", "Column", "LiveTableModel"]
