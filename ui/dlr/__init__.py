"""The DLR viewer tab: delivery reports from the journal, filters, timeline, CSV export."""

from ui.dlr.tab import DlrTab

__all__ = ["DlrTab"]
