"""Qt models over console records (views only: no I/O, no protocol work)."""

from ui.models.live_table import Column, LiveTableModel

__all__ = ["Column", "LiveTableModel"]
